/* SPDX-License-Identifier: MIT */
/*
 * Compiled objects by content: the same text, name, flags and tracepoint
 * formats under the same prelude (whose digest stands for the kernel's BTF,
 * the prelude headers, clang and this library) give the same object, so a
 * second run skips parsing and code generation altogether. Entries live in
 * the cache (compiler/cache.h) and are checked against key, the digest of
 * all those inputs, before anything in them is used.
 */
#ifndef EMBER_OBJECT_CACHE_H
#define EMBER_OBJECT_CACHE_H

#include "compiler/cache.h"
#include "compiler/compiled.h"
#include "compiler/digest.h"

/* The entries' magic: a new layout of ember_compiled bytes bumps it. */
#define EMBER_OBJECT_CACHE_MAGIC "EMBOBJ04"

/*
 * Fill out from the entry for key: 0, or -ENOENT on a miss. An entry that is
 * present but refused (damaged, foreign, another uid's...) is a miss too, and
 * is reported through the cache's log.
 */
int ember__object_cache_load(const struct ember_cache *cache,
			     const struct ember_digest *key,
			     struct ember_compiled *out);

/* Best effort: a failure to store only costs the next compile time. */
void ember__object_cache_store(const struct ember_cache *cache,
			       const struct ember_digest *key,
			       const struct ember_compiled *c);

#endif
