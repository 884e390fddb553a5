// SPDX-License-Identifier: MIT
#include "kernel/kprobe_events.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "kernel/kallsyms.h"
#include "kernel/tracefs.h"

/* Write cmd to kprobe_events: 0 or -errno (no message). */
static int write_command(const char *cmd)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, err;

	if (ember__tracefs_path(path, sizeof(path), "kprobe_events"))
		return -ENOENT;
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, cmd, strlen(cmd));
	err = n < 0 ? -errno : (size_t)n == strlen(cmd) ? 0 : -EIO;
	close(fd);
	return err;
}

int ember__kprobe_event_remove(const char *name)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "-:%s/%.200s", EMBER_KPROBE_EVENT_GROUP,
		 name);
	return write_command(cmd);
}

/*
 * The pid in an event name <fn>_<pid>_<n>, or 0. (The fn part may hold
 * underscores and digits itself: the pid is the second number from the end.)
 */
static long pid_of_name(const char *name)
{
	const char *last = strrchr(name, '_'), *p;
	long pid = 0;

	if (!last || last == name)
		return 0;
	for (p = last - 1; p > name && *p != '_'; p--)
		;
	if (*p != '_')
		return 0;
	for (p++; p < last; p++) {
		if (*p < '0' || *p > '9' || pid > INT_MAX / 10)
			return 0;
		pid = pid * 10 + (*p - '0');
	}
	return pid;
}

/*
 * Remove the ember events whose process is gone (killed before it could
 * remove them). An event still in use cannot be removed (the kernel answers
 * EBUSY), so a live process's event is safe even where its pid means
 * another process here (a pid namespace).
 */
static void remove_stale_events(void)
{
	static const char group[] = EMBER_KPROBE_EVENT_GROUP "/";
	char path[PATH_MAX], *line = NULL, name[128];
	size_t cap = 0;
	FILE *f;

	if (ember__tracefs_path(path, sizeof(path), "kprobe_events"))
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	/* "r4:ember/vfs_read_1234_0 vfs_read" */
	while (getline(&line, &cap, f) > 0) {
		char *g = strchr(line, ':'), *end;
		long pid;

		if (!g || strncmp(g + 1, group, sizeof(group) - 1))
			continue;
		g += sizeof(group);
		end = g + strcspn(g, " \n");
		if (end - g >= (long)sizeof(name))
			continue;
		memcpy(name, g, end - g);
		name[end - g] = 0;
		pid = pid_of_name(name);
		if (pid > 0 && kill((pid_t)pid, 0) && errno == ESRCH)
			ember__kprobe_event_remove(name);
	}
	free(line);
	fclose(f);
}

/* The kernel's reason for the last refused command (tracefs error_log,
 * since 5.4: "[...] trace_kprobe: error: REASON"), into buf; "" if none. */
static void last_error_reason(char *buf, size_t size)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	FILE *f;

	buf[0] = 0;
	if (ember__tracefs_path(path, sizeof(path), "error_log"))
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *r = strstr(line, " error: ");

		if (r)
			snprintf(buf, size, "%.*s", (int)strcspn(r + 8, "\n"),
				 r + 8);
	}
	free(line);
	fclose(f);
}

int ember__kprobe_event_add(const char *fn, bool retprobe, uint64_t offset,
			    int maxactive, char *name, size_t size)
{
	static atomic_uint next;
	char cmd[512], safe[41], kind[16], path[PATH_MAX], reason[256];
	const char *sym;
	size_t i;
	int err;

	/* says how to mount tracefs when it is missing */
	err = ember__tracefs_path(path, sizeof(path), "kprobe_events");
	if (err)
		return err;

	/* event names are C identifiers; a module's "mod:fn" is not one */
	for (i = 0; fn[i] && i < sizeof(safe) - 1; i++)
		safe[i] = (fn[i] >= 'a' && fn[i] <= 'z') ||
					  (fn[i] >= 'A' && fn[i] <= 'Z') ||
					  (fn[i] >= '0' && fn[i] <= '9')
				  ? fn[i]
				  : '_';
	safe[i] = 0;
	if (safe[0] >= '0' && safe[0] <= '9')
		safe[0] = '_';
	if ((size_t)snprintf(name, size, "%s_%d_%u", safe, (int)getpid(),
			     atomic_fetch_add(&next, 1)) >= size)
		return ember__error(ENAMETOOLONG, "kprobe event name too long");
	if (retprobe && maxactive)
		snprintf(kind, sizeof(kind), "r%d", maxactive);
	else
		snprintf(kind, sizeof(kind), "%c", retprobe ? 'r' : 'p');
	if ((size_t)snprintf(cmd, sizeof(cmd), "%s:%s/%s %s+%" PRIu64, kind,
			     EMBER_KPROBE_EVENT_GROUP, name, fn,
			     offset) >= sizeof(cmd))
		return ember__error(ENAMETOOLONG,
				    "kernel function name too long: %.64s...",
				    fn);
	remove_stale_events();
	err = write_command(cmd);
	if (!err)
		return 0;
	if (err == -EILSEQ)
		return ember__error(EILSEQ,
				    "offset %" PRIu64 " into %s is not the "
				    "start of an instruction",
				    offset, fn);
	/* older kernels say ENOENT for a missing function, newer EINVAL */
	sym = strchr(fn, ':') ? strchr(fn, ':') + 1 : fn;
	if (err == -ENOENT || (err == -EINVAL && !ember__kallsyms_has(sym)))
		return ember__error(ENOENT,
				    "no kernel function %s to probe (it is not "
				    "in /proc/kallsyms, or its module is not "
				    "loaded)",
				    fn);
	last_error_reason(reason, sizeof(reason));
	return ember__error(-err, "the kernel refused kprobe event '%s': %s",
			    cmd, *reason ? reason : strerror(-err));
}
