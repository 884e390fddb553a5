/* SPDX-License-Identifier: MIT */
/*
 * Building the precompiled prelude (prelude_pch.h), in the compiler process:
 * the kernel types from BTF, the kernel's config and ember's headers parsed
 * once by clang and written as a PCH.
 */
#ifndef EMBER_PRELUDE_BUILD_H
#define EMBER_PRELUDE_BUILD_H

#include <stddef.h>

/* The kernel types text a PCH was built from goes to the PCH's path with
 * this appended. */
#define EMBER_PRELUDE_TYPES_SUFFIX ".h"

/*
 * That file: the text, a NUL, zeros up to a multiple of 4 bytes, where each
 * line of the text begins (as clang counts lines: the table it would
 * otherwise build by scanning 2-3 MB in each code generation that gives a
 * kernel type debug info), in native unsigned ints, then a footer: the
 * text's length and the number of lines (native uint64_t each) and
 * EMBER_PRELUDE_TYPES_MAGIC.
 */
#define EMBER_PRELUDE_TYPES_MAGIC "EMBTYP01"

struct ember_prelude_types {
	const char *text; /* a NUL after it */
	size_t len;
	const unsigned int *line_starts;
	size_t lines;
};

/* Write the PCH to path with clang's flags args, and the kernel types text
 * it holds to path EMBER_PRELUDE_TYPES_SUFFIX (a new file, laid out as
 * above): compiles serve that header from it (prelude_pch.h). 0, or -errno
 * with clang's diagnostics or the reason in ember_errmsg(). */
int ember__prelude_build(const char *path, const char *const *args,
			 size_t args_cnt);

/* The parts of a kernel types file of size bytes at map, checked to be laid
 * out as above (sizes, terminator, the line starts in order within the
 * text): 0, or -EBADMSG. */
int ember__prelude_types_read(const void *map, size_t size,
			      struct ember_prelude_types *out);

#endif
