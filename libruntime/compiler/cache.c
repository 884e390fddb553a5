// SPDX-License-Identifier: MIT
#include "compiler/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

#define ROOT_CACHE_DIR "/var/cache/ember"
#define TEMP_PREFIX ".tmp-"
/* A temporary file this old was left by a process that died. */
#define TEMP_STALE_SECONDS 3600

static int location(char *buf, size_t len)
{
	/* secure_getenv: a set-uid host must not let its caller choose */
	const char *env = secure_getenv("EMBER_CACHE_DIR");
	const char *xdg = secure_getenv("XDG_CACHE_HOME");
	const char *home = secure_getenv("HOME");
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "%s", ROOT_CACHE_DIR);
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/ember", xdg);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.cache/ember", home);
	else
		return ember__error(ENOENT, "no cache location (no HOME); set "
					    "EMBER_CACHE_DIR");
	if (n < 0 || (size_t)n >= len)
		return ember__error(ENAMETOOLONG, "cache path too long");
	/* "dir/" would make O_NOFOLLOW follow a final symbolic link */
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = 0;
	return 0;
}

static int mkdir_p(char *path)
{
	char *slash;

	for (slash = path + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = 0;
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			int err = errno;

			*slash = '/';
			return -err;
		}
		*slash = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The ownership and mode rule, for the directory and each file. */
static int check_owner(const struct stat *st, const char *dir, const char *name)
{
	const char *sep = name ? "/" : "";

	if (!name)
		name = "";
	if (st->st_uid != geteuid())
		return ember__error(EPERM,
				    "%s%s%s is owned by uid %u, not by uid %u "
				    "(this process)",
				    dir, sep, name, (unsigned int)st->st_uid,
				    (unsigned int)geteuid());
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return ember__error(EPERM,
				    "%s%s%s is writable by its group or others "
				    "(mode %04o)",
				    dir, sep, name,
				    (unsigned int)(st->st_mode & 07777));
	return 0;
}

int ember__cache_open(struct ember_cache *c, ember_log_fn log, void *log_ctx)
{
	char path[4096];
	struct stat st;
	int err, fd;

	*c = (struct ember_cache){ .dirfd = -1,
				   .log = log,
				   .log_ctx = log_ctx };
	err = location(path, sizeof(path));
	if (err)
		return err;
	err = mkdir_p(path);
	if (err)
		return ember__error(-err,
				    "cannot create the cache directory "
				    "%s: %s",
				    path, strerror(-err));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		return ember__error(err, "cache directory %s: %s", path,
				    err == ELOOP || err == ENOTDIR
					    ? "is a symbolic link or not a "
					      "directory"
					    : strerror(err));
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		close(fd);
		return ember__error(err, "cache directory %s: %s", path,
				    strerror(err));
	}
	err = check_owner(&st, path, NULL);
	if (!err && !(c->path = strdup(path)))
		err = ember__error(ENOMEM, "out of memory");
	if (err) {
		close(fd);
		return err;
	}
	c->dirfd = fd;
	return 0;
}

void ember__cache_close(struct ember_cache *c)
{
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c->path);
	c->dirfd = -1;
	c->path = NULL;
}

int ember__cache_open_file(const struct ember_cache *c, const char *name,
			   size_t max, int *fd)
{
	struct stat st;
	int err;

	*fd = -1;
	/* O_NONBLOCK: a FIFO planted here must not hang the open */
	err = openat(c->dirfd, name,
		     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (err < 0) {
		err = errno;
		if (err == ENOENT)
			return -ENOENT;
		return ember__error(err, "%s/%s: %s", c->path, name,
				    err == ELOOP ? "is a symbolic link"
						 : strerror(err));
	}
	*fd = err;
	if (fstat(*fd, &st) < 0)
		err = ember__error(errno, "%s/%s: %s", c->path, name,
				   strerror(errno));
	else if (!S_ISREG(st.st_mode))
		err = ember__error(EPERM, "%s/%s is not a regular file",
				   c->path, name);
	else if ((err = check_owner(&st, c->path, name)) == 0 &&
		 (uint64_t)st.st_size > max)
		err = ember__error(EFBIG, "%s/%s is too large (%lld bytes)",
				   c->path, name, (long long)st.st_size);
	if (err) {
		close(*fd);
		*fd = -1;
	}
	return err;
}

/* Read all of fd (a regular file of size len) into buf. */
static int read_all(int fd, char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EBADMSG; /* shrank since fstat */
		done += (size_t)n;
	}
	return 0;
}

