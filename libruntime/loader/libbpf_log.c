// SPDX-License-Identifier: MIT
#include "loader/libbpf_log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

/* Enough for the last few warnings; older text is dropped first. */
#define CAPTURE_MAX 8192

static __thread char captured[CAPTURE_MAX];
static __thread size_t captured_len;
static __thread ember_log_fn thread_log;
static __thread void *thread_log_ctx;

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (level == LIBBPF_WARN) {
		if (captured_len + (size_t)n >= CAPTURE_MAX) {
			/* keep the newest text */
			captured_len = 0;
		}
		memcpy(captured + captured_len, line, (size_t)n);
		captured_len += (size_t)n;
		captured[captured_len] = 0;
	}
	if (thread_log) {
		while (n > 0 && line[n - 1] == '\n')
			line[--n] = 0;
		thread_log(level == LIBBPF_WARN ? EMBER_LOG_WARN
						: EMBER_LOG_DEBUG,
			   line, thread_log_ctx);
	}
	return 0;
}

static void install(void)
{
	libbpf_set_print(print);
}

void ember__libbpf_log_begin(ember_log_fn log, void *ctx)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, install);
	captured_len = 0;
	captured[0] = 0;
	thread_log = log;
	thread_log_ctx = ctx;
}

const char *ember__libbpf_log_end(void)
{
	thread_log = NULL;
	thread_log_ctx = NULL;
	return captured;
}
