/* SPDX-License-Identifier: MIT */
/*
 * BPF code generation: clang's CompilerInstance turns the rewritten text into
 * a BPF ELF object in memory (with BTF and line info). The only C++ in ember
 * lives behind this header.
 */
#ifndef EMBER_CODEGEN_H
#define EMBER_CODEGEN_H

#include <stddef.h>

#include "compiler/virtual_files.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where each line of a file begins, as clang counts lines. */
struct ember_codegen_lines {
	const char *path; /* one of the files */
	const unsigned int *starts; /* ascending, the first 0 */
	size_t cnt;
};

struct ember_codegen_input {
	const char *main_path; /* absolute virtual path of the main file */
	const char *main_text;
	size_t main_len;
	const struct ember_virtual_file *files; /* absolute paths */
	size_t files_cnt;
	const char *const *args; /* extra cc1 args: -I, -D, -W... */
	size_t args_cnt;
	/* NULL: parse and generate code for the bpf target. Otherwise a host
	 * triple ("x86_64-unknown-linux-gnu"): the text is parsed for that
	 * target, as BCC and the kernel's samples do with real kernel headers
	 * (their inline asm only validates against the host's constraints),
	 * and its IR is then retargeted to bpf and compiled by the BPF
	 * backend. ember__codegen_bpf() only. */
	const char *host_triple;
	/* Optional: clang then need not scan that file for its lines (it
	 * does for each location turned into a line, such as every kernel
	 * type's in debug info). Must be ember__codegen_line_starts() of its
	 * text. */
	const struct ember_codegen_lines *lines;
};

/*
 * Where each line of text (len bytes) begins, as clang counts lines: into
 * *starts (malloc'd) and *cnt. 0 or -ENOMEM.
 */
int ember__codegen_line_starts(const char *text, size_t len,
			       unsigned int **starts, size_t *cnt);

/* Initialise LLVM's BPF target now rather than at the first compile (each
 * compile does it once otherwise). */
void ember__codegen_prepare(void);

/*
 * Compile to a BPF ELF object. On success *obj (malloc'd) and *obj_len are
 * set. *diags receives clang's diagnostics text (malloc'd, possibly empty)
 * either way. Returns 0, -EINVAL on compile errors, -ENOMEM. What clang
 * leaves of the compile (its AST, module and contexts) is not freed until
 * the next compile or ember__codegen_release(): a process that exits after
 * it need not spend the time.
 */
int ember__codegen_bpf(const struct ember_codegen_input *in, void **obj,
		       size_t *obj_len, char **diags);

/* Free what the last compile left. */
void ember__codegen_release(void);

/*
 * Precompile in->main_text (a header) into a PCH file at path, written
 * atomically (temporary file, then rename). Returns 0 or -EINVAL with the
 * reason in *diags (malloc'd).
 */
int ember__codegen_pch(const struct ember_codegen_input *in, const char *path,
		       char **diags);

#ifdef __cplusplus
}
#endif

#endif
