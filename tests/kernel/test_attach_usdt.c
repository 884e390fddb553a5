// SPDX-License-Identifier: MIT
/*
 * USDT probes in a program the test compiles with <sys/sdt.h> (Debian's
 * systemtap-sdt-dev): arguments read with BCC's bpf_usdt_readarg and
 * bpf_usdt_readarg_p, two probes in one module, a semaphore set while
 * attached, and the errors for a probe that does not exist.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

/* Probes with semaphores: each one fires only while someone is attached
 * (the target reports whether it saw the semaphore set). */
static const char target_src[] =
	"#define _SDT_HAS_SEMAPHORES 1\n"
	"#include <sys/sdt.h>\n"
	"#include <stdio.h>\n"
	"#include <stdlib.h>\n"
	"#include <unistd.h>\n"
	"__extension__ unsigned short ember_test_tick_semaphore\n"
	"	__attribute__((unused)) "
	"__attribute__((section(\".probes\")));\n"
	"__extension__ unsigned short ember_test_hello_semaphore\n"
	"	__attribute__((unused)) "
	"__attribute__((section(\".probes\")));\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"	int n = argc > 1 ? atoi(argv[1]) : 1, enabled = 0;\n"
	"	const char *msg = \"hello usdt\";\n"
	"	char c;\n"
	"	printf(\"ready\\n\");\n"
	"	fflush(stdout);\n"
	"	if (read(0, &c, 1) != 1)\n"
	"		return 1;\n"
	"	for (long i = 0; i < n; i++) {\n"
	"		if (ember_test_tick_semaphore) {\n"
	"			enabled++;\n"
	"			STAP_PROBE2(ember_test, tick, i, i * 10 - 7);\n"
	"		}\n"
	"		if (ember_test_hello_semaphore)\n"
	"			STAP_PROBE1(ember_test, hello, msg);\n"
	"	}\n"
	"	printf(\"%d\\n\", enabled);\n"
	"	return 0;\n"
	"}\n";

static const char prog_text[] =
	"struct {\n"
	"	__uint(type, BPF_MAP_TYPE_ARRAY);\n"
	"	__type(key, u32);\n"
	"	__type(value, u64);\n"
	"	__uint(max_entries, 8);\n"
	"} vals SEC(\".maps\");\n"
	"static __always_inline void put(u32 k, u64 v)\n"
	"{\n"
	"	u64 *p = bpf_map_lookup_elem(&vals, &k);\n"
	"	if (p)\n"
	"		*p = v;\n"
	"}\n"
	"int on_tick(struct pt_regs *ctx)\n"
	"{\n"
	"	long i = 0;\n"
	"	int v = 0;\n"
	"	u32 k = 0;\n"
	"	u64 *n = bpf_map_lookup_elem(&vals, &k);\n"
	"	if (n)\n"
	"		__sync_fetch_and_add(n, 1);\n"
	"	bpf_usdt_readarg(1, ctx, &i);\n"
	"	bpf_usdt_readarg(2, ctx, &v);\n"
	"	put(1, i);\n"
	"	put(2, (u64)(s64)v);\n"
	"	return 0;\n"
	"}\n"
	"int on_hello(struct pt_regs *ctx)\n"
	"{\n"
	"	char buf[16] = {};\n"
	"	u64 first = 0;\n"
	"	bpf_usdt_readarg_p(1, ctx, buf, sizeof(buf));\n"
	"	__builtin_memcpy(&first, buf, 8);\n"
	"	put(3, first);\n"
	"	return 0;\n"
	"}\n";

static const char *target;

static uint64_t val(struct ember_module *m, uint32_t key)
{
	return test_table_u64(m, "vals", key);
}

static int setup(void **state)
{
	(void)state;
	if (access("/usr/include/x86_64-linux-gnu/sys/sdt.h", R_OK) &&
	    access("/usr/include/sys/sdt.h", R_OK) &&
	    access("/usr/include/aarch64-linux-gnu/sys/sdt.h", R_OK))
		test_skip("no <sys/sdt.h>: install systemtap-sdt-dev");
	target = test_target_build(target_src, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_target_remove();
	return 0;
}

/* The target prints "ready" and waits. */
static void start(struct test_child *c, int n)
{
	test_child_start(c, target, n);
}

/* Let it run; returns how many times it saw the tick semaphore set. */
static int finish(struct test_child *c)
{
	char line[64];

	test_child_finish(c, line, sizeof(line));
	return atoi(line);
}

static struct ember_module *load(void)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "usdt.c" };
	struct ember_module *m = NULL;

	if (ember_module_new(prog_text, &o, &m))
		fail_msg("load failed: %s", ember_errmsg());
	return m;
}

