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

static char dir[64], target[128];

struct child {
	pid_t pid;
	int go, out;
	unsigned long long fn_addr;
};

static int map_lookup(int fd, uint32_t key, uint64_t *value)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	attr.key = (uint64_t)(uintptr_t)&key;
	attr.value = (uint64_t)(uintptr_t)value;
	return (int)syscall(__NR_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr));
}

static uint64_t val(struct ember_module *m, uint32_t key)
{
	uint64_t v = 0;
	int fd = test_table_fd(m, "vals");

	assert_true(fd >= 0);
	assert_int_equal(map_lookup(fd, key, &v), 0);
	return v;
}

/* Compile the target program with the system C compiler. */
static int setup(void **state)
{
	char src[128], *argv[8];
	FILE *f;
	pid_t pid;
	int status;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ember-uprobe-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/target.c", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	f = fopen(src, "w");
	assert_non_null(f);
	fputs(target_src, f);
	fclose(f);
	if (access("/usr/bin/cc", X_OK) && access("/bin/cc", X_OK))
		test_skip("no C compiler (cc) to build the uprobe target");
	argv[0] = "cc";
	argv[1] = "-O1";
	argv[2] = "-no-pie";
	argv[3] = "-o";
	argv[4] = target;
	argv[5] = src;
	argv[6] = NULL;
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	assert_true(waitpid(pid, &status, 0) == pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 0;
}

static int teardown(void **state)
{
	char path[160];

	(void)state;
	snprintf(path, sizeof(path), "%s/target.c", dir);
	unlink(path);
	unlink(target);
	rmdir(dir);
	return 0;
}

/* Start the target; it prints its function's address and waits. */
static void start(struct child *c, int n)
{
	int in[2], out[2];
	char arg[16], line[64];
	ssize_t r;

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	snprintf(arg, sizeof(arg), "%d", n);
	c->pid = fork();
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(target, target, arg, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->go = in[1];
	c->out = out[0];
	r = read(c->out, line, sizeof(line) - 1);
	assert_true(r > 0);
	line[r] = 0;
	c->fn_addr = strtoull(line, NULL, 16);
	assert_true(c->fn_addr != 0);
}

/* Let it run; returns the sum it printed. */
static long finish(struct child *c)
{
	char line[64] = "";
	ssize_t r;
	int status;

	assert_int_equal(write(c->go, "g", 1), 1);
	r = read(c->out, line, sizeof(line) - 1);
	assert_true(r > 0);
	line[r] = 0;
	assert_true(waitpid(c->pid, &status, 0) == c->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(c->go);
	close(c->out);
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
	o.pid = c.pid;
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
		 "uprobe %s:ember_target_add (pid %d) → on_add", target, c.pid);
	assert_string_equal(ember_link_description(k), want);
	k = ember_module_next_link(m, k);
	assert_ptr_equal(k, ret);
	snprintf(want, sizeof(want),
		 "uretprobe %s:ember_target_add (pid %d) → on_add_ret", target,
		 c.pid);
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
	o.pid = c.pid;
	if (ember_module_attach_uprobe(m, "on_getpid", "c", "getpid", &o, &l))
		fail_msg("%s", ember_errmsg());
	assert_non_null(strstr(ember_link_description(l), "libc.so"));
	assert_non_null(strstr(ember_link_description(l), ":getpid"));
	finish(&c);
	assert_true(val(m, 5) >= 7);
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
		cmocka_unit_test(attachments_listed),
		cmocka_unit_test(find_binary),
		cmocka_unit_test(uprobe_errors),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, setup, teardown);
}
