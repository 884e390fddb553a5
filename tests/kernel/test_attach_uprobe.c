// SPDX-License-Identifier: MIT
/*
 * uprobes and uretprobes on a small program the test compiles (arguments and
 * return value read back), by symbol and by address; a uprobe on libc by its
 * short name; binary lookup; the list of attachments; detaching one link.
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

static const char target_src[] =
	"#include <stdio.h>\n"
	"#include <stdlib.h>\n"
	"#include <unistd.h>\n"
	"__attribute__((noinline)) long ember_target_add(long a, long b)\n"
	"{\n"
	"	__asm__ volatile(\"\" ::: \"memory\");\n"
	"	return a + b;\n"
	"}\n"
	"__attribute__((noinline)) long ember_target_sub(long a, long b)\n"
	"{\n"
	"	__asm__ volatile(\"\" ::: \"memory\");\n"
	"	return a - b;\n"
	"}\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"	int n = argc > 1 ? atoi(argv[1]) : 1;\n"
	"	long s = 0;\n"
	"	char c;\n"
	"	printf(\"%p\\n\", (void *)ember_target_add);\n"
	"	fflush(stdout);\n"
	"	if (read(0, &c, 1) != 1)\n"
	"		return 1;\n"
	"	for (int i = 0; i < n; i++) {\n"
	"		s += ember_target_add(40 + i, 2);\n"
	"		ember_target_sub(i, 1);\n"
	"		getpid();\n"
	"	}\n"
	"	printf(\"%ld\\n\", s);\n"
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
	"static __always_inline void count(u32 k)\n"
	"{\n"
	"	u64 *p = bpf_map_lookup_elem(&vals, &k);\n"
	"	if (p)\n"
	"		__sync_fetch_and_add(p, 1);\n"
	"}\n"
	"int on_add(struct pt_regs *ctx)\n"
	"{\n"
	"	count(0);\n"
	"	put(1, PT_REGS_PARM1(ctx));\n"
	"	put(2, PT_REGS_PARM2(ctx));\n"
	"	return 0;\n"
	"}\n"
	"int on_add_ret(struct pt_regs *ctx)\n"
	"{\n"
	"	count(3);\n"
	"	put(4, PT_REGS_RC(ctx));\n"
	"	return 0;\n"
	"}\n"
	"int on_getpid(struct pt_regs *ctx)\n"
	"{\n"
	"	count(5);\n"
	"	return 0;\n"
	"}\n";

static const char *target;

static uint64_t val(struct ember_module *m, uint32_t key)
{
	return test_table_u64(m, "vals", key);
}

static int setup(void **state)
{
	static const char *const flags[] = { "-no-pie", NULL };

	(void)state;
	target = test_target_build(target_src, flags);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_target_remove();
	return 0;
}

/* The target prints its function's address and waits. */
struct child {
	struct test_child t;
	unsigned long long fn_addr;
};

static void start(struct child *c, int n)
{
	test_child_start(&c->t, target, n);
	c->fn_addr = strtoull(c->t.first_line, NULL, 16);
	assert_true(c->fn_addr != 0);
}

/* Let it run; returns the sum it printed. */
static long finish(struct child *c)
{
	char line[64];

	test_child_finish(&c->t, line, sizeof(line));
	return strtol(line, NULL, 10);
}

static struct ember_module *load(void)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "uprobe.c" };
	struct ember_module *m = NULL;

	if (ember_module_new(prog_text, &o, &m))
		fail_msg("load failed: %s", ember_errmsg());
	return m;
}

