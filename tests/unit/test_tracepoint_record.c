// SPDX-License-Identifier: MIT
/*
 * Tracepoint formats kept in the cache for the boot
 * (compiler/tracepoint_record.h): the format tracefs gives, then the
 * entry's once written; a damaged, malformed or oversized entry reported,
 * not used, and read again. (An event made again with another format:
 * tests/kernel/test_tracepoint_record.c.)
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "compiler/cache.h"
#include "compiler/tracepoint_record.h"
#include "kernel/tracepoint_format.h"
#include "test_support.h"

#define MAGIC "EMBTPF01"
#define CAT "syscalls"
#define EV "sys_enter_openat"

static int warnings;

static void capture(enum ember_log_level level, const char *msg, void *ctx)
{
	(void)msg, (void)ctx;
	if (level == EMBER_LOG_WARN)
		warnings++;
}

/* What the cache gives is what tracefs has. */
static void expect_format(struct ember_cache *c, int warned)
{
	char *format, *want;

	assert_int_equal(
		ember__tracepoint_format_cached(c, NULL, CAT, EV, &format), 0);
	assert_int_equal(ember__tracepoint_format(CAT, EV, &want), 0);
	assert_string_equal(format, want);
	assert_non_null(strstr(format, "name: " EV "\n"));
	assert_int_equal(warnings, warned);
	free(format);
	free(want);
}

/* The inputs' digest an entry carries (after its magic). */
static void key_of(const char *path, struct ember_digest *key)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, key->bytes, sizeof(key->bytes), 8),
			 sizeof(key->bytes));
	close(fd);
}

static void cached_damaged_and_hostile(void **state)
{
	char dir[] = "/tmp/ember-test-tpformat-XXXXXX", name[256], path[512];
	static const char own[] = "name: " EV "\nID: 1\nformat:\n"
				  "\tfield:int ember_own;\toffset:8;\tsize:4;"
				  "\tsigned:1;\n";
	static const struct {
		const char *bytes;
		size_t len;
	} malformed[] = {
		{ "name: x\n", 8 }, /* no NUL at its end */
		{ "name: x\n\0format:\n", 18 }, /* a NUL inside */
		{ "", 0 }, /* empty */
	};
	struct ember_digest key;
	struct ember_cache c;
	char *format;
	unsigned long ino;
	int fd, warned = 0;

	(void)state;
	if (ember__tracepoint_format(CAT, EV, &format) ||
	    !strstr(format, "ID:"))
		test_skip("tracefs cannot be read here (root's)");
	free(format);
	assert_non_null(mkdtemp(dir));
	setenv("EMBER_CACHE_DIR", dir, 1);
	assert_int_equal(ember__cache_open(&c, capture, NULL), 0);

	/* read from tracefs, then written */
	expect_format(&c, 0);
	assert_int_equal(
		test_dir_entries(dir, "tracepoint-", name, sizeof(name)), 1);
	ino = test_inode(dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	key_of(path, &key);

	/* from the entry, not written again */
	expect_format(&c, 0);
	assert_int_equal(test_inode(dir, name), ino);

	/* what the entry holds is what is used (tracefs not read) */
	assert_int_equal(ember__cache_entry_write(&c, name, MAGIC, &key, own,
						  sizeof(own)),
			 0);
	assert_int_equal(
		ember__tracepoint_format_cached(&c, NULL, CAT, EV, &format), 0);
	assert_string_equal(format, own);
	free(format);
	assert_int_equal(warnings, 0);

	/* a byte changed: reported, read again, the entry rebuilt */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\x01", 1, 50), 1);
	close(fd);
	ino = test_inode(dir, name);
	expect_format(&c, ++warned);
	assert_int_not_equal(test_inode(dir, name), ino);

	/* whole entries (their SHA-256 right) that are no format text */
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		assert_int_equal(ember__cache_entry_write(&c, name, MAGIC, &key,
							  malformed[i].bytes,
							  malformed[i].len),
				 0);
		ino = test_inode(dir, name);
		expect_format(&c, ++warned);
		assert_int_not_equal(test_inode(dir, name), ino);
	}

	/* hostile size: more than any format (sparse), refused unread */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8l << 20), 0);
	close(fd);
	ino = test_inode(dir, name);
	expect_format(&c, ++warned);
	assert_int_not_equal(test_inode(dir, name), ino);

	/* another event, another entry */
	assert_int_equal(ember__tracepoint_format_cached(
				 &c, NULL, CAT, "sys_exit_openat", &format),
			 0);
	assert_non_null(strstr(format, "name: sys_exit_openat\n"));
	free(format);
	assert_int_equal(
		test_dir_entries(dir, "tracepoint-", name, sizeof(name)), 2);
	assert_int_equal(warnings, warned);

	ember__cache_close(&c);
	test_remove_tree(dir);
}

/*
 * Where tracefs is root's, the format written from the BTF is kept too
 * (under the prelude's digest): as nobody, in a child, the entry is
 * written, then used.
 */
static void unprivileged_from_btf(void **state)
{
	char dir[] = "/tmp/ember-test-tpbtf-XXXXXX";
	static const char own[] = "name: sched_switch\nID: 0\nformat:\n"
				  "\tfield:int ember_own;\toffset:8;\tsize:4;"
				  "\tsigned:1;\n";
	struct ember_digest prelude = { { 7, 8, 9 } };
	int status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		test_skip("needs root, to become nobody");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chown(dir, 65534, 65534), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ember_cache c;
		struct ember_digest key;
		char name[256], path[512], *format, *want;

		warnings = 0;
		if (setgid(65534) || setuid(65534))
			_exit(10);
		setenv("EMBER_CACHE_DIR", dir, 1);
		if (ember__cache_open(&c, capture, NULL))
			_exit(11);
		/* tracefs is root's: the format comes from the BTF */
		if (ember__tracepoint_format(CAT, EV, &format) == 0 &&
		    !strstr(format, "ID: 0\n"))
			_exit(12);
		free(format);
		if (ember__tracepoint_format_cached(&c, &prelude, "sched",
						    "sched_switch", &format) ||
		    ember__tracepoint_format("sched", "sched_switch", &want) ||
		    strcmp(format, want))
			_exit(13);
		free(format);
		free(want);
		if (test_dir_entries(dir, "tracepoint-", name, sizeof(name)) !=
		    1)
			_exit(14);
		/* the entry is what is used */
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		key_of(path, &key);
		if (ember__cache_entry_write(&c, name, MAGIC, &key, own,
					     sizeof(own)) ||
		    ember__tracepoint_format_cached(&c, &prelude, "sched",
						    "sched_switch", &format) ||
		    strcmp(format, own) || warnings)
			_exit(15);
		free(format);
		ember__cache_close(&c);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	test_remove_tree(dir);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cached_damaged_and_hostile),
		cmocka_unit_test(unprivileged_from_btf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
