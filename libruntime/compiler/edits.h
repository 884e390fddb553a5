/* SPDX-License-Identifier: MIT */
/*
 * An edit list over the user's text: rewriters record replacements by byte
 * offset into the original text, then the list is applied once. Edits never
 * add newlines to the user's lines, so line numbers survive the rewrite and
 * columns can be mapped back through the list.
 */
#ifndef EMBER_EDITS_H
#define EMBER_EDITS_H

#include <stdbool.h>
#include <stddef.h>

struct ember_edit {
	size_t offset; /* in the original text */
	size_t len; /* bytes of the original replaced */
	char *text; /* replacement, owned */
	unsigned int
		seq; /* insertion order, to keep same-offset edits stable */
	bool closes; /* ember__edits_insert_after: after other insertions */
};

struct ember_edits {
	struct ember_edit *v;
	size_t cnt, cap;
};

/* Replace [offset, offset+len) with text (copied). Returns 0 or -ENOMEM. */
int ember__edits_replace(struct ember_edits *e, size_t offset, size_t len,
			 const char *text);
int ember__edits_replacef(struct ember_edits *e, size_t offset, size_t len,
			  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Insert text before offset. Insertions at one offset keep their order,
 * so what an earlier rewriter opens there encloses what a later one opens. */
int ember__edits_insert(struct ember_edits *e, size_t offset, const char *text);
/*
 * Insert text at offset after every ember__edits_insert there: text that
 * follows an expression (a closing parenthesis, an argument after it) and
 * must stay outside what later rewriters wrap that expression in.
 */
int ember__edits_insert_after(struct ember_edits *e, size_t offset,
			      const char *text);

/*
 * Apply to text (len bytes): *out gets a malloc'd NUL-terminated result.
 * Overlapping replacements are a bug in a rewriter: -EINVAL.
 */
int ember__edits_apply(struct ember_edits *e, const char *text, size_t len,
		       char **out, size_t *out_len);

/*
 * Map a 1-based column on a 1-based line of the rewritten text back to the
 * column in the original text (after ember__edits_apply sorted the list).
 */
unsigned int ember__edits_map_column(const struct ember_edits *e,
				     const char *orig, size_t orig_len,
				     unsigned int line, unsigned int column);

void ember__edits_free(struct ember_edits *e);

/* 1-based line and column of byte offset off in text (len bytes). */
void ember__text_position(const char *text, size_t len, size_t off,
			  unsigned int *line, unsigned int *col);

#endif
