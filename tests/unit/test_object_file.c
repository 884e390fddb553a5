// SPDX-License-Identifier: MIT
/*
 * Prebuilt objects (ember build): a module written as an object and opened
 * again has the same programs and tables; libbpf opens the file as any BPF
 * object; and an object is hostile input: truncated, bit-flipped, renamed or
 * mismatched ones are refused with a message saying what is wrong, and
 * nothing is handed out.
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

#include <bpf/libbpf.h>
#include <cmocka.h>

#include "ember/ember.h"
#include "loader/module.h"
#include "test_support.h"

static const char prog[] =
	"BPF_HASH(counts, u32, u64);\n"
	"BPF_RINGBUF_OUTPUT(ring, 4);\n"
	"struct ev_t { u32 pid; char comm[16]; };\n"
	"TRACEPOINT_PROBE(syscalls, sys_enter_execve)\n"
	"{\n"
	"\tstruct ev_t e = {};\n"
	"\tu32 k = 0;\n"
	"\tcounts.increment(k);\n"
	"\tring.ringbuf_output(&e, sizeof(e), 0);\n"
	"\treturn 0;\n"
	"}\n"
	"int kprobe__sys_sync(struct pt_regs *ctx) { return 0; }\n";

static char dir[64], path[128];
static struct ember_module *compiled; /* from the text */
static char *obj; /* the object's bytes */
static size_t obj_len;

static int setup(void **state)
{
	EMBER_OPTS(ember_module_opts, o, .name = "prog.c");
	struct ember_module *m;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ember-objtest-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/cache", dir);
	setenv("EMBER_CACHE_DIR", path, 1);
	snprintf(path, sizeof(path), "%s/prog.o", dir);
	if (ember_module_compile(prog, &o, &m)) {
		fprintf(stderr, "%s\n", ember_errmsg());
		return -1;
	}
	if (ember_module_write_object(m, path)) {
		fprintf(stderr, "%s\n", ember_errmsg());
		return -1;
	}
	compiled = m;
	obj = test_read_file(path, &obj_len);
	return obj ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ember_module_free(compiled);
	free(obj);
	test_remove_tree(dir);
	return 0;
}

/* Open bytes; on failure, the message must contain want. */
static void refused(const void *data, size_t len, int err, const char *want)
{
	struct ember_module *m = (struct ember_module *)1;
	int rc = ember_module_open_object_mem(data, len, NULL, &m);

	if (rc != err)
		fail_msg("want %d (%s), got %d: %s", err, want, rc,
			 ember_errmsg());
	assert_null(m);
	if (!strstr(ember_errmsg(), want))
		fail_msg("message '%s' lacks '%s'", ember_errmsg(), want);
}

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* What the module knows beyond the ELF came through as compiled. */
static void test_round_trip(void **state)
{
	const struct ember_compiled *want = &compiled->compiled, *got;
	EMBER_OPTS(ember_object_opts, oo);
	struct ember_module *m;
	size_t i;

	(void)state;
	assert_int_equal(ember_module_open_object(path, &oo, &m), 0);
	assert_string_equal(m->name, path);
	assert_string_equal(m->text, prog);
	got = &m->compiled;
	assert_int_equal(got->progs_cnt, 2);
	assert_int_equal(got->progs_cnt, want->progs_cnt);
	for (i = 0; i < got->progs_cnt; i++) {
		assert_string_equal(got->progs[i].name, want->progs[i].name);
		assert_string_equal(got->progs[i].section,
				    want->progs[i].section);
	}
	assert_int_equal(got->tables_cnt, want->tables_cnt);
	assert_true(got->tables_cnt >= 2);
	for (i = 0; i < got->tables_cnt; i++) {
		const struct ember_table_decl *g = &got->tables[i],
					      *w = &want->tables[i];

		assert_string_equal(g->name, w->name);
		assert_string_equal(g->kind, w->kind);
		assert_true(str_eq(g->event_type, w->event_type));
		assert_true(str_eq(g->pin_path, w->pin_path));
		assert_int_equal(g->drop_slot, w->drop_slot);
		assert_int_equal(g->sharing, w->sharing);
		if (!strcmp(g->name, "ring")) {
			assert_string_equal(g->kind, "ringbuf");
			assert_string_equal(g->event_type, "struct ev_t");
			assert_int_equal(g->drop_slot, 0);
		}
	}
	assert_int_equal(ember_module_prog_fd(m, "kprobe__sys_sync"), -ENODEV);
	assert_int_equal(ember_module_prog_fd(m, "nope"), -ENOENT);
	/* written again, the same bytes (one .ember section, replaced) */
	{
		char again[160];
		size_t len;
		char *b;

		snprintf(again, sizeof(again), "%s/again.o", dir);
		assert_int_equal(ember_module_write_object(m, again), 0);
		b = test_read_file(again, &len);
		assert_non_null(b);
		assert_int_equal(len, obj_len);
		assert_memory_equal(b, obj, len);
		free(b);
	}
	ember_module_free(m);
}

/* libbpf opens the file as any BPF object: programs, maps, license. */
static void test_libbpf_opens_it(void **state)
{
	struct bpf_object *o = bpf_object__open_file(path, NULL);
	struct bpf_program *p;

	(void)state;
	assert_non_null(o);
	p = bpf_object__find_program_by_name(
		o, "tracepoint__syscalls__sys_enter_execve");
	assert_non_null(p);
	assert_string_equal(bpf_program__section_name(p),
			    "tracepoint/syscalls/sys_enter_execve");
	assert_non_null(bpf_object__find_map_by_name(o, "counts"));
	assert_non_null(bpf_object__find_map_by_name(o, "ring"));
	bpf_object__close(o);
}