static void uprobe_and_uretprobe_by_symbol(void **state)
{
	struct ember_uprobe_opts o = { .sz = sizeof(o) };
	struct ember_link *up, *ret, *k;
	struct ember_module *m = load();
	struct child c;
	char want[256];

	(void)state;
	start(&c, 5);
	o.pid = c.t.pid;
	assert_int_equal(ember_module_attach_uprobe(m, "on_add", target,
						    "ember_target_add", &o,
						    &up),
			 0);
	o.retprobe = true;
	assert_int_equal(ember_module_attach_uprobe(m, "on_add_ret", target,
						    "ember_target_add", &o,
						    &ret),
			 0);
	assert_int_equal(finish(&c), 5 * 42 + 10);
	assert_int_equal(val(m, 0), 5);
	assert_int_equal(val(m, 1), 44); /* last call: 40 + 4, 2 */
	assert_int_equal(val(m, 2), 2);
	assert_int_equal(val(m, 3), 5);
	assert_int_equal(val(m, 4), 46);

	/* what the module has attached, in attach order */
	assert_int_equal(ember_module_link_cnt(m), 2);
	k = ember_module_next_link(m, NULL);
	assert_ptr_equal(k, up);
	snprintf(want, sizeof(want),
		 "uprobe %s:ember_target_add (pid %d) → on_add", target,
		 c.t.pid);
	assert_string_equal(ember_link_description(k), want);
	k = ember_module_next_link(m, k);
	assert_ptr_equal(k, ret);
	snprintf(want, sizeof(want),
		 "uretprobe %s:ember_target_add (pid %d) → on_add_ret", target,
		 c.t.pid);
	assert_string_equal(ember_link_description(k), want);
	assert_null(ember_module_next_link(m, k));

	/* one link detached alone */
	assert_int_equal(ember_link_detach(ret), 0);
	assert_int_equal(ember_module_link_cnt(m), 1);
	start(&c, 3);
	finish(&c);
	assert_int_equal(val(m, 3), 5);
	ember_module_free(m);
}

static void uprobe_every_process_and_by_address(void **state)
{
	struct ember_uprobe_opts o = { .sz = sizeof(o) };
	struct ember_module *m = load();
	struct child c;

	(void)state;
	start(&c, 4);
	/* no symbol: the function's address as nm prints it (-no-pie) */
	o.offset = c.fn_addr;
	assert_int_equal(
		ember_module_attach_uprobe(m, "on_add", target, NULL, &o, NULL),
		0);
	finish(&c);
	assert_int_equal(val(m, 0), 4);
	assert_int_equal(val(m, 1), 43);
	ember_module_free(m);
}

static void uprobe_on_libc_by_short_name(void **state)
{
	struct ember_uprobe_opts o = { .sz = sizeof(o) };
	struct ember_module *m = load();
	struct ember_link *l;
	struct child c;

	(void)state;
	start(&c, 7);
	o.pid = c.t.pid;
	if (ember_module_attach_uprobe(m, "on_getpid", "c", "getpid", &o, &l))
		fail_msg("%s", ember_errmsg());
	assert_non_null(strstr(ember_link_description(l), "libc.so"));
	assert_non_null(strstr(ember_link_description(l), ":getpid"));
	finish(&c);
	assert_true(val(m, 5) >= 7);
	ember_module_free(m);
}

/* BCC's sym_re: every function whose name matches, one probe each. */
static void uprobe_by_regex(void **state)
{
	struct ember_uprobe_opts o = { .sz = sizeof(o) };
	struct ember_module *m = load();
	struct ember_link *k;
	bool add = false, sub = false;
	struct child c;

	(void)state;
	start(&c, 3);
	o.pid = c.t.pid;
	assert_int_equal(
		ember_module_attach_uprobe_regex(
			m, "on_getpid", target, "^ember_target_(add|sub)$", &o),
		2);
	for (k = ember_module_next_link(m, NULL); k;
	     k = ember_module_next_link(m, k)) {
		add |= strstr(ember_link_description(k),
			      ":ember_target_add (pid") != NULL;
		sub |= strstr(ember_link_description(k),
			      ":ember_target_sub (pid") != NULL;
	}
	assert_true(add && sub);
	o.retprobe = true;
	assert_int_equal(ember_module_attach_uprobe_regex(
				 m, "on_add_ret", target, "target_add$", &o),
			 1);
	assert_int_equal(ember_module_link_cnt(m), 3);
	assert_int_equal(finish(&c), 42 + 43 + 44);
	assert_int_equal(val(m, 5), 6); /* add and sub, 3 times each */
	assert_int_equal(val(m, 3), 3);
	assert_int_equal(val(m, 4), 44); /* the last return value */

	/* nothing matches, a bad pattern, an offset: nothing attached */
	assert_int_equal(ember_module_attach_uprobe_regex(
				 m, "on_getpid", target, "^no_such_fn$", NULL),
			 -ENOENT);
	assert_non_null(strstr(ember_errmsg(), "no function of"));
	assert_int_equal(ember_module_attach_uprobe_regex(m, "on_getpid",
							  target, "(", NULL),
			 -EINVAL);
	o.offset = 4;
	assert_int_equal(ember_module_attach_uprobe_regex(m, "on_getpid",
							  target, "add", &o),
			 -EINVAL);
	/* no such program */
	assert_int_equal(ember_module_attach_uprobe_regex(
				 m, "no_such_prog", target,
				 "^ember_target_(add|sub)$", NULL),
			 -ENOENT);
	assert_int_equal(ember_module_link_cnt(m), 3);
	ember_module_free(m);
}