#define HEADER_LEN (EMBER_CACHE_MAGIC_LEN + EMBER_DIGEST_LEN)

int ember__cache_entry_read(const struct ember_cache *c, const char *name,
			    const char magic[EMBER_CACHE_MAGIC_LEN],
			    const struct ember_digest *inputs, size_t max,
			    void **payload, size_t *len)
{
	struct ember_digest sum;
	struct stat st;
	char *buf = NULL;
	size_t size;
	int fd, err;

	*payload = NULL;
	*len = 0;
	err = ember__cache_open_file(c, name, max, &fd);
	if (err)
		return err;
	if (fstat(fd, &st) < 0) {
		err = ember__error(errno, "%s/%s: %s", c->path, name,
				   strerror(errno));
		goto out;
	}
	size = (size_t)st.st_size;
	if (size < HEADER_LEN + EMBER_DIGEST_LEN) {
		err = ember__error(EBADMSG, "%s/%s is truncated (%zu bytes)",
				   c->path, name, size);
		goto out;
	}
	/* Checked and parsed from this private copy only. */
	buf = malloc(size);
	if (!buf) {
		err = ember__error(ENOMEM, "out of memory");
		goto out;
	}
	err = read_all(fd, buf, size);
	if (err) {
		ember__error(-err, "%s/%s: %s", c->path, name, strerror(-err));
		goto out;
	}
	if (memcmp(buf, magic, EMBER_CACHE_MAGIC_LEN)) {
		err = ember__error(EBADMSG,
				   "%s/%s is not an entry of this kind or "
				   "ember version",
				   c->path, name);
		goto out;
	}
	err = ember__digest(buf, size - EMBER_DIGEST_LEN, &sum);
	if (err) {
		ember__error(ENOMEM, "out of memory");
		goto out;
	}
	if (memcmp(sum.bytes, buf + size - EMBER_DIGEST_LEN,
		   EMBER_DIGEST_LEN)) {
		err = ember__error(EBADMSG,
				   "%s/%s is damaged (its SHA-256 does not "
				   "match its content)",
				   c->path, name);
		goto out;
	}
	if (memcmp(buf + EMBER_CACHE_MAGIC_LEN, inputs->bytes,
		   EMBER_DIGEST_LEN)) {
		err = ember__error(EBADMSG,
				   "%s/%s was built from other inputs than "
				   "its name says",
				   c->path, name);
		goto out;
	}
	*len = size - HEADER_LEN - EMBER_DIGEST_LEN;
	memmove(buf, buf + HEADER_LEN, *len);
	*payload = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

int ember__cache_temp_name(char *buf, size_t len, const char *prefix)
{
	static atomic_uint counter;
	int n = snprintf(buf, len, TEMP_PREFIX "%d-%u-%s", (int)getpid(),
			 atomic_fetch_add(&counter, 1), prefix);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ember__cache_entry_write(const struct ember_cache *c, const char *name,
			     const char magic[EMBER_CACHE_MAGIC_LEN],
			     const struct ember_digest *inputs,
			     const void *payload, size_t len)
{
	struct ember_hasher h;
	struct ember_digest sum;
	char tmp[256];
	int fd = -1, err, tries;

	if (c->dirfd < 0)
		return -EBADF;
	err = ember__hasher_init(&h);
	if (err)
		return err;
	ember__hasher_bytes(&h, magic, EMBER_CACHE_MAGIC_LEN);
	ember__hasher_bytes(&h, inputs->bytes, EMBER_DIGEST_LEN);
	ember__hasher_bytes(&h, payload, len);
	err = ember__hasher_final(&h, &sum);
	if (err)
		return err;
	/* O_EXCL: a name left by a dead process is skipped, never reused */
	for (tries = 0; fd < 0 && tries < 16; tries++) {
		err = ember__cache_temp_name(tmp, sizeof(tmp), name);
		if (err)
			return err;
		fd = openat(c->dirfd, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC,
			    0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	err = write_all(fd, magic, EMBER_CACHE_MAGIC_LEN);
	if (!err)
		err = write_all(fd, inputs->bytes, EMBER_DIGEST_LEN);
	if (!err)
		err = write_all(fd, payload, len);
	if (!err)
		err = write_all(fd, sum.bytes, EMBER_DIGEST_LEN);
	if (close(fd) && !err)
		err = -errno;
	if (!err)
		err = ember__cache_rename(c, tmp, name);
	if (err)
		unlinkat(c->dirfd, tmp, 0);
	return err;
}

int ember__cache_rename(const struct ember_cache *c, const char *from,
			const char *to)
{
	return renameat(c->dirfd, from, c->dirfd, to) ? -errno : 0;
}

void ember__cache_remove(const struct ember_cache *c, const char *name)
{
	unlinkat(c->dirfd, name, 0);
}

void ember__cache_refused(const struct ember_cache *c)
{
	char *msg = NULL;

	if (!c->log)
		return;
	if (asprintf(&msg, "ignoring a cache entry: %s; rebuilding it",
		     ember_errmsg()) >= 0)
		c->log(EMBER_LOG_WARN, msg, c->log_ctx);
	free(msg);
}

#define RECORD_SUFFIX ".sum"

static void record_name(const struct ember_cache_record_kind *kind,
			const struct ember_digest *key, char *name, size_t size)
{
	char hex[EMBER_DIGEST_HEX_LEN];

	ember__digest_hex(key, hex);
	snprintf(name, size, "%s%s" RECORD_SUFFIX, kind->prefix, hex);
}

int ember__cache_record_read(const struct ember_cache *c,
			     const struct ember_cache_record_kind *kind,
			     const struct ember_digest *key,
			     int (*accept)(void *payload, size_t len,
					   void *ctx),
			     void *ctx, void **payload, size_t *len)
{
	char name[128];
	int err;

	*payload = NULL;
	*len = 0;
	record_name(kind, key, name, sizeof(name));
	err = ember__cache_entry_read(c, name, kind->magic, key, kind->max,
				      payload, len);
	if (!err) {
		err = accept ? accept(*payload, *len, ctx) : 0;
		if (!err)
			return 0;
		free(*payload);
		*payload = NULL;
		*len = 0;
		if (err != -EBADMSG)
			return err;
		ember__error(EBADMSG, "%s/%s is not %s", c->path, name,
			     kind->what);
	}
	if (err != -ENOENT)
		ember__cache_refused(c);
	return -ENOENT;
}

void ember__cache_record_write(const struct ember_cache *c,
			       const struct ember_cache_record_kind *kind,
			       const struct ember_digest *key,
			       const void *payload, size_t len)
{
	char name[128];

	record_name(kind, key, name, sizeof(name));
	if (!ember__cache_entry_write(c, name, kind->magic, key, payload, len))
		ember__cache_prune(c, kind->prefix, RECORD_SUFFIX, kind->keep);
}

struct cached_file {
	char name[128];
	struct timespec mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct cached_file *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return (x->mtime.tv_sec < y->mtime.tv_sec) -
		       (x->mtime.tv_sec > y->mtime.tv_sec);
	return (x->mtime.tv_nsec < y->mtime.tv_nsec) -
	       (x->mtime.tv_nsec > y->mtime.tv_nsec);
}

void ember__cache_prune(const struct ember_cache *c, const char *prefix,
			const char *suffix, size_t keep)
{
	struct cached_file *files = NULL;
	size_t n = 0, cap = 0, i, pl = strlen(prefix), sl = strlen(suffix);
	time_t now = time(NULL);
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd;

	if (c->dirfd < 0)
		return;
	fd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	/* Names only: a store runs this, and one stat per entry of a full
	 * cache cost more than the store itself. */
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (!strncmp(e->d_name, TEMP_PREFIX, strlen(TEMP_PREFIX))) {
			if (!fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
			    now - st.st_mtime >= TEMP_STALE_SECONDS)
				unlinkat(fd, e->d_name, 0);
			continue;
		}
		if (l < pl + sl || l >= sizeof(files[0].name) ||
		    strncmp(e->d_name, prefix, pl) ||
		    strcmp(e->d_name + l - sl, suffix))
			continue;
		if (n == cap) {
			struct cached_file *v;

			cap = cap ? cap * 2 : 64;
			v = realloc(files, cap * sizeof(*v));
			if (!v)
				break;
			files = v;
		}
		strcpy(files[n++].name, e->d_name);
	}
	if (n > keep) {
		/* the ones gone since are kept out of the count */
		for (i = 0; i < n;)
			if (fstatat(fd, files[i].name, &st,
				    AT_SYMLINK_NOFOLLOW))
				files[i] = files[--n];
			else
				files[i++].mtime = st.st_mtim;
		qsort(files, n, sizeof(files[0]), newest_first);
		for (i = keep; i < n; i++)
			unlinkat(fd, files[i].name, 0);
	}
	free(files);
	closedir(d);
}
