/* SPDX-License-Identifier: MIT */
/*
 * libbpf reports through one process-wide print callback. ember installs its
 * own, but only listens between begin and end on the calling thread (around
 * its own libbpf calls): there it keeps the recent warnings (to explain a
 * failure in ember_errmsg()) and forwards every line to the module's log
 * callback at EMBER_LOG_DEBUG. Everything else goes on to the callback that
 * was installed before (the host's, or libbpf's default), unchanged.
 */
#ifndef EMBER_LIBBPF_LOG_H
#define EMBER_LIBBPF_LOG_H

#include "ember/ember.h"

/* Start capturing for this thread; log may be NULL. */
void ember__libbpf_log_begin(ember_log_fn log, void *ctx);
/* Stop; returns the captured warning text (thread-local, valid until the
 * next begin), "" when none. */
const char *ember__libbpf_log_end(void);
/* The table libbpf could not create since begin (its errno, positive, in
 * *err), or NULL. Valid until the next begin on this thread. */
const char *ember__libbpf_failed_map(int *err);

#endif
