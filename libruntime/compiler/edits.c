// SPDX-License-Identifier: MIT
#include "compiler/edits.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push(struct ember_edits *e, size_t offset, size_t len, char *text)
{
	if (!text)
		return -ENOMEM;
	if (e->cnt == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct ember_edit *v = realloc(e->v, cap * sizeof(*v));

		if (!v) {
			free(text);
			return -ENOMEM;
		}
		e->v = v;
		e->cap = cap;
	}
	e->v[e->cnt] = (struct ember_edit){ .offset = offset,
					    .len = len,
					    .text = text,
					    .seq = (unsigned int)e->cnt };
	e->cnt++;
	return 0;
}

int ember__edits_replace(struct ember_edits *e, size_t offset, size_t len,
			 const char *text)
{
	return push(e, offset, len, strdup(text));
}

int ember__edits_replacef(struct ember_edits *e, size_t offset, size_t len,
			  const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return push(e, offset, len, n < 0 ? NULL : s);
}

int ember__edits_insert(struct ember_edits *e, size_t offset, const char *text)
{
	return ember__edits_replace(e, offset, 0, text);
}

int ember__edits_insert_after(struct ember_edits *e, size_t offset,
			      const char *text)
{
	int err = ember__edits_replace(e, offset, 0, text);

	if (!err)
		e->v[e->cnt - 1].closes = true;
	return err;
}

static int by_offset(const void *a, const void *b)
{
	const struct ember_edit *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	/* Insertions at an offset come before a replacement starting there. */
	if ((x->len == 0) != (y->len == 0))
		return x->len == 0 ? -1 : 1;
	if (x->closes != y->closes)
		return x->closes ? 1 : -1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

int ember__edits_apply(struct ember_edits *e, const char *text, size_t len,
		       char **out, size_t *out_len)
{
	size_t pos = 0, i;
	FILE *f;
	int err = 0;

	if (e->cnt)
		qsort(e->v, e->cnt, sizeof(*e->v), by_offset);
	/* The same edit asked for twice (a declaration the AST lists twice)
	 * is one edit; anything else overlapping is a rewriter bug. */
	for (i = 1; i < e->cnt; i++) {
		struct ember_edit *a = &e->v[i - 1], *b = &e->v[i];

		if (a->offset == b->offset && a->len == b->len && a->len &&
		    !strcmp(a->text, b->text)) {
			free(b->text);
			memmove(b, b + 1, (e->cnt - i - 1) * sizeof(*b));
			e->cnt--;
			i--;
			continue;
		}
		if (a->offset + a->len > b->offset)
			return -EINVAL;
	}
	f = open_memstream(out, out_len);
	if (!f)
		return -ENOMEM;
	for (i = 0; i < e->cnt; i++) {
		const struct ember_edit *ed = &e->v[i];

		if (ed->offset > len) {
			err = -EINVAL;
			break;
		}
		fwrite(text + pos, 1, ed->offset - pos, f);
		fputs(ed->text, f);
		pos = ed->offset + ed->len;
	}
	if (!err && pos < len)
		fwrite(text + pos, 1, len - pos, f);
	if (fclose(f))
		err = -ENOMEM;
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}

static size_t line_start(const char *s, size_t len, unsigned int line)
{
	size_t off = 0;

	while (line > 1 && off < len) {
		const char *nl = memchr(s + off, '\n', len - off);

		if (!nl)
			return len;
		off = (size_t)(nl - s) + 1;
		line--;
	}
	return off;
}

unsigned int ember__edits_map_column(const struct ember_edits *e,
				     const char *orig, size_t orig_len,
				     unsigned int line, unsigned int column)
{
	size_t start = line_start(orig, orig_len, line);
	/* Walk the edits of this line, converting the rewritten column to
	 * an original offset; a column inside replacement text maps to the
	 * start of what it replaced. */
	size_t want = column ? column - 1 : 0; /* rewritten bytes from start */
	size_t orig_pos = start, i;

	for (i = 0; i < e->cnt; i++) {
		const struct ember_edit *ed = &e->v[i];
		size_t gap, tl;

		if (ed->offset < orig_pos)
			continue;
		if (memchr(orig + start, '\n', ed->offset - start))
			break; /* edit is on a later line */
		gap = ed->offset - orig_pos;
		if (want < gap)
			break;
		want -= gap;
		tl = strlen(ed->text);
		if (want < tl)
			return (unsigned int)(ed->offset - start) + 1;
		want -= tl;
		orig_pos = ed->offset + ed->len;
	}
	return (unsigned int)(orig_pos - start + want) + 1;
}

void ember__edits_free(struct ember_edits *e)
{
	size_t i;

	for (i = 0; i < e->cnt; i++)
		free(e->v[i].text);
	free(e->v);
	e->v = NULL;
	e->cnt = e->cap = 0;
}

void ember__text_position(const char *text, size_t len, size_t off,
			  unsigned int *line, unsigned int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		(*col)++;
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		}
	}
}
