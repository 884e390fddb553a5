/* SPDX-License-Identifier: MIT */
/*
 * Limits on what a compile reads: the program text and the files it
 * includes from disk.
 *
 * The text may be EMBER_TEXT_MAX_BYTES long and an included file
 * EMBER_INCLUDE_MAX_BYTES; only regular files can be included (a device,
 * a FIFO or a socket would be read without end or block). The #include
 * lines of the text itself are checked before the parse reads anything, and
 * what the parse did include (headers included by headers, names built by
 * macros) after it, each reported at the user's #include line:col. Whatever
 * slips between the two (a file swapped under its name) is bounded by the
 * limits of the isolated compile (isolation.h).
 */
#ifndef EMBER_INCLUDE_CHECK_H
#define EMBER_INCLUDE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "compiler/source_scan.h"

#define EMBER_TEXT_MAX_BYTES (4u << 20)
#define EMBER_INCLUDE_MAX_BYTES (16u << 20)
/* Functions that become programs (each loaded on its own). */
#define EMBER_PROGRAMS_MAX 4096

/* -EFBIG with ember_errmsg() set when the text is over the limit. */
int ember__check_text_size(const char *name, size_t len);

/* Where the parse looks for includes on disk: the -I, -iquote, -isystem and
 * -idirafter directories of two argument lists (a header tree's, the
 * caller's cflags), and clang's own headers. Headers served from memory
 * come first: is_virtual(ctx, "linux/sched.h") says whether one is. */
struct ember_include_search {
	const char *const *args[2];
	size_t args_cnt[2];
	bool (*is_virtual)(const void *ctx, const char *rel);
	const void *ctx;
};

/*
 * Check the files the text's #include lines name on disk. Returns 0, or
 * -EINVAL with "NAME:L:C: error: ..." in ember_errmsg() for the first one
 * that is not a regular file or is over the size limit.
 */
int ember__check_includes(const char *name, const char *text, size_t len,
			  const struct ember_source_scan *scan,
			  const struct ember_include_search *search);

/* One included file at path (st: its stat), named inc in the text, whose
 * #include is at byte off of text: 0, or -EINVAL with "NAME:L:C: error:"
 * when it is not a regular file or is too big. */
int ember__check_include_file(const char *name, const char *text, size_t len,
			      size_t off, const char *inc, const char *path,
			      const struct stat *st);

#endif
