// SPDX-License-Identifier: MIT
/*
 * Histogram layout against golden text in BCC's exact layout
 * (tests/golden/table/NAME.expected, made with BCC's table.py format strings):
 * log2 and linear, star bars, leading-zero stripping, the 64-bit wide form,
 * and the JSON shape.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "io/histogram.h"
#include "test_support.h"

struct slot {
	int idx;
	uint64_t count;
};

static uint64_t *slots(const struct slot *s, size_t n_slots, size_t n)
{
	uint64_t *vals = calloc(n, sizeof(*vals));
	size_t i;

	assert_non_null(vals);
	for (i = 0; i < n_slots; i++)
		vals[s[i].idx] = s[i].count;
	return vals;
}

static char *golden(const char *name)
{
	char path[512];
	char *text;

	snprintf(path, sizeof(path), "%s/table/%s.expected",
		 EMBER_TEST_GOLDEN_DIR, name);
	text = test_read_file(path, NULL);
	if (!text)
		fail_msg("cannot read %s", path);
	return text;
}

enum kind { LOG2, LINEAR };

/* Print through a FILE* and through the line callback; both must match. */
struct lines {
	char *text;
	size_t len;
	FILE *f;
};

static void on_line(const char *line, void *ctx)
{
	struct lines *l = ctx;

	fprintf(l->f, "%s\n", line);
}

static void check(const char *name, enum kind kind, const struct slot *s,
		  size_t n_slots, const char *val_type, unsigned int flags)
{
	size_t n = kind == LOG2 ? EMBER_LOG2_SLOTS : EMBER_LINEAR_SLOTS;
	uint64_t *vals = slots(s, n_slots, n);
	struct ember_hist_opts o = { .sz = sizeof(o),
				     .val_type = val_type,
				     .flags = flags };
	char *want = golden(name), *got = NULL;
	struct lines cb = { 0 };
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);

	assert_non_null(f);
	if (kind == LOG2)
		assert_int_equal(ember_print_log2_hist(vals, n, f, &o), 0);
	else
		assert_int_equal(ember_print_linear_hist(vals, n, f, &o), 0);
	fclose(f);
	assert_string_equal(got, want);

	cb.f = open_memstream(&cb.text, &cb.len);
	o.line = on_line;
	o.line_ctx = &cb;
	if (kind == LOG2)
		assert_int_equal(ember_print_log2_hist(vals, n, NULL, &o), 0);
	else
		assert_int_equal(ember_print_linear_hist(vals, n, NULL, &o), 0);
	fclose(cb.f);
	assert_string_equal(cb.text, want);
	free(cb.text);
	free(got);
	free(want);
	free(vals);
}

static void log2_basic(void **state)
{
	static const struct slot s[] = { { 0, 7 },  { 1, 1 },  { 2, 3 },
					 { 3, 10 }, { 4, 27 }, { 5, 80 },
					 { 6, 41 }, { 8, 2 },  { 10, 1 } };

	(void)state;
	/* slot 0 (value 0) is never shown, as in BCC */
	check("log2_basic", LOG2, s, 9, "usecs", 0);
}

static void log2_strip_leading_zero(void **state)
{
	static const struct slot s[] = {
		{ 5, 3 }, { 6, 9 }, { 7, 4 }, { 9, 1 }
	};

	(void)state;
	check("log2_strip", LOG2, s, 4, "value", EMBER_HIST_STRIP_LEADING_ZERO);
	check("log2_nostrip", LOG2, s, 4, NULL, 0);
}

static void log2_wide(void **state)
{
	static const struct slot s[] = {
		{ 3, 5 }, { 20, 100 }, { 40, 33 }, { 64, 1 }
	};

	(void)state;
	/* a slot above 32: 20-digit columns, 20-star bars, up to 2^64-1 */
	check("log2_wide", LOG2, s, 4, "bytes", 0);
}

