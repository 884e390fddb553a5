/* SPDX-License-Identifier: MIT */
/*
 * libbpf reports through one process-wide print callback. ember installs its
 * own once, keeps the recent warnings of the calling thread (to explain a
 * failure in ember_errmsg()) and forwards everything to the log callback of
 * the module the thread is working on.
 */
#ifndef EMBER_LIBBPF_LOG_H
#define EMBER_LIBBPF_LOG_H

#include "ember/ember.h"

/* Start capturing for this thread; log may be NULL. */
void ember__libbpf_log_begin(ember_log_fn log, void *ctx);
/* Stop; returns the captured warning text (thread-local, valid until the
 * next begin), "" when none. */
const char *ember__libbpf_log_end(void);

#endif
