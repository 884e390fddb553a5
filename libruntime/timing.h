/* SPDX-License-Identifier: MIT */
/*
 * Per-phase times for the log callback (EMBER_LOG_DEBUG, "time: PHASE
 * 1.234 ms"): where a compile or a load spends its time, for the host and
 * for `ember check --timings`. Nothing is measured without a callback.
 */
#ifndef EMBER_TIMING_H
#define EMBER_TIMING_H

#include "ember/ember.h"

/* Monotonic clock in milliseconds. */
double ember__now_ms(void);

/* Log "time: phase N ms" (since start, from ember__now_ms) to log, if any. */
void ember__log_time(ember_log_fn log, void *log_ctx, const char *phase,
		     double start);

/* The time of step (an int expression) to o's log (o: anything with log and
 * log_ctx), its value as result. */
#define EMBER_TIMED(o, phase, step)                                   \
	({                                                            \
		double t_ = (o)->log ? ember__now_ms() : 0;           \
		int e_ = (step);                                      \
		ember__log_time((o)->log, (o)->log_ctx, (phase), t_); \
		e_;                                                   \
	})

#endif
