// SPDX-License-Identifier: MIT
/*
 * bpf_trace_printk("fmt", a, b, c) → the kernel helper's real signature,
 * which wants the format as an array plus its size:
 *   ({ char ____fmt[] = "fmt"; bpf_trace_printk(____fmt, sizeof(____fmt), a, b, c); })
 * The format lives on the stack as in BCC, so no global data map is needed.
 * The helper silently prints nothing for a format it does not accept, so the
 * format is checked here: what cannot load is an error, what would print
 * nothing is a warning (as in BCC), both at the user's line:col.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/printk_format.h"
#include "compiler/rewriter.h"

#define MAX_PRINTK_ARGS 3

struct walk {
	struct ember_rewriter *rw;
	int err;
};

static bool is_trace_printk(CXCursor call)
{
	CXCursor callee = clang_getCursorReferenced(call);
	CXString sp;
	bool yes;

	if (clang_Cursor_isNull(callee))
		return false;
	sp = clang_getCursorSpelling(callee);
	yes = !strcmp(clang_getCString(sp), "bpf_trace_printk");
	clang_disposeString(sp);
	return yes;
}

static enum CXChildVisitResult find_literal(CXCursor c, CXCursor parent,
					    void *data)
{
	(void)parent;
	if (clang_getCursorKind(c) == CXCursor_StringLiteral) {
		*(CXCursor *)data = c;
		return CXChildVisit_Break;
	}
	if (clang_getCursorKind(c) == CXCursor_UnexposedExpr)
		return CXChildVisit_Recurse;
	return CXChildVisit_Break;
}

/* The string literal that is the whole of expr, or a null cursor. */
static CXCursor literal_of(CXCursor expr)
{
	CXCursor lit = clang_getNullCursor();

	if (clang_getCursorKind(expr) == CXCursor_StringLiteral)
		return expr;
	if (clang_getCursorKind(expr) == CXCursor_UnexposedExpr)
		clang_visitChildren(expr, find_literal, &lit);
	return lit;
}

/* What a format asks of the kernel. */
struct format_scan {
	int conversions;
	size_t bad_at, bad_len; /* first conversion the kernel lacks */
	bool bad;
	bool unknown; /* ... and C's printf has not either: a typo */
	int strings; /* %s count */
	size_t second_s; /* offset of the second %s */
};

/*
 * Conversions the kernel's bpf_trace_printk accepts: %d %i %u %x %X %c %s %p
 * with l/ll length, %pK %ps %pS %pB %pi4 %pI4 %pi6 %pI6.
 */
static void scan_format(const char *s, size_t n, struct format_scan *f)
{
	struct ember__printk_conv cv[32];
	size_t count = ember__printk_conversions(s, n, cv, 32);

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < count && i < 32; i++) {
		if (!cv[i].c || !strchr("diuxXcsp", cv[i].c)) {
			if (!f->bad) {
				f->bad = true;
				f->bad_at = cv[i].at;
				f->bad_len = cv[i].end - cv[i].at;
				f->unknown = !cv[i].c ||
					     !strchr("oeEfFgGaAn", cv[i].c);
			}
			continue;
		}
		if (cv[i].c == 's' && ++f->strings == 2)
			f->second_s = cv[i].at;
		f->conversions++;
	}
}

