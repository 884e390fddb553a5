// SPDX-License-Identifier: MIT
#include "fuzz_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void ember_fuzz_environment(void)
{
	char dir[64];

	/* one per process: fuzzing jobs do not share a cache */
	snprintf(dir, sizeof(dir), "/tmp/ember-fuzz-cache-%d", (int)getpid());
	mkdir(dir, 0700);
	setenv("EMBER_CACHE_DIR", dir, 1);
	setenv("EMBER_TRACEFS", EMBER_FUZZ_TRACEFS, 1);
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
