// SPDX-License-Identifier: MIT
#include "compiler/rewriter.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/virtual_files.h"

char *ember__user_paths(const char *s, const char *name)
{
	static const char main_path[] = EMBER_VIRTUAL_MAIN_PATH,
			  inc[] = EMBER_VIRTUAL_INCLUDE_DIR "/";
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	while (*s) {
		if (!strncmp(s, main_path, sizeof(main_path) - 1)) {
			fputs(name, f);
			s += sizeof(main_path) - 1;
		} else if (!strncmp(s, inc, sizeof(inc) - 1)) {
			s += sizeof(inc) - 1;
		} else {
			fputc(*s++, f);
		}
	}
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

int ember__diag_append(char **diags, const char *name, const char *file,
		       unsigned int line, unsigned int col,
		       const char *severity, const char *msg)
{
	char *joined = NULL, *f = ember__user_paths(file, name),
	     *m = ember__user_paths(msg, name);
	int ret = -ENOMEM;

	if (f && m &&
	    asprintf(&joined, "%s%s:%u:%u: %s: %s\n", *diags ? *diags : "", f,
		     line, col, severity, m) >= 0) {
		free(*diags);
		*diags = joined;
		ret = 0;
	}
	free(f);
	free(m);
	return ret;
}

static int add_diag(struct ember_rewriter *rw, bool error, unsigned int line,
		    unsigned int col, const char *fmt, va_list ap)
{
	char *msg = NULL;
	int err;

	if (vasprintf(&msg, fmt, ap) < 0)
		return -ENOMEM;
	err = ember__diag_append(error ? &rw->errors : &rw->warnings, rw->name,
				 rw->name, line, col,
				 error ? "error" : "warning", msg);
	free(msg);
	if (err)
		return err;
	if (!error)
		return 0;
	rw->error_cnt++;
	return -EINVAL;
}

static void cursor_position(CXCursor at, unsigned int *line, unsigned int *col)
{
	*line = *col = 0;
	clang_getExpansionLocation(clang_getCursorLocation(at), NULL, line, col,
				   NULL);
}

int ember__rewrite_error(struct ember_rewriter *rw, CXCursor at,
			 const char *fmt, ...)
{
	unsigned int line, col;
	va_list ap;
	int err;

	cursor_position(at, &line, &col);
	va_start(ap, fmt);
	err = add_diag(rw, true, line, col, fmt, ap);
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
	err = add_diag(rw, true, line, col, fmt, ap);
	va_end(ap);
	return err;
}

int ember__rewrite_warning(struct ember_rewriter *rw, CXCursor at,
			   const char *fmt, ...)
{
	unsigned int line, col;
	va_list ap;
	int err;

	cursor_position(at, &line, &col);
	va_start(ap, fmt);
	err = add_diag(rw, false, line, col, fmt, ap);
	va_end(ap);
	return err;
}

int ember__rewrite_warning_at(struct ember_rewriter *rw, size_t offset,
			      const char *fmt, ...)
{
	unsigned int line, col;
	va_list ap;
	int err;

	ember__text_position(rw->text, rw->len, offset, &line, &col);
	va_start(ap, fmt);
	err = add_diag(rw, false, line, col, fmt, ap);
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
