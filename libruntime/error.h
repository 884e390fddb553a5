/* SPDX-License-Identifier: MIT */
/*
 * The thread-local "last error" behind ember_errmsg(): every failing public
 * call leaves one human-readable message here and returns -errno.
 */
#ifndef EMBER_ERROR_H
#define EMBER_ERROR_H

#include <stdarg.h>

/* Replace the message; returns -err (err is a positive errno) for tail calls. */
int ember__error(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prepend context to the current message: "ctx: old message". */
int ember__error_prefix(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
