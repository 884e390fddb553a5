/* SPDX-License-Identifier: MIT */
/*
 * The kernel config header (kernel/kernel_config.h) of a new compile, kept
 * in the cache: generating it inflates /proc/config.gz and prints a
 * thousand #defines, about 0.7 ms of the host's share of every new text.
 * The entry (kernel-config-<prelude digest>.sum, an entry as cache.h says)
 * is keyed by the prelude's digest, which holds the config files' bytes as
 * stored, the release, the page size and this library's build: what the
 * header is made of and what makes it.
 */
#ifndef EMBER_KERNEL_CONFIG_RECORD_H
#define EMBER_KERNEL_CONFIG_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler/cache.h"
#include "compiler/digest.h"

struct ember_kernel_config_record {
	char *buf; /* the payload: text and source point into it */
	const char *text; /* NUL-terminated, len bytes before the NUL */
	size_t len;
	bool found; /* a kernel config was read (kernel_config.h) */
	const char *source; /* where from, or the places tried */
};

/*
 * Fill r from the entry for prelude in cache, or generate the header (then
 * recorded). 0 or -ENOMEM with ember_errmsg(). A damaged entry is reported
 * through the cache's log and rebuilt.
 */
int ember__kernel_config_record_load(const struct ember_cache *cache,
				     const struct ember_digest *prelude,
				     struct ember_kernel_config_record *r);
void ember__kernel_config_record_free(struct ember_kernel_config_record *r);

#endif
