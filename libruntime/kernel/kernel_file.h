/* SPDX-License-Identifier: MIT */
/*
 * Small files the kernel writes (procfs, sysfs, tracefs), read whole with a
 * check that they are on that file system: a path that a bind mount or a
 * copy (EMBER_TRACEFS) put elsewhere is not the kernel's word, and is not
 * taken as a cache key.
 */
#ifndef EMBER_KERNEL_FILE_H
#define EMBER_KERNEL_FILE_H

#include <stddef.h>

/* This boot's identity (procfs): what a per-boot cache key holds. */
#define EMBER_BOOT_ID "/proc/sys/kernel/random/boot_id"

/*
 * Read path (on the file system of statfs type fs_magic) into buf, at most
 * size - 1 bytes: 0 with *len set; -EPERM when it is on another file
 * system, -EIO when empty, -EFBIG when it has size bytes or more, or
 * another -errno. Sets no error message.
 */
int ember__kernel_file_read(const char *path, long fs_magic, char *buf,
			    size_t size, size_t *len);

#endif
