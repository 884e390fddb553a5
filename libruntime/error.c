// SPDX-License-Identifier: MIT
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/ember.h"

/* Heap-held so that long compiler diagnostics and verifier excerpts fit. */
static __thread char *last_message;

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

int ember__error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(last_message);
	last_message = vformat(fmt, ap);
	va_end(ap);
	return -err;
}

int ember__error_prefix(int err, const char *fmt, ...)
{
	va_list ap;
	char *prefix, *joined = NULL;

	va_start(ap, fmt);
	prefix = vformat(fmt, ap);
	va_end(ap);
	if (!prefix)
		return -err;
	if (asprintf(&joined, "%s: %s", prefix,
		     last_message ? last_message : strerror(err)) < 0)
		joined = NULL;
	free(prefix);
	if (joined) {
		free(last_message);
		last_message = joined;
	}
	return -err;
}

const char *ember_errmsg(void)
{
	return last_message ? last_message : "no error";
}
