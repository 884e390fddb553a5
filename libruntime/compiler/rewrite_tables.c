// SPDX-License-Identifier: MIT
/*
 * BCC tables → libbpf BTF-defined maps, and their methods → helpers.
 *
 *   BPF_HASH(counts, u32, u64, 1024);
 *     → struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, u32);
 *                __type(value, u64); __uint(max_entries, 1024); } counts SEC(".maps");
 *   counts.lookup(&k)            → bpf_map_lookup_elem(&counts, &k)
 *   events.perf_submit(ctx, &d, sizeof(d))
 *                                → bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &d, sizeof(d))
 *
 * Only the macro invocation, the "t.method(" prefix and the separators
 * between arguments are replaced; argument text is left for the other
 * rewriters. Each table is recorded (kind, what was submitted through it)
 * for the host.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/compiled.h"
#include "compiler/rewriter.h"
#include "compiler/table_kinds.h"

#define MAX_MACRO_ARGS 8
#define MAX_RINGBUFS 64

struct table {
	char *name;
	const struct ember_table_kind *kind;
	int drop_slot;
	char *event_type;
	char *pin_path;
	enum ember_table_sharing sharing;
};

struct walk {
	struct ember_rewriter *rw;
	struct table *tables;
	size_t tables_cnt;
	int ringbufs;
	int err;
	/* type of the variable being initialised, for ringbuf_reserve */
	CXType init_type;
	/* 1 + offset of a table macro's struct not yet followed by its
	 * variable; 0 when none */
	size_t unnamed_at;
};

/* ---- macro invocations ------------------------------------------------ */

struct macro_call {
	size_t begin, end; /* "BPF_HASH(...)" */
	char name[40];
	char *args[MAX_MACRO_ARGS];
	size_t args_at[MAX_MACRO_ARGS]; /* each argument's first character */
	int nargs;
	unsigned int newlines;
};

static void macro_call_free(struct macro_call *mc)
{
	for (int i = 0; i < mc->nargs; i++)
		free(mc->args[i]);
}

static char *trimmed(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t' || *s == '\n'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
		n--;
	return strndup(s, n);
}

/* Read "NAME(a, b, ...)" at off; arguments split on top-level commas. */
static int read_macro_call(const struct ember_rewriter *rw, size_t off,
			   struct macro_call *mc)
{
	const char *t = rw->text;
	size_t i = off, arg_start;
	int depth = 0;
	char quote = 0;

	memset(mc, 0, sizeof(*mc));
	while (i < rw->len && (t[i] == '_' || (t[i] >= 'A' && t[i] <= 'Z')))
		i++;
	if (i == off || i - off >= sizeof(mc->name))
		return 0;
	memcpy(mc->name, t + off, i - off);
	while (i < rw->len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n'))
		i++;
	if (i >= rw->len || t[i] != '(')
		return 0;
	arg_start = ++i;
	for (; i < rw->len; i++) {
		char c = t[i];

		if (c == '\n')
			mc->newlines++;
		if (quote) {
			if (c == '\\')
				i++;
			else if (c == quote)
				quote = 0;
			continue;
		}
		if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '(' || c == '[' || c == '{') {
			depth++;
		} else if ((c == ')' || c == ']' || c == '}') && depth) {
			depth--;
		} else if (c == ',' || c == ')') {
			if (mc->nargs == MAX_MACRO_ARGS)
				return -E2BIG;
			mc->args[mc->nargs] =
				trimmed(t + arg_start, i - arg_start);
			if (!mc->args[mc->nargs])
				return -ENOMEM;
			while (arg_start < i &&
			       (t[arg_start] == ' ' || t[arg_start] == '\t' ||
				t[arg_start] == '\n'))
				arg_start++;
			mc->args_at[mc->nargs] = arg_start;
			if (mc->args[mc->nargs][0] || c == ',' || mc->nargs)
				mc->nargs++;
			else
				free(mc->args[mc->nargs]);
			arg_start = i + 1;
			if (c == ')') {
				mc->begin = off;
				mc->end = i + 1;
				return 1;
			}
		}
	}
	return 0;
}

/* "\"hash\"" → "hash" */
static const char *unquote(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = 0;
		return s + 1;
	}
	return s;
}

struct macro_find {
	const char *name;
	CXCursor def;
};

