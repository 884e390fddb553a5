// SPDX-License-Identifier: MIT
#include "compiler/object_cache.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Small files, but many programs: keep the most recent ones. */
#define OBJECTS_KEEP 256
/*
 * Pruning reads the whole directory and, over the bound, stats every entry:
 * 0.15 ms with a full cache, more than writing the entry. One store in
 * PRUNE_EVERY does it, chosen by the entry's key (a digest, so uniform):
 * in the long run the cache holds OBJECTS_KEEP objects and the few stored
 * since the last prune (PRUNE_EVERY on average).
 */
#define PRUNE_EVERY 16
/* Far above any object (a 10 MB program text gives a ~20 MB entry). */
#define ENTRY_MAX (256u << 20)
#define NAME_LEN (sizeof("obj-.bin") + 2 * EMBER_DIGEST_LEN)

static void entry_name(const struct ember_digest *key, char name[NAME_LEN])
{
	char hex[EMBER_DIGEST_HEX_LEN];

	ember__digest_hex(key, hex);
	snprintf(name, NAME_LEN, "obj-%s.bin", hex);
}

void ember__object_cache_store(const struct ember_cache *cache,
			       const struct ember_digest *key,
			       const struct ember_compiled *c)
{
	char name[NAME_LEN], *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (cache->dirfd < 0 || !c->rewritten)
		return;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	ember__compiled_pack(c, f);
	if (fclose(f) == 0) {
		entry_name(key, name);
		if (!ember__cache_entry_write(cache, name,
					      EMBER_OBJECT_CACHE_MAGIC, key,
					      buf, len) &&
		    key->bytes[0] % PRUNE_EVERY == 0)
			ember__cache_prune(cache, "obj-", ".bin", OBJECTS_KEEP);
	}
	free(buf);
}

int ember__object_cache_load(const struct ember_cache *cache,
			     const struct ember_digest *key,
			     struct ember_compiled *out)
{
	char name[NAME_LEN];
	void *buf;
	size_t len;
	int err;

	memset(out, 0, sizeof(*out));
	if (cache->dirfd < 0)
		return -ENOENT;
	entry_name(key, name);
	err = ember__cache_entry_read(cache, name, EMBER_OBJECT_CACHE_MAGIC,
				      key, ENTRY_MAX, &buf, &len);
	if (!err) {
		err = ember__compiled_unpack(buf, len, out) ? -EBADMSG : 0;
		if (err)
			ember__error(EBADMSG, "%s/%s does not parse",
				     cache->path, name);
		free(buf);
	}
	if (err && err != -ENOENT) {
		ember__cache_refused(cache);
		err = -ENOENT;
	}
	return err;
}
