/* SPDX-License-Identifier: MIT */
#ifndef EMBER_COMPILER_OBJECT_CALLS_H
#define EMBER_COMPILER_OBJECT_CALLS_H

#include <stddef.h>

#include "compiler/rewriter.h"

/*
 * The first indirect call (BPF_CALLX) in the generated BPF object obj of
 * len bytes, said as an error at the user's line:col of rw's text (from the
 * object's line info; without a line when it has none). Returns 0 when there
 * is none (or the object is not one this can read: the loader says why), or
 * -EINVAL with the error message set.
 */
int ember__check_object_calls(const struct ember_rewriter *rw, const void *obj,
			      size_t len);

#endif