static int rewrite_call(struct walk *w, CXCursor call)
{
	struct ember_rewriter *rw = w->rw;
	int nargs = clang_Cursor_getNumArguments(call);
	CXCursor fmt, lit;
	size_t cb, ce, ab, ae, i, lines = 0;
	struct format_scan f;
	int err = 0;
	char *pad;

	if (nargs < 1)
		return 0;
	fmt = clang_Cursor_getArgument(call, 0);
	lit = literal_of(fmt);
	if (clang_Cursor_isNull(lit))
		return 0; /* libbpf form: bpf_trace_printk(buf, size, ...) */
	if (ember__cursor_in_macro(call))
		return ember__rewrite_error(
			rw, call,
			"bpf_trace_printk() with a literal format inside a "
			"macro cannot be rewritten; call it outside the macro");
	if (!ember__cursor_offsets(rw, call, &cb, &ce) ||
	    !ember__cursor_offsets(rw, lit, &ab, &ae))
		return 0;
	if (nargs - 1 > MAX_PRINTK_ARGS)
		return ember__rewrite_error(
			rw, clang_Cursor_getArgument(call, MAX_PRINTK_ARGS + 1),
			"bpf_trace_printk() takes at most %d arguments after "
			"the format (got %d); use a perf or ring buffer for "
			"more",
			MAX_PRINTK_ARGS, nargs - 1);
	/* As BCC, a C conversion the kernel lacks (%f) is a warning: the call
	 * then prints nothing, but the program loads and runs. One that is no
	 * conversion at all is a mistake in the text: an error. */
	scan_format(rw->text + ab, ae - ab, &f);
	if (f.bad && f.unknown) {
		return ember__rewrite_error_at(
			rw, ab + f.bad_at,
			"bpf_trace_printk() format has an unknown conversion "
			"'%.*s': the conversions are %%d %%i %%u %%x %%X %%c "
			"%%s %%p, with l or ll (write %%%% for a '%%')",
			(int)f.bad_len, rw->text + ab + f.bad_at);
	} else if (f.bad) {
		err = ember__rewrite_warning_at(
			rw, ab + f.bad_at,
			"bpf_trace_printk() format has a conversion the kernel "
			"does not support: '%.*s'; only %%d %%u %%x %%ld %%lu "
			"%%lx %%lld %%llu %%llx %%p %%s conversion specifiers "
			"allowed (and %%i %%X %%c): the kernel prints nothing "
			"for this call",
			(int)f.bad_len, rw->text + ab + f.bad_at);
	} else if (f.conversions > nargs - 1) {
		return ember__rewrite_error(
			rw, lit,
			"bpf_trace_printk() format has %d conversions but only "
			"%d arguments",
			f.conversions, nargs - 1);
	} else if (f.strings > 1) {
		err = ember__rewrite_warning_at(
			rw, ab + f.second_s,
			"bpf_trace_printk() format has %d %%s: cannot use "
			"several %%s conversion specifiers before Linux 5.13 "
			"(older kernels print nothing for this call)",
			f.strings);
	}
	if (err)
		return err;

	/* Keep every newline of the replaced text so line numbers hold. */
	for (i = cb; i < ab; i++)
		lines += rw->text[i] == '\n';
	pad = malloc(lines + 1);
	if (!pad)
		return -ENOMEM;
	memset(pad, '\n', lines);
	pad[lines] = 0;
	err = ember__edits_replacef(&rw->edits, cb, ae - cb,
				    "({ char ____fmt[] = %s%.*s; "
				    "bpf_trace_printk(____fmt, sizeof(____fmt)",
				    pad, (int)(ae - ab), rw->text + ab);
	free(pad);
	return err ? err : ember__edits_insert(&rw->edits, ce, "; })");
}

static enum CXChildVisitResult visit(CXCursor c, CXCursor parent, void *data)
{
	struct walk *w = data;
	int err;

	(void)parent;
	if (!ember__cursor_in_main(w->rw, c))
		return CXChildVisit_Continue;
	if (clang_getCursorKind(c) == CXCursor_CallExpr && is_trace_printk(c)) {
		err = rewrite_call(w, c);
		/* A user error is recorded; keep going to report them all. */
		if (err && err != -EINVAL)
			w->err = err;
		else if (err)
			w->err = w->err ? w->err : err;
		return w->err == -ENOMEM ? CXChildVisit_Break
					 : CXChildVisit_Continue;
	}
	return CXChildVisit_Recurse;
}

int ember__rewrite_trace_printk(struct ember_rewriter *rw)
{
	struct walk w = { .rw = rw };

	clang_visitChildren(clang_getTranslationUnitCursor(rw->tu), visit, &w);
	return w.err;
}
