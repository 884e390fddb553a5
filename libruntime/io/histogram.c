// SPDX-License-Identifier: MIT
/*
 * Histograms in BCC's layout (table.py's _print_log2_hist,
 * _print_linear_hist and _get_json_hist), byte for byte, so that output
 * users compare with BCC's (or parse) does not change. Reading histogram
 * tables into slot arrays is table_hist.c's.
 */
#include "io/histogram.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "io/btf_value.h"
#include "opts.h"

void ember__sink_line(const struct ember__sink *s, const char *line)
{
	if (s->fn) {
		s->fn(line, s->ctx);
	} else {
		fputs(line, s->f);
		fputc('\n', s->f);
	}
}

/* BCC draws a star for each i < width with i <= width * val / val_max - 1,
 * in Python floats; doubles give the same answer. */
void ember__hist_stars(uint64_t val, uint64_t val_max, int width, char *buf)
{
	double x = val_max ? (double)width * (double)val / (double)val_max : 0;
	int i = 0;

	while (i <= width - 1 && !(i > x - 1))
		buf[i++] = '*';
	buf[i] = 0;
}

/* Last non-empty slot (-1: none) and the largest count. */
static long scan(const uint64_t *vals, size_t n, uint64_t *val_max)
{
	long idx_max = -1;
	size_t i;

	*val_max = 0;
	for (i = 0; i < n; i++) {
		if (vals[i] > 0)
			idx_max = (long)i;
		if (vals[i] > *val_max)
			*val_max = vals[i];
	}
	return idx_max;
}

void ember__hist_log2(const struct ember__sink *s, const uint64_t *vals,
		      size_t n, const char *val_type, bool strip_leading_zero)
{
	char line[256], stars[EMBER_STARS_MAX + 1];
	uint64_t val_max, low, high;
	long idx_max = scan(vals, n, &val_max), i;
	/* 64-bit wide columns once a slot above 2^32 is in use */
	bool wide = idx_max > 32;
	int width = wide ? EMBER_STARS_MAX / 2 : EMBER_STARS_MAX;

	if (idx_max > 0) {
		snprintf(line, sizeof(line),
			 wide ? "               %-29s : count     distribution"
			      : "     %-19s : count     distribution",
			 val_type);
		ember__sink_line(s, line);
	}
	for (i = 1; i <= idx_max; i++) {
		low = (i == 64 ? 1ull << 63 : (1ull << i) >> 1);
		high = (i == 64 ? UINT64_MAX : (1ull << i) - 1);
		if (low == high)
			low--;
		if (strip_leading_zero && !vals[i])
			continue;
		strip_leading_zero = false;
		ember__hist_stars(vals[i], val_max, width, stars);
		snprintf(line, sizeof(line),
			 wide ? "%20" PRIu64 " -> %-20" PRIu64 " : %-8" PRIu64
				" |%-*s|"
			      : "%10" PRIu64 " -> %-10" PRIu64 " : %-8" PRIu64
				" |%-*s|",
			 low, high, vals[i], width, stars);
		ember__sink_line(s, line);
	}
}

void ember__hist_linear(const struct ember__sink *s, const uint64_t *vals,
			size_t n, const char *val_type, bool strip_leading_zero)
{
	char line[256], stars[EMBER_STARS_MAX + 1];
	uint64_t val_max;
	long idx_max = scan(vals, n, &val_max), i;

	if (idx_max >= 0) {
		snprintf(line, sizeof(line),
			 "     %-13s : count     distribution", val_type);
		ember__sink_line(s, line);
	}
	for (i = 0; i <= idx_max; i++) {
		if (strip_leading_zero && !vals[i])
			continue;
		strip_leading_zero = false;
		ember__hist_stars(vals[i], val_max, EMBER_STARS_MAX, stars);
		snprintf(line, sizeof(line),
			 "        %-10ld : %-8" PRIu64 " |%-*s|", i, vals[i],
			 EMBER_STARS_MAX, stars);
		ember__sink_line(s, line);
	}
}

