/* SPDX-License-Identifier: MIT */
/*
 * Running code generation so that it can run more than once per process.
 *
 * LLVM's BPF backend keeps one process-wide table of CO-RE relocation
 * globals (BPFAbstractMemberAccess::GEPGlobals, a static std::map that is
 * never cleared). After a compile that used CO-RE relocations the table
 * points into a freed module, and the next compile that relocates the same
 * field crashes inside LLVM (seen with LLVM 14; the table is still static in
 * LLVM's current sources). So code generation runs in a forked copy of the
 * process (no exec, no files): the copy compiles, sends the object and
 * diagnostics back through a pipe and exits, and the parent's LLVM state
 * never sees a BPF compile. A fork costs about a millisecond here.
 */
#ifndef EMBER_CODEGEN_ISOLATION_H
#define EMBER_CODEGEN_ISOLATION_H

#include "compiler/codegen.h"

/* ember__codegen_bpf() with the isolation described above. */
int ember__codegen_bpf_isolated(const struct ember_codegen_input *in,
				void **obj, size_t *obj_len, char **diags);

#endif
