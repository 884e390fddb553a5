/* SPDX-License-Identifier: MIT */
/*
 * The compiler stage as a whole: BCC-style text in, BPF ELF object out.
 *   scan → virtual headers (kernel types, tracepoint args) → parse (libclang)
 *   → rewriters → edits applied → codegen (clang) → object
 */
#ifndef EMBER_COMPILE_H
#define EMBER_COMPILE_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler/compiled.h"
#include "compiler/rewriter.h"
#include "ember/ember.h"

struct ember_compile_opts {
	const char *name; /* file name shown in diagnostics */
	const char *const *cflags;
	size_t cflags_cnt;
	const char *kernel_headers;
	ember_log_fn log;
	void *log_ctx;
	/*
	 * Stop at the rewritten C (out->obj stays NULL), in this process: no
	 * forked copy, no limits, no code generation, no object cache. For
	 * the fuzz target (tests/fuzz): coverage is seen only in the process
	 * that runs the code, and LLVM's BPF backend must not run twice in
	 * one process (isolation.h says why).
	 */
	bool rewrite_only;
};

/*
 * Compile text. On failure returns a negative errno and ember_errmsg() holds
 * the diagnostics ("NAME:L:C: error: ..." against the caller's text).
 */
int ember__compile(const char *text, const struct ember_compile_opts *opts,
		   struct ember_compiled *out);

#endif
