// SPDX-License-Identifier: MIT
/*
 * Implicit kernel memory reads, as BCC does them and a bit further:
 *   req->__data_len            → __ember_kread(req->__data_len)
 *   t->real_parent->tgid       → __ember_kread(__ember_kread(t->real_parent)->tgid)
 *   bpf_trace_printk("%s", args->filename)
 *                              → bpf_trace_printk("%s", __ember_ustr(args->filename))
 * Which pointers point into the kernel comes from kernel_read_provenance.c.
 * Every read (lvalue-to-rvalue) of kernel or user memory is wrapped with a
 * macro of prelude/kernel_reads.h that reads it with bpf_probe_read_kernel
 * or _user; the address inside keeps the CO-RE relocations of the fields.
 * Taking an address (&t->comm), selecting a member (a->b.c) and letting an
 * array decay read nothing and are left alone. Writes through such
 * pointers, and reads this file cannot rewrite (inside a macro's own text),
 * are errors at the user's line:col that say what to do instead.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/kernel_read_provenance.h"
#include "compiler/printk_format.h"
#include "compiler/rewriter.h"
#include "kernel/btf_header.h"

/* Wraps placed around a node (outermost first). */
enum wrap {
	W_NONE,
	W_READ, /* __ember_kread( / __ember_uread( */
	W_BITFIELD, /* __ember_kread_bitfield(s, f) */
	W_STR, /* __ember_kstr( / __ember_ustr( */
	W_COPY, /* __ember_kcopy( / __ember_ucopy( */
	W_COPY_ARRAY, /* __ember_kcopy_array( / ... */
};

struct wrapped {
	size_t b, e;
	int wrap;
};

struct walk {
	struct kr_tree *t;
	struct ember_rewriter *rw;
	unsigned char *outer; /* per node: a call-argument wrap (enum wrap) */
	struct wrapped *seen; /* ranges wrapped, for macro arguments */
	size_t seen_cnt;
	int err;
};

static void note(struct walk *w, int err)
{
	if (err == -ENOMEM || !w->err)
		w->err = err;
}

/* ---- where a node is in the user's text ------------------------------- */

enum place {
	PLACE_TEXT, /* written in the user's text (maybe around macros) */
	PLACE_MACRO_ARG, /* entirely inside one macro argument */
	PLACE_MACRO, /* made by a macro's own text */
	PLACE_NONE, /* not in the main file at all */
};

/*
 * libclang (14) reports a token of a macro's body at the place the macro is
 * expanded, as spelling and file location alike; a token of a macro
 * argument at the place the argument is written (file location) and at the
 * expansion (expansion location). So: a location whose two differ is in an
 * argument; one whose two agree is in the text, or in a macro body, which
 * only the text found there tells apart.
 */
enum loc_kind { LOC_TEXT, LOC_ARG, LOC_NONE };

static enum loc_kind loc_kind(struct ember_rewriter *rw, CXSourceLocation l,
			      size_t *off)
{
	CXFile fe, ff;
	unsigned int xe, xf;

	clang_getExpansionLocation(l, &fe, NULL, NULL, &xe);
	clang_getFileLocation(l, &ff, NULL, NULL, &xf);
	if (!fe || !ff || !clang_File_isEqual(fe, rw->main_file) ||
	    !clang_File_isEqual(ff, rw->main_file) || xf > rw->len)
		return LOC_NONE;
	*off = xf;
	return xe == xf ? LOC_TEXT : LOC_ARG;
}

static size_t ident_end(const struct ember_rewriter *rw, size_t off)
{
	while (off < rw->len &&
	       (rw->text[off] == '_' ||
		(rw->text[off] >= 'a' && rw->text[off] <= 'z') ||
		(rw->text[off] >= 'A' && rw->text[off] <= 'Z') ||
		(rw->text[off] >= '0' && rw->text[off] <= '9')))
		off++;
	return off;
}

static bool ident_at(const struct ember_rewriter *rw, size_t off,
		     const char *name)
{
	size_t n = strlen(name);

	return n && ident_end(rw, off) - off == n &&
	       !memcmp(rw->text + off, name, n);
}

