// SPDX-License-Identifier: MIT
/*
 * The kernel's struct and union names kept in the cache (btf_records.h):
 * the same answers as the BTF itself, from the entry once it is written,
 * and a damaged entry reported, not used, and rebuilt.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "compiler/btf_records.h"
#include "compiler/cache.h"
#include "kernel/btf_header.h"
#include "test_support.h"

/* Names to ask about: the kernel's own records (a struct, a union), a
 * function and a typedef of the kernel (not records), and none at all
 * (the identifiers a program's text names). */
static const char *const asked[] = {
	"task_struct", "sk_buff",  "bpf_attr",	"trace_entry",
	"pt_regs",     "vfs_read", "pid_t",	"u64",
	"ember_none",  "a",	   "task_stru", "task_structs",
};

static int warnings;

static void capture(enum ember_log_level level, const char *msg, void *ctx)
{
	(void)msg, (void)ctx;
	if (level == EMBER_LOG_WARN)
		warnings++;
}

static void expect_same_answers(const struct ember_btf_records *r)
{
	for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++)
		if (ember__btf_records_has(r, asked[i]) !=
		    ember__btf_has_record(asked[i]))
			fail_msg("%s: the cached names disagree with the BTF",
				 asked[i]);
	assert_true(ember__btf_records_has(r, "task_struct"));
	assert_false(ember__btf_records_has(r, "ember_none"));
}

/* The entry's name in dir (there is one). */
static void entry_path(const char *dir, char *path, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "btf-records-", 12)) {
			snprintf(path, len, "%s/%s", dir, e->d_name);
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);
}

static void cached_and_damaged(void **state)
{
	char dir[] = "/tmp/ember-test-records-XXXXXX", path[512];
	struct ember_digest prelude = { { 1, 2, 3 } };
	struct ember_btf_records r;
	struct ember_cache c;
	struct stat before, after;
	int fd;

	(void)state;
	if (access(EMBER_VMLINUX_BTF, R_OK))
		skip();
	assert_non_null(mkdtemp(dir));
	setenv("EMBER_CACHE_DIR", dir, 1);
	assert_int_equal(ember__cache_open(&c, capture, NULL), 0);

	/* from the BTF, then written */
	assert_int_equal(ember__btf_records_load(&c, &prelude, &r), 0);
	assert_int_equal(warnings, 0);
	expect_same_answers(&r);
	ember__btf_records_free(&r);
	entry_path(dir, path, sizeof(path));
	assert_int_equal(stat(path, &before), 0);

	/* from the entry: the same answers, the entry not written again */
	assert_int_equal(ember__btf_records_load(&c, &prelude, &r), 0);
	expect_same_answers(&r);
	ember__btf_records_free(&r);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(warnings, 0);

	/* a byte changed: reported, the BTF asked, the entry rebuilt */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\x01", 1, before.st_size / 2), 1);
	close(fd);
	assert_int_equal(ember__btf_records_load(&c, &prelude, &r), 0);
	assert_int_equal(warnings, 1);
	expect_same_answers(&r);
	ember__btf_records_free(&r);
	entry_path(dir, path, sizeof(path));
	assert_int_equal(stat(path, &after), 0);
	assert_int_not_equal(after.st_ino, before.st_ino);
	assert_int_equal(ember__btf_records_load(&c, &prelude, &r), 0);
	assert_int_equal(warnings, 1);
	ember__btf_records_free(&r);

	ember__cache_close(&c);
	test_remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cached_and_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
