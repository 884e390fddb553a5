// SPDX-License-Identifier: MIT
/*
 * The compiler without the kernel: rewriter output against golden files,
 * the ELF it produces, and compile errors at the user's own line:col.
 * Tracepoint formats come from tests/golden/tracefs (EMBER_TRACEFS), so no
 * privileges are needed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/libbpf.h>

#include "compiler/compile.h"
#include "ember/ember.h"
#include "test_support.h"

static int compile(const char *name, const char *text,
		   struct ember_compiled *out)
{
	struct ember_compile_opts o = { .name = name };

	return ember__compile(text, &o, out);
}

/* Compile tests/golden/rewrite/NAME.c and compare the rewritten text with
 * NAME.expected (EMBER_UPDATE_GOLDEN=1 rewrites the expectation). */
static void check_golden(const char *name)
{
	char src_path[512], exp_path[512];
	struct ember_compiled c;
	char *src;
	int err;

	snprintf(src_path, sizeof(src_path), "%s/rewrite/%s.c",
		 EMBER_TEST_GOLDEN_DIR, name);
	snprintf(exp_path, sizeof(exp_path), "%s/rewrite/%s.expected",
		 EMBER_TEST_GOLDEN_DIR, name);
	src = test_read_file(src_path, NULL);
	assert_non_null(src);
	err = compile(strrchr(src_path, '/') + 1, src, &c);
	if (err)
		fail_msg("%s: %s", name, ember_errmsg());
	assert_non_null(c.obj);
	test_check_golden(c.rewritten, exp_path);
	free(src);
	ember__compiled_free(&c);
}

/* Line count of the user's text must survive the rewrite: the user's line N
 * is line N after the "#line 1" marker. */
static void check_lines_preserved(const char *name)
{
	char path[512];
	struct ember_compiled c;
	char *src, *body;
	size_t nl_src = 0, nl_body = 0;
	const char *p;

	snprintf(path, sizeof(path), "%s/rewrite/%s.c", EMBER_TEST_GOLDEN_DIR,
		 name);
	src = test_read_file(path, NULL);
	assert_non_null(src);
	assert_int_equal(compile("x.c", src, &c), 0);
	body = strstr(c.rewritten, "#line 1 \"x.c\"\n");
	assert_non_null(body);
	body = strchr(body, '\n') + 1;
	for (p = src; *p; p++)
		nl_src += *p == '\n';
	for (p = body; *p && p < strstr(body, "\nchar _license[]") + 1; p++)
		nl_body += *p == '\n';
	/* The appended license line adds one line after the user's text. */
	assert_true(nl_body == nl_src || nl_body == nl_src + 1);
	free(src);
	ember__compiled_free(&c);
}

/* The object cache gives back exactly what a compile produced, and a
 * damaged cache file is only a miss. */