/* Is the token that anchors node n (its member name, its operator) written
 * at off? */
static bool anchor_written(struct walk *w, int n, size_t off)
{
	const struct kr_node *x = &w->t->n[n];
	const char *txt = w->rw->text;
	CXString sp;
	bool yes;

	switch (x->kind) {
	case CXCursor_MemberRefExpr:
	case CXCursor_DeclRefExpr:
		sp = clang_getCursorSpelling(x->c);
		yes = ident_at(w->rw, off, clang_getCString(sp));
		clang_disposeString(sp);
		return yes;
	case CXCursor_UnaryOperator:
		return x->op != KR_OP_DEREF || txt[off] == '*';
	case CXCursor_ArraySubscriptExpr:
		return off > 0 && txt[off - 1] == ']';
	default:
		return true;
	}
}

/* Is the identifier at off a field alias (sk_state, inet_dport, s6_addr)
 * that ends with node n's member? */
static bool alias_anchor(struct walk *w, int n, size_t off)
{
	const struct kr_node *x = &w->t->n[n];
	CXString sp;
	bool yes;

	if (x->kind != CXCursor_MemberRefExpr)
		return false;
	sp = clang_getCursorSpelling(x->c);
	yes = ember__btf_field_alias(w->rw->text + off,
				     ident_end(w->rw, off) - off,
				     clang_getCString(sp));
	clang_disposeString(sp);
	return yes;
}

static CXSourceLocation anchor_loc(const struct kr_node *x)
{
	CXSourceRange r = clang_getCursorExtent(x->c);

	switch (x->kind) {
	case CXCursor_MemberRefExpr:
	case CXCursor_DeclRefExpr:
		return clang_getCursorLocation(x->c);
	case CXCursor_ArraySubscriptExpr:
		return clang_getRangeEnd(r);
	default:
		return clang_getRangeStart(r);
	}
}

/* Inside one macro argument: brackets balance, no comma between them. */
static bool one_argument(const struct ember_rewriter *rw, size_t b, size_t e)
{
	int depth = 0;
	char quote = 0;

	for (size_t i = b; i < e; i++) {
		char c = rw->text[i];

		if (quote) {
			if (c == '\\')
				i++;
			else if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '(' || c == '[' || c == '{') {
			depth++;
		} else if (c == ')' || c == ']' || c == '}') {
			if (--depth < 0)
				return false;
		} else if (c == ',' && !depth) {
			return false;
		}
	}
	return depth == 0 && !quote;
}

/*
 * Where node n's text is: [*b, *e) of the user's text when it can be
 * wrapped; for PLACE_MACRO, *b is where the macro is expanded.
 */
static enum place place_of(struct walk *w, int n, size_t *b, size_t *e)
{
	struct ember_rewriter *rw = w->rw;
	const struct kr_node *x = &w->t->n[n];
	CXSourceRange r = clang_getCursorExtent(x->c);
	CXSourceLocation anchor = anchor_loc(x);
	enum loc_kind k;
	size_t off;
	unsigned int exp;

	k = loc_kind(rw, anchor, &off);
	if (k == LOC_NONE)
		return PLACE_NONE;
	/* p->sk_state: the member is a field alias (a macro naming a member
	 * path): the node's text ends with the alias, which expands the same
	 * inside a wrap. */
	if (!anchor_written(w, n, off) && alias_anchor(w, n, off)) {
		size_t end = ident_end(rw, off);

		if (k == LOC_TEXT && ember__cursor_offsets(rw, x->c, b, e) &&
		    *b < end) {
			*e = end;
			return PLACE_TEXT;
		}
		if (k == LOC_ARG &&
		    loc_kind(rw, clang_getRangeStart(r), b) == LOC_ARG &&
		    *b < end && one_argument(rw, *b, end)) {
			*e = end;
			return PLACE_MACRO_ARG;
		}
	}
	if (!anchor_written(w, n, off)) {
		clang_getExpansionLocation(anchor, NULL, NULL, NULL, &exp);
		*b = *e = exp;
		return PLACE_MACRO;
	}
	if (k == LOC_TEXT)
		return ember__cursor_offsets(rw, x->c, b, e) ? PLACE_TEXT
							     : PLACE_NONE;
	if (loc_kind(rw, clang_getRangeStart(r), b) != LOC_ARG ||
	    loc_kind(rw, clang_getRangeEnd(r), e) != LOC_ARG || *e < *b ||
	    !one_argument(rw, *b, *e)) {
		clang_getExpansionLocation(anchor, NULL, NULL, NULL, &exp);
		*b = *e = exp;
		return PLACE_MACRO;
	}
	return PLACE_MACRO_ARG;
}