static enum CXChildVisitResult find_macro(CXCursor c, CXCursor parent,
					  void *data)
{
	struct macro_find *f = data;
	CXString sp;

	(void)parent;
	if (clang_getCursorKind(c) != CXCursor_MacroDefinition)
		return CXChildVisit_Continue;
	sp = clang_getCursorSpelling(c);
	if (!strcmp(clang_getCString(sp), f->name))
		f->def = c; /* the last definition wins */
	clang_disposeString(sp);
	return CXChildVisit_Continue;
}

/*
 * A table type given through a macro, BPF_TABLE(MAPTYPE, ...) with
 * -DMAPTYPE="hash" (BCC expands it before it reads the type): the string
 * the macro stands for, malloc'd; NULL if it is no such macro.
 */
static char *macro_string(struct ember_rewriter *rw, const char *name)
{
	struct macro_find f = { .name = name, .def = clang_getNullCursor() };
	CXToken *toks = NULL;
	unsigned int n = 0;
	char *out = NULL;

	clang_visitChildren(clang_getTranslationUnitCursor(rw->tu), find_macro,
			    &f);
	if (clang_Cursor_isNull(f.def))
		return NULL;
	clang_tokenize(rw->tu, clang_getCursorExtent(f.def), &toks, &n);
	for (unsigned int i = 0; i < n && !out; i++) {
		CXString sp = clang_getTokenSpelling(rw->tu, toks[i]);
		const char *t = clang_getCString(sp);

		if (clang_getTokenKind(toks[i]) == CXToken_Literal && t &&
		    t[0] == '"')
			out = strdup(t);
		clang_disposeString(sp);
	}
	clang_disposeTokens(rw->tu, toks, n);
	return out;
}

struct table_def {
	const struct ember_table_kind *kind;
	const char *name, *key, *value, *max, *flags, *pin, *inner;
	enum ember_table_sharing sharing;
	bool key_is_int; /* histogram: ARRAY when the key is an int */
};

/*
 * A ring buffer's page count must be a power of 2 (the kernel's rule for its
 * size): 1 when it is, 0 when it is not, -1 when it is an expression (then a
 * static assertion in the definition checks it).
 */
static int ringbuf_pages_pow2(const char *pages)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(pages, &end, 0);
	while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
		end++;
	if (end == pages || *end || errno)
		return -1;
	return n && !(n & (n - 1));
}

/* Map every macro form onto one definition; NULL fields take defaults. */
static int normalize(struct ember_rewriter *rw, size_t at,
		     struct macro_call *mc, struct table_def *d)
{
	char **a = mc->args;
	int n = mc->nargs;
	const char *m = mc->name;
	const char *kind = NULL;