static void object_cache_round_trip(void **state)
{
	const char *text = "BPF_PERF_OUTPUT(ev);\n"
			   "struct rec { int pid; };\n"
			   "int f(void *ctx) {\n"
			   "\tstruct rec r = { 1 };\n"
			   "\tev.perf_submit(ctx, &r, sizeof(r));\n"
			   "\treturn 0;\n"
			   "}\n";
	struct ember_compiled a, b, c;
	char cmd[512];

	(void)state;
	assert_int_equal(compile("cache_probe.c", text, &a), 0);
	assert_int_equal(compile("cache_probe.c", text, &b), 0);
	assert_int_equal(a.obj_len, b.obj_len);
	assert_memory_equal(a.obj, b.obj, a.obj_len);
	assert_string_equal(a.rewritten, b.rewritten);
	assert_int_equal(b.progs_cnt, 1);
	assert_string_equal(b.progs[0].section, "ember/f");
	assert_int_equal(b.tables_cnt, 1);
	assert_string_equal(b.tables[0].event_type, "struct rec");
	/* truncate every cached object: the next compile must still work */
	snprintf(cmd, sizeof(cmd),
		 "for f in %s/obj-*.bin; do truncate -s 20 \"$f\"; done",
		 getenv("EMBER_CACHE_DIR"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(compile("cache_probe.c", text, &c), 0);
	assert_int_equal(c.obj_len, a.obj_len);
	assert_memory_equal(c.obj, a.obj, a.obj_len);
	ember__compiled_free(&a);
	ember__compiled_free(&b);
	ember__compiled_free(&c);
}

static void expect_error(const char *text, const char *want)
{
	struct ember_compiled c;
	int err = compile("prog.c", text, &c);

	assert_int_equal(err, -EINVAL);
	if (!strstr(ember_errmsg(), want))
		fail_msg("error message\n%s\ndoes not contain\n%s",
			 ember_errmsg(), want);
}

static void golden_tracepoint_probe(void **state)
{
	(void)state;
	check_golden("tracepoint_probe");
	check_lines_preserved("tracepoint_probe");
}

static void golden_raw_tracepoint_probe(void **state)
{
	(void)state;
	check_golden("raw_tracepoint_probe");
}

static void golden_name_convention(void **state)
{
	(void)state;
	check_golden("name_convention");
}

static void golden_kernel_compat(void **state)
{
	(void)state;
	check_golden("kernel_compat");
}

static void golden_packet_fields(void **state)
{
	(void)state;
	check_golden("packet_fields");
}

static void golden_user_struct(void **state)
{
	(void)state;
	check_golden("user_struct");
}

static void golden_kfunc_probes(void **state)
{
	(void)state;
	check_golden("kfunc_probes");
}

static void golden_explicit_sections(void **state)
{
	(void)state;
	check_golden("explicit_sections");
}

static void golden_probe_params(void **state)
{
	(void)state;
	check_golden("probe_params");
	check_lines_preserved("probe_params");
}

static void golden_tables(void **state)
{
	(void)state;
	check_golden("tables");
	check_lines_preserved("tables");
}

/* Maps of maps: __array(values) names the inner map, last. */
static void golden_maps_of_maps(void **state)
{
	(void)state;
	check_golden("maps_of_maps");
	check_lines_preserved("maps_of_maps");
}

/* Arguments with their own commas stay one argument of a helper macro;
 * the default increment stays outside a kernel read of the key. */
static void golden_method_args(void **state)
{
	(void)state;
	check_golden("method_args");
	check_lines_preserved("method_args");
}

/* BCC's helpers.h vocabulary and libc builtins compile as written. */
static void golden_helpers_vocabulary(void **state)
{
	(void)state;
	check_golden("helpers_vocabulary");
	check_lines_preserved("helpers_vocabulary");
}

/* bpf_num_cpus() is the online CPU count at compile time, as in BCC. */
static void num_cpus(void **state)
{
	struct ember_compiled c;
	char want[64];

	(void)state;
	assert_int_equal(compile("prog.c",
				 "int f(void *ctx) { return bpf_num_cpus(); }",
				 &c),
			 0);
	snprintf(want, sizeof(want), "#define __EMBER_NUM_CPUS %ld\n",
		 sysconf(_SC_NPROCESSORS_ONLN));
	assert_non_null(strstr(c.rewritten, want));
	ember__compiled_free(&c);
}

/* What the host learns about the tables: kinds, submitted event types,
 * ring buffer drop slots. */
static void table_records(void **state)
{
	char path[512];
	struct ember_compiled c;
	char *src;
	size_t i;
	int seen = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/rewrite/tables.c",
		 EMBER_TEST_GOLDEN_DIR);
	src = test_read_file(path, NULL);
	assert_int_equal(compile("t.c", src, &c), 0);
	for (i = 0; i < c.tables_cnt; i++) {
		const struct ember_table_decl *d = &c.tables[i];

		if (!strcmp(d->name, "output")) {
			assert_string_equal(d->kind, "perf_output");
			assert_string_equal(d->event_type, "struct data_t");
			assert_int_equal(d->drop_slot, -1);
			seen++;
		} else if (!strcmp(d->name, "rb")) {
			assert_string_equal(d->kind, "ringbuf");
			assert_string_equal(d->event_type, "struct data_t");
			assert_int_equal(d->drop_slot, 0);
			seen++;
		} else if (!strcmp(d->name, "counter_table")) {
			assert_string_equal(d->kind, "hash");
			assert_null(d->event_type);
			seen++;
		}
	}
	assert_int_equal(seen, 3);
	assert_int_equal(c.tables_cnt, 14);
	free(src);
	ember__compiled_free(&c);
}

static void error_wrong_method(void **state)
{
	(void)state;
	expect_error(
		"BPF_PERF_OUTPUT(events);\n"
		"int f(void *ctx) {\n"
		"\tu64 k = 1;\n"
		"\tevents.lookup(&k);\n"
		"\treturn 0;\n"
		"}\n",
		"prog.c:4:2: error: table 'events' is a perf_output table, "
		"which has no method 'lookup'");
	expect_error("BPF_HASH(h);\n"
		     "int f(void *ctx) {\n"
		     "\th.update(0);\n"
		     "\treturn 0;\n"
		     "}\n",
		     "prog.c:3:12: error: too few arguments to function call, "
		     "expected 2, have 1");
	expect_error("BPF_TABLE(\"nosuch\", u32, u32, t, 4);\n",
		     "prog.c:1:1: error: unknown table type \"nosuch\"");
}

static void golden_trace_printk(void **state)
{
	(void)state;
	check_golden("trace_printk");
	check_lines_preserved("trace_printk");
}

/* #define BPF_LICENSE in the text is the object's license, as in BCC. */
static void golden_license(void **state)
{
	char path[512];
	struct ember_compiled c;
	char *src;
	static const char want[] = "Dual BSD/GPL";

	(void)state;
	check_golden("license");
	snprintf(path, sizeof(path), "%s/rewrite/license.c",
		 EMBER_TEST_GOLDEN_DIR);
	src = test_read_file(path, NULL);
	assert_int_equal(compile("license.c", src, &c), 0);
	/* the license section's bytes, NUL included */
	assert_non_null(memmem(c.obj, c.obj_len, want, sizeof(want)));
	free(src);
	ember__compiled_free(&c);
}

/* The object libbpf will load: programs in the sections their names ask
 * for, static helpers inlined away, a license. */
static void elf_sections(void **state)
{
	char path[512];
	struct ember_compiled c;
	struct bpf_object *obj;
	struct bpf_program *prog;
	char *src;
	int found = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/rewrite/name_convention.c",
		 EMBER_TEST_GOLDEN_DIR);
	src = test_read_file(path, NULL);
	assert_int_equal(compile("n.c", src, &c), 0);
	assert_int_equal(c.progs_cnt, 3);
	obj = bpf_object__open_mem(c.obj, c.obj_len, NULL);
	assert_non_null(obj);
	bpf_object__for_each_program(prog, obj) {
		const char *n = bpf_program__name(prog);
		const char *s = bpf_program__section_name(prog);

		if (!strcmp(n, "tracepoint__syscalls__sys_enter_execve")) {
			assert_string_equal(
				s, "tracepoint/syscalls/sys_enter_execve");
			assert_int_equal(bpf_program__type(prog),
					 BPF_PROG_TYPE_TRACEPOINT);
		} else if (!strcmp(n, "raw_tracepoint__sched_switch")) {
			assert_string_equal(s, "raw_tracepoint/sched_switch");
			assert_int_equal(bpf_program__type(prog),
					 BPF_PROG_TYPE_RAW_TRACEPOINT);
		} else if (!strcmp(n, "hello")) {
			assert_string_equal(s, "ember/hello");
		} else {
			fail_msg("unexpected program %s", n);
		}
		found++;
	}
	assert_int_equal(found, 3);
	bpf_object__close(obj);
	free(src);
	ember__compiled_free(&c);
}