/* Short text of a node for messages. */
static void node_text(struct walk *w, int n, char *buf, size_t sz)
{
	size_t b, e;
	enum place p = place_of(w, n, &b, &e);
	int len;

	if ((p != PLACE_TEXT && p != PLACE_MACRO_ARG) || e <= b) {
		CXString sp = clang_getCursorSpelling(w->t->n[n].c);

		snprintf(buf, sz, "%s", clang_getCString(sp));
		clang_disposeString(sp);
		return;
	}
	len = (int)(e - b);
	if (len > 48)
		snprintf(buf, sz, "%.45s...", w->rw->text + b);
	else
		snprintf(buf, sz, "%.*s", len, w->rw->text + b);
	for (char *q = buf; *q; q++)
		if (*q == '\n' || *q == '\t')
			*q = ' ';
}

/* An error at the start of node n's text (where the user sees it). */
static void error_at_node(struct walk *w, int n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void error_at_node(struct walk *w, int n, const char *fmt, ...)
{
	char msg[512];
	size_t b, e;
	enum place p = place_of(w, n, &b, &e);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p == PLACE_TEXT || p == PLACE_MACRO_ARG)
		note(w, ember__rewrite_error_at(w->rw, b, "%s", msg));
	else
		note(w, ember__rewrite_error(w->rw, w->t->n[n].c, "%s", msg));
}

/* ---- edits ------------------------------------------------------------ */

/* A macro argument may be expanded more than once: wrap its text once. */
static bool first_time(struct walk *w, size_t b, size_t e, int wrap)
{
	struct wrapped *s;

	for (size_t i = 0; i < w->seen_cnt; i++)
		if (w->seen[i].b == b && w->seen[i].e == e &&
		    w->seen[i].wrap == wrap)
			return false;
	s = realloc(w->seen, (w->seen_cnt + 1) * sizeof(*s));
	if (!s) {
		note(w, -ENOMEM);
		return false;
	}
	w->seen = s;
	s[w->seen_cnt++] = (struct wrapped){ b, e, wrap };
	return true;
}

static void insert(struct walk *w, size_t off, const char *text)
{
	int err = ember__edits_insert(&w->rw->edits, off, text);

	if (err)
		note(w, err);
}

/* ---- what a read looks like ------------------------------------------- */

enum use { USE_READ, USE_NONE, USE_WRITE };

/* How the value of lvalue n is used by its parent. */
static enum use use_of(struct walk *w, int n)
{
	struct kr_tree *t = w->t;
	int up = n, p = t->n[n].parent;
	struct kr_node *x = &t->n[n];

	if (x->unevaluated || ember__kr_is_array(x->type) ||
	    x->type.kind == CXType_FunctionProto ||
	    x->type.kind == CXType_FunctionNoProto)
		return USE_NONE; /* arrays decay: an address, no read */
	while (p >= 0 && t->n[p].kind == CXCursor_ParenExpr) {
		up = p;
		p = t->n[p].parent;
	}
	if (p < 0)
		return USE_READ;
	switch (t->n[p].kind) {
	case CXCursor_MemberRefExpr:
		/* a->b.c: the outer member is the read */
		return t->n[p].child == up &&
				       t->n[up].type.kind != CXType_Pointer
			       ? USE_NONE
			       : USE_READ;
	case CXCursor_UnaryOperator:
		if (t->n[p].op == KR_OP_ADDR)
			return USE_NONE;
		return t->n[p].op == KR_OP_INCDEC ? USE_WRITE : USE_READ;
	case CXCursor_BinaryOperator:
		return t->n[p].op == KR_OP_ASSIGN && t->n[p].child == up
			       ? USE_WRITE
			       : USE_READ;
	case CXCursor_CompoundAssignOperator:
		return t->n[p].child == up ? USE_WRITE : USE_READ;
	case CXCursor_UnaryExpr:
		return USE_NONE;
	default:
		return USE_READ;
	}
}

