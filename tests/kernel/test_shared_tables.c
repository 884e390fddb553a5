// SPDX-License-Identifier: MIT
/*
 * Tables beyond one module: BPF_TABLE_PUBLIC / BPF_TABLE("extern") share a
 * table between modules of a process, BPF_TABLE_PINNED keeps one in bpffs
 * across modules (and processes).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

#define PIN_PATH "/sys/fs/bpf/ember_test_pinned"

static const char exporter[] =
	"BPF_TABLE_PUBLIC(\"hash\", u32, u64, shared_counts, 128);\n"
	"TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {\n"
	"\tu32 k = 1;\n"
	"\tif ((bpf_get_current_pid_tgid() >> 32) == ME)\n"
	"\t\tshared_counts.increment(k);\n"
	"\treturn 0;\n"
	"}\n";

static const char importer[] =
	"BPF_TABLE(\"extern\", u32, u64, shared_counts, 128);\n"
	"TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n"
	"\tu32 k = 2;\n"
	"\tif ((bpf_get_current_pid_tgid() >> 32) == ME)\n"
	"\t\tshared_counts.increment(k, 10);\n"
	"\treturn 0;\n"
	"}\n";

static const char pinned[] =
	"BPF_TABLE_PINNED(\"array\", u32, u64, pinned_counts, 4, \"" PIN_PATH
	"\");\n"
	"TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {\n"
	"\tu32 k = 0;\n"
	"\tif ((bpf_get_current_pid_tgid() >> 32) == ME)\n"
	"\t\tpinned_counts.atomic_increment(k);\n"
	"\treturn 0;\n"
	"}\n";

static int load(const char *text, struct ember_module **m)
{
	static char me[32];
	static const char *cflags[] = { me };
	struct ember_module_opts o = { .sz = sizeof(o),
				       .name = "shared.c",
				       .cflags = cflags,
				       .cflags_cnt = 1 };

	snprintf(me, sizeof(me), "-DME=%d", (int)getpid());
	return ember_module_new(text, &o, m);
}

static uint64_t value_of(struct ember_module *m, const char *table,
			 uint32_t key)
{
	struct ember_table *t;
	uint64_t v = 0;

	assert_int_equal(ember_module_table(m, table, &t), 0);
	if (ember_table_lookup(t, &key, &v))
		return 0;
	return v;
}

static void extern_without_exporter_fails(void **state)
{
	struct ember_module *m = NULL;

	(void)state;
	assert_int_equal(load(importer, &m), -ENOENT);
	assert_null(m);
	assert_non_null(strstr(ember_errmsg(), "extern table 'shared_counts' "
					       "is not exported"));
}

static void public_table_shared_between_modules(void **state)
{
	struct ember_module *a = NULL, *b = NULL;
	uint64_t before;

	(void)state;
	assert_int_equal(load(exporter, &a), 0);
	assert_int_equal(load(importer, &b), 0);
	assert_int_equal(ember_module_attach_auto(a), 1);
	assert_int_equal(ember_module_attach_auto(b), 1);
	for (int i = 0; i < 3; i++)
		syscall(SYS_getppid);
	for (int i = 0; i < 2; i++)
		syscall(SYS_getpid);
	/* one table, seen from both modules */
	assert_int_equal(value_of(a, "shared_counts", 1), 3);
	assert_int_equal(value_of(a, "shared_counts", 2), 20);
	assert_int_equal(value_of(b, "shared_counts", 1), 3);
	assert_int_equal(value_of(b, "shared_counts", 2), 20);
	/* the importer keeps the table when the exporter goes (counted from
	 * after the free: freeing may itself call getpid) */
	ember_module_free(a);
	before = value_of(b, "shared_counts", 2);
	assert_true(before >= 20);
	syscall(SYS_getpid);
	assert_int_equal(value_of(b, "shared_counts", 2), before + 10);
	ember_module_free(b);
	/* and the name is free again */
	assert_int_equal(load(importer, &b), -ENOENT);
}

static void pinned_table_outlives_module(void **state)
{
	struct ember_module *m = NULL;
	struct stat st;

	(void)state;
	unlink(PIN_PATH);
	assert_int_equal(load(pinned, &m), 0);
	assert_int_equal(stat(PIN_PATH, &st), 0);
	assert_int_equal(ember_module_attach_auto(m), 1);
	syscall(SYS_getppid);
	syscall(SYS_getppid);
	assert_int_equal(value_of(m, "pinned_counts", 0), 2);
	ember_module_free(m);
	/* pinned: still there, and the next module continues counting */
	assert_int_equal(stat(PIN_PATH, &st), 0);
	assert_int_equal(load(pinned, &m), 0);
	assert_int_equal(value_of(m, "pinned_counts", 0), 2);
	assert_int_equal(ember_module_attach_auto(m), 1);
	syscall(SYS_getppid);
	assert_int_equal(value_of(m, "pinned_counts", 0), 3);
	ember_module_free(m);
	assert_int_equal(unlink(PIN_PATH), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(extern_without_exporter_fails),
		cmocka_unit_test(public_table_shared_between_modules),
		cmocka_unit_test(pinned_table_outlives_module),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