static void error_undeclared(void **state)
{
	(void)state;
	expect_error("int f(void *ctx)\n"
		     "{\n"
		     "\tint x = no_such_thing + 1;\n"
		     "\treturn x;\n"
		     "}\n",
		     "prog.c:3:10: error: use of undeclared identifier "
		     "'no_such_thing'");
}

static void error_inside_tracepoint_probe(void **state)
{
	(void)state;
	/* args is typed from the format: a missing field is the user's
	 * error at the user's column. */
	expect_error("TRACEPOINT_PROBE(syscalls, sys_enter_execve)\n"
		     "{\n"
		     "\treturn args->no_field;\n"
		     "}\n",
		     "prog.c:3:15: error: no member named 'no_field'");
}

static void error_printk_too_many_args(void **state)
{
	(void)state;
	expect_error("int f(void *ctx)\n"
		     "{\n"
		     "  bpf_trace_printk(\"%d %d %d %d\", 1, 2, 3, 4);\n"
		     "  return 0;\n"
		     "}\n",
		     "prog.c:3:44: error: bpf_trace_printk() takes at most 3 "
		     "arguments");
}

/* Warnings about prog.c the log callback received, newline-joined. */
struct warnings {
	char text[4096];
};

static void collect_warning(enum ember_log_level level, const char *msg,
			    void *ctx)
{
	struct warnings *w = ctx;

	if (level == EMBER_LOG_WARN && !strncmp(msg, "prog.c:", 7))
		snprintf(w->text + strlen(w->text),
			 sizeof(w->text) - strlen(w->text), "%s\n", msg);
}

/* Compile text that must succeed; returns its warnings. */
static void compile_warnings(const char *text, struct warnings *w)
{
	struct ember_compile_opts o = { .name = "prog.c",
					.log = collect_warning,
					.log_ctx = w };
	struct ember_compiled c;

	memset(w, 0, sizeof(*w));
	if (ember__compile(text, &o, &c))
		fail_msg("%s", ember_errmsg());
	ember__compiled_free(&c);
}

