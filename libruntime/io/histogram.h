/* SPDX-License-Identifier: MIT */
/*
 * BCC's histogram layouts over arrays of slot counts (histogram.c), shared
 * with the printing of histogram tables (table_hist.c).
 */
#ifndef EMBER_HISTOGRAM_H
#define EMBER_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ember/ember.h"

/* Slots BCC accepts: log2 of any u64 (0..64), linear 0..1024. */
#define EMBER_LOG2_SLOTS 65
#define EMBER_LINEAR_SLOTS 1025
/* BCC's star bar width. */
#define EMBER_STARS_MAX 40

/* Where lines go: the callback when set, else the FILE*. */
struct ember__sink {
	FILE *f;
	ember_line_fn fn;
	void *ctx;
};

void ember__sink_line(const struct ember__sink *s, const char *line);

/* The bar of val against val_max, width wide, as BCC's _stars() draws it. */
void ember__hist_stars(uint64_t val, uint64_t val_max, int width, char *buf);

/* BCC's _print_log2_hist / _print_linear_hist over vals[0..n-1]. */
void ember__hist_log2(const struct ember__sink *s, const uint64_t *vals,
		      size_t n, const char *val_type, bool strip_leading_zero);
void ember__hist_linear(const struct ember__sink *s, const uint64_t *vals,
			size_t n, const char *val_type,
			bool strip_leading_zero);
/*
 * One JSON object (one line) in the shape of BCC's _get_json_hist. section
 * (may be NULL) is "name": json_value text appended to the object; ts NULL
 * leaves the time stamp out. Returns 0 or -ENOMEM.
 */
int ember__hist_json(const struct ember__sink *s, const uint64_t *vals,
		     size_t n, const char *val_type, const char *ts,
		     const char *section_name, const char *section_json);

enum ember__hist_layout {
	EMBER__HIST_LOG2,
	EMBER__HIST_LINEAR,
	EMBER__HIST_JSON,
};

/*
 * The caller's options (NULL: defaults) with defaults filled in, and where
 * lines go. -EINVAL without a FILE* or a line callback, or without .sz.
 */
int ember__hist_opts(const struct ember_hist_opts *opts, FILE *out,
		     struct ember_hist_opts *o, struct ember__sink *sink);
/* One histogram in layout; section_json: the JSON section member's value
 * (JSON layout only, NULL for none). Returns 0 or -ENOMEM. */
int ember__hist_emit(const struct ember__sink *sink,
		     const struct ember_hist_opts *o,
		     enum ember__hist_layout layout, const uint64_t *vals,
		     size_t n, const char *section_json);

#endif
