// SPDX-License-Identifier: MIT
#include "compiler/include_check.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "compiler/edits.h"
#include "compiler/virtual_files.h"
#include "error.h"

int ember__check_text_size(const char *name, size_t len)
{
	if (len <= EMBER_TEXT_MAX_BYTES)
		return 0;
	return ember__error(EFBIG,
			    "%s: error: the program text is %zu bytes, more "
			    "than the %u MiB ember compiles",
			    name, len, EMBER_TEXT_MAX_BYTES >> 20);
}

static const char *kind_of(mode_t m)
{
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISDIR(m))
		return "a directory";
	return "not a regular file";
}

/* 0 when path is fine to include; otherwise the error at text[off]. */
int ember__check_include_file(const char *name, const char *text, size_t len,
			      size_t off, const char *inc, const char *path,
			      const struct stat *st)
{
	bool same = !strcmp(inc, path);
	unsigned int line, col;

	if (S_ISREG(st->st_mode) &&
	    (unsigned long long)st->st_size <= EMBER_INCLUDE_MAX_BYTES)
		return 0;
	ember__text_position(text, len, off, &line, &col);
	if (!S_ISREG(st->st_mode))
		return ember__error(EINVAL,
				    "%s:%u:%u: error: '%s'%s%s%s is %s: only "
				    "regular files can be included",
				    name, line, col, inc, same ? "" : " (",
				    same ? "" : path, same ? "" : ")",
				    kind_of(st->st_mode));
	return ember__error(EINVAL,
			    "%s:%u:%u: error: '%s'%s%s%s is %lld bytes, more "
			    "than the %u MiB an included file may have",
			    name, line, col, inc, same ? "" : " (",
			    same ? "" : path, same ? "" : ")",
			    (long long)st->st_size,
			    EMBER_INCLUDE_MAX_BYTES >> 20);
}

/* The directory an -I/-isystem/... argument at args[*i] names, or NULL. */
static const char *search_dir(const char *const *args, size_t cnt, size_t *i,
			      bool *system)
{
	static const char *const opts[] = { "-I", "-iquote", "-isystem",
					    "-idirafter" };
	const char *a = args[*i];

	for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
		size_t n = strlen(opts[k]);

		if (strncmp(a, opts[k], n))
			continue;
		*system = k >= 2;
		if (a[n])
			return a + n;
		if (*i + 1 < cnt)
			return args[++*i];
		return NULL;
	}
	return NULL;
}

/* First existing candidate among dirs of the given class (system or not). */
static int find_in(const struct ember_include_search *s, int which, bool system,
		   const char *inc, char *path, size_t size, struct stat *st)
{
	for (size_t i = 0; i < s->args_cnt[which]; i++) {
		bool sys = false;
		const char *dir = search_dir(s->args[which], s->args_cnt[which],
					     &i, &sys);

		if (!dir || sys != system)
			continue;
		snprintf(path, size, "%s/%s", dir, inc);
		if (!stat(path, st))
			return 1;
	}
	return 0;
}

/* Resolve inc as the parse would, roughly: 1 and its stat when it is on
 * disk, 0 when served from memory or not found (the parse says so). */
static int resolve(const struct ember_include_search *s, const char *inc,
		   char *path, size_t size, struct stat *st)
{
	if (inc[0] == '/') {
		snprintf(path, size, "%s", inc);
		return !stat(path, st);
	}
	if (find_in(s, 0, false, inc, path, size, st))
		return 1;
	if (s->is_virtual(s->ctx, inc))
		return 0;
	if (find_in(s, 1, false, inc, path, size, st) ||
	    find_in(s, 0, true, inc, path, size, st) ||
	    find_in(s, 1, true, inc, path, size, st))
		return 1;
	snprintf(path, size, "%s/include/%s", EMBER_CLANG_RESOURCE_DIR, inc);
	return !stat(path, st);
}

int ember__check_includes(const char *name, const char *text, size_t len,
			  const struct ember_source_scan *scan,
			  const struct ember_include_search *search)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	int err;

	for (i = 0; i < scan->includes_cnt; i++) {
		if (!resolve(search, scan->includes[i], path, sizeof(path),
			     &st))
			continue;
		err = ember__check_include_file(name, text, len,
						scan->include_offsets[i],
						scan->includes[i], path, &st);
		if (err)
			return err;
	}
	return 0;
}
