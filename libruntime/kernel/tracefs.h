/* SPDX-License-Identifier: MIT */
/*
 * Where tracefs lives: trace_pipe, tracepoint formats and ids are all read
 * from it. Found once, mounted when missing and we are allowed to.
 */
#ifndef EMBER_KERNEL_TRACEFS_H
#define EMBER_KERNEL_TRACEFS_H

#include <stddef.h>

/*
 * Set *root to the mount point of tracefs (static storage, no trailing
 * slash). Tries /sys/kernel/tracing, /sys/kernel/debug/tracing, any tracefs
 * in /proc/self/mounts, then mounts tracefs at /sys/kernel/tracing when we
 * are root. Thread-safe; a success is cached, a failure is retried on the
 * next call. Returns 0 or -ENOENT (with a message that says how to mount).
 */
int ember__tracefs_root(const char **root);

/*
 * Format "<root>/<fmt...>" into buf. Returns 0, -ENAMETOOLONG when it does
 * not fit, or the error of ember__tracefs_root().
 */
int ember__tracefs_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
