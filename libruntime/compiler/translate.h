/* SPDX-License-Identifier: MIT */
/*
 * The part of a compile that needs libclang and LLVM, in the compiler
 * process (compiler_client.h): parse the prepared text, run the rewriters,
 * apply their edits, generate the BPF object.
 */
#ifndef EMBER_TRANSLATE_H
#define EMBER_TRANSLATE_H

#include <stdbool.h>

#include "compiler/compile_job.h"
#include "compiler/compiled.h"
#include "ember/ember.h"

/*
 * What every translation of this process shares, made once before the
 * compiler forks its copies (compiler_server.c): libclang's index, whose
 * creation initialises all of LLVM's targets (about 3 ms of each copy's
 * compile otherwise), and the BPF target; libclang's crash recovery is
 * left off. Optional: a translation without it makes its own index. Not
 * thread-safe: call before any translation.
 */
void ember__translate_prepare(void);

/* Free what the last translation left for the process's exit (see
 * ember__codegen_bpf()), for a process that goes on. */
void ember__translate_release(void);

/*
 * Translate job into out (without generate: stop at the rewritten C, no
 * object). 0, or -errno with the diagnostics ("NAME:L:C: error: ...")
 * in ember_errmsg(); warnings of a failed translation go to log.
 */
int ember__translate(const struct ember_compile_job *job, bool generate,
		     ember_log_fn log, void *log_ctx,
		     struct ember_compiled *out);

#endif
