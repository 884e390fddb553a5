// SPDX-License-Identifier: MIT
/*
 * Locating (and if need be mounting) tracefs. statfs() is the primary test:
 * it sees mounts made in other namespaces' views of /proc/self/mounts, and
 * touching /sys/kernel/debug/tracing triggers debugfs' tracefs automount,
 * which a mounts-table scan alone would miss.
 */
#include "kernel/tracefs.h"

#include <errno.h>
#include <limits.h>
#include <mntent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "error.h"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

#define EMBER_TRACEFS_DEFAULT "/sys/kernel/tracing"
#define EMBER_TRACEFS_DEBUGFS "/sys/kernel/debug/tracing"

static pthread_mutex_t tracefs_lock = PTHREAD_MUTEX_INITIALIZER;
/* Only ever written once, under the lock; read under the lock too. */
static char tracefs_root[PATH_MAX];

static int ember__is_tracefs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st))
		return 0;
	return (unsigned long)st.f_type == (unsigned long)TRACEFS_MAGIC;
}

/* Any tracefs mount, wherever the administrator put it. */
static int ember__tracefs_from_mounts(char *out, size_t len)
{
	struct mntent ent, *m;
	char buf[4096];
	FILE *f;
	int found = 0;

	f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return 0;
	while ((m = getmntent_r(f, &ent, buf, sizeof(buf)))) {
		if (strcmp(m->mnt_type, "tracefs") != 0)
			continue;
		if (strlen(m->mnt_dir) >= len || !ember__is_tracefs(m->mnt_dir))
			continue;
		strcpy(out, m->mnt_dir);
		found = 1;
		break;
	}
	endmntent(f);
	return found;
}

static int ember__tracefs_find(void)
{
	const char *env = getenv("EMBER_TRACEFS");
	int err;

	/* An explicit directory (tracefs mounted elsewhere, or a copy of its
	 * events/ tree for compiling without privileges) wins. */
	if (env && *env) {
		if (strlen(env) >= sizeof(tracefs_root))
			return ember__error(ENAMETOOLONG,
					    "EMBER_TRACEFS is too long");
		strcpy(tracefs_root, env);
		return 0;
	}

	if (ember__is_tracefs(EMBER_TRACEFS_DEFAULT)) {
		strcpy(tracefs_root, EMBER_TRACEFS_DEFAULT);
		return 0;
	}
	if (ember__is_tracefs(EMBER_TRACEFS_DEBUGFS)) {
		strcpy(tracefs_root, EMBER_TRACEFS_DEBUGFS);
		return 0;
	}
	if (ember__tracefs_from_mounts(tracefs_root, sizeof(tracefs_root)))
		return 0;

	if (geteuid() != 0)
		return ember__error(
			ENOENT,
			"tracefs is not mounted (looked at %s and %s); as root "
			"run: mount -t tracefs nodev %s",
			EMBER_TRACEFS_DEFAULT, EMBER_TRACEFS_DEBUGFS,
			EMBER_TRACEFS_DEFAULT);

	if (mount("nodev", EMBER_TRACEFS_DEFAULT, "tracefs", 0, NULL) == 0 &&
	    ember__is_tracefs(EMBER_TRACEFS_DEFAULT)) {
		strcpy(tracefs_root, EMBER_TRACEFS_DEFAULT);
		return 0;
	}
	err = errno;
	return ember__error(ENOENT,
			    "tracefs is not mounted and mounting it at %s "
			    "failed (%s); run: mount -t tracefs nodev %s (the "
			    "kernel needs CONFIG_TRACING)",
			    EMBER_TRACEFS_DEFAULT, strerror(err),
			    EMBER_TRACEFS_DEFAULT);
}

int ember__tracefs_root(const char **root)
{
	int err = 0;

	pthread_mutex_lock(&tracefs_lock);
	if (!tracefs_root[0]) {
		err = ember__tracefs_find();
		if (err)
			tracefs_root[0] = '\0';
	}
	pthread_mutex_unlock(&tracefs_lock);
	if (err)
		return err;
	/* Never changes once set, so the pointer may escape the lock. */
	*root = tracefs_root;
	return 0;
}

int ember__tracefs_path(char *buf, size_t len, const char *fmt, ...)
{
	const char *root;
	va_list ap;
	int err, n, m;

	err = ember__tracefs_root(&root);
	if (err)
		return err;
	n = snprintf(buf, len, "%s/", root);
	if (n < 0 || (size_t)n >= len)
		return ember__error(ENAMETOOLONG,
				    "tracefs path under %s too long", root);
	va_start(ap, fmt);
	m = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= len - n)
		return ember__error(
			ENAMETOOLONG,
			"tracefs path %s... does not fit in %zu bytes", buf,
			len);
	return 0;
}
