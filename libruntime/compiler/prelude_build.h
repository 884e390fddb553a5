/* SPDX-License-Identifier: MIT */
/*
 * Building the precompiled prelude (prelude_pch.h), in the compiler process:
 * the kernel types from BTF, the kernel's config and ember's headers parsed
 * once by clang and written as a PCH.
 */
#ifndef EMBER_PRELUDE_BUILD_H
#define EMBER_PRELUDE_BUILD_H

#include <stddef.h>

/* Write the PCH to path with clang's flags args. 0, or -errno with clang's
 * diagnostics in ember_errmsg(). */
int ember__prelude_build(const char *path, const char *const *args,
			 size_t args_cnt);

#endif
