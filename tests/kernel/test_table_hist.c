// SPDX-License-Identifier: MIT
/*
 * Histogram tables against the real kernel, printed in BCC's layout: a log2
 * histogram a program fills (array and per-CPU array), a two-level one keyed
 * by { comm, slot } with BCC's section lines, linear and JSON forms, and the
 * tables that are not histograms.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

static const char program[] =
	"struct hist_key { char comm[16]; u64 slot; };\n"
	"struct pid_key { u32 pid; u32 slot; };\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_ARRAY);\n"
	"\t__type(key, int);\n"
	"\t__type(value, u64);\n"
	"\t__uint(max_entries, 64);\n"
	"} dist SEC(\".maps\");\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);\n"
	"\t__type(key, int);\n"
	"\t__type(value, u64);\n"
	"\t__uint(max_entries, 64);\n"
	"} pcpu_dist SEC(\".maps\");\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_HASH);\n"
	"\t__type(key, struct hist_key);\n"
	"\t__type(value, u64);\n"
	"\t__uint(max_entries, 1024);\n"
	"} by_comm SEC(\".maps\");\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_HASH);\n"
	"\t__type(key, struct pid_key);\n"
	"\t__type(value, u64);\n"
	"\t__uint(max_entries, 1024);\n"
	"} by_pid SEC(\".maps\");\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_ARRAY);\n"
	"\t__type(key, int);\n"
	"\t__type(value, u64);\n"
	"\t__uint(max_entries, 100);\n"
	"} wide SEC(\".maps\");\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_ARRAY);\n"
	"\t__type(key, int);\n"
	"\t__type(value, struct pid_key);\n"
	"\t__uint(max_entries, 4);\n"
	"} not_counts SEC(\".maps\");\n"
	"TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
	"{\n"
	"\tstruct hist_key key = {};\n"
	"\tint slot = bpf_log2l(5);\n"
	"\tu64 one = 1, *v;\n"
	"\n"
	"\tif ((bpf_get_current_pid_tgid() >> 32) != ME)\n"
	"\t\treturn 0;\n"
	"\tv = bpf_map_lookup_elem(&dist, &slot);\n"
	"\tif (v)\n"
	"\t\t__sync_fetch_and_add(v, 1);\n"
	"\tv = bpf_map_lookup_elem(&pcpu_dist, &slot);\n"
	"\tif (v)\n"
	"\t\t(*v)++;\n"
	"\tbpf_get_current_comm(&key.comm, sizeof(key.comm));\n"
	"\tkey.slot = bpf_log2l(3);\n"
	"\tv = bpf_map_lookup_elem(&by_comm, &key);\n"
	"\tif (v)\n"
	"\t\t__sync_fetch_and_add(v, 1);\n"
	"\telse\n"
	"\t\tbpf_map_update_elem(&by_comm, &key, &one, BPF_NOEXIST);\n"
	"\treturn 0;\n"
	"}\n";

struct fixture {
	struct ember_module *m;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char me[32];
	const char *cflags[] = { me };
	struct ember_module_opts o = { .sz = sizeof(o),
				       .name = "hist.c",
				       .cflags = cflags,
				       .cflags_cnt = 1 };

	snprintf(me, sizeof(me), "-DME=%d", (int)getpid());
	if (ember_module_new(program, &o, &f->m))
		fail_msg("load failed: %s", ember_errmsg());
	assert_int_equal(ember_module_attach_auto(f->m), 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ember_module_free(f->m);
	free(f);
	return 0;
}

static struct ember_table *table(struct fixture *f, const char *name)
{
	struct ember_table *t = NULL;

	assert_int_equal(ember_module_table(f->m, name, &t), 0);
	return t;
}

/* Print with fn into a string. */
static char *
printed(int (*fn)(struct ember_table *, FILE *, const struct ember_hist_opts *),
	struct ember_table *t, const struct ember_hist_opts *o, int want)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_int_equal(fn(t, f, o), want);
	fclose(f);
	return text;
}

static void getppid_as(const char *comm, int n)
{
	char old[16] = "";

	prctl(PR_GET_NAME, old);
	prctl(PR_SET_NAME, comm);
	while (n--)
		syscall(SYS_getppid);
	prctl(PR_SET_NAME, old);
}