static void usdt_arguments_by_pid(void **state)
{
	struct ember_usdt_opts o = { .sz = sizeof(o) };
	struct ember_module *m = load();
	struct ember_link *l;
	char want[256];
	struct test_child c;

	(void)state;
	start(&c, 6);
	o.pid = c.pid;
	if (ember_module_attach_usdt(m, "on_tick", target, "ember_test", "tick",
				     &o, &l))
		fail_msg("%s", ember_errmsg());
	/* a second program on another probe of the same module */
	if (ember_module_attach_usdt(m, "on_hello", NULL, "ember_test", "hello",
				     &o, NULL))
		fail_msg("%s", ember_errmsg());
	snprintf(want, sizeof(want),
		 "usdt %s:ember_test:tick (pid %d) → on_tick", target, c.pid);
	assert_string_equal(ember_link_description(l), want);
	assert_int_equal(finish(&c), 6); /* semaphore set: probes enabled */
	assert_int_equal(val(m, 0), 6);
	assert_int_equal(val(m, 1), 5);
	assert_int_equal((int64_t)val(m, 2), 5 * 10 - 7);
	assert_memory_equal((const char *)&(uint64_t){ val(m, 3) }, "hello us",
			    8);
	ember_module_free(m);

	/* nothing attached: the semaphore is clear again */
	start(&c, 3);
	assert_int_equal(finish(&c), 0);
}

static void usdt_every_process(void **state)
{
	struct ember_module *m = load();
	struct test_child c;

	(void)state;
	if (ember_feature(EMBER_FEATURE_BPF_COOKIE) == 0) {
		/* before 5.15: no way to tell a PIE's sites apart in every
		 * process; the error says what to do */
		assert_int_equal(ember_module_attach_usdt(m, "on_tick", target,
							  "ember_test", "tick",
							  NULL, NULL),
				 -EOPNOTSUPP);
		if (!strstr(ember_errmsg(), "BPF cookies (Linux 5.15)") ||
		    !strstr(ember_errmsg(), "ember_usdt_opts.pid"))
			fail_msg("message: %s", ember_errmsg());
		assert_int_equal(ember_module_link_cnt(m), 0);
		ember_module_free(m);
		return;
	}
	if (ember_module_attach_usdt(m, "on_tick", target, "ember_test", "tick",
				     NULL, NULL))
		fail_msg("%s", ember_errmsg());
	start(&c, 4);
	assert_int_equal(finish(&c), 4);
	assert_int_equal(val(m, 0), 4);
	ember_module_free(m);
}

static void usdt_errors(void **state)
{
	struct ember_module *m = load();
	struct ember_module *plain;
	struct ember_module_opts o = { .sz = sizeof(o) };

	(void)state;
	assert_int_equal(ember_module_attach_usdt(m, "on_tick", target,
						  "ember_test", "no_such", NULL,
						  NULL),
			 -ENOENT);
	assert_non_null(strstr(ember_errmsg(), "ember_test:no_such"));
	assert_int_equal(ember_module_attach_usdt(m, "on_tick", NULL,
						  "ember_test", "tick", NULL,
						  NULL),
			 -EINVAL);
	assert_int_equal(ember_module_link_cnt(m), 0);
	ember_module_free(m);

	/* A program that reads no USDT argument has no USDT tables. */
	assert_int_equal(ember_module_new("int count(struct pt_regs *ctx) "
					  "{ return 0; }",
					  &o, &plain),
			 0);
	assert_int_equal(ember_module_attach_usdt(plain, "count", target,
						  "ember_test", "tick", NULL,
						  NULL),
			 -EINVAL);
	assert_non_null(strstr(ember_errmsg(), "bpf_usdt_readarg"));
	ember_module_free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(usdt_arguments_by_pid),
		cmocka_unit_test(usdt_every_process),
		cmocka_unit_test(usdt_errors),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, setup, teardown);
}