/* What a module has attached, whatever the kinds, in attach order. */
static void attachments_listed(void **state)
{
	struct ember_module_opts mo = { .sz = sizeof(mo), .name = "list.c" };
	struct ember_module *m = NULL;
	struct ember_link *k;
	char want[256];

	(void)state;
	if (ember_module_new("TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
			     "{ return 0; }\n"
			     "int on_add(struct pt_regs *ctx) { return 0; }\n",
			     &mo, &m))
		fail_msg("%s", ember_errmsg());
	assert_int_equal(ember_module_attach_auto(m), 1);
	assert_int_equal(ember_module_attach_uprobe(m, "on_add", target,
						    "ember_target_add", NULL,
						    NULL),
			 0);
	k = ember_module_next_link(m, NULL);
	assert_string_equal(ember_link_description(k),
			    "tracepoint syscalls:sys_enter_getppid → "
			    "tracepoint__syscalls__sys_enter_getppid");
	k = ember_module_next_link(m, k);
	snprintf(want, sizeof(want), "uprobe %s:ember_target_add → on_add",
		 target);
	assert_string_equal(ember_link_description(k), want);
	assert_null(ember_module_next_link(m, k));
	ember_module_free(m);
}

static void find_binary(void **state)
{
	char buf[4096];

	(void)state;
	assert_int_equal(ember_find_binary("c", 0, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "/libc.so"));
	assert_int_equal(ember_find_binary("libc.so.6", 0, buf, sizeof(buf)),
			 0);
	assert_non_null(strstr(buf, "/libc.so.6"));
	/* a library mapped by a process: this one */
	assert_int_equal(ember_find_binary("c", getpid(), buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "libc"));
	assert_int_equal(ember_find_binary("sh", 0, buf, sizeof(buf)), 0);
	assert_int_equal(access(buf, X_OK), 0);
	assert_int_equal(
		ember_find_binary("no_such_lib_ember", 0, buf, sizeof(buf)),
		-ENOENT);
	assert_non_null(strstr(ember_errmsg(), "no_such_lib_ember"));
	assert_int_equal(ember_find_binary("c", 0, buf, 4), -ENAMETOOLONG);
}

static void uprobe_errors(void **state)
{
	struct ember_uprobe_opts o = { .sz = sizeof(o) };
	struct ember_module *m = load();

	(void)state;
	assert_int_equal(ember_module_attach_uprobe(m, "on_add", target,
						    "no_such_function", &o,
						    NULL),
			 -ENOENT);
	assert_non_null(strstr(ember_errmsg(), "no_such_function"));
	assert_int_equal(
		ember_module_attach_uprobe(m, "on_add", target, NULL, &o, NULL),
		-EINVAL);
	assert_int_equal(ember_module_attach_uprobe(m, "on_add",
						    "/no/such/binary", "main",
						    &o, NULL),
			 -ENOENT);
	assert_int_equal(ember_module_attach_uprobe(m, "no_such_fn", target,
						    "main", &o, NULL),
			 -ENOENT);
	o.sz = 0;
	assert_int_equal(ember_module_attach_uprobe(m, "on_add", target, "main",
						    &o, NULL),
			 -EINVAL);
	assert_int_equal(ember_module_link_cnt(m), 0);
	ember_module_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uprobe_and_uretprobe_by_symbol),
		cmocka_unit_test(uprobe_every_process_and_by_address),
		cmocka_unit_test(uprobe_on_libc_by_short_name),
		cmocka_unit_test(uprobe_by_regex),
		cmocka_unit_test(attachments_listed),
		cmocka_unit_test(find_binary),
		cmocka_unit_test(uprobe_errors),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, setup, teardown);
}
