/* SPDX-License-Identifier: MIT */
/*
 * The precompiled prelude: kernel types (2-3 MB of C from BTF), libbpf's
 * helper headers and ember's BCC vocabulary parsed once and saved as a clang
 * PCH in the user's cache directory. Both the parse and the code generation
 * load it instead of re-reading the text: this is most of ember's speed.
 *
 * Cache: $EMBER_CACHE_DIR, else $XDG_CACHE_HOME/ember, else ~/.cache/ember.
 * The file name carries a hash of everything the PCH depends on (the
 * kernel's BTF bytes, the prelude headers, the flags, clang's and ember's
 * versions), so a new kernel or library never meets a stale PCH.
 */
#ifndef EMBER_PRELUDE_PCH_H
#define EMBER_PRELUDE_PCH_H

#include <stddef.h>

#include "ember/ember.h"

/*
 * Find or build the PCH for cc1 flags args (the flags the consumers pass too).
 * *path receives a malloc'd path. Errors (no cache directory, build failed)
 * are returned as negative errno with the reason in ember_errmsg(); callers
 * fall back to parsing the prelude as text.
 */
int ember__prelude_pch(const char *const *args, size_t args_cnt, char **path,
		       ember_log_fn log, void *log_ctx);

#endif
