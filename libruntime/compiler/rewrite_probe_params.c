// SPDX-License-Identifier: MIT
/*
 * Typed probe parameters, as BCC allows:
 *   int kprobe__blk_start_request(struct pt_regs *ctx, struct request *req)
 *   int syscall__execve(struct pt_regs *ctx, const char __user *filename)
 * A BPF program takes only its context, so the extra parameters become
 * locals read from the argument registers on entry:
 *   int kprobe__blk_start_request(struct pt_regs *ctx) { struct request *req = (struct request *)PT_REGS_PARM1(ctx); ...
 * System call probes read the system call's own arguments (on x86 those sit
 * in the pt_regs the syscall wrapper receives, or in the syscall tracepoint's
 * record when ember runs the probe there; see prelude/syscall_ctx.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/rewriter.h"

/* argument registers: libbpf's macros give five on every arch; x86-64 has
 * a sixth (r9, prelude/syscall_ctx.h), as BCC reads it */
#if defined(__x86_64__)
#define MAX_PARAMS 6
#else
#define MAX_PARAMS 5
#endif

static bool is_pt_regs_pointer(CXType t)
{
	CXString sp = clang_getTypeSpelling(clang_getCanonicalType(t));
	bool yes = !strcmp(clang_getCString(sp), "struct pt_regs *");

	clang_disposeString(sp);
	return yes;
}

static enum CXChildVisitResult find_body(CXCursor c, CXCursor parent,
					 void *data)
{
	(void)parent;
	if (clang_getCursorKind(c) == CXCursor_CompoundStmt)
		*(CXCursor *)data = c;
	return CXChildVisit_Continue;
}

static bool syscall_probe(const char *name)
{
	return !strncmp(name, "syscall__", 9) ||
	       !strncmp(name, "kprobe__sys_", 12) ||
	       !strncmp(name, "kprobe____x64_sys_", 18);
}

int ember__rewrite_probe_params(struct ember_rewriter *rw, CXCursor fn,
				const char *name)
{
	int n = clang_Cursor_getNumArguments(fn), i;
	CXCursor body = clang_getNullCursor(), first, last;
	size_t first_end, last_end, close, body_b, body_e, b;
	unsigned int newlines = 0;
	char *locals = NULL, *removed;
	const char *ctx;
	CXString ctx_sp;
	size_t locals_len;
	FILE *f;
	int err;

	if (n < 2)
		return 0;
	first = clang_Cursor_getArgument(fn, 0);
	if (!is_pt_regs_pointer(clang_getCursorType(first)))
		return 0;
	if (n - 1 > MAX_PARAMS)
		return ember__rewrite_error(
			rw, clang_Cursor_getArgument(fn, MAX_PARAMS + 1),
			"a probe takes at most %d parameters after ctx",
			MAX_PARAMS);
	clang_visitChildren(fn, find_body, &body);
	last = clang_Cursor_getArgument(fn, (unsigned)n - 1);
	if (clang_Cursor_isNull(body) ||
	    !ember__cursor_offsets(rw, first, &b, &first_end) ||
	    !ember__cursor_offsets(rw, last, &b, &last_end) ||
	    !ember__cursor_offsets(rw, body, &body_b, &body_e))
		return 0;
	for (close = last_end; close < rw->len && rw->text[close] != ')';
	     close++)
		;
	if (close >= rw->len || rw->text[body_b] != '{')
		return 0;

	f = open_memstream(&locals, &locals_len);
	if (!f)
		return -ENOMEM;
	ctx_sp = clang_getCursorSpelling(first);
	ctx = clang_getCString(ctx_sp);
	for (i = 1; i < n; i++) {
		CXCursor p = clang_Cursor_getArgument(fn, (unsigned)i);
		CXString ty = clang_getTypeSpelling(clang_getCursorType(p));
		CXString pn = clang_getCursorSpelling(p);

		if (syscall_probe(name))
			fprintf(f, " %s %s = (%s)__EMBER_SYSCALL_PARM(%s, %d);",
				clang_getCString(ty), clang_getCString(pn),
				clang_getCString(ty), ctx, i);
		else
			fprintf(f, " %s %s = (%s)PT_REGS_PARM%d(%s);",
				clang_getCString(ty), clang_getCString(pn),
				clang_getCString(ty), i, ctx);
		clang_disposeString(ty);
		clang_disposeString(pn);
	}
	clang_disposeString(ctx_sp);
	if (fclose(f)) {
		free(locals);
		return -ENOMEM;
	}
	/* drop ", T a, U b" keeping its newlines so lines still match */
	for (size_t k = first_end; k < close; k++)
		newlines += rw->text[k] == '\n';
	removed = calloc(1, newlines + 1);
	if (!removed) {
		free(locals);
		return -ENOMEM;
	}
	memset(removed, '\n', newlines);
	err = ember__edits_replace(&rw->edits, first_end, close - first_end,
				   removed);
	if (!err)
		err = ember__edits_insert(&rw->edits, body_b + 1, locals);
	free(removed);
	free(locals);
	return err;
}
