// SPDX-License-Identifier: MIT
/*
 * bpf_trace_printk's format: the conversions of a string literal, for the
 * printk rewriter (which checks them) and the kernel reads rewriter (which
 * reads %s arguments into buffers).
 */
#include "compiler/printk_format.h"

#include <stdbool.h>
#include <string.h>

size_t ember__printk_conversions(const char *s, size_t n,
				 struct ember__printk_conv *out, size_t max)
{
	size_t i, count = 0;
	bool in = false;

	for (i = 0; i < n; i++) {
		if (s[i] == '"') {
			in = !in;
			continue;
		}
		if (!in)
			continue;
		if (s[i] == '\\' ||
		    (s[i] == '%' && i + 1 < n && s[i + 1] == '%')) {
			i++;
			continue;
		}
		if (s[i] != '%')
			continue;
		if (count < max)
			out[count].at = i;
		/* the text goes on past n: no strspn */
		for (i++; i < n && strchr("-+ #0123456789.", s[i]) && s[i];)
			i++;
		for (int l = 0; l < 2 && i < n && s[i] == 'l'; l++)
			i++;
		if (i < n && s[i] == 'h')
			i++;
		if (count < max) {
			out[count].c = i < n ? s[i] : 0;
			out[count].end = i < n ? i + 1 : n;
		}
		count++;
	}
	return count;
}
