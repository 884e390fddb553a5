// SPDX-License-Identifier: MIT
/*
 * Options and stats structs of other sizes than ours (callers built against
 * older or newer ember), checked one way by every entry point taking them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "opts.h"

struct opts_v1 {
	size_t sz;
	int pid;
};

struct opts_v3 {
	struct ember_uprobe_opts now;
	uint64_t future;
};

static void options_of_other_sizes(void **state)
{
	struct ember_uprobe_opts got;
	struct opts_v1 old;
	struct opts_v3 newer;

	(void)state;
	/* padding included: callers' structs are zeroed whole */
	memset(&old, 0, sizeof(old));
	old.sz = sizeof(old);
	old.pid = 42;
	memset(&newer, 0, sizeof(newer));
	newer.now.sz = sizeof(newer);
	newer.now.pid = 7;
	assert_int_equal(EMBER_OPTS_COPY(got, NULL, "o"), 0);
	assert_int_equal(got.pid, 0);
	/* an older, smaller struct: the rest reads as zero */
	assert_int_equal(EMBER_OPTS_COPY(got, &old, "o"), 0);
	assert_int_equal(got.pid, 42);
	assert_false(got.retprobe);
	/* a newer, larger one: fine while the fields we do not know are 0 */
	assert_int_equal(EMBER_OPTS_COPY(got, &newer, "o"), 0);
	assert_int_equal(got.pid, 7);
	newer.future = 1;
	assert_int_equal(EMBER_OPTS_COPY(got, &newer, "ember_uprobe_opts"),
			 -EINVAL);
	assert_non_null(strstr(ember_errmsg(), "ember_uprobe_opts"));
	old.sz = 0;
	assert_int_equal(EMBER_OPTS_COPY(got, &old, "ember_uprobe_opts"),
			 -EINVAL);
	assert_non_null(strstr(ember_errmsg(), ".sz is not set"));
}

/* A caller built against a newer ember, asking for something unknown. */
#define NEWER(type)              \
	struct {                 \
		struct type now; \
		uint64_t future; \
	}

static void assert_unknown_refused(int err, const char *type_name)
{
	assert_int_equal(err, -EINVAL);
	assert_non_null(strstr(ember_errmsg(), type_name));
	assert_non_null(strstr(ember_errmsg(), "does not know"));
}

static void entry_points_refuse_unknown_fields(void **state)
{
	NEWER(ember_module_opts) mo;
	NEWER(ember_symbolizer_opts) so;
	NEWER(ember_hist_opts) ho;
	NEWER(ember_perf_reader_opts) po;
	NEWER(ember_ring_reader_opts) ro;
	struct ember_symbolizer *sym = NULL;
	struct ember_perf_reader *pr = NULL;
	struct ember_ring_reader *rr = NULL;
	struct ember_module *m = NULL;
	uint64_t slots[2] = { 0, 1 };

	(void)state;
	memset(&mo, 0, sizeof(mo));
	mo.now.sz = sizeof(mo);
	mo.future = 1;
	assert_unknown_refused(
		ember_module_compile("int f(void *c) { return 0; }", &mo.now,
				     &m),
		"ember_module_opts");
	assert_null(m);
	mo.future = 0; /* zero: fine */
	assert_int_equal(ember_module_compile("int f(void *c) { return 0; }",
					      &mo.now, &m),
			 0);

	memset(&so, 0, sizeof(so));
	so.now.sz = sizeof(so);
	so.future = 1;
	assert_unknown_refused(ember_symbolizer_new(&so.now, &sym),
			       "ember_symbolizer_opts");
	assert_null(sym);

	memset(&ho, 0, sizeof(ho));
	ho.now.sz = sizeof(ho);
	ho.future = 1;
	assert_unknown_refused(ember_print_log2_hist(slots, 2, stdout, &ho.now),
			       "ember_hist_opts");

	/* the readers check their options before looking at the module */
	memset(&po, 0, sizeof(po));
	po.now.sz = sizeof(po);
	po.future = 1;
	assert_unknown_refused(ember_perf_reader_new(m, "events", NULL, NULL,
						     NULL, &po.now, &pr),
			       "ember_perf_reader_opts");
	memset(&ro, 0, sizeof(ro));
	ro.now.sz = sizeof(ro);
	ro.future = 1;
	assert_unknown_refused(
		ember_ring_reader_new(m, "rb", NULL, NULL, &ro.now, &rr),
		"ember_ring_reader_opts");
	ember_module_free(m);
}

static void stats_of_other_sizes(void **state)
{
	struct ember_perf_reader_stats ours = { .sz = sizeof(ours),
						.delivered = 5,
						.lost = 2 };
	struct {
		size_t sz;
		uint64_t delivered;
	} older = { .sz = sizeof(older) };
	NEWER(ember_perf_reader_stats) newer;

	(void)state;
	/* an older caller gets what fits, its sz untouched */
	assert_int_equal(ember__opts_out(&older, &ours, sizeof(ours), "s"), 0);
	assert_int_equal(older.sz, sizeof(older));
	assert_int_equal(older.delivered, 5);
	/* a newer one reads zero in the counters this version lacks */
	memset(&newer, 0xff, sizeof(newer));
	newer.now.sz = sizeof(newer);
	assert_int_equal(ember__opts_out(&newer, &ours, sizeof(ours), "s"), 0);
	assert_int_equal(newer.now.sz, sizeof(newer));
	assert_int_equal(newer.now.lost, 2);
	assert_int_equal(newer.future, 0);
	older.sz = 0;
	assert_int_equal(ember__opts_out(&older, &ours, sizeof(ours), "st"),
			 -EINVAL);
	assert_int_equal(ember__opts_out(NULL, &ours, sizeof(ours), "st"),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(options_of_other_sizes),
		cmocka_unit_test(entry_points_refuse_unknown_fields),
		cmocka_unit_test(stats_of_other_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
