// SPDX-License-Identifier: MIT
/*
 * Static functions are always inlined, as in BCC: a BPF program's helpers
 * then need no BPF-to-BPF calls (which cannot take structs by value and
 * which older kernels lack). A function marked noinline stays a call.
 *   static int f(struct key k)  →  __attribute__((always_inline)) static int f(struct key k)
 */
#include <errno.h>
#include <string.h>

#include "compiler/rewriter.h"

#define ALWAYS_INLINE "__attribute__((always_inline)) "

/* Does the declaration's text before its body ask for noinline? */
static bool says_noinline(const struct ember_rewriter *rw, size_t b, size_t e)
{
	static const char word[] = "noinline";
	size_t n = sizeof(word) - 1;

	for (size_t i = b; i + n <= e && rw->text[i] != '{'; i++)
		if (!memcmp(rw->text + i, word, n))
			return true;
	return false;
}

static bool ident_char(char c)
{
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* Is the function's name written in the text (not made by a macro such as
 * BPF_PROG, whose own static functions are its business)? */
static bool name_written(struct ember_rewriter *rw, CXCursor c)
{
	CXString sp = clang_getCursorSpelling(c);
	const char *name = clang_getCString(sp);
	size_t n = name ? strlen(name) : 0;
	unsigned int off;
	CXFile f;
	bool yes;

	clang_getExpansionLocation(clang_getCursorLocation(c), &f, NULL, NULL,
				   &off);
	yes = n && off + n <= rw->len && !memcmp(rw->text + off, name, n) &&
	      (off + n == rw->len || !ident_char(rw->text[off + n]));
	clang_disposeString(sp);
	return yes;
}

static enum CXChildVisitResult visit(CXCursor c, CXCursor parent, void *data)
{
	struct ember_rewriter *rw = data;
	size_t b, e;

	(void)parent;
	if (clang_getCursorKind(c) != CXCursor_FunctionDecl ||
	    !clang_isCursorDefinition(c) ||
	    clang_Cursor_getStorageClass(c) != CX_SC_Static ||
	    !ember__cursor_in_main(rw, c) || !name_written(rw, c) ||
	    !ember__cursor_offsets(rw, c, &b, &e) || says_noinline(rw, b, e))
		return CXChildVisit_Continue;
	if (ember__edits_insert(&rw->edits, b, ALWAYS_INLINE))
		return CXChildVisit_Break;
	return CXChildVisit_Continue;
}

int ember__rewrite_inline(struct ember_rewriter *rw)
{
	/* a visit breaks only when an edit could not be recorded */
	if (clang_visitChildren(clang_getTranslationUnitCursor(rw->tu), visit,
				rw))
		return -ENOMEM;
	return 0;
}
