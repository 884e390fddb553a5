/* SPDX-License-Identifier: MIT */
/*
 * The precompiled prelude: kernel types (2-3 MB of C from BTF), libbpf's
 * helper headers and ember's BCC vocabulary parsed once and saved as a clang
 * PCH in the cache (compiler/cache.h). Both the parse and the code
 * generation load it instead of re-reading the text: this is most of
 * ember's speed.
 *
 * In the cache: prelude-<digest>.pch as clang wrote it; prelude-<digest>.h,
 * the kernel types text it was built from (ember/kernel_types.h, 2-3 MB,
 * then where each of its lines begins: prelude_build.h); and
 * prelude-<digest>.sum, an entry recording both files' sizes and SHA-256. clang keeps the text of the headers it was
 * given from memory zlib-compressed inside the PCH and inflates a file's
 * text whenever any location in it is looked at (nearly every compile);
 * a compile that serves kernel_types.h itself, from this file mapped,
 * never inflates it.
 * <digest> covers everything the PCH depends on (the kernel's BTF bytes,
 * the prelude headers, the flags, clang's and ember's versions, this
 * library's build), so a new kernel or library never meets a stale PCH.
 *
 * clang loads the PCH itself, by path. So the file is opened once, checked
 * and hashed through that fd, and clang is given /proc/self/fd/N: the very
 * file that was checked, whatever is renamed over its name meanwhile (only
 * this uid could change the file itself, and that changes its ctime, which
 * makes the next compile hash it again). Hashing 18 MB costs more than
 * parsing a small program, so a check is remembered, by the files'
 * identity (device, inode, size, mtime and ctime, which user space cannot
 * set): in the process, and for the next processes in the cache
 * (pch-checked-<key>.sum, key = the inputs and both identities). A damaged
 * or missing record only means hashing again.
 */
#ifndef EMBER_PRELUDE_PCH_H
#define EMBER_PRELUDE_PCH_H

#include <stddef.h>

#include "compiler/cache.h"
#include "compiler/digest.h"

/*
 * The digest of everything a PCH built with cc1 flags args depends on
 * (cache, which may be NULL, remembers the kernel BTF's part for the boot).
 * 0, or -errno with the reason in ember_errmsg() (no kernel BTF, say).
 */
int ember__prelude_digest(const struct ember_cache *cache,
			  const char *const *args, size_t args_cnt,
			  struct ember_digest *out);

struct ember_pch {
	int fd; /* the checked file, open while it is used; -1: none */
	char path[40]; /* /proc/self/fd/N, what clang is given */
	/* the checked kernel types text (prelude-<digest>.h) beside it */
	int types_fd;
	char types_path[40];
};

/*
 * Find and check, or else build, the PCH for inputs (the digest above of
 * args) in cache. 0 with pch filled (release with ember__prelude_pch_close);
 * or -errno with the reason in ember_errmsg(): callers then parse the
 * prelude as text. Two processes asking at once for a PCH not built yet
 * both get it (one builds it, the other waits and uses it).
 */
int ember__prelude_pch(const struct ember_cache *cache,
		       const struct ember_digest *inputs,
		       const char *const *args, size_t args_cnt,
		       struct ember_pch *pch);
void ember__prelude_pch_close(struct ember_pch *pch);

#endif