int ember__hist_json(const struct ember__sink *s, const uint64_t *vals,
		     size_t n, const char *val_type, const char *ts,
		     const char *section_name, const char *section_json)
{
	unsigned __int128 index = 1, prev = 0;
	size_t i, last = 0, len = 0;
	char *line = NULL;
	bool first = true;
	FILE *f;

	for (i = 0; i < n; i++)
		if (vals[i])
			last = i;
	f = open_memstream(&line, &len);
	if (!f)
		return -ENOMEM;
	fputc('{', f);
	if (ts) {
		fputs("\"ts\": ", f);
		ember__json_string(f, ts);
		fputs(", ", f);
	}
	fputs("\"val_type\": ", f);
	ember__json_string(f, val_type);
	fputs(", \"data\": [", f);
	/* interval i (1..last) is [2^(i-1), 2^i - 1], the first from 0 */
	for (i = 1; i <= last; i++) {
		index *= 2;
		fprintf(f,
			"%s{\"interval-start\": %" PRIu64
			", \"interval-end\": %" PRIu64 ", \"count\": %" PRIu64
			"}",
			first ? "" : ", ", (uint64_t)prev,
			(uint64_t)(index - 1), vals[i]);
		first = false;
		prev = index;
	}
	fputc(']', f);
	if (section_name) {
		fputs(", ", f);
		ember__json_string(f, section_name);
		fprintf(f, ": %s", section_json);
	}
	fputc('}', f);
	if (fclose(f)) {
		free(line);
		return -ENOMEM;
	}
	ember__sink_line(s, line);
	free(line);
	return 0;
}

int ember__hist_opts(const struct ember_hist_opts *opts, FILE *out,
		     struct ember_hist_opts *o, struct ember__sink *sink)
{
	int err = ember__opts_copy(o, sizeof(*o), opts, "ember_hist_opts");

	if (err)
		return err;
	o->val_type = o->val_type ? o->val_type : "value";
	o->section_header =
		o->section_header ? o->section_header : "Bucket ptr";
	sink->f = out;
	sink->fn = o->line;
	sink->ctx = o->line_ctx;
	if (!out && !o->line)
		return ember__error(EINVAL, "histogram: give a FILE* or a line "
					    "callback");
	return 0;
}

int ember__hist_emit(const struct ember__sink *sink,
		     const struct ember_hist_opts *o,
		     enum ember__hist_layout layout, const uint64_t *vals,
		     size_t n, const char *sec_json)
{
	bool strip = o->flags & EMBER_HIST_STRIP_LEADING_ZERO;
	char ts[32] = "";
	struct tm tm;
	time_t now;

	if (layout == EMBER__HIST_LOG2) {
		ember__hist_log2(sink, vals, n, o->val_type, strip);
	} else if (layout == EMBER__HIST_LINEAR) {
		ember__hist_linear(sink, vals, n, o->val_type, strip);
	} else {
		if (!(o->flags & EMBER_HIST_NO_TIMESTAMP)) {
			now = time(NULL);
			strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S",
				 localtime_r(&now, &tm));
		}
		if (ember__hist_json(
			    sink, vals, n, o->val_type, *ts ? ts : NULL,
			    sec_json ? o->section_header : NULL, sec_json))
			return ember__error(ENOMEM, "out of memory");
	}
	return 0;
}

static int print_array(const uint64_t *vals, size_t n, FILE *out,
		       const struct ember_hist_opts *opts,
		       enum ember__hist_layout layout)
{
	struct ember_hist_opts o;
	struct ember__sink sink;
	int err;

	if (!vals && n)
		return ember__error(EINVAL, "histogram: vals is NULL");
	err = ember__hist_opts(opts, out, &o, &sink);
	return err ? err : ember__hist_emit(&sink, &o, layout, vals, n, NULL);
}

int ember_print_log2_hist(const uint64_t *vals, size_t n, FILE *out,
			  const struct ember_hist_opts *opts)
{
	return print_array(vals, n, out, opts, EMBER__HIST_LOG2);
}

int ember_print_linear_hist(const uint64_t *vals, size_t n, FILE *out,
			    const struct ember_hist_opts *opts)
{
	return print_array(vals, n, out, opts, EMBER__HIST_LINEAR);
}
