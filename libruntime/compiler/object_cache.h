/* SPDX-License-Identifier: MIT */
/*
 * Compiled objects by content: the same text, flags and tracepoint formats
 * under the same precompiled prelude (which already stands for the kernel's
 * BTF, the prelude headers, clang and this library) give the same object, so
 * a second run skips parsing and code generation altogether.
 */
#ifndef EMBER_OBJECT_CACHE_H
#define EMBER_OBJECT_CACHE_H

#include <stdint.h>

#include "compiler/compile.h"

/* Fill out from the cache entry for key: 0, or -ENOENT on a miss. */
int ember__object_cache_load(uint64_t key, struct ember_compiled *out);

/* Best effort: a failure to store only costs the next compile time. */
void ember__object_cache_store(uint64_t key, const struct ember_compiled *c);

#endif
