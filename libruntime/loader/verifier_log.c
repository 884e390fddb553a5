// SPDX-License-Identifier: MIT
#include "loader/verifier_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/*
 * With BTF line info the verifier prints the source line of the instructions
 * that follow as "; <source text> @ <file>:<line>" (older kernels omit the
 * " @ file:line" part). The last such line before the rejection is where the
 * program went wrong.
 */
static const char *last_source_line(const char *log, size_t *len)
{
	const char *p = log, *found = NULL;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t l = eol ? (size_t)(eol - p) : strlen(p);

		if (l > 2 && p[0] == ';' && p[1] == ' ') {
			found = p + 2;
			*len = l - 2;
		}
		p += l + (eol ? 1 : 0);
	}
	return found;
}

/* Start of the last n non-empty lines of log. */
static const char *tail_lines(const char *log, int n)
{
	const char *end = log + strlen(log);

	while (end > log && end[-1] == '\n')
		end--;
	while (end > log) {
		end--;
		if (*end == '\n' && --n == 0)
			return end + 1;
	}
	return log;
}

int ember__verifier_error(int err, const char *prog_name, const char *log)
{
	const char *src, *tail, *at, *relo;
	size_t src_len = 0, tail_len;
	char where[512] = "";

	if (!log || !*log)
		return ember__error(err,
				    "the kernel rejected program '%s' (%s) and "
				    "gave no verifier log",
				    prog_name, strerror(err));
	src = last_source_line(log, &src_len);
	if (src) {
		/* "text @ file:line" → "file:line: text" */
		at = NULL;
		for (const char *q = src; q + 3 <= src + src_len; q++)
			if (!memcmp(q, " @ ", 3))
				at = q;
		if (at)
			snprintf(where, sizeof(where), " at %.*s: %.*s",
				 (int)(src + src_len - at - 3), at + 3,
				 (int)(at - src), src);
		else
			snprintf(where, sizeof(where), " at: %.*s",
				 (int)src_len, src);
	}
	/* libbpf rewrites the verifier's "unknown#195896080" for a field the
	 * running kernel lacks into a line that names it: lead with that. */
	relo = strstr(log, "failed to resolve CO-RE relocation");
	if (relo) {
		const char *eol = strchr(relo, '\n');
		int n = eol ? (int)(eol - relo) : (int)strlen(relo);

		return ember__error(err,
				    "program '%s'%s reads a kernel field or "
				    "type the running kernel does not have: "
				    "%.*s",
				    prog_name, where, n, relo);
	}
	tail = tail_lines(log, EMBER_VERIFIER_EXCERPT_LINES);
	tail_len = strlen(tail);
	while (tail_len && tail[tail_len - 1] == '\n')
		tail_len--;
	return ember__error(err,
			    "the BPF verifier rejected program '%s'%s\n"
			    "verifier log (last lines):\n%.*s",
			    prog_name, where, (int)tail_len, tail);
}
