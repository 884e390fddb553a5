// SPDX-License-Identifier: MIT
#include "loader/libbpf_log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

/* Enough for the last few warnings; older text is dropped first. */
#define CAPTURE_MAX 8192

static __thread bool capturing;
static __thread char captured[CAPTURE_MAX];
static __thread size_t captured_len;
static __thread ember_log_fn thread_log;
static __thread void *thread_log_ctx;
static __thread char failed_map[64];
static __thread int failed_map_err;

/* The callback that was installed before ember's (the host's, or libbpf's
 * default printing to stderr): everything ember did not ask for goes on
 * there, as if ember were not in the process. */
static libbpf_print_fn_t chained;

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	libbpf_print_fn_t next = __atomic_load_n(&chained, __ATOMIC_ACQUIRE);
	char line[1024], name[64];
	int n, e;

	if (!capturing)
		return next ? next(level, fmt, ap) : 0;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* which table the kernel refused, for a one-line error */
	if (!failed_map[0] &&
	    sscanf(line, "libbpf: map '%63[^']': failed to create: %*[^(](%d)",
		   name, &e) == 2) {
		memcpy(failed_map, name, sizeof(failed_map));
		failed_map_err = e < 0 ? -e : e;
	}
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
		/* libbpf's words are detail: ember's error says what failed */
		thread_log(EMBER_LOG_DEBUG, line, thread_log_ctx);
	}
	return 0;
}

void ember__libbpf_log_begin(ember_log_fn log, void *ctx)
{
	libbpf_print_fn_t prev = libbpf_set_print(print);

	/* Installed again each time: a host that set its own callback since
	 * is chained from then on. */
	if (prev != print)
		__atomic_store_n(&chained, prev, __ATOMIC_RELEASE);
	capturing = true;
	captured_len = 0;
	captured[0] = 0;
	failed_map[0] = 0;
	failed_map_err = 0;
	thread_log = log;
	thread_log_ctx = ctx;
}

const char *ember__libbpf_log_end(void)
{
	capturing = false;
	thread_log = NULL;
	thread_log_ctx = NULL;
	return captured;
}

const char *ember__libbpf_failed_map(int *err)
{
	*err = failed_map_err;
	return failed_map[0] ? failed_map : NULL;
}