static bool is_lvalue_kind(const struct kr_node *x)
{
	return x->kind == CXCursor_MemberRefExpr ||
	       x->kind == CXCursor_ArraySubscriptExpr ||
	       (x->kind == CXCursor_UnaryOperator && x->op == KR_OP_DEREF);
}

static const char *mem_word(enum kr_mem m)
{
	return m == KR_MEM_USER ? "user" : "kernel";
}

/* The pointer node n's memory was reached through (for messages). */
static int via_pointer(struct kr_tree *t, int n)
{
	int a = ember__kr_child(t, n, 0);

	if (a >= 0 && t->n[n].kind == CXCursor_MemberRefExpr &&
	    t->n[a].type.kind != CXType_Pointer)
		return via_pointer(t, ember__kr_strip(t, a));
	return a;
}

/* Kernel/user ambiguity, writes and unmappable reads; returns the wrap. */
static enum wrap read_wrap(struct walk *w, int n)
{
	struct kr_tree *t = w->t;
	struct kr_node *x = &t->n[n];
	char what[64], ptr[64];
	enum use u;
	int v;

	if (!is_lvalue_kind(x) ||
	    (x->mem != KR_MEM_KERNEL && x->mem != KR_MEM_USER))
		return W_NONE;
	u = use_of(w, n);
	if (u == USE_NONE)
		return W_NONE;
	node_text(w, n, what, sizeof(what));
	if (u == USE_WRITE) {
		error_at_node(w, n,
			      x->mem == KR_MEM_KERNEL
				      ? "'%s' is kernel memory, which a BPF "
					"program may read but not write; copy "
					"the value into a local variable and "
					"change the copy"
				      : "'%s' is user memory, which ember does "
					"not write implicitly; use "
					"bpf_probe_write_user() if you mean to",
			      what);
		return W_NONE;
	}
	if ((x->mprov & (KR_KERNEL | KR_USER)) == (KR_KERNEL | KR_USER)) {
		v = via_pointer(t, n);
		if (v >= 0)
			node_text(w, v, ptr, sizeof(ptr));
		else
			snprintf(ptr, sizeof(ptr), "%s", what);
		note(w, ember__rewrite_error(
				w->rw, x->c,
				"'%s' may point to kernel or to user memory "
				"(it is given both); give the user pointer a "
				"__user type, or keep the two in separate "
				"variables",
				ptr));
		return W_NONE;
	}
	if (x->kind == CXCursor_MemberRefExpr &&
	    clang_Cursor_isBitField(clang_getCursorReferenced(x->c))) {
		if (x->mem == KR_MEM_USER) {
			error_at_node(w, n,
				      "'%s' is a bitfield in user memory, "
				      "which ember cannot read implicitly; "
				      "read the word that holds it with "
				      "bpf_probe_read_user() and mask it",
				      what);
			return W_NONE;
		}
		return W_BITFIELD;
	}
	return W_READ;
}

/* ---- call arguments: strings, keys, values ------------------------------ */

/* The i-th argument node of call n. */
static int arg_node(struct kr_tree *t, int n, int i)
{
	CXCursor a = clang_Cursor_getArgument(t->n[n].c, (unsigned int)i);

	for (int k = t->n[n].child; k >= 0; k = t->n[k].next)
		if (clang_equalCursors(t->n[k].c, a))
			return k;
	return -1;
}

/* Conversions of a printk format: the argument indexes taking %s. */
static unsigned int string_args(const char *s, size_t len)
{
	struct ember__printk_conv cv[31];
	size_t n = ember__printk_conversions(s, len, cv, 31);
	unsigned int mask = 0;

	for (size_t i = 0; i < n && i < 31; i++)
		if (cv[i].c == 's')
			mask |= 1u << (i + 1);
	return mask;
}

