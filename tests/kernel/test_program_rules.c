// SPDX-License-Identifier: MIT
/*
 * What the kernel decides about a program's text: its license (BCC's
 * BPF_LICENSE; GPL-only helpers need a GPL-compatible one) and calls between
 * its functions (static ones are BPF-to-BPF calls or inlined; calling a
 * non-static one is a compile error, in test_compile).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "ember/table.h"
#include "test_support.h"

/* bpf_perf_event_output is GPL-only in the kernel. */
#define GPL_ONLY_TEXT                                           \
	"BPF_PERF_OUTPUT(events);\n"                            \
	"BPF_ARRAY(hits, u64, 1);\n"                            \
	"int license_program(void *ctx)\n"                      \
	"{\n"                                                   \
	"\tu64 ts = bpf_ktime_get_ns();\n"                      \
	"\tint k = 0;\n"                                        \
	"\tevents.perf_submit(ctx, &ts, sizeof(ts));\n"         \
	"\tif (bpf_get_current_pid_tgid() >> 32 == TEST_PID)\n" \
	"\t\thits.increment(k);\n"                              \
	"\treturn 0;\n"                                         \
	"}\n"

/* Only helpers any license may call. */
#define ANY_LICENSE_TEXT                                        \
	"BPF_ARRAY(hits, u64, 1);\n"                            \
	"int license_program(void *ctx)\n"                      \
	"{\n"                                                   \
	"\tchar comm[16];\n"                                    \
	"\tint k = 0;\n"                                        \
	"\tbpf_get_current_comm(comm, sizeof(comm));\n"         \
	"\tif (bpf_get_current_pid_tgid() >> 32 == TEST_PID)\n" \
	"\t\thits.increment(k);\n"                              \
	"\treturn 0;\n"                                         \
	"}\n"

/* Compile text with -DTEST_PID=<this process> and attach fn_name to
 * getppid's tracepoint. Returns the attach result; *out gets the module. */
static int attach(const char *text, const char *fn_name,
		  struct ember_module **out)
{
	char pid[32];
	const char *cflags[] = { pid };
	struct ember_module_opts o = { .sz = sizeof(o),
				       .name = "rules.c",
				       .cflags = cflags,
				       .cflags_cnt = 1 };

	snprintf(pid, sizeof(pid), "-DTEST_PID=%d", getpid());
	if (ember_module_new(text, &o, out))
		fail_msg("%s", ember_errmsg());
	return ember_module_attach_tracepoint(
		*out, fn_name, "syscalls:sys_enter_getppid", NULL);
}

/* hits[0] after three getppid() calls of this process. */
static uint64_t hits_after_getppid(struct ember_module *m)
{
	struct ember_table *t;
	uint64_t v = 0;
	int k = 0;

	for (int i = 0; i < 3; i++)
		syscall(SYS_getppid);
	assert_int_equal(ember_module_table(m, "hits", &t), 0);
	assert_int_equal(ember_table_lookup(t, &k, &v), 0);
	return v;
}

static void expect_runs(const char *text)
{
	struct ember_module *m;

	if (attach(text, "license_program", &m))
		fail_msg("%s", ember_errmsg());
	assert_int_equal(hits_after_getppid(m), 3);
	ember_module_free(m);
}

static void license_default_is_gpl(void **state)
{
	(void)state;
	expect_runs(GPL_ONLY_TEXT);
}

static void license_gpl_compatible(void **state)
{
	(void)state;
	expect_runs(GPL_ONLY_TEXT "#define BPF_LICENSE Dual BSD/GPL\n");
}

/* The kernel refuses a GPL-only helper to a proprietary program, with its
 * own reason, as under BCC. */
static void license_proprietary_refused(void **state)
{
	static const char *const licenses[] = { "Proprietary license", "" };
	char text[1024];

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct ember_module *m;

		snprintf(text, sizeof(text), "%s#define BPF_LICENSE %s\n",
			 GPL_ONLY_TEXT, licenses[i]);
		assert_int_equal(attach(text, "license_program", &m), -EINVAL);
		if (!strstr(ember_errmsg(), "cannot call GPL-restricted "
					    "function from non-GPL compatible "
					    "program"))
			fail_msg("'%s': %s", licenses[i], ember_errmsg());
		ember_module_free(m);
	}
}

static void license_proprietary_runs(void **state)
{
	(void)state;
	expect_runs(ANY_LICENSE_TEXT "#define BPF_LICENSE Proprietary\n");
}

/* A static __noinline function is a BPF-to-BPF call (verified with its
 * caller); a static inline one is inlined. Both run. */
static void static_functions_called(void **state)
{
	struct ember_module *m;

	(void)state;
	if (attach("BPF_ARRAY(hits, u64, 1);\n"
		   "static __noinline u64 twice(u64 v)\n"
		   "{\n"
		   "\treturn v * 2;\n"
		   "}\n"
		   "static inline int key(void)\n"
		   "{\n"
		   "\treturn 0;\n"
		   "}\n"
		   "int count(void *ctx)\n"
		   "{\n"
		   "\tint k = key();\n"
		   "\tif (bpf_get_current_pid_tgid() >> 32 == TEST_PID)\n"
		   "\t\thits.increment(k, twice(1));\n"
		   "\treturn 0;\n"
		   "}\n",
		   "count", &m))
		fail_msg("%s", ember_errmsg());
	assert_int_equal(hits_after_getppid(m), 6);
	ember_module_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(license_default_is_gpl),
		cmocka_unit_test(license_gpl_compatible),
		cmocka_unit_test(license_proprietary_refused),
		cmocka_unit_test(license_proprietary_runs),
		cmocka_unit_test(static_functions_called),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
