// SPDX-License-Identifier: MIT
/*
 * Tracepoint format → args struct. Besides looking for the expected member
 * declarations, every struct is compiled with static asserts that its
 * members sit at the format's offsets with the format's sizes: by the host
 * compiler (x86-64 lays these types out as BPF does) and, when clang is
 * installed, by clang for the BPF target itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember/ember.h"
#include "kernel/tracefs.h"
#include "kernel/tracepoint_format.h"
#include "test_support.h"

#define GOLDEN EMBER_TEST_GOLDEN_DIR "/tracepoint_formats/"

static char *golden(const char *rel)
{
	char path[1024], *text;

	snprintf(path, sizeof(path), GOLDEN "%s", rel);
	text = test_read_file(path, NULL);
	if (!text)
		fail_msg("cannot read golden file %s", path);
	return text;
}

static char *gen(const char *format, const char *name)
{
	char *c = NULL;
	int err = ember__tracepoint_struct_from_format(format, name, &c);

	if (err)
		fail_msg("struct_from_format(%s): %d %s", name, err,
			 ember_errmsg());
	assert_non_null(c);
	return c;
}

static void assert_has(const char *text, const char *member)
{
	char want[512];

	snprintf(want, sizeof(want), "\t%s;\n", member);
	if (!strstr(text, want))
		fail_msg("expected member '%s' in:\n%s", member, text);
}

static void assert_lacks(const char *text, const char *needle)
{
	if (strstr(text, needle))
		fail_msg("did not expect '%s' in:\n%s", needle, text);
}

/* ------------------------------------------------------------------ */
/* Independent layout check: the test's own reading of the format.     */

static const char *const c_keywords[] = { "default",  "signed", "int",
					  "char",     "struct", "long",
					  "unsigned", "void",	"bool",
					  NULL };

static int is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Append static asserts for every non-common field of format to out. */
static void emit_asserts(FILE *out, const char *format, const char *sname)
{
	const char *p = format;
	unsigned long end = 0;

	while (*p) {
		const char *nl = strchr(p, '\n'), *line = p, *semi, *o, *s;
		char decl[512], name[512], member[600];
		unsigned long off, size;
		const char *prefix = "", *suffix = "";
		char *e, *n;
		size_t len;

		p = nl ? nl + 1 : p + strlen(p);
		while (*line == ' ' || *line == '\t')
			line++;
		if (strncmp(line, "field:", 6) != 0)
			continue;
		semi = strchr(line, ';');
		o = strstr(semi, "offset:");
		s = strstr(semi, "size:");
		assert_non_null(o);
		assert_non_null(s);
		off = strtoul(o + 7, NULL, 10);
		size = strtoul(s + 5, NULL, 10);
		len = semi - (line + 6);
		assert_true(len < sizeof(decl));
		memcpy(decl, line + 6, len);
		decl[len] = '\0';
		/* Drop trailing spaces and "[N]" groups. */
		e = decl + len;
		for (;;) {
			while (e > decl && e[-1] == ' ')
				*--e = '\0';
			if (e == decl || e[-1] != ']')
				break;
			while (e > decl && e[-1] != '[')
				e--;
			if (e > decl)
				e--;
			*e = '\0';
		}
		n = e;
		while (n > decl && is_ident(n[-1]))
			n--;
		snprintf(name, sizeof(name), "%s", n);
		if (off + size > end)
			end = off + size;
		if (strncmp(name, "common_", 7) == 0)
			continue;
		if (strncmp(decl, "__data_loc", 10) == 0)
			prefix = "data_loc_";
		else if (strncmp(decl, "__rel_loc", 9) == 0)
			prefix = "rel_loc_";
		for (int i = 0; c_keywords[i]; i++)
			if (!*prefix && strcmp(name, c_keywords[i]) == 0)
				suffix = "_";
		snprintf(member, sizeof(member), "%s%s%s", prefix, name,
			 suffix);
		fprintf(out,
			"_Static_assert(__builtin_offsetof(struct %s, %s) == "
			"%lu, \"%s.%s offset\");\n",
			sname, member, off, sname, member);
		fprintf(out,
			"_Static_assert(sizeof(((struct %s *)0)->%s) == %lu, "
			"\"%s.%s size\");\n",
			sname, member, size, sname, member);
	}
	fprintf(out,
		"_Static_assert(sizeof(struct %s) >= %lu, \"%s covers the "
		"record\");\n",
		sname, end, sname);
}

