/* SPDX-License-Identifier: MIT */
/*
 * What every rewriter shares: the parsed user text and the edit list.
 * A rewriter is one file, one concern (rewrite_<concern>.c); it walks the
 * AST, records edits against the user's text, and reports problems at the
 * user's own line:col.
 */
#ifndef EMBER_REWRITER_H
#define EMBER_REWRITER_H

#include <stdbool.h>
#include <stddef.h>

#include <clang-c/Index.h>

#include "compiler/edits.h"

#include "compiler/compiled.h"

struct ember_rewriter {
	CXTranslationUnit tu;
	CXFile main_file;
	const char *text; /* the user's text */
	size_t len;
	const char *name; /* for diagnostics */
	struct ember_edits edits;
	/* "NAME:L:C: error: ..." lines, newline-separated, malloc'd */
	char *errors;
	size_t error_cnt;
	/* "NAME:L:C: warning: ..." lines: the compile goes on */
	char *warnings;
	struct ember_program_info *progs;
	size_t progs_cnt;
	bool has_license; /* the text declares its own license variable */
	bool license_macro; /* the text #defines BPF_LICENSE, as in BCC */
	/* filled by the tables rewriter */
	struct ember_table_decl *tables;
	size_t tables_cnt;
};

/* Record an error at a cursor's (expansion) location. Returns -EINVAL. */
int ember__rewrite_error(struct ember_rewriter *rw, CXCursor at,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record an error at a byte offset of the user's text. Returns -EINVAL. */
int ember__rewrite_error_at(struct ember_rewriter *rw, size_t offset,
			    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record a warning at a cursor's (expansion) location, or at a byte offset
 * of the user's text. Returns 0 or -ENOMEM. */
int ember__rewrite_warning(struct ember_rewriter *rw, CXCursor at,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ember__rewrite_warning_at(struct ember_rewriter *rw, size_t offset,
			      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append "FILE:L:C: SEVERITY: MSG\n" to the malloc'd list *diags, with
 * the compiler's virtual paths in FILE and MSG said as the user knows them
 * (ember__user_paths). Returns 0 or -ENOMEM. */
int ember__diag_append(char **diags, const char *name, const char *file,
		       unsigned int line, unsigned int col,
		       const char *severity, const char *msg);

/* A malloc'd copy of s with the program text's virtual path replaced by
 * name (the user's name for it) and the virtual include directory's prefix
 * dropped (<ember/bcc_tables.h> is said as ember/bcc_tables.h); NULL when
 * out of memory. */
char *ember__user_paths(const char *s, const char *name);

/* Byte offsets of a cursor's extent in the user's text (expansion
 * locations). Returns false when the cursor is not in the main file. */
bool ember__cursor_offsets(struct ember_rewriter *rw, CXCursor c, size_t *begin,
			   size_t *end);

/* True when the cursor is expanded in the user's text (written there or
 * produced there by a macro). */
bool ember__cursor_in_main(struct ember_rewriter *rw, CXCursor c);

/* True when the cursor's text comes from a macro expansion. */
bool ember__cursor_in_macro(CXCursor c);

/*
 * The rewriters, run in this order by the compiler. Each returns 0, -EINVAL
 * after recording user errors (ember__rewrite_error*), or another negative
 * errno. Rules that let them compose on one edit list: never add a newline;
 * replace only the tokens a rewrite changes (a call's name and parenthesis,
 * a macro invocation) and leave argument text alone, so that other
 * rewriters' edits inside the arguments still apply; wrap an expression
 * with two insertions (before and after) rather than replacing it.
 */
int ember__rewrite_calls(struct ember_rewriter *rw);
int ember__rewrite_probe_sections(struct ember_rewriter *rw);
/* Part of the above: typed parameters after ctx of probe function fn. */
int ember__rewrite_probe_params(struct ember_rewriter *rw, CXCursor fn,
				const char *name);
int ember__rewrite_tables(struct ember_rewriter *rw);
int ember__rewrite_inline(struct ember_rewriter *rw);
int ember__rewrite_packet_fields(struct ember_rewriter *rw);
int ember__rewrite_kernel_reads(struct ember_rewriter *rw);
int ember__rewrite_trace_printk(struct ember_rewriter *rw);

#endif
