// SPDX-License-Identifier: MIT
#include "compiler/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t ember__hash(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

int ember__cache_dir(char *buf, size_t len)
{
	const char *env = getenv("EMBER_CACHE_DIR");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char *slash;
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/ember", xdg);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.cache/ember", home);
	else
		return -ENOENT;
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	/* mkdir -p */
	for (slash = buf + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = 0;
		if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
			*slash = '/';
			return -errno;
		}
		*slash = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return access(buf, W_OK) ? -errno : 0;
}

int ember__cache_write(const char *dir, const char *name, const void *data,
		       size_t len)
{
	char tmp[4200], final[4200];
	const char *p = data;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >=
		    (int)sizeof(tmp) ||
	    snprintf(final, sizeof(final), "%s/%s", dir, name) >=
		    (int)sizeof(final))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len && !err) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err = n < 0 ? -errno : -EIO;
		else {
			p += n;
			len -= (size_t)n;
		}
	}
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, final))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

struct cached_file {
	char name[128];
	time_t mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct cached_file *x = a, *y = b;

	return (x->mtime < y->mtime) - (x->mtime > y->mtime);
}

void ember__cache_prune(const char *dir, const char *prefix, const char *suffix,
			size_t keep)
{
	struct cached_file *files = NULL;
	size_t n = 0, cap = 0, i, pl = strlen(prefix), sl = strlen(suffix);
	struct dirent *e;
	DIR *d = opendir(dir);
	int dfd;

	if (!d)
		return;
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		struct stat st;

		if (l < pl + sl || l >= sizeof(files[0].name) ||
		    strncmp(e->d_name, prefix, pl) ||
		    strcmp(e->d_name + l - sl, suffix) ||
		    fstatat(dfd, e->d_name, &st, 0))
			continue;
		if (n == cap) {
			struct cached_file *v;

			cap = cap ? cap * 2 : 64;
			v = realloc(files, cap * sizeof(*v));
			if (!v)
				break;
			files = v;
		}
		strcpy(files[n].name, e->d_name);
		files[n++].mtime = st.st_mtime;
	}
	if (n > keep) {
		qsort(files, n, sizeof(files[0]), newest_first);
		for (i = keep; i < n; i++)
			unlinkat(dfd, files[i].name, 0);
	}
	free(files);
	closedir(d);
}