static const char prologue[] =
	"typedef unsigned char __u8;\ntypedef signed char __s8;\n"
	"typedef unsigned short __u16;\ntypedef short __s16;\n"
	"typedef unsigned int __u32;\ntypedef int __s32;\n"
	"typedef unsigned long long __u64;\ntypedef long long __s64;\n";

static int have_clang(void)
{
	static int have = -1;

	if (have < 0)
		have = system("command -v clang >/dev/null 2>&1") == 0;
	return have;
}

/* Compile the file with cc, and with clang -target bpf when present. */
static void compile_check(const char *path)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cc -std=gnu11 -Wall -Wextra -Werror -fsyntax-only -x c '%s'",
		 path);
	if (system(cmd) != 0)
		fail_msg("layout check failed (cc): %s kept", path);
	if (have_clang()) {
		snprintf(cmd, sizeof(cmd),
			 "clang -target bpf -std=gnu11 -Wall -Wextra -Werror "
			 "-fsyntax-only -x c '%s'",
			 path);
		if (system(cmd) != 0)
			fail_msg("layout check failed (clang bpf): %s kept",
				 path);
	}
	unlink(path);
}

struct layout_file {
	char path[64];
	FILE *f;
};

static void layout_open(struct layout_file *lf)
{
	int fd;

	strcpy(lf->path, "/tmp/ember_tp_layout_XXXXXX.c");
	fd = mkstemps(lf->path, 2);
	assert_true(fd >= 0);
	lf->f = fdopen(fd, "w");
	assert_non_null(lf->f);
	fputs(prologue, lf->f);
}

/* Generate struct sname from format into the file, with its asserts. */
static void layout_add(struct layout_file *lf, const char *format,
		       const char *sname)
{
	char *c = gen(format, sname);

	fputs(c, lf->f);
	emit_asserts(lf->f, format, sname);
	free(c);
}

static void layout_check(struct layout_file *lf)
{
	assert_int_equal(fclose(lf->f), 0);
	compile_check(lf->path);
}

/* ------------------------------------------------------------------ */
/* Real formats from a 6.18 kernel                                     */

static void test_sys_enter_execve(void **state)
{
	char *f = golden("syscalls/sys_enter_execve.format");
	char *c = gen(f, "tracepoint__syscalls__sys_enter_execve");

	(void)state;
	assert_true(strncmp(c,
			    "struct tracepoint__syscalls__sys_enter_execve {\n",
			    48) == 0);
	assert_has(c, "char __pad_0[8]");
	assert_has(c, "__s32 __syscall_nr");
	assert_has(c, "char __pad_12[4]");
	assert_has(c, "const char *filename");
	assert_has(c, "const char *const *argv");
	assert_has(c, "const char *const *envp");
	assert_lacks(c, "common_");
	assert_lacks(c, "packed");
	assert_non_null(strstr(c, "\n};\n"));
	free(c);
	free(f);
}

static void test_sys_enter_openat(void **state)
{
	char *f = golden("syscalls/sys_enter_openat.format");
	char *c = gen(f, "tp");

	(void)state;
	/* "int dfd; size:8; signed:0": the declared int keeps it signed. */
	assert_has(c, "__s64 dfd");
	assert_has(c, "const char *filename");
	assert_has(c, "__s64 flags");
	assert_has(c, "__u64 mode");
	free(c);
	free(f);
	f = golden("syscalls/sys_exit_openat.format");
	c = gen(f, "tp");
	assert_has(c, "__s64 ret");
	free(c);
	free(f);
}

static void test_sched_process_exec(void **state)
{
	char *f = golden("sched/sched_process_exec.format");
	char *c = gen(f, "tp");

	(void)state;
	assert_string_equal(c, "struct tp {\n"
			       "\tchar __pad_0[8];\n"
			       "\t__u32 data_loc_filename;\n"
			       "\t__s32 pid;\n"
			       "\t__s32 old_pid;\n"
			       "};\n");
	free(c);
	free(f);
}

