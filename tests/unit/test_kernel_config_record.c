// SPDX-License-Identifier: MIT
/*
 * The kernel config header kept in the cache (kernel_config_record.h): the
 * header this process generates, then the entry's once written; a damaged,
 * malformed or oversized entry reported, not used, and rebuilt.
 */
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

#include "compiler/cache.h"
#include "compiler/kernel_config_record.h"
#include "kernel/kernel_config.h"
#include "test_support.h"

#define MAGIC "EMBKCF01"

static int warnings;

static void capture(enum ember_log_level level, const char *msg, void *ctx)
{
	(void)msg, (void)ctx;
	if (level == EMBER_LOG_WARN)
		warnings++;
}

/* The record holds what this process generates. */
static void expect_generated(const struct ember_kernel_config_record *r)
{
	const char *text, *source;
	size_t len;
	bool found;

	assert_int_equal(
		ember__kernel_config_header(&text, &len, &found, &source), 0);
	assert_int_equal(r->len, len);
	assert_memory_equal(r->text, text, len);
	assert_int_equal(r->text[r->len], 0);
	assert_int_equal(r->found, found);
	assert_string_equal(r->source, source);
	assert_non_null(strstr(r->text, "#define LINUX_VERSION_CODE "));
}

/* Loaded as rebuilt after a warning: the generated header, a new file. */
static void expect_rebuilt(struct ember_cache *c,
			   const struct ember_digest *prelude, const char *dir,
			   const char *name, int warned)
{
	struct ember_kernel_config_record r;
	unsigned long before = test_inode(dir, name);

	assert_int_equal(ember__kernel_config_record_load(c, prelude, &r), 0);
	assert_int_equal(warnings, warned);
	expect_generated(&r);
	ember__kernel_config_record_free(&r);
	assert_int_not_equal(test_inode(dir, name), before);
}

static void cached_damaged_and_hostile(void **state)
{
	char dir[] = "/tmp/ember-test-kconfig-XXXXXX", name[256], path[512];
	struct ember_digest prelude = { { 4, 5, 6 } };
	static const char own[] =
		"\001/test/config\0#define CONFIG_EMBER_TEST 1\n";
	static const char *const malformed[] = {
		"\002/test\0x\n", /* found is neither 0 nor 1 */
		"\001/test", /* no NUL at its end */
		"\001/test\0#define A 1\n\0#define B 1\n", /* a NUL inside */
		"\001", /* too short */
	};
	struct ember_kernel_config_record r;
	struct ember_cache c;
	unsigned long ino;
	int fd, warned = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("EMBER_CACHE_DIR", dir, 1);
	assert_int_equal(ember__cache_open(&c, capture, NULL), 0);

	/* generated, then written */
	assert_int_equal(ember__kernel_config_record_load(&c, &prelude, &r), 0);
	assert_int_equal(warnings, 0);
	expect_generated(&r);
	ember__kernel_config_record_free(&r);
	assert_int_equal(
		test_dir_entries(dir, "kernel-config-", name, sizeof(name)), 1);
	ino = test_inode(dir, name);

	/* from the entry, not written again */
	assert_int_equal(ember__kernel_config_record_load(&c, &prelude, &r), 0);
	expect_generated(&r);
	ember__kernel_config_record_free(&r);
	assert_int_equal(test_inode(dir, name), ino);
	assert_int_equal(warnings, 0);

	/* what the entry holds is what is used (not generated again) */
	assert_int_equal(ember__cache_entry_write(&c, name, MAGIC, &prelude,
						  own, sizeof(own)),
			 0);
	assert_int_equal(ember__kernel_config_record_load(&c, &prelude, &r), 0);
	assert_string_equal(r.text, "#define CONFIG_EMBER_TEST 1\n");
	assert_int_equal(r.len, strlen("#define CONFIG_EMBER_TEST 1\n"));
	assert_true(r.found);
	assert_string_equal(r.source, "/test/config");
	ember__kernel_config_record_free(&r);
	assert_int_equal(warnings, 0);

	/* a byte changed: reported, generated, the entry rebuilt */
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\x7f", 1, 20), 1);
	close(fd);
	expect_rebuilt(&c, &prelude, dir, name, ++warned);

	/* whole entries (their SHA-256 right) that are no header */
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		/* [0] with the NUL after its source; [2] all 33 bytes */
		size_t len = i == 2 ? 33 : strlen(malformed[i]) + (i == 0);

		assert_int_equal(ember__cache_entry_write(&c, name, MAGIC,
							  &prelude,
							  malformed[i], len),
				 0);
		expect_rebuilt(&c, &prelude, dir, name, ++warned);
	}

	/* hostile size: larger than any header (sparse), refused unread */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64l << 20), 0);
	close(fd);
	expect_rebuilt(&c, &prelude, dir, name, ++warned);

	/* and used again once rebuilt */
	ino = test_inode(dir, name);
	assert_int_equal(ember__kernel_config_record_load(&c, &prelude, &r), 0);
	expect_generated(&r);
	ember__kernel_config_record_free(&r);
	assert_int_equal(test_inode(dir, name), ino);
	assert_int_equal(warnings, warned);

	ember__cache_close(&c);
	test_remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cached_damaged_and_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
