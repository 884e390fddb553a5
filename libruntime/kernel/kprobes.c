// SPDX-License-Identifier: MIT
#include "kernel/kprobes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember/ember.h"
#include "error.h"
#include "kernel/kallsyms.h"
#include "kernel/tracefs.h"

bool ember__kernel_has_kprobes(void)
{
	char path[512];

	if (access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0)
		return true;
	return ember__tracefs_path(path, sizeof(path), "kprobe_events") == 0 &&
	       access(path, F_OK) == 0;
}

/* Architecture prefixes of syscall wrappers, newest conventions first. */
static const char *const syscall_prefixes[] = {
	"__x64_sys_",	"__ia32_sys_", "__arm64_sys_",
	"__s390x_sys_", "__s390_sys_", "__riscv_sys_",
	"__se_sys_",	"__do_sys_",   "sys_",
};

bool ember__syscall_of_function(const char *fn, char *buf, size_t size)
{
	for (size_t i = 0;
	     i < sizeof(syscall_prefixes) / sizeof(*syscall_prefixes); i++) {
		size_t n = strlen(syscall_prefixes[i]);

		if (!strncmp(fn, syscall_prefixes[i], n) && fn[n] &&
		    strlen(fn + n) < size) {
			strcpy(buf, fn + n);
			return true;
		}
	}
	return false;
}

int ember_syscall_fnname(const char *name, char *buf, size_t size)
{
	static const char *const arch_prefix =
#if defined(__x86_64__)
		"__x64_sys_";
#elif defined(__aarch64__)
		"__arm64_sys_";
#elif defined(__s390x__)
		"__s390x_sys_";
#elif defined(__riscv)
		"__riscv_sys_";
#else
		"sys_";
#endif
	int n;

	if (!name || !buf || !size)
		return ember__error(EINVAL, "name and buffer needed");
	/* Kernels since 4.17 wrap syscalls in arch-prefixed entry points. */
	n = snprintf(buf, size, "%s%s", arch_prefix, name);
	if (n >= 0 && (size_t)n < size && ember__kallsyms_has(buf))
		return 0;
	n = snprintf(buf, size, "sys_%s", name);
	if (n < 0 || (size_t)n >= size)
		return ember__error(ENAMETOOLONG, "buffer too small");
	return 0;
}
