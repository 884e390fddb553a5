// SPDX-License-Identifier: MIT
#include "loader/shared_tables.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "error.h"

#define BPF_FS_MAGIC 0xcafe4a11
#define BPF_FS "/sys/fs/bpf"

struct export
{
	char *name;
	int fd; /* our own duplicate: the map lives while it is exported */
	const struct ember_module *owner;
	struct export *next;
};

static pthread_mutex_t exports_lock = PTHREAD_MUTEX_INITIALIZER;
static struct export *exports;

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 &&
	       (unsigned long)st.f_type == (unsigned long)BPF_FS_MAGIC;
}

/* Pins need a bpffs: mount the usual one when it is missing. */
static int ensure_bpffs(const char *pin_path)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", pin_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = 0;
	if (on_bpffs(dir))
		return 0;
	if (strncmp(pin_path, BPF_FS "/", sizeof(BPF_FS)) == 0 &&
	    !on_bpffs(BPF_FS)) {
		mkdir(BPF_FS, 0700);
		if (mount("bpf", BPF_FS, "bpf", 0, NULL))
			return ember__error(
				errno,
				"cannot mount bpffs at %s: %s (pinned "
				"tables need it)",
				BPF_FS, strerror(errno));
		if (on_bpffs(dir))
			return 0;
	}
	return ember__error(EINVAL,
			    "pin path %s is not on a bpf filesystem (mount "
			    "one: mount -t bpf bpf %s)",
			    pin_path, BPF_FS);
}

int ember__shared_tables_prepare(struct ember_module *m)
{
	size_t i;
	int err = 0;

	for (i = 0; i < m->compiled.tables_cnt && !err; i++) {
		const struct ember_table_decl *d = &m->compiled.tables[i];
		struct bpf_map *map =
			bpf_object__find_map_by_name(m->obj, d->name);
		struct export *e;

		if (!map)
			continue;
		if (d->pin_path) {
			err = ensure_bpffs(d->pin_path);
			if (!err && bpf_map__set_pin_path(map, d->pin_path))
				err = ember__error(EINVAL, "bad pin path %s",
						   d->pin_path);
		}
		if (err || d->sharing != EMBER_TABLE_IMPORTED)
			continue;
		pthread_mutex_lock(&exports_lock);
		for (e = exports; e; e = e->next)
			if (!strcmp(e->name, d->name))
				break;
		if (!e)
			err = ember__error(
				ENOENT,
				"%s: extern table '%s' is not exported "
				"by any loaded module (declare it with "
				"BPF_TABLE_PUBLIC there, and load that "
				"module first)",
				m->name, d->name);
		else if (bpf_map__reuse_fd(map, e->fd))
			err = ember__error(errno, "cannot share table '%s': %s",
					   d->name, strerror(errno));
		pthread_mutex_unlock(&exports_lock);
	}
	return err;
}

int ember__shared_tables_publish(struct ember_module *m)
{
	size_t i;
	int err = 0;

	pthread_mutex_lock(&exports_lock);
	for (i = 0; i < m->compiled.tables_cnt && !err; i++) {
		const struct ember_table_decl *d = &m->compiled.tables[i];
		struct bpf_map *map =
			bpf_object__find_map_by_name(m->obj, d->name);
		struct export *e;

		if (d->sharing != EMBER_TABLE_EXPORTED || !map)
			continue;
		for (e = exports; e; e = e->next)
			if (!strcmp(e->name, d->name))
				break;
		if (e) {
			err = ember__error(EEXIST,
					   "table '%s' is already exported by "
					   "%s",
					   d->name, e->owner->name);
			break;
		}
		e = calloc(1, sizeof(*e));
		if (!e || !(e->name = strdup(d->name)) ||
		    (e->fd = fcntl(bpf_map__fd(map), F_DUPFD_CLOEXEC, 0)) < 0) {
			if (e)
				free(e->name);
			free(e);
			err = ember__error(ENOMEM, "out of memory");
			break;
		}
		e->owner = m;
		e->next = exports;
		exports = e;
	}
	pthread_mutex_unlock(&exports_lock);
	if (err)
		ember__shared_tables_withdraw(m);
	return err;
}

void ember__shared_tables_withdraw(const struct ember_module *m)
{
	struct export **pp, *e;

	pthread_mutex_lock(&exports_lock);
	for (pp = &exports; (e = *pp);) {
		if (e->owner == m) {
			*pp = e->next;
			close(e->fd);
			free(e->name);
			free(e);
		} else {
			pp = &e->next;
		}
	}
	pthread_mutex_unlock(&exports_lock);
}