/* As BCC: a conversion the kernel lacks is a warning at the conversion,
 * the compile goes on; a cached compile warns again, as clang would. */
static void warning_printk_conversions(void **state)
{
	const char *text = "int f(void *ctx)\n"
			   "{\n"
			   "  char a[] = \"a\", b[] = \"b\";\n"
			   "  bpf_trace_printk(\"value %0.2f\", 1);\n"
			   "  bpf_trace_printk(\"%lf\\n\", 1);\n"
			   "  bpf_trace_printk(\"%s and %s\\n\", a, b);\n"
			   "  bpf_trace_printk(\"%d %s %llx\\n\", 1, a, 2);\n"
			   "  return 0;\n"
			   "}\n";
	const char *want =
		"prog.c:4:27: warning: bpf_trace_printk() format has a "
		"conversion the kernel does not support: '%0.2f'; only %d %u "
		"%x %ld %lu %lx %lld %llu %llx %p %s conversion specifiers "
		"allowed (and %i %X %c): the kernel prints nothing for this "
		"call\n"
		"prog.c:5:21: warning: bpf_trace_printk() format has a "
		"conversion the kernel does not support: '%lf'; only %d %u "
		"%x %ld %lu %lx %lld %llu %llx %p %s conversion specifiers "
		"allowed (and %i %X %c): the kernel prints nothing for this "
		"call\n"
		"prog.c:6:28: warning: bpf_trace_printk() format has 2 %s: "
		"cannot use several %s conversion specifiers before Linux "
		"5.13 (older kernels print nothing for this call)\n";
	struct warnings w;

	(void)state;
	compile_warnings(text, &w);
	assert_string_equal(w.text, want);
	compile_warnings(text, &w);
	assert_string_equal(w.text, want);
}

/* clang's own warnings reach the log with their flag, at the user's
 * line:col. */
/* written on one path only: a warning (BCC's sslsniff and nflatency do it
 * and run); never written: an error (see the bad-input corpus) */
static void warning_sometimes_uninitialized(void **state)
{
	struct warnings w;

	(void)state;
	compile_warnings("int f(int *ctx)\n"
			 "{\n"
			 "\tint x;\n"
			 "\tif (*ctx)\n"
			 "\t\tx = 1;\n"
			 "\treturn x;\n"
			 "}\n",
			 &w);
	assert_string_equal(w.text,
			    "prog.c:4:6: warning: variable 'x' is used "
			    "uninitialized whenever 'if' condition is false "
			    "[-Wsometimes-uninitialized]\n");
}

static void warning_from_clang(void **state)
{
	struct warnings w;

	(void)state;
	compile_warnings("int f(void *ctx)\n"
			 "{\n"
			 "\tint x = \"abc\";\n"
			 "\treturn x;\n"
			 "}\n",
			 &w);
	assert_string_equal(
		w.text, "prog.c:3:6: warning: incompatible pointer to "
			"integer conversion initializing 'int' with an "
			"expression of type 'char[4]' [-Wint-conversion]\n");
}

static void error_printk_missing_args(void **state)
{
	(void)state;
	expect_error("int f(void *ctx)\n"
		     "{\n"
		     "  bpf_trace_printk(\"%d and %d\", 1);\n"
		     "  return 0;\n"
		     "}\n",
		     "prog.c:3:20: error: bpf_trace_printk() format has 2 "
		     "conversions but only 1 arguments");
}

/* As BCC: a non-static function is a program of its own, not a callee. */
static void error_non_static_call(void **state)
{
	(void)state;
	expect_error("int helper(void)\n"
		     "{\n"
		     "\treturn 0;\n"
		     "}\n"
		     "int probe(void *ctx)\n"
		     "{\n"
		     "\treturn sizeof(helper()) + helper();\n"
		     "}\n",
		     "prog.c:7:28: error: cannot call non-static function "
		     "'helper': each non-static function is a BPF program of "
		     "its own; make it static (inlined, or a BPF-to-BPF call "
		     "with __noinline)");
}

