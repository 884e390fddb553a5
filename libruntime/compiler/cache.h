/* SPDX-License-Identifier: MIT */
/*
 * ember's on-disk cache: where it lives, how its keys are hashed, how files
 * get into it (whole or not at all) and how it is kept small.
 * Location: $EMBER_CACHE_DIR, else $XDG_CACHE_HOME/ember, else
 * ~/.cache/ember (created 0700).
 */
#ifndef EMBER_CACHE_H
#define EMBER_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define EMBER_HASH_INIT 0xcbf29ce484222325ULL

/* FNV-1a: h continued over data. */
uint64_t ember__hash(uint64_t h, const void *data, size_t len);

/* The cache directory, created if needed; 0 or -errno. */
int ember__cache_dir(char *buf, size_t len);

/* Write dir/name from data through a temporary file and rename(), so a
 * reader never sees half a file and a crash leaves none behind. */
int ember__cache_write(const char *dir, const char *name, const void *data,
		       size_t len);

/* Keep the newest `keep` files named prefix*suffix in dir; remove the rest. */
void ember__cache_prune(const char *dir, const char *prefix, const char *suffix,
			size_t keep);

#endif
