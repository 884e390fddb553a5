/* SPDX-License-Identifier: MIT */
/* The kernel's symbols as /proc/kallsyms lists them: the one reader. */
#ifndef EMBER_KALLSYMS_H
#define EMBER_KALLSYMS_H

#include <stdbool.h>

struct ember__kallsym {
	unsigned long long addr; /* 0 for everything under kptr_restrict */
	char type; /* nm's letter: 't'/'T' text, 'a'/'A' absolute, ... */
	const char *name;
	const char *module; /* NULL for the kernel image */
};

/*
 * Each symbol of the kallsyms-format file path (NULL: /proc/kallsyms), in
 * file order, to fn until fn returns non-zero. The strings live until fn
 * returns. Lines that are not "ADDR TYPE NAME[\t[MODULE]]" are skipped.
 * Returns 0, fn's non-zero value, or -errno when the file cannot be read
 * (no message set).
 */
int ember__kallsyms_each(const char *path,
			 int (*fn)(const struct ember__kallsym *s, void *ctx),
			 void *ctx);

/* Does /proc/kallsyms have a symbol named name (false if unreadable)? */
bool ember__kallsyms_has(const char *name);

#endif
