// SPDX-License-Identifier: MIT
/*
 * Kernel feature checks that really try, and the attach paths that need
 * what a kernel may refuse: fentry/fexit (KFUNC_PROBE) and LSM (LSM_PROBE)
 * fail with the reason and what to use instead, by explicit attach and by
 * section at auto-attach.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

static struct ember_module *load(const char *text)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "feat.c" };
	struct ember_module *m = NULL;

	if (ember_module_new(text, &o, &m))
		fail_msg("load failed: %s", ember_errmsg());
	return m;
}

static void every_feature_answers(void **state)
{
	(void)state;
	for (int f = 0; f < EMBER_FEATURE__CNT; f++) {
		int r = ember_feature((enum ember_feature)f);
		const char *why = ember_feature_describe((enum ember_feature)f);
		const char *name = ember_feature_name((enum ember_feature)f);

		print_message("%s\n", why);
		assert_true(r == 0 || r == 1);
		assert_non_null(name);
		/* "NAME: yes" or "NAME: no: why" */
		assert_memory_equal(why, name, strlen(name));
		assert_non_null(strstr(why, r ? ": yes" : ": no: "));
		/* asked again: the same, cached answer */
		assert_int_equal(ember_feature((enum ember_feature)f), r);
	}
	assert_int_equal(ember_feature(EMBER_FEATURE__CNT), -EINVAL);
	assert_null(ember_feature_name(EMBER_FEATURE__CNT));
}

/* What ember's own tests rely on works here; what it says about kprobes
 * agrees with the kprobe attach path. */
static void features_agree_with_attach_paths(void **state)
{
	(void)state;
	assert_int_equal(ember_feature(EMBER_FEATURE_UPROBES), 1);
	assert_int_equal(ember_feature(EMBER_FEATURE_TRACEPOINTS), 1);
	assert_int_equal(ember_feature(EMBER_FEATURE_RAW_TRACEPOINTS), 1);
	assert_int_equal(ember_feature(EMBER_FEATURE_PERF_EVENTS), 1);
	assert_int_equal(ember_feature(EMBER_FEATURE_KPROBES),
			 ember_kernel_has_kprobes());
	if (!ember_feature(EMBER_FEATURE_KPROBES))
		assert_non_null(
			strstr(ember_feature_describe(EMBER_FEATURE_KPROBES),
			       "tracepoint"));
}

static void kfunc_explicit_attach(void **state)
{
	struct ember_module *m =
		load("int on_nanosleep(void *ctx) { return 0; }");
	const char *msg;
	int err;

	(void)state;
	err = ember_module_attach_kfunc(m, "on_nanosleep",
					"__x64_sys_nanosleep", false, NULL);
	msg = ember_errmsg();
	print_message("%s\n", msg);
	if (ember_feature(EMBER_FEATURE_FENTRY) == 0) {
		assert_int_equal(err, -EOPNOTSUPP);
		assert_non_null(strstr(msg, "'on_nanosleep'"));
		assert_non_null(strstr(msg, "KFUNC_PROBE"));
		assert_non_null(
			strstr(msg, "does not run fentry/fexit programs"));
		assert_non_null(strstr(
			msg,
			"Use the tracepoint syscalls:sys_enter_nanosleep"));
		/* and why, as the kernel said it */
		assert_non_null(strstr(
			msg, ember_feature_describe(EMBER_FEATURE_FENTRY)));
		err = ember_module_attach_kfunc(m, "on_nanosleep",
						"do_nanosleep", true, NULL);
		assert_int_equal(err, -EOPNOTSUPP);
		assert_non_null(strstr(ember_errmsg(), "KRETFUNC_PROBE"));
		assert_non_null(strstr(ember_errmsg(), "RAW_TRACEPOINT_PROBE"));
	} else {
		/* a plain function cannot be an fentry program */
		assert_int_equal(err, -EINVAL);
		assert_non_null(
			strstr(msg, "SEC(\"fentry/__x64_sys_nanosleep\")"));
	}
	assert_int_equal(ember_module_link_cnt(m), 0);
	ember_module_free(m);
}

static void lsm_explicit_attach(void **state)
{
	struct ember_module *m = load("int on_open(void *ctx) { return 0; }");
	int err;

	(void)state;
	err = ember_module_attach_lsm(m, "on_open", "file_open", NULL);
	print_message("%s\n", ember_errmsg());
	if (ember_feature(EMBER_FEATURE_LSM) == 0) {
		assert_int_equal(err, -EOPNOTSUPP);
		assert_non_null(strstr(ember_errmsg(), "LSM_PROBE"));
		assert_non_null(
			strstr(ember_errmsg(), "does not run LSM programs"));
		assert_non_null(
			strstr(ember_errmsg(), "syscalls:sys_enter_openat"));
	} else {
		assert_int_equal(err, -EINVAL);
		assert_non_null(
			strstr(ember_errmsg(), "SEC(\"lsm/file_open\")"));
	}
	ember_module_free(m);
}

/* KFUNC_PROBE and LSM_PROBE place their functions in fentry/FN and
 * lsm/HOOK sections: the module loads even where the kernel refuses them,
 * and auto-attach says why. */
static void sections_at_auto_attach(void **state)
{
	struct ember_module *m;
	int err;

	(void)state;
	m = load("SEC(\"fentry/do_nanosleep\") int on_sleep(u64 *ctx)\n"
		 "{ return 0; }\n"
		 "TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { return 0; "
		 "}\n");
	err = ember_module_attach_auto(m);
	print_message("%s\n", err < 0 ? ember_errmsg() : "attached");
	if (ember_feature(EMBER_FEATURE_FENTRY) == 0) {
		assert_int_equal(err, -EOPNOTSUPP);
		assert_non_null(strstr(ember_errmsg(), "'on_sleep'"));
		assert_non_null(
			strstr(ember_errmsg(), "fentry on do_nanosleep"));
		assert_int_equal(ember_module_link_cnt(m), 0);
	} else {
		assert_int_equal(err, 2);
	}
	ember_module_free(m);

	m = load("SEC(\"lsm/file_open\") int on_open(u64 *ctx)\n"
		 "{ return 0; }\n");
	err = ember_module_attach_auto(m);
	if (ember_feature(EMBER_FEATURE_LSM) == 0) {
		assert_int_equal(err, -EOPNOTSUPP);
		assert_non_null(strstr(ember_errmsg(), "LSM_PROBE"));
	} else {
		assert_int_equal(err, 1);
	}
	ember_module_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_feature_answers),
		cmocka_unit_test(features_agree_with_attach_paths),
		cmocka_unit_test(kfunc_explicit_attach),
		cmocka_unit_test(lsm_explicit_attach),
		cmocka_unit_test(sections_at_auto_attach),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