static void mark_string_args(struct walk *w, int call)
{
	struct kr_tree *t = w->t;
	int fmt = arg_node(t, call, 0), lit, nargs;
	unsigned int mask;
	size_t b, e;

	lit = ember__kr_strip(t, fmt);
	if (lit < 0 || t->n[lit].kind != CXCursor_StringLiteral ||
	    place_of(w, lit, &b, &e) != PLACE_TEXT)
		return;
	mask = string_args(w->rw->text + b, e - b);
	nargs = clang_Cursor_getNumArguments(t->n[call].c);
	for (int i = 1; i < nargs && i < 32; i++) {
		int a = arg_node(t, call, i);

		if (a < 0 || !(mask & (1u << i)))
			continue;
		if (ember__kr_mem_of(t->n[a].prov) == KR_MEM_KERNEL ||
		    ember__kr_mem_of(t->n[a].prov) == KR_MEM_USER)
			w->outer[a] = W_STR;
	}
}

/* Pointer arguments a map helper or a buffer reads from: kernel memory is
 * copied to the stack first. */
static void mark_copy(struct walk *w, int call, int i)
{
	struct kr_tree *t = w->t;
	int a = arg_node(t, call, i), s;
	char what[64];

	if (a < 0)
		return;
	s = a;
	while (s >= 0 &&
	       (t->n[s].kind == CXCursor_ParenExpr ||
		t->n[s].kind == CXCursor_UnexposedExpr) &&
	       t->n[s].child >= 0)
		s = t->n[s].child;
	if (s < 0 || (ember__kr_mem_of(t->n[s].prov) != KR_MEM_KERNEL &&
		      ember__kr_mem_of(t->n[s].prov) != KR_MEM_USER))
		return;
	if (ember__kr_is_array(t->n[s].type)) {
		w->outer[s] = W_COPY_ARRAY;
		return;
	}
	if (t->n[s].type.kind == CXType_Pointer &&
	    clang_getCanonicalType(clang_getPointeeType(t->n[s].type)).kind !=
		    CXType_Void) {
		w->outer[s] = W_COPY;
		return;
	}
	node_text(w, s, what, sizeof(what));
	error_at_node(w, s,
		      "'%s' points into %s memory, which a map helper cannot "
		      "read; copy it into a local variable with "
		      "bpf_probe_read_%s() and pass that",
		      what, mem_word(ember__kr_mem_of(t->n[s].prov)),
		      mem_word(ember__kr_mem_of(t->n[s].prov)));
}

/* Destinations of helpers that write: never kernel memory. */
static void check_destination(struct walk *w, int call, int i, const char *name)
{
	struct kr_tree *t = w->t;
	int a = arg_node(t, call, i);
	char what[64];

	if (a < 0 || ember__kr_mem_of(t->n[a].prov) != KR_MEM_KERNEL)
		return;
	node_text(w, a, what, sizeof(what));
	error_at_node(w, a,
		      "the destination of %s() is kernel memory ('%s'), "
		      "which a BPF program may not write; use a local "
		      "variable or a map value",
		      name, what);
}

static void replace_callee(struct walk *w, int call, const char *with)
{
	int c = ember__kr_strip(w->t, ember__kr_child(w->t, call, 0));
	size_t b, e;

	if (c < 0 || place_of(w, c, &b, &e) != PLACE_TEXT) {
		note(w, ember__rewrite_error(
				w->rw, w->t->n[call].c,
				"memcpy() from kernel memory cannot be "
				"rewritten here; call bpf_probe_read_kernel() "
				"instead"));
		return;
	}
	note(w, ember__edits_replace(&w->rw->edits, b, e - b, with));
}