/* As BCC: the license is stated in the text, never in cflags. */
static void error_license_in_cflags(void **state)
{
	static const char *const forms[][2] = {
		{ "-DBPF_LICENSE=GPL", NULL },
		{ "-DBPF_LICENSE", NULL },
		{ "-D", "BPF_LICENSE=Proprietary" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct ember_compile_opts o = { .name = "prog.c",
						.cflags = forms[i],
						.cflags_cnt =
							forms[i][1] ? 2 : 1 };
		struct ember_compiled c;

		assert_int_equal(
			ember__compile("int f(void *ctx) { return 0; }", &o,
				       &c),
			-EINVAL);
		assert_string_equal(ember_errmsg(),
				    "prog.c: error: BPF_LICENSE cannot be "
				    "specified through cflags; #define "
				    "BPF_LICENSE in the program text");
	}
}

static void error_unknown_tracepoint(void **state)
{
	struct ember_compiled c;
	int err;

	(void)state;
	err = compile("prog.c",
		      "TRACEPOINT_PROBE(nosuch, event) { return 0; }\n", &c);
	assert_int_equal(err, -ENOENT);
	assert_non_null(strstr(ember_errmsg(), "nosuch:event"));
}

static void error_unknown_include(void **state)
{
	(void)state;
	expect_error("#include <linux/sched.h>\n#include <stdio.h>\n"
		     "int f(void *ctx) { return 0; }\n",
		     "prog.c:2:10: error: 'stdio.h' file not found");
}

/* clang's <stdint.h> and <stddef.h> next to the kernel's types (which
 * spell int64_t, uint64_t and wchar_t otherwise): they compile, and the
 * types are the kernel's sizes */
static void libc_headers_with_kernel_types(void **state)
{
	struct ember_compiled c;

	(void)state;
	assert_int_equal(
		compile("prog.c",
			"#include <stdint.h>\n#include <stddef.h>\n"
			"#include <linux/sched.h>\n"
			"_Static_assert(sizeof(int64_t) == 8 && "
			"sizeof(uint64_t) == sizeof(u64), \"64\");\n"
			"_Static_assert(UINT64_MAX == (u64)-1 && "
			"INT32_MIN == -2147483648, \"limits\");\n"
			"int f(void *ctx)\n{\n\tuint64_t x = 1;\n"
			"\tint64_t y = INT64_MAX;\n\twchar_t w = 0;\n"
			"\treturn x + y + w + offsetof(struct task_struct, "
			"pid);\n}\n",
			&c),
		0);
	ember__compiled_free(&c);
}

/* a type made by a table macro is named at the user's line, not at the
 * compiler's in-memory file */
static void error_names_no_virtual_path(void **state)
{
	(void)state;
	expect_error("BPF_HASH(t);\nint f(void *ctx)\n{\n\tt.nope();\n"
		     "\treturn 0;\n}\n",
		     "prog.c:4:4: error: no member named 'nope' in 'struct "
		     "(unnamed at prog.c:1:1)'");
	assert_null(strstr(ember_errmsg(), "ember-virtual"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(golden_tracepoint_probe),
		cmocka_unit_test(golden_raw_tracepoint_probe),
		cmocka_unit_test(golden_name_convention),
		cmocka_unit_test(golden_trace_printk),
		cmocka_unit_test(golden_tables),
		cmocka_unit_test(golden_probe_params),
		cmocka_unit_test(golden_explicit_sections),
		cmocka_unit_test(golden_kfunc_probes),
		cmocka_unit_test(golden_license),
		cmocka_unit_test(golden_helpers_vocabulary),
		cmocka_unit_test(num_cpus),
		cmocka_unit_test(golden_maps_of_maps),
		cmocka_unit_test(golden_method_args),
		cmocka_unit_test(golden_kernel_compat),
		cmocka_unit_test(golden_user_struct),
		cmocka_unit_test(golden_packet_fields),
		cmocka_unit_test(table_records),
		cmocka_unit_test(error_wrong_method),
		cmocka_unit_test(elf_sections),
		cmocka_unit_test(object_cache_round_trip),
		cmocka_unit_test(error_undeclared),
		cmocka_unit_test(error_inside_tracepoint_probe),
		cmocka_unit_test(error_printk_too_many_args),
		cmocka_unit_test(warning_printk_conversions),
		cmocka_unit_test(warning_from_clang),
		cmocka_unit_test(warning_sometimes_uninitialized),
		cmocka_unit_test(error_printk_missing_args),
		cmocka_unit_test(error_non_static_call),
		cmocka_unit_test(error_license_in_cflags),
		cmocka_unit_test(error_unknown_tracepoint),
		cmocka_unit_test(error_unknown_include),
		cmocka_unit_test(libc_headers_with_kernel_types),
		cmocka_unit_test(error_names_no_virtual_path),
	};

	/* Tracepoint formats from the repository, not the machine. */
	setenv("EMBER_TRACEFS", EMBER_TEST_GOLDEN_DIR "/tracefs", 1);
	/* A private cache, always: the test truncates every object in it,
	 * which must never reach a cache the user's other runs rely on. */
	setenv("EMBER_CACHE_DIR", "ember-test-cache", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
