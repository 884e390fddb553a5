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

/* Write the PCH to path with clang's flags args, and the kernel types text
 * it holds, with a NUL after it, to path EMBER_PRELUDE_TYPES_SUFFIX (a new
 * file): compiles serve that header from it (prelude_pch.h). 0, or -errno
 * with clang's diagnostics or the reason in ember_errmsg(). */
int ember__prelude_build(const char *path, const char *const *args,
			 size_t args_cnt);

#endif