static void test_block_rq(void **state)
{
	char *f = golden("block/block_rq_issue.format");
	char *c = gen(f, "tp");

	(void)state;
	assert_has(c, "__u32 dev");
	assert_has(c, "char __pad_12[4]");
	assert_has(c, "__u64 sector");
	assert_has(c, "__u32 nr_sector");
	assert_has(c, "__u32 bytes");
	assert_has(c, "__u16 ioprio");
	assert_has(c, "char rwbs[10]");
	assert_has(c, "char comm[16]");
	assert_has(c, "__u32 data_loc_cmd");
	free(c);
	free(f);
	f = golden("block/block_rq_complete.format");
	c = gen(f, "tp");
	assert_has(c, "__s32 error");
	assert_has(c, "__u32 data_loc_cmd");
	assert_lacks(c, "comm");
	free(c);
	free(f);
}

static void test_sched_switch(void **state)
{
	char *f = golden("sched/sched_switch.format");
	char *c = gen(f, "tp");

	(void)state;
	assert_has(c, "char prev_comm[16]");
	assert_has(c, "__s32 prev_pid");
	assert_has(c, "__s32 prev_prio");
	assert_has(c, "__s64 prev_state");
	assert_has(c, "char next_comm[16]");
	assert_has(c, "__s32 next_pid");
	assert_has(c, "__s32 next_prio");
	free(c);
	free(f);
}

static void test_odd_fields(void **state)
{
	char *f, *c;

	(void)state;
	/* Flexible arrays (size 0). */
	f = golden("ftrace/function.format");
	c = gen(f, "tp");
	assert_has(c, "__u64 ip");
	assert_has(c, "__u64 args[0]");
	free(c);
	free(f);
	f = golden("ftrace/print.format");
	c = gen(f, "tp");
	assert_has(c, "char buf[0]");
	free(c);
	free(f);
	/* Address-space qualified and typedef'd pointers, bool. */
	f = golden("percpu/percpu_alloc_percpu.format");
	c = gen(f, "tp");
	assert_has(c, "void *ptr");
	assert_has(c, "void *base_addr");
	assert_has(c, "__u8 reserved");
	assert_has(c, "__u8 is_atomic");
	assert_has(c, "__u64 size");
	assert_has(c, "__s32 off");
	free(c);
	free(f);
	/* Arrays of wider elements keep their count. */
	f = golden("ext4/ext4_fc_stats.format");
	c = gen(f, "tp");
	assert_has(c, "__u32 fc_ineligible_rc[10]");
	free(c);
	free(f);
	/* "new" is a C++ keyword only. */
	f = golden("timestamp/ctime_ns_xchg.format");
	c = gen(f, "tp");
	assert_has(c, "__u32 new");
	free(c);
	free(f);
}

static const char *const golden_files[] = {
	"syscalls/sys_enter_execve.format",
	"syscalls/sys_enter_openat.format",
	"syscalls/sys_exit_openat.format",
	"sched/sched_process_exec.format",
	"sched/sched_switch.format",
	"block/block_rq_issue.format",
	"block/block_rq_complete.format",
	"ftrace/function.format",
	"ftrace/print.format",
	"percpu/percpu_alloc_percpu.format",
	"ext4/ext4_fc_stats.format",
	"timestamp/ctime_ns_xchg.format",
};

static void test_golden_layouts_compile(void **state)
{
	struct layout_file lf;

	(void)state;
	layout_open(&lf);
	for (size_t i = 0; i < sizeof(golden_files) / sizeof(golden_files[0]);
	     i++) {
		char *f = golden(golden_files[i]);
		char sname[32];

		snprintf(sname, sizeof(sname), "golden_%zu", i);
		layout_add(&lf, f, sname);
		free(f);
	}
	layout_check(&lf);
}

/* ------------------------------------------------------------------ */
/* Synthetic formats: the cases this kernel does not happen to have.   */

#define COMMON                                                                 \
	"name: synthetic\nID: 1\nformat:\n"                                    \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" \
	"\tfield:unsigned char "                                               \
	"common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"               \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"

static const char misaligned[] = COMMON
	"\tfield:u8 kind;\toffset:8;\tsize:1;\tsigned:0;\n"
	"\tfield:u32 value;\toffset:9;\tsize:4;\tsigned:0;\n"
	"\tfield:u64 when;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:__rel_loc char[] tail;\toffset:24;\tsize:4;\tsigned:0;\n"
	"\nprint fmt: \"%u\", REC->value\n";

