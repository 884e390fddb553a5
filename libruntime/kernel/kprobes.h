/* SPDX-License-Identifier: MIT */
/* Facts about kprobes and system call entry points on the running kernel. */
#ifndef EMBER_KPROBES_H
#define EMBER_KPROBES_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the kernel can place kprobes (CONFIG_KPROBES): its perf "kprobe"
 * event source or tracefs kprobe_events exists. */
bool ember__kernel_has_kprobes(void);

/*
 * The system call a kernel function name stands for ("__x64_sys_clone",
 * "sys_clone", "__se_sys_clone" → "clone"), copied into buf; false when the
 * name is not a system call entry point.
 */
bool ember__syscall_of_function(const char *fn, char *buf, size_t size);

#endif
