// SPDX-License-Identifier: MIT
#include "compiler/rewriter.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_error(struct ember_rewriter *rw, unsigned int line,
		     unsigned int col, const char *fmt, va_list ap)
{
	char *msg = NULL, *joined = NULL;
	int n;

	n = vasprintf(&msg, fmt, ap);
	if (n < 0)
		return -ENOMEM;
	n = asprintf(&joined, "%s%s:%u:%u: error: %s\n",
		     rw->errors ? rw->errors : "", rw->name, line, col, msg);
	free(msg);
	if (n < 0)
		return -ENOMEM;
	free(rw->errors);
	rw->errors = joined;
	rw->error_cnt++;
	return -EINVAL;
}

int ember__rewrite_error(struct ember_rewriter *rw, CXCursor at,
			 const char *fmt, ...)
{
	unsigned int line = 0, col = 0;
	va_list ap;
	int err;

	clang_getExpansionLocation(clang_getCursorLocation(at), NULL, &line,
				   &col, NULL);
	va_start(ap, fmt);
	err = add_error(rw, line, col, fmt, ap);
	va_end(ap);
	return err;
}

int ember__rewrite_error_at(struct ember_rewriter *rw, size_t offset,
			    const char *fmt, ...)
{
	unsigned int line, col;
	va_list ap;
	int err;

	ember__text_position(rw->text, rw->len, offset, &line, &col);
	va_start(ap, fmt);
	err = add_error(rw, line, col, fmt, ap);
	va_end(ap);
	return err;
}

bool ember__cursor_offsets(struct ember_rewriter *rw, CXCursor c, size_t *begin,
			   size_t *end)
{
	CXSourceRange r = clang_getCursorExtent(c);
	CXFile f1, f2;
	unsigned int b, e;

	clang_getExpansionLocation(clang_getRangeStart(r), &f1, NULL, NULL, &b);
	clang_getExpansionLocation(clang_getRangeEnd(r), &f2, NULL, NULL, &e);
	if (!clang_File_isEqual(f1, rw->main_file) ||
	    !clang_File_isEqual(f2, rw->main_file) || e < b || e > rw->len)
		return false;
	*begin = b;
	*end = e;
	return true;
}

bool ember__cursor_in_main(struct ember_rewriter *rw, CXCursor c)
{
	CXString name, main_name;
	CXFile f;
	bool same;

	clang_getExpansionLocation(clang_getCursorLocation(c), &f, NULL, NULL,
				   NULL);
	if (!f)
		return false;
	/* Not clang_File_isEqual(): it says yes for any two unsaved (virtual)
	 * files, such as ember/program.h and what it includes. */
	name = clang_getFileName(f);
	main_name = clang_getFileName(rw->main_file);
	same = clang_getCString(name) && clang_getCString(main_name) &&
	       !strcmp(clang_getCString(name), clang_getCString(main_name));
	clang_disposeString(name);
	clang_disposeString(main_name);
	return same;
}

bool ember__cursor_in_macro(CXCursor c)
{
	CXSourceLocation loc = clang_getCursorLocation(c);
	CXFile fe, fs;
	unsigned int oe, os;

	clang_getExpansionLocation(loc, &fe, NULL, NULL, &oe);
	clang_getSpellingLocation(loc, &fs, NULL, NULL, &os);
	return oe != os || !clang_File_isEqual(fe, fs);
}