static const char assorted[] = COMMON
	"\tfield:int default;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:const sigset_t * set;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:struct file * file;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:enum color * colorp;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:union u *up;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\tfield:u16 triple[3];\toffset:48;\tsize:6;\tsigned:0;\n"
	"\tfield:struct pair arr[2];\toffset:56;\tsize:24;\tsigned:0;\n"
	"\tfield:char grid[2][4];\toffset:80;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned char mac[6];\toffset:88;\tsize:6;\tsigned:0;\n"
	"\tfield:short big_short;\toffset:96;\tsize:8;\tsigned:0;\n"
	"\tfield:struct blob by_value;\toffset:104;\tsize:12;\tsigned:0;\n"
	"\tfield:u32 words[];\toffset:116;\tsize:0;\tsigned:0;\n";

static const char common_only[] = COMMON "\nprint fmt: \"\"\n";

static void test_synthetic(void **state)
{
	struct layout_file lf;
	char *c;

	(void)state;
	c = gen(misaligned, "mis");
	assert_has(c, "__u8 kind");
	assert_has(c, "__u32 value");
	assert_has(c, "char __pad_13[3]");
	assert_has(c, "__u64 when");
	assert_has(c, "__u32 rel_loc_tail");
	assert_non_null(strstr(c, "} __attribute__((packed, aligned(8)));\n"));
	free(c);

	c = gen(assorted, "assorted");
	assert_has(c, "__s32 default_");
	assert_has(c, "void *set");
	assert_has(c, "struct file *file");
	assert_has(c, "enum color *colorp");
	assert_has(c, "union u *up");
	assert_has(c, "__u16 triple[3]");
	assert_has(c, "char arr[24]");
	assert_has(c, "char grid[2][4]");
	assert_has(c, "__u8 mac[6]");
	assert_has(c, "__s64 big_short");
	assert_has(c, "char by_value[12]");
	assert_has(c, "__u32 words[0]");
	assert_lacks(c, "packed");
	free(c);

	c = gen(common_only, "empty");
	assert_string_equal(c, "struct empty {\n\tchar __pad_0[8];\n};\n");
	free(c);

	layout_open(&lf);
	layout_add(&lf, misaligned, "mis");
	layout_add(&lf, assorted, "assorted");
	layout_add(&lf, common_only, "empty");
	layout_check(&lf);
}

static void expect_invalid(const char *format, const char *name,
			   const char *msg_part)
{
	char *c = (char *)1;

	assert_int_equal(ember__tracepoint_struct_from_format(format, name, &c),
			 -EINVAL);
	assert_null(c);
	if (!strstr(ember_errmsg(), msg_part))
		fail_msg("message '%s' lacks '%s'", ember_errmsg(), msg_part);
}

static void test_malformed(void **state)
{
	(void)state;
	expect_invalid("", "x", "no field lines");
	expect_invalid("name: foo\nformat:\nprint fmt: \"\"\n", "x",
		       "no field lines");
	expect_invalid("\tfield:int a;\tsize:4;\tsigned:1;\n", "x", "offset:");
	expect_invalid("\tfield:int a;\toffset:x;\tsize:4;\tsigned:1;\n", "x",
		       "bad offset:");
	expect_invalid("\tfield:int a\n", "x", "no ';'");
	expect_invalid("\tfield:int ;\toffset:0;\tsize:4;\tsigned:1;\n", "x",
		       "has no type");
	expect_invalid("\tfield:a;\toffset:0;\tsize:4;\tsigned:1;\n", "x",
		       "has no type");
	expect_invalid("\tfield:char a[4;\toffset:0;\tsize:4;\tsigned:1;\n",
		       "x", "no field name");
	expect_invalid("\tfield:char a4];\toffset:0;\tsize:4;\tsigned:1;\n",
		       "x", "unbalanced");
	expect_invalid("\tfield:int a;\toffset:0;\tsize:4;\tsigned:1;\n"
		       "\tfield:int b;\toffset:2;\tsize:4;\tsigned:1;\n",
		       "x", "overlaps");
	expect_invalid(misaligned, "not a name", "invalid struct name");
	expect_invalid(misaligned, "", "invalid struct name");
	expect_invalid(misaligned, NULL, "invalid struct name");
	expect_invalid(NULL, "x", "no format text");
}

