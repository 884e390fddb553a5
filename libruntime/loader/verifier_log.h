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

/*
 * Set the current error to a description of a rejected load of program
 * prog_name from log (NUL-terminated). Returns -err.
 */
int ember__verifier_error(int err, const char *prog_name, const char *log);

#endif
