/* SPDX-License-Identifier: MIT */
/*
 * Turning a verifier log (thousands of lines) into what a person needs: the
 * source line the verifier stopped at and its last few lines.
 */
#ifndef EMBER_VERIFIER_LOG_H
#define EMBER_VERIFIER_LOG_H

#include <stddef.h>

/* Lines of the log's tail quoted in an error. */
#define EMBER_VERIFIER_EXCERPT_LINES 8

/* What the rejected program was made from; any member may be NULL. */
struct ember_verifier_source {
	const void *obj; /* the BPF ELF, with BTF line info */
	size_t obj_len;
	const char *name; /* the program text's name, as the caller gave it */
	const char *text; /* the program text */
};

/*
 * Set the current error to a description of a rejected load of program
 * prog_name from log (NUL-terminated). The source line named is the failing
 * instruction's, found through src's BTF line info and quoted from its text,
 * else the verifier's last "; " line. Returns -err.
 */
int ember__verifier_error(int err, const char *prog_name, const char *log,
			  const struct ember_verifier_source *src);

#endif