static const char one_level[] =
	"     value               : count     distribution\n"
	"         0 -> 1          : 0        |                                 "
	"       |\n"
	"         2 -> 3          : 0        |                                 "
	"       |\n"
	"         4 -> 7          : 7        "
	"|****************************************|\n";

static void log2_from_program(void **state)
{
	struct fixture *f = *state;
	char *text;

	getppid_as("tblhist-main", 7);
	text = printed(ember_table_print_log2_hist, table(f, "dist"), NULL, 0);
	assert_string_equal(text, one_level);
	free(text);
	/* per-CPU slots are summed over CPUs */
	text = printed(ember_table_print_log2_hist, table(f, "pcpu_dist"), NULL,
		       0);
	assert_string_equal(text, one_level);
	free(text);
}

static void two_level_sections(void **state)
{
	struct fixture *f = *state;
	struct ember_table *t = table(f, "by_comm");
	struct ember_hist_opts o = { .sz = sizeof(o),
				     .flags = EMBER_HIST_SORT_SECTIONS };
	char *text;

	assert_int_equal(ember_table_clear(t), 0);
	getppid_as("tblhist-b", 2);
	getppid_as("tblhist-a", 3);
	text = printed(ember_table_print_log2_hist, t, &o, 0);
	assert_string_equal(
		text, "\n"
		      "Bucket ptr = b'tblhist-a'\n"
		      "     value               : count     distribution\n"
		      "         0 -> 1          : 0        |                   "
		      "                     |\n"
		      "         2 -> 3          : 3        "
		      "|****************************************|\n"
		      "\n"
		      "Bucket ptr = b'tblhist-b'\n"
		      "     value               : count     distribution\n"
		      "         0 -> 1          : 0        |                   "
		      "                     |\n"
		      "         2 -> 3          : 2        "
		      "|****************************************|\n");
	free(text);
}

static int pid_section(const void *data, size_t size, char *buf,
		       size_t buf_size, void *ctx)
{
	uint32_t pid;

	(void)ctx;
	assert_int_equal(size, 4);
	memcpy(&pid, data, 4);
	return snprintf(buf, buf_size, "pid %u", pid);
}

static void on_line(const char *line, void *ctx)
{
	assert_null(strchr(line, '\n'));
	fprintf(ctx, "[%s]", line);
}

static void linear_json_and_callbacks(void **state)
{
	struct fixture *f = *state;
	struct ember_table *t = table(f, "by_pid");
	struct {
		uint32_t pid, slot;
	} keys[4] = { { 20, 1 }, { 10, 0 }, { 10, 2 }, { 20, 1 } };
	uint64_t vals[3] = { 4, 2, 1 };
	struct ember_hist_opts o = { .sz = sizeof(o),
				     .val_type = "kbytes",
				     .section_header = "proc",
				     .flags = EMBER_HIST_SORT_SECTIONS };
	size_t count = 3;
	char *text;

	assert_int_equal(ember_table_update_batch(t, keys, vals, &count, NULL),
			 0);
	text = printed(ember_table_print_linear_hist, t, &o, 0);
	assert_string_equal(text,
			    "\n"
			    "proc = 10\n"
			    "     kbytes        : count     distribution\n"
			    "        0          : 2        "
			    "|****************************************|\n"
			    "        1          : 0        |                   "
			    "                     |\n"
			    "        2          : 1        "
			    "|********************                    |\n"
			    "\n"
			    "proc = 20\n"
			    "     kbytes        : count     distribution\n"
			    "        0          : 0        |                   "
			    "                     |\n"
			    "        1          : 4        "
			    "|****************************************|\n");
	free(text);
	o.section = pid_section;
	o.flags |= EMBER_HIST_NO_TIMESTAMP;
	text = printed(ember_table_print_json_hist, t, &o, 0);
	assert_string_equal(
		text,
		"{\"val_type\": \"kbytes\", \"data\": [{\"interval-start\": 0, "
		"\"interval-end\": 1, \"count\": 0}, {\"interval-start\": 2, "
		"\"interval-end\": 3, \"count\": 1}], \"proc\": \"pid 10\"}\n"
		"{\"val_type\": \"kbytes\", \"data\": [{\"interval-start\": 0, "
		"\"interval-end\": 1, \"count\": 4}], \"proc\": \"pid 20\"}\n");
	free(text);
	/* the line callback gets the same lines, without newlines */
	o.flags = EMBER_HIST_SORT_SECTIONS;
	o.section = NULL;
	{
		char *lines = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&lines, &len);

		o.line = on_line;
		o.line_ctx = mem;
		assert_int_equal(ember_table_print_log2_hist(t, NULL, &o), 0);
		fclose(mem);
		assert_non_null(strstr(lines, "[][proc = 10][     kbytes"));
		free(lines);
	}
}