static void visit_call(struct walk *w, int n)
{
	static const struct {
		const char *name;
		int args[2];
	} map_helpers[] = {
		{ "bpf_map_lookup_elem", { 1, -1 } },
		{ "bpf_map_update_elem", { 1, 2 } },
		{ "bpf_map_delete_elem", { 1, -1 } },
		{ "bpf_map_push_elem", { 1, -1 } },
		{ "bpf_perf_event_output", { 3, -1 } },
		{ "bpf_ringbuf_output", { 1, -1 } },
	}, methods[] = {
		{ "lookup", { 0, -1 } },	 { "lookup_or_init", { 0, 1 } },
		{ "lookup_or_try_init", { 0, 1 } }, { "update", { 0, 1 } },
		{ "insert", { 0, 1 } },		 { "delete", { 0, -1 } },
		{ "perf_submit", { 1, -1 } },	 { "ringbuf_output", { 0, -1 } },
		{ "push", { 0, -1 } },
	};
	struct kr_tree *t = w->t;
	char name[128], method[32];
	CXCursor table;
	size_t i;
	int callee;

	snprintf(name, sizeof(name), "%s", ember__kr_callee_name(t, n));
	callee = ember__kr_strip(t, ember__kr_child(t, n, 0));
	if (callee >= 0) {
		size_t b, e;
		enum place p = place_of(w, callee, &b, &e);

		/* a call a macro makes: its arguments are not the user's */
		if (p == PLACE_MACRO || p == PLACE_NONE)
			return;
	}
	if (!strcmp(name, "bpf_trace_printk")) {
		mark_string_args(w, n);
	} else if (ember__kr_table_method(t, n, &table, method,
					  sizeof(method))) {
		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			if (!strcmp(method, methods[i].name))
				for (int k = 0; k < 2; k++)
					if (methods[i].args[k] >= 0)
						mark_copy(w, n,
							  methods[i].args[k]);
	} else if (!strcmp(name, "memcpy") ||
		   !strcmp(name, "__builtin_memcpy")) {
		int src = arg_node(t, n, 1);
		enum kr_mem m = src < 0 ? KR_MEM_PROG
					: ember__kr_mem_of(t->n[src].prov);

		check_destination(w, n, 0, name);
		if (m == KR_MEM_KERNEL)
			replace_callee(w, n, "__ember_kmemcpy");
		else if (m == KR_MEM_USER)
			replace_callee(w, n, "__ember_umemcpy");
	} else if (!strncmp(name, "bpf_probe_read", 14) ||
		   !strcmp(name, "bpf_get_current_comm") ||
		   !strcmp(name, "memset") ||
		   !strcmp(name, "__builtin_memset")) {
		check_destination(w, n, 0, name);
	} else {
		for (i = 0; i < sizeof(map_helpers) / sizeof(map_helpers[0]);
		     i++)
			if (!strcmp(name, map_helpers[i].name))
				for (int k = 0; k < 2; k++)
					if (map_helpers[i].args[k] >= 0)
						mark_copy(
							w, n,
							map_helpers[i].args[k]);
	}
	/* calling through a function pointer read from the kernel */
	if (callee >= 0 && is_lvalue_kind(&t->n[callee]) &&
	    (t->n[callee].mem == KR_MEM_KERNEL ||
	     t->n[callee].mem == KR_MEM_USER)) {
		char what[64];

		node_text(w, callee, what, sizeof(what));
		error_at_node(w, callee,
			      "'%s' is a function pointer in kernel memory; "
			      "a BPF program cannot call kernel functions "
			      "through pointers",
			      what);
	}
}

/* ---- the walk --------------------------------------------------------- */

static const char *open_text(enum wrap wr, enum kr_mem m)
{
	bool u = m == KR_MEM_USER;

	switch (wr) {
	case W_READ:
		return u ? "__ember_uread(" : "__ember_kread(";
	case W_BITFIELD:
		return "__ember_kread_bitfield(";
	case W_STR:
		return u ? "__ember_ustr(" : "__ember_kstr(";
	case W_COPY:
		return u ? "__ember_ucopy(" : "__ember_kcopy(";
	case W_COPY_ARRAY:
		return u ? "__ember_ucopy_array(" : "__ember_kcopy_array(";
	default:
		return "";
	}
}

/* __ember_kread_bitfield(base, field): the member operator becomes a
 * comma; a '.' takes the address of the struct it selects from. */
