// SPDX-License-Identifier: MIT
/*
 * The kernel BTF's digest remembered for the boot (vmlinux_digest.h): the
 * same as hashing the file, one entry written and what the next call
 * reads, a damaged entry refused and replaced, and without a cache the
 * file hashed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "compiler/cache.h"
#include "compiler/vmlinux_digest.h"
#include "kernel/btf_header.h"
#include "test_support.h"

static char dir[] = "/tmp/ember-vmlinux-digest-XXXXXX";

/* The one entry of the cache directory (asserts there is exactly one). */
static void only_entry(char *name, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(name, len, "%s", e->d_name);
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);
}

static void hashed(struct ember_digest *d)
{
	int fd = open(EMBER_VMLINUX_BTF, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ember__digest_fd(fd, 1ul << 28, d), 0);
	close(fd);
}

static void remembered_for_the_boot(void **state)
{
	struct ember_cache c;
	struct ember_digest want, got, forged;
	char name[256], path[512];
	long size;
	FILE *f;

	(void)state;
	if (access(EMBER_VMLINUX_BTF, R_OK))
		test_skip("no " EMBER_VMLINUX_BTF);
	hashed(&want);
	assert_non_null(mkdtemp(dir));
	setenv("EMBER_CACHE_DIR", dir, 1);
	assert_int_equal(ember__cache_open(&c, NULL, NULL), 0);

	/* first: hashed, and remembered in one entry */
	assert_int_equal(ember__vmlinux_btf_digest(&c, &got), 0);
	assert_memory_equal(got.bytes, want.bytes, sizeof(want.bytes));
	only_entry(name, sizeof(name));
	assert_int_equal(strncmp(name, "vmlinux-btf-", 12), 0);

	/* then: read from the entry, which is what the next process uses
	 * (an entry of the same name and key saying otherwise is believed,
	 * as every cache entry is: only its owner can write it) */
	memset(forged.bytes, 0x5a, sizeof(forged.bytes));
	{
		void *payload;
		size_t len;
		struct ember_digest key;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fseek(f, 8, SEEK_SET), 0);
		assert_int_equal(fread(key.bytes, 1, sizeof(key.bytes), f),
				 sizeof(key.bytes));
		fclose(f);
		assert_int_equal(ember__cache_entry_read(&c, name, "EMBBTF01",
							 &key, 4096, &payload,
							 &len),
				 0);
		assert_int_equal(len, sizeof(want.bytes));
		free(payload);
		assert_int_equal(ember__cache_entry_write(&c, name, "EMBBTF01",
							  &key, forged.bytes,
							  sizeof(forged.bytes)),
				 0);
	}
	assert_int_equal(ember__vmlinux_btf_digest(&c, &got), 0);
	assert_memory_equal(got.bytes, forged.bytes, sizeof(forged.bytes));

	/* a damaged entry: refused, the file hashed, the entry replaced */
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_int_equal(fseek(f, size / 2, SEEK_SET), 0);
	fputc(0xff ^ 0x5a, f);
	fclose(f);
	assert_int_equal(ember__vmlinux_btf_digest(&c, &got), 0);
	assert_memory_equal(got.bytes, want.bytes, sizeof(want.bytes));
	assert_int_equal(ember__vmlinux_btf_digest(&c, &got), 0);
	assert_memory_equal(got.bytes, want.bytes, sizeof(want.bytes));
	only_entry(name, sizeof(name));

	/* no cache: hashed */
	ember__cache_close(&c);
	assert_int_equal(ember__vmlinux_btf_digest(NULL, &got), 0);
	assert_memory_equal(got.bytes, want.bytes, sizeof(want.bytes));
	test_remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(remembered_for_the_boot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