	memset(d, 0, sizeof(*d));
#define NEED(lo, hi)                                                           \
	do {                                                                   \
		if (n < (lo) || n > (hi))                                      \
			return ember__rewrite_error_at(                        \
				rw, at, "%s takes %d to %d arguments, not %d", \
				m, (lo), (hi), n);                             \
	} while (0)
	if (!strcmp(m, "BPF_TABLE") || !strcmp(m, "BPF_F_TABLE") ||
	    !strcmp(m, "BPF_TABLE_PINNED") || !strcmp(m, "BPF_TABLE_PUBLIC") ||
	    !strcmp(m, "BPF_TABLE_SHARED")) {
		bool f = !strcmp(m, "BPF_F_TABLE"),
		     pin = m[10] == 'P' && m[11] == 'I';

		NEED(5, f ? 6 : pin ? 7 : 5);
		if (a[0][0] != '"') {
			char *v = macro_string(rw, a[0]);

			if (!v)
				return ember__rewrite_error_at(
					rw, mc->args_at[0],
					"%s's table type must be a string: "
					"\"%s\", not %s",
					m, a[0], a[0]);
			free(a[0]);
			a[0] = v;
		}
		kind = unquote(a[0]);
		d->key = a[1];
		d->value = a[2];
		d->name = a[3];
		d->max = a[4];
		if (f)
			d->flags = a[5];
		if (pin) {
			if (n < 6)
				return ember__rewrite_error_at(
					rw, at, "%s needs a pin path", m);
			d->pin = a[5];
			d->flags = n > 6 ? a[6] : NULL;
		}
		if (!strcmp(m, "BPF_TABLE_PUBLIC") ||
		    !strcmp(m, "BPF_TABLE_SHARED"))
			d->sharing = EMBER_TABLE_EXPORTED;
		if (!strcmp(kind, "extern"))
			d->sharing = EMBER_TABLE_IMPORTED;
	} else if (!strcmp(m, "BPF_HASH") || !strcmp(m, "BPF_PERCPU_HASH") ||
		   !strcmp(m, "BPF_LRU_HASH") || !strcmp(m, "BPF_LPM_TRIE") ||
		   !strcmp(m, "BPF_SOCKHASH")) {
		NEED(1, 4);
		kind = !strcmp(m, "BPF_HASH")	       ? "hash"
		       : !strcmp(m, "BPF_PERCPU_HASH") ? "percpu_hash"
		       : !strcmp(m, "BPF_LRU_HASH")    ? "lru_hash"
		       : !strcmp(m, "BPF_LPM_TRIE")    ? "lpm_trie"
						       : "sockhash";
		d->name = a[0];
		d->key = n > 1 ? a[1] : NULL;
		d->value = n > 2 ? a[2] : NULL;
		d->max = n > 3 ? a[3] : NULL;
		if (!strcmp(kind, "sockhash")) {
			/* BCC: BPF_SOCKHASH(name[, key][, max]) */
			d->max = n > 2 ? a[2] : NULL;
			d->value = NULL;
		}
	} else if (!strcmp(m, "BPF_ARRAY") || !strcmp(m, "BPF_PERCPU_ARRAY")) {
		NEED(1, 3);
		kind = m[4] == 'P' ? "percpu_array" : "array";
		d->name = a[0];
		d->key = "int";
		d->value = n > 1 ? a[1] : NULL;
		d->max = n > 2 ? a[2] : NULL;
	} else if (!strcmp(m, "BPF_HISTOGRAM")) {
		NEED(1, 3);
		kind = "histogram";
		d->name = a[0];
		d->key = n > 1 ? a[1] : "int";
		d->value = "__u64";
		d->max = n > 2 ? a[2] : "64";
	} else if (!strcmp(m, "BPF_STACK_TRACE") ||
		   !strcmp(m, "BPF_STACK_TRACE_BUILDID")) {
		NEED(2, 2);
		kind = m[15] ? "stacktrace_buildid" : "stacktrace";
		d->name = a[0];
		d->max = a[1];
	} else if (!strcmp(m, "BPF_PERF_OUTPUT")) {
		NEED(1, 1);
		kind = "perf_output";
		d->name = a[0];
	} else if (!strcmp(m, "BPF_RINGBUF_OUTPUT")) {
		NEED(2, 2);
		kind = "ringbuf";
		d->name = a[0];
		d->max = a[1]; /* pages */
		if (!ringbuf_pages_pow2(a[1]))
			return ember__rewrite_error_at(
				rw, mc->args_at[1],
				"%s's page count is %s, not a power of 2: the "
				"kernel needs a ring buffer of a power-of-2 "
				"number of pages",
				m, a[1]);
	} else if (!strcmp(m, "BPF_QUEUE") || !strcmp(m, "BPF_STACK")) {
		NEED(3, 4);
		kind = m[4] == 'Q' ? "queue" : "stack";
		d->name = a[0];
		d->value = a[1];
		d->max = a[2];
		d->flags = n > 3 ? a[3] : NULL;
	} else if (!strcmp(m, "BPF_ARRAY_OF_MAPS") ||
		   !strcmp(m, "BPF_HASH_OF_MAPS")) {
		bool hash = m[4] == 'H';
		/* BCC: (name, "inner", max), and for hashes also (name,
		 * "inner"), (name, key, "inner"), (name, key, "inner", max) */
		int inner = n > 1 && a[1][0] == '"' ? 1 : 2;

		NEED(hash ? 2 : 3, hash ? 4 : 3);
		kind = hash ? "hash_of_maps" : "array_of_maps";
		d->name = a[0];
		d->key = inner == 2 ? a[1] : "int";
		if (inner >= n || a[inner][0] != '"')
			return ember__rewrite_error_at(
				rw, at,
				"%s wants the inner table's name in quotes", m);
		d->inner = unquote(a[inner]);
		d->max = inner + 1 < n ? a[inner + 1] : NULL;
		if (inner + 2 < n)
			return ember__rewrite_error_at(
				rw, at, "%s takes at most %d arguments here", m,
				inner + 2);
	} else if (!strcmp(m, "BPF_SK_STORAGE") ||
		   !strcmp(m, "BPF_INODE_STORAGE") ||
		   !strcmp(m, "BPF_TASK_STORAGE") ||
		   !strcmp(m, "BPF_CGROUP_STORAGE") ||
		   !strcmp(m, "BPF_PERCPU_CGROUP_STORAGE")) {
		NEED(2, 2);
		kind = m[4] == 'S'   ? "sk_storage"
		       : m[4] == 'I' ? "inode_storage"
		       : m[4] == 'T' ? "task_storage"
		       : m[4] == 'C' ? "cgroup_storage"
				     : "percpu_cgroup_storage";
		d->name = a[0];
		d->value = a[1];
	} else {
		/* name, max: perf arrays, prog arrays, devmap, cpumap, ... */
		static const struct {
			const char *macro, *kind;
		} simple[] = {
			{ "BPF_PERF_ARRAY", "perf_array" },
			{ "BPF_PROG_ARRAY", "prog" },
			{ "BPF_DEVMAP", "devmap" },
			{ "BPF_CPUMAP", "cpumap" },
			{ "BPF_XSKMAP", "xskmap" },
			{ "BPF_CGROUP_ARRAY", "cgroup_array" },
			{ "BPF_SOCKMAP", "sockmap" },
		};
		for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
			if (!strcmp(m, simple[i].macro))
				kind = simple[i].kind;
		if (!kind)
			return 0; /* not a table macro */
		NEED(2, 2);
		d->name = a[0];
		d->max = a[1];
	}
#undef NEED
	d->kind = ember__table_kind(kind);
	if (!d->kind)
		return ember__rewrite_error_at(
			rw, at,
			"unknown table type \"%s\" (BCC's types: hash, array, "
			"percpu_hash, percpu_array, lru_hash, lru_percpu_hash, "
			"lpm_trie, histogram, prog, perf_output, perf_array, "
			"ringbuf, queue, stack, stacktrace, ...)",
			kind);
	if (!strcmp(kind, "histogram"))
		d->key_is_int = !strcmp(d->key, "int");
	return 1;
}