static bool bitfield_edits(struct walk *w, int n, size_t b)
{
	struct kr_tree *t = w->t;
	int base = ember__kr_child(t, n, 0);
	size_t bb, be, i;
	unsigned int name_off;
	bool arrow;

	if (base < 0 || place_of(w, base, &bb, &be) != PLACE_TEXT)
		return false;
	clang_getExpansionLocation(clang_getCursorLocation(t->n[n].c), NULL,
				   NULL, NULL, &name_off);
	for (i = be;
	     i < name_off && (w->rw->text[i] == ' ' || w->rw->text[i] == '\t' ||
			      w->rw->text[i] == '\n');
	     i++)
		;
	arrow = t->n[base].type.kind == CXType_Pointer;
	if (i + (arrow ? 2 : 1) > name_off ||
	    strncmp(w->rw->text + i, arrow ? "->" : ".", arrow ? 2 : 1))
		return false;
	insert(w, b,
	       arrow ? "__ember_kread_bitfield(" : "__ember_kread_bitfield(&(");
	note(w, ember__edits_replace(&w->rw->edits, i, arrow ? 2 : 1,
				     arrow ? ", " : "), "));
	return true;
}

static void walk(struct walk *w, int n)
{
	struct kr_tree *t = w->t;
	struct kr_node *x = &t->n[n];
	enum wrap outer = (enum wrap)w->outer[n], inner = W_NONE;
	enum kr_mem outer_mem = ember__kr_mem_of(x->prov);
	bool open_outer = false, open_inner = false;
	size_t b = 0, e = 0;
	enum place p;
	char what[64];

	if (w->err == -ENOMEM || x->unevaluated)
		return;
	if (x->kind == CXCursor_CallExpr)
		visit_call(w, n);
	outer = (enum wrap)w->outer[n];
	inner = read_wrap(w, n);
	if (outer != W_NONE || inner != W_NONE) {
		p = place_of(w, n, &b, &e);
		if (p == PLACE_MACRO) {
			char macro[64];

			node_text(w, n, what, sizeof(what));
			snprintf(macro, sizeof(macro), "%.*s",
				 (int)(ident_end(w->rw, b) - b),
				 w->rw->text + b);
			note(w, ember__rewrite_error(
					w->rw, x->c,
					"macro '%s' reads %s memory ('%s') in "
					"its own text, which ember cannot "
					"rewrite; read the value outside the "
					"macro (BPF_CORE_READ(), or the "
					"macro's _CORE variant)",
					macro, mem_word(x->mem), what));
			outer = inner = W_NONE;
		} else if (p == PLACE_NONE) {
			outer = inner = W_NONE;
		}
	}
	if (outer != W_NONE && first_time(w, b, e, outer)) {
		insert(w, b, open_text(outer, outer_mem));
		open_outer = true;
	}
	if (inner == W_BITFIELD && first_time(w, b, e, inner)) {
		if (bitfield_edits(w, n, b))
			open_inner = true;
		else
			note(w, ember__rewrite_error(
					w->rw, x->c,
					"this bitfield read of kernel memory "
					"cannot be rewritten; use "
					"BPF_CORE_READ_BITFIELD_PROBED()"));
	} else if (inner == W_READ && first_time(w, b, e, inner)) {
		insert(w, b, open_text(inner, x->mem));
		open_inner = true;
	}
	for (int k = x->child; k >= 0; k = t->n[k].next)
		walk(w, k);
	if (open_inner)
		insert(w, e, ")");
	if (open_outer)
		insert(w, e, ")");
}

int ember__rewrite_kernel_reads(struct ember_rewriter *rw)
{
	struct kr_tree t;
	struct walk w = { .rw = rw };
	int err;

	err = ember__kr_build(&t, rw);
	if (!err)
		err = ember__kr_analyze(&t);
	if (!err) {
		w.t = &t;
		w.outer = calloc(t.cnt ? t.cnt : 1, 1);
		if (!w.outer)
			err = -ENOMEM;
	}
	for (size_t i = 0; !err && i < t.fns_cnt && w.err != -ENOMEM; i++)
		walk(&w, t.fns[i].body);
	if (!err)
		err = w.err;
	free(w.outer);
	free(w.seen);
	ember__kr_free(&t);
	return err;
}