static char *meta(char *b)
{
	char *p = memmem(b, obj_len, "EMBEROBJ", 8);

	assert_non_null(p);
	return p;
}

/* Where the program and table list starts (after the header and text). */
static char *meta_list(char *b)
{
	return meta(b) + 16 + strlen(prog);
}

static char *in_list(char *b, const char *s)
{
	char *l = meta_list(b);
	char *p = memmem(l, obj_len - (size_t)(l - b), s, strlen(s));

	assert_non_null(p);
	return p;
}

static void test_refused(void **state)
{
	char *b = malloc(obj_len), *p;
	uint32_t v;

	(void)state;
	assert_non_null(b);
	refused("", 0, -EINVAL, "not a 64-bit ELF object");
	refused("int x;\n", 7, -EINVAL, "not a 64-bit ELF object");
	refused(obj, 64, -EINVAL, "");

	/* a BPF object ember did not write */
	memcpy(b, obj, obj_len);
	p = memmem(b, obj_len, ".ember", 7);
	assert_non_null(p);
	p[5] = 'x';
	refused(b, obj_len, -EINVAL,
		"<object>: a BPF object without ember's .ember section");

	memcpy(b, obj, obj_len);
	meta(b)[0] = 'X';
	refused(b, obj_len, -EINVAL, ".ember section is not ember's metadata");

	memcpy(b, obj, obj_len);
	v = 99;
	memcpy(meta(b) + 8, &v, 4);
	refused(b, obj_len, -EPROTONOSUPPORT,
		"ember metadata version 99; this ember");

	memcpy(b, obj, obj_len);
	v = 0x7fffffff; /* text longer than the section */
	memcpy(meta(b) + 12, &v, 4);
	refused(b, obj_len, -EINVAL, ".ember section truncated (text)");

	/* the metadata names a program the object does not have */
	memcpy(b, obj, obj_len);
	p = in_list(b, "kprobe__sys_sync");
	p[0] = 'j';
	refused(b, obj_len, -EINVAL,
		"the .ember section does not match the object: program "
		"'jprobe__sys_sync' is not in the object");

	/* ... or a table */
	memcpy(b, obj, obj_len);
	p = in_list(b, "counts");
	p[0] = 'k';
	refused(b, obj_len, -EINVAL, "table 'kounts' is not in the object");

	/* a count far beyond the bytes (the program count follows the
	 * header and the text) */
	memcpy(b, obj, obj_len);
	v = 1000;
	memcpy(meta_list(b), &v, 4);
	refused(b, obj_len, -EINVAL,
		"malformed .ember section (program and table list)");
	free(b);
}

/*
 * Every truncation and every byte of the metadata flipped: a clean refusal
 * or (where the byte is the program text's) a module; never a crash or a
 * read out of bounds (the ASan build runs this too).
 */
static void test_fuzzed(void **state)
{
	char *b = malloc(obj_len);
	size_t i, off = (size_t)(meta(obj) - obj), opened = 0;
	struct ember_module *m;

	(void)state;
	assert_non_null(b);
	for (i = 0; i < obj_len; i += 61) {
		assert_true(ember_module_open_object_mem(obj, i, NULL, &m) < 0);
		assert_null(m);
		assert_true(*ember_errmsg());
	}
	for (i = off; i < obj_len; i++) {
		memcpy(b, obj, obj_len);
		b[i] ^= 0xa5;
		if (!ember_module_open_object_mem(b, obj_len, NULL, &m)) {
			opened++;
			ember_module_free(m);
		} else {
			assert_null(m);
			assert_true(*ember_errmsg());
		}
	}
	/* the flips in the text open; those in the names do not */
	assert_true(opened >= strlen(prog));
	assert_true(opened < obj_len - off);
	free(b);
}

/* An object that crashed libbpf's reader (tests/fuzz): a clear error, and
 * this process lives on. */
static void test_crashes_libbpf(void **state)
{
	static const char file[] = EMBER_TEST_GOLDEN_DIR
		"/../fuzz/regressions/object_file/"
		"crash-d5727ce6464b064f9a134e92bc6043b7a57da1be";
	char buf[65536];
	FILE *f = fopen(file, "rb");
	size_t len;

	(void)state;
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	refused(buf, len, -EINVAL, "libbpf's reader crashed on it");
}

static void test_bad_arguments(void **state)
{
	struct ember_module *m;
	char missing[160];

	(void)state;
	assert_int_equal(ember_module_open_object(NULL, NULL, &m), -EINVAL);
	assert_int_equal(ember_module_write_object(NULL, path), -EINVAL);
	snprintf(missing, sizeof(missing), "%s/missing.o", dir);
	assert_int_equal(ember_module_open_object(missing, NULL, &m), -ENOENT);
	assert_non_null(strstr(ember_errmsg(), "missing.o"));
	assert_int_equal(ember_module_open_object(dir, NULL, &m), -EINVAL);
	assert_non_null(strstr(ember_errmsg(), "not a regular file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_libbpf_opens_it),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_fuzzed),
		cmocka_unit_test(test_crashes_libbpf),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
