// SPDX-License-Identifier: MIT
#include "compiler/source_scan.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int add_unique(char ***v, size_t *cnt, const char *s, size_t n)
{
	char **nv;
	size_t i;

	for (i = 0; i < *cnt; i++)
		if (strlen((*v)[i]) == n && !memcmp((*v)[i], s, n))
			return 0;
	nv = realloc(*v, (*cnt + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*cnt] = strndup(s, n);
	if (!nv[*cnt])
		return -ENOMEM;
	(*cnt)++;
	return 0;
}

/* add_unique, and the offset of a name added */
static int add_located(char ***v, size_t **offsets, size_t *cnt, const char *s,
		       size_t n, size_t offset)
{
	size_t before = *cnt, *o;
	int err = add_unique(v, cnt, s, n);

	if (err || *cnt == before)
		return err;
	o = realloc(*offsets, *cnt * sizeof(*o));
	if (!o)
		return -ENOMEM;
	*offsets = o;
	o[before] = offset;
	return 0;
}

static int add_tracepoint(struct ember_source_scan *s, const char *name,
			  size_t n, size_t offset)
{
	return add_located(&s->tracepoints, &s->tracepoint_offsets,
			   &s->tracepoints_cnt, name, n, offset);
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Skip a comment or literal starting at text[i]; returns the new index or
 * i when there is none there. */
static size_t skip_non_code(const char *t, size_t len, size_t i)
{
	if (t[i] == '/' && i + 1 < len && t[i + 1] == '/') {
		while (i < len && t[i] != '\n')
			i++;
		return i;
	}
	if (t[i] == '/' && i + 1 < len && t[i + 1] == '*') {
		for (i += 2; i + 1 < len; i++)
			if (t[i] == '*' && t[i + 1] == '/')
				return i + 2;
		return len;
	}
	if (t[i] == '"' || t[i] == '\'') {
		char q = t[i];

		for (i++; i < len && t[i] != q && t[i] != '\n'; i++)
			if (t[i] == '\\')
				i++;
		return i < len ? i + 1 : len;
	}
	return i;
}

static size_t skip_space(const char *t, size_t len, size_t i)
{
	while (i < len && isspace((unsigned char)t[i]))
		i++;
	return i;
}

/* tracepoint__CAT__EVENT: CAT has no "__", EVENT is the rest. */
static int tracepoint_ident(struct ember_source_scan *s, const char *id,
			    size_t n, size_t offset)
{
	static const char prefix[] = "tracepoint__";
	const size_t pl = sizeof(prefix) - 1;
	const char *sep;
	char buf[256];
	size_t cl;

	if (n <= pl || memcmp(id, prefix, pl) != 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, id + pl, n - pl);
	buf[n - pl] = 0;
	sep = strstr(buf, "__");
	if (!sep || sep == buf || !sep[2])
		return 0;
	cl = (size_t)(sep - buf);
	buf[cl] = '/';
	memmove(buf + cl + 1, sep + 2, strlen(sep + 2) + 1);
	return add_tracepoint(s, buf, strlen(buf), offset);
}

/* TRACEPOINT_PROBE ( cat , event ) starting after the macro name. */
static int tracepoint_macro(struct ember_source_scan *s, const char *t,
			    size_t len, size_t i, size_t offset)
{
	size_t c0, c1, e0, e1;
	char buf[256];

	i = skip_space(t, len, i);
	if (i >= len || t[i] != '(')
		return 0;
	c0 = i = skip_space(t, len, i + 1);
	while (i < len && ident_char(t[i]))
		i++;
	c1 = i;
	i = skip_space(t, len, i);
	if (i >= len || t[i] != ',')
		return 0;
	e0 = i = skip_space(t, len, i + 1);
	while (i < len && ident_char(t[i]))
		i++;
	e1 = i;
	if (c1 == c0 || e1 == e0 || c1 - c0 + e1 - e0 + 2 > sizeof(buf))
		return 0;
	memcpy(buf, t + c0, c1 - c0);
	buf[c1 - c0] = '/';
	memcpy(buf + (c1 - c0) + 1, t + e0, e1 - e0);
	return add_tracepoint(s, buf, c1 - c0 + 1 + e1 - e0, offset);
}

/* "struct NAME" / "union NAME" starting after the keyword; a definition
 * when "{" follows. */
static int record_definition(struct ember_source_scan *s, const char *t,
			     size_t len, size_t i)
{
	size_t n0, n1;

	n0 = i = skip_space(t, len, i);
	while (i < len && ident_char(t[i]))
		i++;
	n1 = i;
	i = skip_space(t, len, i);
	if (n1 == n0)
		return 0;
	if (add_unique(&s->record_refs, &s->record_refs_cnt, t + n0, n1 - n0))
		return -ENOMEM;
	if (i >= len || t[i] != '{')
		return 0;
	return add_unique(&s->records, &s->records_cnt, t + n0, n1 - n0);
}

/* Names that need libbpf's USDT support compiled in (prelude/usdt.h). */
static bool usdt_ident(const char *id, size_t n)
{
	static const char *const names[] = {
		"bpf_usdt_readarg", "bpf_usdt_readarg_p", "bpf_usdt_arg",
		"bpf_usdt_arg_cnt", "bpf_usdt_cookie",	  "BPF_USDT",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !memcmp(id, names[i], n))
			return true;
	return false;
}

/* "(*NAME" : NAME is being declared as a function pointer */
static bool declared_pointer(const char *t, size_t at)
{
	while (at > 0 && isspace((unsigned char)t[at - 1]))
		at--;
	if (at == 0 || t[at - 1] != '*')
		return false;
	at--;
	while (at > 0 && isspace((unsigned char)t[at - 1]))
		at--;
	return at > 0 && t[at - 1] == '(';
}

static int include_line(struct ember_source_scan *s, const char *t, size_t len,
			size_t i)
{
	size_t start;
	char close;

	i = skip_space(t, len, i);
	if (i >= len || (t[i] != '<' && t[i] != '"'))
		return 0;
	close = t[i] == '<' ? '>' : '"';
	start = ++i;
	while (i < len && t[i] != close && t[i] != '\n')
		i++;
	if (i >= len || t[i] != close || i == start)
		return 0;
	return add_located(&s->includes, &s->include_offsets, &s->includes_cnt,
			   t + start, i - start, start - 1);
}

int ember__source_scan(const char *t, size_t len, struct ember_source_scan *s)
{
	bool line_start = true;
	size_t i = 0;
	int err = 0;

	memset(s, 0, sizeof(*s));
	while (i < len && !err) {
		size_t j = skip_non_code(t, len, i);

		if (j != i) {
			i = j;
			continue;
		}
		if (t[i] == '\n') {
			line_start = true;
			i++;
			continue;
		}
		if (isspace((unsigned char)t[i])) {
			i++;
			continue;
		}
		if (t[i] == '#' && line_start) {
			size_t d = skip_space(t, len, i + 1);

			if (len - d >= 7 && !memcmp(t + d, "include", 7))
				err = include_line(s, t, len, d + 7);
			line_start = false;
			i = d;
			continue;
		}
		line_start = false;
		if (ident_char(t[i]) && !isdigit((unsigned char)t[i])) {
			size_t st = i;

			while (i < len && ident_char(t[i]))
				i++;
			if (i - st == 16 &&
			    !memcmp(t + st, "bpf_trace_printk", 16) &&
			    declared_pointer(t, st))
				s->declares_trace_printk = true;
			if (usdt_ident(t + st, i - st))
				s->uses_usdt = true;
			if ((i - st == 6 && !memcmp(t + st, "struct", 6)) ||
			    (i - st == 5 && !memcmp(t + st, "union", 5)))
				err = record_definition(s, t, len, i);
			else if (i - st == 16 &&
				 !memcmp(t + st, "TRACEPOINT_PROBE", 16))
				err = tracepoint_macro(s, t, len, i, st);
			else
				err = tracepoint_ident(s, t + st, i - st, st);
			continue;
		}
		i++;
	}
	if (err)
		ember__source_scan_free(s);
	return err;
}

void ember__source_scan_free(struct ember_source_scan *s)
{
	size_t i;

	for (i = 0; i < s->tracepoints_cnt; i++)
		free(s->tracepoints[i]);
	for (i = 0; i < s->includes_cnt; i++)
		free(s->includes[i]);
	for (i = 0; i < s->records_cnt; i++)
		free(s->records[i]);
	free(s->records);
	for (i = 0; i < s->record_refs_cnt; i++)
		free(s->record_refs[i]);
	free(s->record_refs);
	free(s->tracepoints);
	free(s->tracepoint_offsets);
	free(s->includes);
	free(s->include_offsets);
	memset(s, 0, sizeof(*s));
}
