// SPDX-License-Identifier: MIT
/* The include check after the parse (include_check.h), over what clang
 * included: in the compiler process, with libclang. */
#include "compiler/include_check_parsed.h"

#include "compiler/include_check.h"

#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

struct inclusions {
	const char *main_path;
	const char *name, *text;
	size_t len;
	int err;
};

static void visit_inclusion(CXFile file, CXSourceLocation *stack,
			    unsigned int depth, CXClientData data)
{
	struct inclusions *in = data;
	CXString fname;
	const char *path;
	struct stat st;
	unsigned int k, off;

	if (in->err || !depth)
		return;
	fname = clang_getFileName(file);
	path = clang_getCString(fname);
	/* served from memory: ember's own */
	if (path && strncmp(path, "/ember-virtual/", 15) && !stat(path, &st)) {
		/* the bottom of the stack is in the user's text */
		for (k = depth; k-- > 0;) {
			CXFile f;
			CXString fn;
			bool main;

			clang_getSpellingLocation(stack[k], &f, NULL, NULL,
						  &off);
			/* by name: clang_File_isEqual says yes for any two
			 * unsaved files */
			fn = clang_getFileName(f);
			main = clang_getCString(fn) &&
			       !strcmp(clang_getCString(fn), in->main_path);
			clang_disposeString(fn);
			if (main)
				break;
		}
		if (k < depth)
			in->err = ember__check_include_file(in->name, in->text,
							    in->len, off, path,
							    path, &st);
	}
	clang_disposeString(fname);
}

int ember__check_inclusions(CXTranslationUnit tu, const char *main_path,
			    const char *name, const char *text, size_t len)
{
	struct inclusions in = { main_path, name, text, len, 0 };

	clang_getInclusions(tu, visit_inclusion, &in);
	return in.err;
}
