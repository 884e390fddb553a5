// SPDX-License-Identifier: MIT
#include "timing.h"

#include <stdio.h>
#include <time.h>

double ember__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void ember__log_time(ember_log_fn log, void *log_ctx, const char *phase,
		     double start)
{
	char msg[128];

	if (!log)
		return;
	snprintf(msg, sizeof(msg), "time: %s %.3f ms", phase,
		 ember__now_ms() - start);
	log(EMBER_LOG_DEBUG, msg, log_ctx);
}
