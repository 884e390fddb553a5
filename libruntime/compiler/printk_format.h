/* SPDX-License-Identifier: MIT */
/* bpf_trace_printk's format, read the way the kernel reads it. */
#ifndef EMBER_PRINTK_FORMAT_H
#define EMBER_PRINTK_FORMAT_H

#include <stddef.h>

struct ember__printk_conv {
	size_t at; /* offset of its '%' in the text */
	size_t end; /* offset just past it */
	char c; /* the conversion character, 0 when the text ends first */
};

/*
 * The conversions (not "%%") of the format that the C string literal text
 * s[0..n) spells (quotes included, adjacent literals concatenated), the
 * first max of them into out. The kernel's grammar: flags, width and
 * precision from "-+ #0123456789.", then l, ll and h, then the conversion
 * character, whatever stands there (bpf_trace_printk knows "diuxXcsp").
 * Returns how many conversions there are.
 */
size_t ember__printk_conversions(const char *s, size_t n,
				 struct ember__printk_conv *out, size_t max);

#endif