static unsigned long pow2(const char *max)
{
	unsigned long n = strtoul(max, NULL, 0), p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static int emit_definition(struct walk *w, const struct macro_call *mc,
			   const struct table_def *d, struct table *t)
{
	const struct ember_table_kind *k = d->kind;
	const char *map_type = k->map_type;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int err;

	if (!f)
		return -ENOMEM;
	if (k->flags & EMBER_TABLE_RINGBUF && w->ringbufs == 0)
		/* the drop counters every ring buffer of the program shares */
		fprintf(f,
			"struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); "
			"__type(key, __u32); __type(value, __u64); "
			"__uint(max_entries, %d); } %s SEC(\".maps\"); ",
			MAX_RINGBUFS, EMBER_RINGBUF_DROPS_MAP);
	if (!strcmp(k->bcc_name, "histogram") && !d->key_is_int)
		map_type = "BPF_MAP_TYPE_HASH";
	if (k->flags & EMBER_TABLE_RINGBUF && ringbuf_pages_pow2(d->max) < 0)
		/* pages given by an expression: checked when it is known */
		fprintf(f,
			"_Static_assert((%s) > 0 && !((%s) & ((%s) - 1)), "
			"\"%s's page count must be a power of 2\"); ",
			d->max, d->max, d->max, mc->name);
	fprintf(f, "struct { __uint(type, %s); ", map_type);
	if (k->flags & EMBER_TABLE_FD_VALUES) {
		/* key and value are fds/indexes: sizes, not types */
		if (d->key && strcmp(d->key, "int"))
			fprintf(f, "__type(key, %s); ", d->key);
		else
			fprintf(f, "__uint(key_size, sizeof(__u32)); ");
		if (!d->inner) /* maps of maps: __array(values) below */
			fprintf(f, "__uint(value_size, sizeof(__u32)); ");
	} else if (k->flags & EMBER_TABLE_STACKS) {
		fprintf(f,
			"__uint(key_size, sizeof(__u32)); "
			"__uint(value_size, %s); ",
			k->flags & EMBER_TABLE_BUILDID
				? "127 * sizeof(struct bpf_stack_build_id)"
				: "127 * sizeof(__u64)");
	} else if (k->flags & EMBER_TABLE_NO_KEY) {
		fprintf(f, "__type(value, %s); ", d->value);
	} else if (!(k->flags & EMBER_TABLE_RINGBUF)) {
		fprintf(f, "__type(key, %s); __type(value, %s); ",
			d->key ? d->key : k->default_key,
			d->value ? d->value : "__u64");
	}
	if (k->flags & EMBER_TABLE_RINGBUF)
		fprintf(f, "__uint(max_entries, (%s) * %ld); ", d->max,
			sysconf(_SC_PAGESIZE));
	else if (k->flags & EMBER_TABLE_STACKS)
		/* the kernel wants a power of two; BCC rounds up too */
		fprintf(f, "__uint(max_entries, %lu); ", pow2(d->max));
	else if (d->max)
		fprintf(f, "__uint(max_entries, %s); ", d->max);
	else if (k->default_max)
		fprintf(f, "__uint(max_entries, %d); ", k->default_max);
	if (d->flags && k->map_flags && strstr(d->flags, k->map_flags))
		fprintf(f, "__uint(map_flags, %s); ", d->flags);
	else if (d->flags || k->map_flags)
		fprintf(f, "__uint(map_flags, %s%s%s); ",
			k->map_flags ? k->map_flags : "",
			k->map_flags && d->flags ? " | " : "",
			d->flags ? d->flags : "");
	/* the inner map's definition: a flexible array, so the last member */
	if (d->inner)
		fprintf(f, "__array(values, typeof(%s)); ", d->inner);
	fprintf(f, "} %s SEC(\".maps\")", d->name);
	for (unsigned int i = 0; i < mc->newlines; i++)
		fputc('\n', f);
	if (fclose(f)) {
		free(out);
		return -ENOMEM;
	}
	err = ember__edits_replace(&w->rw->edits, mc->begin,
				   mc->end - mc->begin, out);
	free(out);
	if (err)
		return err;
	t->name = strdup(d->name);
	t->kind = k;
	t->sharing = d->sharing;
	if (d->pin) {
		char *q = strdup(d->pin);

		t->pin_path = q ? strdup(unquote(q)) : NULL;
		free(q);
		if (!t->pin_path)
			return -ENOMEM;
	}
	t->drop_slot = k->flags & EMBER_TABLE_RINGBUF ? w->ringbufs++ : -1;
	if (w->ringbufs > MAX_RINGBUFS)
		return ember__rewrite_error_at(w->rw, mc->begin,
					       "at most %d ring buffers",
					       MAX_RINGBUFS);
	return t->name ? 0 : -ENOMEM;
}

static struct table *find_table(struct walk *w, const char *name)
{
	for (size_t i = 0; i < w->tables_cnt; i++)
		if (!strcmp(w->tables[i].name, name))
			return &w->tables[i];
	return NULL;
}

static int table_decl(struct walk *w, CXCursor var)
{
	struct ember_rewriter *rw = w->rw;
	struct macro_call mc;
	struct table_def d;
	struct table *v;
	size_t b, e;
	int r;

	if (!ember__cursor_offsets(rw, var, &b, &e))
		return 0;
	r = read_macro_call(rw, b, &mc);
	if (r <= 0 || strncmp(mc.name, "BPF_", 4)) {
		macro_call_free(&mc);
		return r < 0 ? r : 0;
	}
	r = normalize(rw, b, &mc, &d);
	/* libclang may list the first declaration of a file twice */
	if (r <= 0 || find_table(w, d.name)) {
		macro_call_free(&mc);
		return r < 0 ? r : 0;
	}
	v = realloc(w->tables, (w->tables_cnt + 1) * sizeof(*v));
	if (!v) {
		macro_call_free(&mc);
		return -ENOMEM;
	}
	w->tables = v;
	memset(&v[w->tables_cnt], 0, sizeof(*v));
	r = emit_definition(w, &mc, &d, &v[w->tables_cnt]);
	if (v[w->tables_cnt].name)
		w->tables_cnt++;
	macro_call_free(&mc);
	return r;
}

/* ---- method calls ------------------------------------------------------ */

static enum CXChildVisitResult first_child(CXCursor c, CXCursor parent,
					   void *data)
{
	(void)parent;
	*(CXCursor *)data = c;
	return CXChildVisit_Break;
}

static CXCursor child_of(CXCursor c)
{
	CXCursor child = clang_getNullCursor();

	clang_visitChildren(c, first_child, &child);
	return child;
}

/* Look through implicit casts: the type the user wrote. */
static CXType written_type(CXCursor expr)
{
	while (clang_getCursorKind(expr) == CXCursor_UnexposedExpr) {
		CXCursor c = child_of(expr);

		if (clang_Cursor_isNull(c))
			break;
		expr = c;
	}
	return clang_getCursorType(expr);
}

static void record_event_type(struct table *t, CXType ptr)
{
	CXType pointee = clang_getPointeeType(ptr);
	CXString sp;
	const char *s;

	CXCursor decl;

	if (pointee.kind == CXType_Invalid || pointee.kind == CXType_Void ||
	    t->event_type)
		return;
	/* The host finds the type in the object's BTF, where it only is when
	 * the rewritten text names it at file scope (compile.c anchors it);
	 * a type declared inside a function cannot be named there. */
	decl = clang_getTypeDeclaration(clang_getCanonicalType(pointee));
	if (!clang_Cursor_isNull(decl) &&
	    clang_getCursorKind(decl) != CXCursor_NoDeclFound &&
	    clang_getCursorKind(clang_getCursorSemanticParent(decl)) !=
		    CXCursor_TranslationUnit)
		return;
	sp = clang_getTypeSpelling(pointee);
	s = clang_getCString(sp);
	/* "const struct data_t" → "struct data_t"; anonymous types have no
	 * name the host could find. */
	if (!strncmp(s, "const ", 6))
		s += 6;
	if (!strstr(s, "(unnamed") && !strstr(s, "(anonymous"))
		t->event_type = strdup(s);
	clang_disposeString(sp);
}

struct call {
	CXCursor cursor;
	size_t begin, end; /* whole call */
	size_t name_end; /* just past "t.method(" */
	int nargs;
	size_t arg_begin[8], arg_end[8];
};

static int arg_separator(struct walk *w, const struct call *c, int i,
			 const char *text)
{
	/* replaces the ", " between argument i and i+1 */
	return ember__edits_replace(&w->rw->edits, c->arg_end[i],
				    c->arg_begin[i + 1] - c->arg_end[i], text);
}

/* open before [b, e), close after it, outside later rewriters' wraps */
static int wrap(struct ember_edits *ed, size_t b, size_t e, const char *open,
		const char *close)
{
	int err = ember__edits_insert(ed, b, open);

	return err ? err : ember__edits_insert_after(ed, e, close);
}

static int rewrite_method(struct walk *w, struct table *t, const char *method,
			  struct call *c)
{
	struct ember_rewriter *rw = w->rw;
	const struct ember_table_method *m =
		ember__table_method(t->kind, method);
	struct ember_edits *ed = &rw->edits;
	char head[256];
	int err;

	if (!m) {
		if (!ember__table_method(NULL, method))
			return ember__rewrite_error(
				rw, c->cursor, "'%s' is not a table method",
				method);
		return ember__rewrite_error(
			rw, c->cursor,
			"table '%s' is a %s table, which has no method '%s'",
			t->name, t->kind->bcc_name, method);
	}
	if (c->nargs < m->min_args || c->nargs > m->max_args)
		return ember__rewrite_error(
			rw, c->cursor, "%s.%s() takes %d%s%d arguments, not %d",
			t->name, method, m->min_args,
			m->min_args == m->max_args ? "" : " to ",
			m->min_args == m->max_args ? 0 : m->max_args, c->nargs);
	/* The helper call up to its first argument; "%s" is the table. */
	if (m->table_arg < 0) {
		snprintf(head, sizeof(head), "%s(", m->helper);
	} else if (m->table_arg == 0) {
		snprintf(head, sizeof(head), "%s(&%s%s", m->helper, t->name,
			 c->nargs ? ", " : "");
		if (m->flags & EMBER_METHOD_DROP_SLOT)
			snprintf(head, sizeof(head), "%s(&%s, %d, ", m->helper,
				 t->name, t->drop_slot);
	} else {
		snprintf(head, sizeof(head), "%s(", m->helper);
	}
	err = ember__edits_replace(ed, c->begin, c->name_end - c->begin, head);
	if (!err && m->table_arg > 0) {
		char sep[128];

		/* the table goes after argument table_arg - 1 */
		snprintf(sep, sizeof(sep), ", &%s%s, ", t->name,
			 m->after_table ? m->after_table : "");
		err = arg_separator(w, c, m->table_arg - 1, sep);
	}
	/* An argument with a comma, such as a compound literal, is one
	 * argument of a helper macro only inside parentheses. */
	for (int i = 0; !err && i < c->nargs; i++)
		if (memchr(rw->text + c->arg_begin[i], ',',
			   c->arg_end[i] - c->arg_begin[i]))
			err = wrap(ed, c->arg_begin[i], c->arg_end[i], "(",
				   ")");
	if (!err && m->skb_len) /* perf_submit_skb: the length rides in flags */
		err = wrap(ed, c->arg_begin[1], c->arg_end[1], "((__u64)(",
			   ") << 32) | BPF_F_CURRENT_CPU");
	/* after the last argument, outside whatever later rewriters wrap it
	 * in (a kernel read of t->pid) */
	if (!err && c->nargs < m->max_args && m->default_last)
		err = ember__edits_insert_after(ed, c->end - 1,
						m->default_last);
	if (!err && m->append)
		err = ember__edits_insert_after(ed, c->end - 1, m->append);
	if (!err && m->flags & EMBER_METHOD_RECORDS_EVENT &&
	    c->nargs > m->event_arg)
		record_event_type(t,
				  written_type(clang_Cursor_getArgument(
					  c->cursor, (unsigned)m->event_arg)));
	if (!err && m->flags & EMBER_METHOD_RESERVES &&
	    w->init_type.kind == CXType_Pointer)
		record_event_type(t, w->init_type);
	return err;
}

/* t.method(args): the callee is a member reference on a table variable. */
static int method_call(struct walk *w, CXCursor call)
{
	struct ember_rewriter *rw = w->rw;
	CXCursor callee = child_of(call), base;
	CXString method_sp, base_sp;
	struct table *t;
	struct call c = { .cursor = call };
	size_t mb, me;
	int err = 0;

	while (clang_getCursorKind(callee) == CXCursor_UnexposedExpr)
		callee = child_of(callee);
	if (clang_getCursorKind(callee) != CXCursor_MemberRefExpr)
		return 0;
	base = child_of(callee);
	while (clang_getCursorKind(base) == CXCursor_UnexposedExpr)
		base = child_of(base);
	if (clang_getCursorKind(base) != CXCursor_DeclRefExpr)
		return 0;
	base_sp = clang_getCursorSpelling(base);
	t = find_table(w, clang_getCString(base_sp));
	clang_disposeString(base_sp);
	if (!t)
		return 0;
	if (ember__cursor_in_macro(call))
		return ember__rewrite_error(
			rw, call,
			"a table method call inside a "
			"macro cannot be rewritten; call it "
			"outside the macro");
	if (!ember__cursor_offsets(rw, call, &c.begin, &c.end) ||
	    !ember__cursor_offsets(rw, callee, &mb, &me))
		return 0;
	/* "t.method" ends at me; the '(' follows, maybe after spaces */
	c.name_end = me;
	while (c.name_end < c.end && rw->text[c.name_end] != '(')
		c.name_end++;
	c.name_end++;
	c.nargs = clang_Cursor_getNumArguments(call);
	if (c.nargs > 8)
		c.nargs = 8;
	for (int i = 0; i < c.nargs; i++)
		if (!ember__cursor_offsets(
			    rw, clang_Cursor_getArgument(call, (unsigned)i),
			    &c.arg_begin[i], &c.arg_end[i]))
			return 0;
	method_sp = clang_getCursorSpelling(callee);
	err = rewrite_method(w, t, clang_getCString(method_sp), &c);
	clang_disposeString(method_sp);
	return err;
}

static enum CXChildVisitResult visit_body(CXCursor c, CXCursor parent,
					  void *data)
{
	struct walk *w = data;
	enum CXCursorKind k = clang_getCursorKind(c);
	CXType saved;
	int err;

	(void)parent;
	if (k == CXCursor_VarDecl) {
		saved = w->init_type;
		w->init_type = clang_getCursorType(c);
		clang_visitChildren(c, visit_body, w);
		w->init_type = saved;
		return w->err == -ENOMEM ? CXChildVisit_Break
					 : CXChildVisit_Continue;
	}
	if (k == CXCursor_CallExpr) {
		err = method_call(w, c);
		if (err && (err != -EINVAL || !w->err))
			w->err = err;
		if (err == -ENOMEM)
			return CXChildVisit_Break;
	}
	return CXChildVisit_Recurse;
}

/*
 * A table macro declares a struct and then a variable of it; with no name
 * (BPF_ARRAY(), BPF_TABLE("hash", u32, u64, , 16)) only the struct is left,
 * which C lets pass with a warning.
 */
static int unnamed_table(struct walk *w)
{
	size_t at = w->unnamed_at - 1;
	struct macro_call mc;
	struct table_def d;
	int r;

	w->unnamed_at = 0;
	r = read_macro_call(w->rw, at, &mc);
	if (r > 0 && mc.nargs)
		r = normalize(w->rw, at, &mc, &d);
	if (r > 0)
		r = ember__rewrite_error_at(
			w->rw, at,
			"%s declares no table: the table's name "
			"is missing",
			mc.name);
	macro_call_free(&mc);
	return r < 0 ? r : 0;
}

static enum CXChildVisitResult visit_top(CXCursor c, CXCursor parent,
					 void *data)
{
	struct walk *w = data;
	enum CXCursorKind k = clang_getCursorKind(c);
	size_t b, e, at = 0; /* 1 + offset, as unnamed_at */
	int err = 0;

	(void)parent;
	if (!ember__cursor_in_main(w->rw, c))
		return CXChildVisit_Continue;
	if ((k == CXCursor_StructDecl || k == CXCursor_VarDecl) &&
	    ember__cursor_offsets(w->rw, c, &b, &e))
		at = b + 1;
	if (w->unnamed_at && w->unnamed_at != at)
		err = unnamed_table(w);
	w->unnamed_at = 0;
	if (k == CXCursor_StructDecl && at && b + 4 < w->rw->len &&
	    !strncmp(w->rw->text + b, "BPF_", 4))
		w->unnamed_at = b + 1;
	else if (k == CXCursor_VarDecl && !err)
		err = table_decl(w, c);
	else if (clang_getCursorKind(c) == CXCursor_FunctionDecl &&
		 clang_isCursorDefinition(c))
		clang_visitChildren(c, visit_body, w);
	if (err && (err != -EINVAL || !w->err))
		w->err = err;
	return w->err == -ENOMEM ? CXChildVisit_Break : CXChildVisit_Continue;
}

int ember__rewrite_tables(struct ember_rewriter *rw)
{
	struct walk w = { .rw = rw };
	struct ember_table_decl *decls;
	size_t i;

	clang_visitChildren(clang_getTranslationUnitCursor(rw->tu), visit_top,
			    &w);
	if (w.unnamed_at && w.err != -ENOMEM) {
		int err = unnamed_table(&w);

		if (err && (err != -EINVAL || !w.err))
			w.err = err;
	}
	decls = calloc(w.tables_cnt ? w.tables_cnt : 1, sizeof(*decls));
	if (!decls && !w.err)
		w.err = -ENOMEM;
	for (i = 0; i < w.tables_cnt; i++) {
		if (decls) {
			decls[i].name = w.tables[i].name;
			decls[i].kind = strdup(w.tables[i].kind->bcc_name);
			decls[i].event_type = w.tables[i].event_type;
			decls[i].drop_slot = w.tables[i].drop_slot;
			decls[i].pin_path = w.tables[i].pin_path;
			decls[i].sharing = w.tables[i].sharing;
		} else {
			free(w.tables[i].name);
			free(w.tables[i].event_type);
			free(w.tables[i].pin_path);
		}
	}
	free(w.tables);
	rw->tables = decls;
	rw->tables_cnt = decls ? w.tables_cnt : 0;
	return w.err;
}
