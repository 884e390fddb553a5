// SPDX-License-Identifier: MIT
#include "fuzz_support.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char cache_dir[64];

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_cache(void)
{
	nftw(cache_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void ember_fuzz_environment(void)
{
	/* one per process: fuzzing jobs do not share a cache */
	snprintf(cache_dir, sizeof(cache_dir), "/tmp/ember-fuzz-cache-%d",
		 (int)getpid());
	mkdir(cache_dir, 0700);
	atexit(remove_cache);
	setenv("EMBER_CACHE_DIR", cache_dir, 1);
	setenv("EMBER_TRACEFS", EMBER_FUZZ_TRACEFS, 1);
	/* linked statically: the precompiled prelude is built by this one */
	setenv("EMBER_COMPILER", EMBER_FUZZ_COMPILER, 0);
}

char *ember_fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = 0;
	}
	return s;
}

int ember_fuzz_file(const uint8_t *data, size_t size, char *path)
{
	int fd = memfd_create("ember-fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	snprintf(path, 32, "/proc/self/fd/%d", fd);
	return fd;
}
