/* SPDX-License-Identifier: MIT */
/*
 * Which structs and unions the running kernel's BTF has, asked of every
 * struct a program names (compile.c: a record of the kernel's that the text
 * defines again is renamed; one vmlinux lacks comes from a module's BTF).
 * Parsing the 5 MB BTF to answer costs about 10 ms, more than loading a
 * cached program: the names are kept sorted in the cache
 * (btf-records-<prelude digest>.sum, an entry as cache.h says), written
 * once per kernel and library.
 */
#ifndef EMBER_BTF_RECORDS_H
#define EMBER_BTF_RECORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler/cache.h"
#include "compiler/digest.h"

struct ember_btf_records {
	char *buf; /* the names, each followed by a NUL */
	const char **names; /* into buf, sorted */
	size_t cnt;
};

/*
 * Fill r from the entry for prelude in cache, or from the kernel's BTF
 * (then recorded). 0, or -errno with ember_errmsg() (r is then empty: ask
 * ember__btf_has_record). A damaged entry is reported through the cache's
 * log and rebuilt.
 */
int ember__btf_records_load(const struct ember_cache *cache,
			    const struct ember_digest *prelude,
			    struct ember_btf_records *r);
/* Whether the kernel has a struct or union named name: from r when it is
 * loaded, else from the BTF. */
bool ember__btf_records_has(const struct ember_btf_records *r,
			    const char *name);
void ember__btf_records_free(struct ember_btf_records *r);

#endif