/* ------------------------------------------------------------------ */
/* The running kernel, when its tracefs is readable                    */

static const char *live_root(void)
{
	static const char *const roots[] = { "/sys/kernel/tracing",
					     "/sys/kernel/debug/tracing" };
	char path[256];

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path),
			 "%s/events/sched/sched_switch/format", roots[i]);
		if (access(path, R_OK) == 0)
			return roots[i];
	}
	return NULL;
}

static void test_live_tracefs(void **state)
{
	const char *root = live_root();
	char path[512], *format, *c = NULL, *id_line;
	int id;

	const char *found;
	char want[512];

	(void)state;
	if (!root)
		skip();
	assert_int_equal(ember__tracefs_root(&found), 0);
	assert_non_null(found);
	assert_int_equal(
		ember__tracefs_path(path, sizeof(path), "events/%s", "sched"),
		0);
	snprintf(want, sizeof(want), "%s/events/sched", found);
	assert_string_equal(path, want);
	assert_int_equal(ember__tracefs_path(path, 8, "trace_pipe"),
			 -ENAMETOOLONG);
	assert_int_equal(ember__tracefs_path(path, strlen(found) + 2, "x"),
			 -ENAMETOOLONG);
	assert_int_equal(ember__tracefs_path(path, strlen(found) + 3, "x"), 0);

	assert_int_equal(
		ember__tracepoint_struct("sched", "sched_switch", "tp", &c), 0);
	assert_has(c, "char prev_comm[16]");
	free(c);

	snprintf(path, sizeof(path), "%s/events/sched/sched_switch/format",
		 root);
	format = test_read_file(path, NULL);
	assert_non_null(format);
	id_line = strstr(format, "\nID: ");
	assert_non_null(id_line);
	id = ember__tracepoint_id("sched", "sched_switch");
	assert_true(id > 0);
	assert_int_equal(id, atoi(id_line + 5));
	free(format);

	c = (char *)1;
	assert_int_equal(
		ember__tracepoint_struct("sched", "no_such_event", "tp", &c),
		-ENOENT);
	assert_null(c);
	assert_non_null(
		strstr(ember_errmsg(),
		       "tracepoint sched:no_such_event does not exist (no "));
	assert_int_equal(ember__tracepoint_id("no_such_category", "x"),
			 -ENOENT);
	assert_int_equal(ember__tracepoint_id("..", "sched"), -EINVAL);
	assert_int_equal(ember__tracepoint_id("sched", "a/b"), -EINVAL);
	assert_int_equal(ember__tracepoint_id("", "x"), -EINVAL);
}

/* Every event this kernel has: the parser's widest real-world input. */
static void test_live_all_formats(void **state)
{
	const char *root = live_root();
	struct layout_file lf;
	char path[1024];
	struct dirent *cat;
	size_t count = 0;
	DIR *events;

	(void)state;
	if (!root)
		skip();
	snprintf(path, sizeof(path), "%s/events", root);
	events = opendir(path);
	assert_non_null(events);
	layout_open(&lf);
	while ((cat = readdir(events))) {
		struct dirent *ev;
		DIR *d;

		if (cat->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/events/%s", root, cat->d_name);
		d = opendir(path);
		if (!d)
			continue;
		while ((ev = readdir(d))) {
			char sname[32], *f;

			if (ev->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/events/%s/%s/format",
				 root, cat->d_name, ev->d_name);
			f = test_read_file(path, NULL);
			if (!f)
				continue;
			snprintf(sname, sizeof(sname), "live_%zu", count++);
			fprintf(lf.f, "/* %s:%s */\n", cat->d_name, ev->d_name);
			layout_add(&lf, f, sname);
			free(f);
		}
		closedir(d);
	}
	closedir(events);
	assert_true(count > 0);
	layout_check(&lf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sys_enter_execve),
		cmocka_unit_test(test_sys_enter_openat),
		cmocka_unit_test(test_sched_process_exec),
		cmocka_unit_test(test_block_rq),
		cmocka_unit_test(test_sched_switch),
		cmocka_unit_test(test_odd_fields),
		cmocka_unit_test(test_golden_layouts_compile),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_live_tracefs),
		cmocka_unit_test(test_live_all_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
