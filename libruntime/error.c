// SPDX-License-Identifier: MIT
#include "error.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/ember.h"

/* Heap-held so that long compiler diagnostics and verifier excerpts fit. */
static __thread char *last_message;

/* A thread's last message is freed when the thread exits (a key's
 * destructor: __thread variables have none in C). */
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void free_at_exit(void *message)
{
	free(message);
}

static void make_exit_key(void)
{
	pthread_key_create(&exit_key, free_at_exit);
}

static void set_message(char *m)
{
	free(last_message);
	last_message = m;
	pthread_once(&exit_once, make_exit_key);
	pthread_setspecific(exit_key, m);
}

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
	set_message(vformat(fmt, ap));
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
	if (joined)
		set_message(joined);
	return -err;
}

const char *ember_errmsg(void)
{
	return last_message ? last_message : "no error";
}