static void not_histograms(void **state)
{
	struct fixture *f = *state;
	struct ember_table *wide = table(f, "wide");
	int slot = 80;
	uint64_t v = 1;
	char *text;

	text = printed(ember_table_print_log2_hist, table(f, "not_counts"),
		       NULL, -EINVAL);
	free(text);
	assert_non_null(strstr(ember_errmsg(), "not a histogram"));
	/* slots past 64 that are empty are fine; a used one is not */
	text = printed(ember_table_print_log2_hist, wide, NULL, 0);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(ember_table_update(wide, &slot, &v, EMBER_ANY), 0);
	text = printed(ember_table_print_log2_hist, wide, NULL, -ERANGE);
	free(text);
	assert_non_null(strstr(ember_errmsg(), "slot 80"));
	/* but a linear histogram has room for it */
	text = printed(ember_table_print_linear_hist, wide, NULL, 0);
	assert_non_null(strstr(text, "        80         : 1        |****"));
	free(text);
	assert_int_equal(ember_table_print_log2_hist(wide, NULL, NULL),
			 -EINVAL);
}

/* The same through BCC's own macros: the kind comes from the declaration. */
static void bcc_histogram_macro(void **state)
{
	char text[1024];
	const char *cflags[] = { text };
	struct ember_module_opts o = { .sz = sizeof(o),
				       .name = "bcc_hist.c",
				       .cflags = cflags,
				       .cflags_cnt = 1 };
	struct ember_module *m = NULL;
	struct ember_table *dist, *by_pid;
	struct ember_hist_opts ho = { .sz = sizeof(ho),
				      .section_header = "pid" };
	char *out;

	(void)state;
	snprintf(text, sizeof(text), "-DME=%d", (int)getpid());
	if (ember_module_new("struct key_t { u32 pid; u64 slot; };\n"
			     "BPF_HISTOGRAM(dist);\n"
			     "BPF_HISTOGRAM(by_pid, struct key_t);\n"
			     "TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
			     "{\n"
			     "\tstruct key_t k = { .pid = 7 };\n"
			     "\n"
			     "\tif ((bpf_get_current_pid_tgid() >> 32) != ME)\n"
			     "\t\treturn 0;\n"
			     "\tdist.increment(bpf_log2l(100));\n"
			     "\tk.slot = bpf_log2l(9);\n"
			     "\tby_pid.increment(k);\n"
			     "\treturn 0;\n"
			     "}\n",
			     &o, &m))
		fail_msg("load failed: %s", ember_errmsg());
	assert_int_equal(ember_module_attach_auto(m), 1);
	getppid_as("tblhist-bcc", 5);
	assert_int_equal(ember_module_table(m, "dist", &dist), 0);
	assert_int_equal(ember_module_table(m, "by_pid", &by_pid), 0);
	assert_string_equal(ember_table_kind(dist), "histogram");
	assert_int_equal(ember_table_type(dist), EMBER_MAP_ARRAY);
	assert_string_equal(ember_table_kind(by_pid), "histogram");
	assert_int_equal(ember_table_type(by_pid), EMBER_MAP_HASH);
	out = printed(ember_table_print_log2_hist, dist, NULL, 0);
	assert_non_null(strstr(out, "        64 -> 127        : 5        |"
				    "****************************************|"
				    "\n"));
	free(out);
	out = printed(ember_table_print_log2_hist, by_pid, &ho, 0);
	assert_non_null(strstr(out, "\npid = 7\n     value  "));
	assert_non_null(strstr(out, "         8 -> 15         : 5        |"));
	free(out);
	ember_module_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log2_from_program),
		cmocka_unit_test(two_level_sections),
		cmocka_unit_test(linear_json_and_callbacks),
		cmocka_unit_test(not_histograms),
		cmocka_unit_test(bcc_histogram_macro),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, setup, teardown);
}
