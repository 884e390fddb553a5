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

#include "compiler/compile_job.h"
#include "compiler/compiled.h"
#include "ember/ember.h"

struct ember_compile_opts {
	const char *name; /* file name shown in diagnostics */
	const char *const *cflags;
	size_t cflags_cnt;
	const char *kernel_headers;
	ember_log_fn log;
	void *log_ctx;
	bool private_compiler; /* never the shared compiler (compiler_client.h) */
	/*
	 * Stop at the rewritten C (out->obj stays NULL), in this process,
	 * with this function (ember__translate, translate.h: only a program
	 * linked with the compiler's objects has it): no compiler process, no
	 * limits, no code generation, no object cache. For the fuzz target
	 * (tests/fuzz): coverage is seen only in the process that runs the
	 * code; and LLVM's BPF backend keeps process-wide state that a second
	 * code generation in one process trips on (a static table of CO-RE
	 * relocation globals, LLVM 14): code generation runs once per copy.
	 */
	int (*rewrite_only)(const struct ember_compile_job *job, bool generate,
			    ember_log_fn log, void *log_ctx,
			    struct ember_compiled *out);
};

/*
 * Compile text. On failure returns a negative errno and ember_errmsg() holds
 * the diagnostics ("NAME:L:C: error: ..." against the caller's text).
 */
int ember__compile(const char *text, const struct ember_compile_opts *opts,
		   struct ember_compiled *out);

#endif
