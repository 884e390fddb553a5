/* SPDX-License-Identifier: MIT */
/* The include check after the parse (include_check.h), in the compiler. */
#ifndef EMBER_INCLUDE_CHECK_PARSED_H
#define EMBER_INCLUDE_CHECK_PARSED_H

#include <stddef.h>

#include <clang-c/Index.h>

/* The same for every file the parse of tu included from disk, reported at
 * the user's #include that brought it in. */
int ember__check_inclusions(CXTranslationUnit tu, const char *main_path,
			    const char *name, const char *text, size_t len);

#endif