static void log2_ratio_and_empty(void **state)
{
	static const struct slot s[] = { { 1, 3 },  { 2, 7 },  { 3, 11 },
					 { 4, 13 }, { 5, 39 }, { 6, 40 },
					 { 7, 1 } };
	static const struct slot zero[] = { { 0, 5 } };

	(void)state;
	check("log2_ratio", LOG2, s, 7, "value", 0);
	/* only slot 0: BCC prints nothing at all, not even the header */
	check("log2_slot0_only", LOG2, zero, 1, "value", 0);
}

static void linear(void **state)
{
	static const struct slot s[] = { { 0, 2 },  { 1, 0 },  { 2, 17 },
					 { 3, 40 }, { 4, 39 }, { 7, 1 } };

	(void)state;
	check("linear_basic", LINEAR, s, 6, "msecs", 0);
	check("linear_strip", LINEAR, s + 3, 3, "kbytes_per_second",
	      EMBER_HIST_STRIP_LEADING_ZERO);
}

static void stars(void **state)
{
	char buf[EMBER_STARS_MAX + 1];

	(void)state;
	ember__hist_stars(1, 80, 40, buf);
	assert_string_equal(buf, "");
	ember__hist_stars(3, 80, 40, buf);
	assert_string_equal(buf, "*");
	ember__hist_stars(80, 80, 40, buf);
	assert_int_equal(strlen(buf), 40);
	ember__hist_stars(39, 40, 40, buf);
	assert_int_equal(strlen(buf), 39);
	ember__hist_stars(UINT64_MAX, UINT64_MAX, 20, buf);
	assert_int_equal(strlen(buf), 20);
	ember__hist_stars(0, 0, 40, buf);
	assert_string_equal(buf, "");
}

static void json(void **state)
{
	uint64_t vals[EMBER_LOG2_SLOTS] = { [0] = 9, [1] = 2, [3] = 5 };
	struct ember__sink sink = { 0 };
	char *got = NULL;
	size_t len = 0;

	(void)state;
	sink.f = open_memstream(&got, &len);
	assert_int_equal(ember__hist_json(&sink, vals, EMBER_LOG2_SLOTS,
					  "usecs", NULL, NULL, NULL),
			 0);
	assert_int_equal(ember__hist_json(&sink, vals, 1, "v\"q",
					  "2024-01-02 "
					  "03:04:05",
					  "pid", "42"),
			 0);
	fclose(sink.f);
	assert_string_equal(
		got,
		"{\"val_type\": \"usecs\", \"data\": ["
		"{\"interval-start\": 0, \"interval-end\": 1, \"count\": 2}, "
		"{\"interval-start\": 2, \"interval-end\": 3, \"count\": 0}, "
		"{\"interval-start\": 4, \"interval-end\": 7, \"count\": 5}]}\n"
		"{\"ts\": \"2024-01-02 03:04:05\", \"val_type\": \"v\\\"q\", "
		"\"data\": [], \"pid\": 42}\n");
	free(got);
}

static void errors(void **state)
{
	uint64_t vals[2] = { 0, 1 };
	struct ember_hist_opts bad = { 0 };

	(void)state;
	/* no FILE* and no callback: the library never picks stdout itself */
	assert_int_equal(ember_print_log2_hist(vals, 2, NULL, NULL), -EINVAL);
	assert_non_null(strstr(ember_errmsg(), "FILE*"));
	assert_int_equal(ember_print_log2_hist(vals, 2, stdout, &bad), -EINVAL);
	assert_int_equal(ember_print_linear_hist(NULL, 2, stdout, NULL),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log2_basic),
		cmocka_unit_test(log2_strip_leading_zero),
		cmocka_unit_test(log2_wide),
		cmocka_unit_test(log2_ratio_and_empty),
		cmocka_unit_test(linear),
		cmocka_unit_test(stars),
		cmocka_unit_test(json),
		cmocka_unit_test(errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
