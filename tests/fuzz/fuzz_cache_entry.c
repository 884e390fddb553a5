// SPDX-License-Identifier: MIT
/*
 * The object cache's reader. The first byte picks what the rest is:
 *   even: an entry file as found in the cache directory (magic, inputs'
 *         digest, payload, SHA-256), read by ember__cache_entry_read;
 *   odd:  a payload, as a well-formed entry carries it (what a cache
 *         written by a buggy or older ember could hold), through
 *         ember__object_cache_load and so ember__compiled_unpack.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/cache.h"
#include "compiler/compiled.h"
#include "compiler/digest.h"
#include "compiler/object_cache.h"
#include "fuzz_support.h"

static struct ember_cache cache = { .dirfd = -1 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ember_fuzz_environment();
	if (ember__cache_open(&cache, NULL, NULL))
		abort();
	return 0;
}

static void check(const struct ember_compiled *c)
{
	size_t i;

	if (c->rewritten && strlen(c->rewritten) > c->rewritten_len)
		abort();
	for (i = 0; i < c->progs_cnt; i++)
		if (!c->progs[i].name || !c->progs[i].section)
			abort();
	for (i = 0; i < c->tables_cnt; i++)
		if (!c->tables[i].name || !c->tables[i].kind)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ember_digest key = { { 0 } };
	struct ember_compiled c;
	char name[80], hex[EMBER_DIGEST_HEX_LEN];
	void *payload;
	size_t len;
	int fd;

	if (!size)
		return 0;
	if (!(data[0] & 1)) {
		fd = openat(cache.dirfd, "fuzz-entry.bin",
			    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			abort();
		if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
			abort();
		close(fd);
		/* the inputs' digest the input itself claims, when it has one */
		if (size > 1 + 8 + EMBER_DIGEST_LEN)
			memcpy(key.bytes, data + 9, EMBER_DIGEST_LEN);
		if (!ember__cache_entry_read(&cache, "fuzz-entry.bin",
					     EMBER_OBJECT_CACHE_MAGIC, &key,
					     1u << 20, &payload, &len))
			free(payload);
		return 0;
	}
	ember__digest(data, size, &key);
	/* where ember__object_cache_load looks for this key */
	ember__digest_hex(&key, hex);
	snprintf(name, sizeof(name), "obj-%s.bin", hex);
	if (ember__cache_entry_write(&cache, name, EMBER_OBJECT_CACHE_MAGIC,
				     &key, data + 1, size - 1))
		abort();
	if (!ember__object_cache_load(&cache, &key, &c)) {
		check(&c);
		ember__compiled_free(&c);
	}
	ember__cache_remove(&cache, name);
	return 0;
}
