// SPDX-License-Identifier: MIT
#include "kernel/kernel_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

int ember__kernel_file_read(const char *path, long fs_magic, char *buf,
			    size_t size, size_t *len)
{
	struct statfs sfs;
	ssize_t n;
	int err = 0, fd = open(path, O_RDONLY | O_CLOEXEC);

	*len = 0;
	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sfs) || sfs.f_type != fs_magic) {
		close(fd);
		return -EPERM;
	}
	n = read(fd, buf, size);
	if (n < 0)
		err = -errno;
	else if (n == 0)
		err = -EIO;
	else if ((size_t)n >= size)
		err = -EFBIG;
	else
		*len = (size_t)n;
	close(fd);
	return err;
}
