// SPDX-License-Identifier: MIT
/*
 * Stack traces against the real kernel: a program on getppid's tracepoint
 * records its kernel and user stack ids in a BPF_MAP_TYPE_STACK_TRACE map;
 * the host walks them and symbolizes the kernel frames from /proc/kallsyms
 * and the user frame from this process's libc.
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
#include "test_support.h"

static const char program[] =
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_STACK_TRACE);\n"
	"\t__uint(key_size, sizeof(u32));\n"
	"\t__uint(value_size, 127 * sizeof(u64));\n"
	"\t__uint(max_entries, 1024);\n"
	"} stacks SEC(\".maps\");\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_ARRAY);\n"
	"\t__type(key, u32);\n"
	"\t__type(value, s64);\n"
	"\t__uint(max_entries, 2);\n"
	"} ids SEC(\".maps\");\n"
	"TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
	"{\n"
	"\tu32 user = 1;\n"
	"\ts64 id;\n"
	"\n"
	"\tif ((bpf_get_current_pid_tgid() >> 32) != ME)\n"
	"\t\treturn 0;\n"
	"\tid = bpf_get_stackid(args, &stacks, BPF_F_USER_STACK);\n"
	"\tbpf_map_update_elem(&ids, &user, &id, BPF_ANY);\n"
	"\treturn 0;\n"
	"}\n"
	/* Kernels before 6.11 give a syscall tracepoint's programs the
	 * user's registers, so a kernel stack from there is -EFAULT: the
	 * raw tracepoint has the kernel's on every kernel. */
	"RAW_TRACEPOINT_PROBE(sys_enter)\n"
	"{\n"
	"\tu32 kernel = 0;\n"
	"\ts64 id;\n"
	"\n"
	"\tif ((bpf_get_current_pid_tgid() >> 32) != ME ||\n"
	"\t    ctx->args[1] != NR_GETPPID)\n"
	"\t\treturn 0;\n"
	"\tid = bpf_get_stackid(ctx, &stacks, 0);\n"
	"\tbpf_map_update_elem(&ids, &kernel, &id, BPF_ANY);\n"
	"\treturn 0;\n"
	"}\n";

static struct ember_module *load(void)
{
	char me[32], nr[32];
	const char *cflags[] = { me, nr };
	struct ember_module_opts o = { .sz = sizeof(o),
				       .name = "stacks.c",
				       .cflags = cflags,
				       .cflags_cnt = 2 };
	struct ember_module *m = NULL;

	snprintf(me, sizeof(me), "-DME=%d", (int)getpid());
	snprintf(nr, sizeof(nr), "-DNR_GETPPID=%d", (int)SYS_getppid);
	if (ember_module_new(program, &o, &m))
		fail_msg("load failed: %s", ember_errmsg());
	assert_int_equal(ember_module_attach_auto(m), 2);
	return m;
}

/* Is name a symbol of /proc/kallsyms? */
static bool in_kallsyms(const char *kallsyms, const char *name)
{
	char pat[300];

	snprintf(pat, sizeof(pat), " %s\n", name);
	if (strstr(kallsyms, pat))
		return true;
	snprintf(pat, sizeof(pat), " %s\t", name); /* module symbols */
	return strstr(kallsyms, pat) != NULL;
}

static void kernel_and_user_stacks(void **state)
{
	struct ember_module *m = load();
	struct ember_table *stacks, *ids;
	struct ember_symbolizer *s;
	struct ember_sym sym;
	uint64_t ips[EMBER_STACK_MAX_DEPTH];
	int64_t kid = -1, uid = -1;
	uint32_t k = 0;
	char *kallsyms, name[256], *names = NULL;
	size_t names_len = 0;
	FILE *all = open_memstream(&names, &names_len);
	int n, i;

	(void)state;
	syscall(SYS_getppid);
	assert_int_equal(ember_module_table(m, "stacks", &stacks), 0);
	assert_int_equal(ember_module_table(m, "ids", &ids), 0);
	assert_int_equal(ember_table_type(stacks), EMBER_MAP_STACK_TRACE);
	assert_string_equal(ember_table_kind(stacks), "stacktrace");
	assert_int_equal(ember_table_lookup(ids, &k, &kid), 0);
	k = 1;
	assert_int_equal(ember_table_lookup(ids, &k, &uid), 0);
	assert_true(kid >= 0);
	assert_true(uid >= 0);

	/* kernel: every frame has a name that kallsyms lists */
	n = ember_table_stack(stacks, kid, ips, EMBER_STACK_MAX_DEPTH);
	assert_true(n >= 2);
	kallsyms = test_read_file("/proc/kallsyms", NULL);
	assert_non_null(kallsyms);
	for (i = 0; i < n; i++) {
		assert_true(ember_ksym(ips[i], name, sizeof(name), 0) > 0);
		fprintf(all, "%s ", name);
		if (!in_kallsyms(kallsyms, name))
			fail_msg("frame %d: %s is not in /proc/kallsyms", i,
				 name);
	}
	fclose(all);
	/* a system call's stack passes through the system call entry */
	if (!strstr(names, "syscall") && !strstr(names, "SYSCALL"))
		fail_msg("no system call frame in: %s", names);
	assert_true(ember_ksym(ips[0], name, sizeof(name), EMBER_SYM_OFFSET) >
		    0);
	assert_non_null(strstr(name, "+0x"));
	/* name → address → the same name */
	{
		uint64_t addr;

		ember_ksym(ips[0], name, sizeof(name), 0);
		assert_int_equal(ember_ksymname(name, &addr), 0);
		assert_true(addr <= ips[0]);
	}
	assert_int_equal(
		ember_ksymname("no_such_symbol_ember", &(uint64_t){ 0 }),
		-ENOENT);

	/* user: the innermost frame is in libc's system call wrapper */
	n = ember_table_stack(stacks, uid, ips, EMBER_STACK_MAX_DEPTH);
	assert_true(n >= 1);
	assert_int_equal(ember_symbolizer_new(NULL, &s), 0);
	assert_int_equal(ember_symbolize_user(s, getpid(), ips[0], &sym), 0);
	assert_non_null(strstr(sym.module, "libc"));
	assert_true(strstr(sym.name, "syscall") || strstr(sym.name, "getppid"));
	ember_symbolizer_free(s);

	/* fewer slots than frames: the innermost ones */
	assert_int_equal(ember_table_stack(stacks, kid, ips, 1), 1);
	/* errors: a failed get_stackid, a stack that is not there, not a
	 * stack table */
	assert_int_equal(ember_table_stack(stacks, -EFAULT, ips, 1), -EINVAL);
	assert_int_equal(ember_table_stack(stacks, 1000, ips, 1) == -ENOENT ||
				 kid == 1000 || uid == 1000,
			 1);
	assert_int_equal(ember_table_stack(ids, 0, ips, 1), -EINVAL);
	/* stack tables clear key by key (no batch commands) */
	assert_int_equal(ember_table_clear(stacks), 0);
	assert_int_equal(ember_table_stack(stacks, kid, ips, 1), -ENOENT);
	free(names);
	free(kallsyms);
	ember_module_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_and_user_stacks),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
