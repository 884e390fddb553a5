// SPDX-License-Identifier: MIT
/*
 * The tree the implicit kernel reads rewriter works on: the user's function
 * bodies copied out of libclang with parent links, and what libclang 14's C
 * API does not say about them (which operator a unary or binary operator
 * is, which expressions are never evaluated), found from types and text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/kernel_read_provenance.h"

/* ---- the tree --------------------------------------------------------- */

static int add_node(struct kr_tree *t, CXCursor c, int parent)
{
	struct kr_node *n;

	if (t->cnt == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;

		n = realloc(t->n, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		t->n = n;
		t->cap = cap;
	}
	n = &t->n[t->cnt];
	memset(n, 0, sizeof(*n));
	n->c = c;
	n->kind = clang_getCursorKind(c);
	n->parent = parent;
	n->child = n->next = -1;
	n->raw = clang_getCursorType(c);
	n->type = clang_getCanonicalType(n->raw);
	n->map = n->key = -1;
	if (parent >= 0) {
		struct kr_node *p = &t->n[parent];

		if (p->child < 0) {
			p->child = (int)t->cnt;
		} else {
			int k = p->child;

			while (t->n[k].next >= 0)
				k = t->n[k].next;
			t->n[k].next = (int)t->cnt;
		}
		p->nkids++;
		n->unevaluated = p->unevaluated;
	}
	return (int)t->cnt++;
}

struct build {
	struct kr_tree *t;
	int parent;
};

static enum CXChildVisitResult build_visit(CXCursor c, CXCursor parent,
					   void *data)
{
	struct build *b = data, sub = { .t = b->t };

	(void)parent;
	sub.parent = add_node(b->t, c, b->parent);
	if (sub.parent < 0) {
		b->t->err = -ENOMEM;
		return CXChildVisit_Break;
	}
	clang_visitChildren(c, build_visit, &sub);
	return b->t->err ? CXChildVisit_Break : CXChildVisit_Continue;
}

static enum CXChildVisitResult find_body(CXCursor c, CXCursor parent,
					 void *data)
{
	(void)parent;
	if (clang_getCursorKind(c) == CXCursor_CompoundStmt)
		*(CXCursor *)data = c;
	return CXChildVisit_Continue;
}

static enum CXChildVisitResult build_top(CXCursor c, CXCursor parent,
					 void *data)
{
	struct kr_tree *t = data;
	CXCursor body = clang_getNullCursor();
	struct build b = { .t = t };
	struct kr_func *f;

	(void)parent;
	if (clang_getCursorKind(c) != CXCursor_FunctionDecl ||
	    !clang_isCursorDefinition(c) || !ember__cursor_in_main(t->rw, c))
		return CXChildVisit_Continue;
	clang_visitChildren(c, find_body, &body);
	if (clang_Cursor_isNull(body))
		return CXChildVisit_Continue;
	f = realloc(t->fns, (t->fns_cnt + 1) * sizeof(*f));
	if (!f) {
		t->err = -ENOMEM;
		return CXChildVisit_Break;
	}
	t->fns = f;
	f = &t->fns[t->fns_cnt++];
	f->decl = c;
	f->program = clang_Cursor_getStorageClass(c) != CX_SC_Static;
	f->body = add_node(t, body, -1);
	if (f->body < 0) {
		t->err = -ENOMEM;
		return CXChildVisit_Break;
	}
	b.parent = f->body;
	clang_visitChildren(body, build_visit, &b);
	return t->err ? CXChildVisit_Break : CXChildVisit_Continue;
}

int ember__kr_child(const struct kr_tree *t, int n, int i)
{
	int k = t->n[n].child;

	while (k >= 0 && i-- > 0)
		k = t->n[k].next;
	return k;
}

int ember__kr_last_expr(const struct kr_tree *t, int n)
{
	int k = t->n[n].child, last = -1;

	for (; k >= 0; k = t->n[k].next)
		if (clang_isExpression(t->n[k].kind))
			last = k;
	return last;
}

int ember__kr_strip(const struct kr_tree *t, int n)
{
	while (n >= 0 && (t->n[n].kind == CXCursor_ParenExpr ||
			  t->n[n].kind == CXCursor_UnexposedExpr ||
			  t->n[n].kind == CXCursor_CStyleCastExpr)) {
		int c = ember__kr_last_expr(t, n);

		if (c < 0)
			break;
		n = c;
	}
	return n;
}

bool ember__kr_is_array(CXType t)
{
	return t.kind == CXType_ConstantArray ||
	       t.kind == CXType_IncompleteArray ||
	       t.kind == CXType_VariableArray ||
	       t.kind == CXType_DependentSizedArray;
}

/* A pointer type written with __user (the "user" BTF type tag). Canonical
 * types drop the tag, so this looks at the type as written. */
bool ember__kr_is_user_type(CXType t)
{
	CXString sp;
	const char *s, *u;
	bool yes = false;

	if (clang_getCanonicalType(t).kind != CXType_Pointer)
		return false;
	sp = clang_getTypeSpelling(t);
	s = clang_getCString(sp);
	if (strstr(s, "btf_type_tag(\"user\")"))
		yes = true;
	for (u = strstr(s, "__user"); u && !yes; u = strstr(u + 1, "__user"))
		yes = (u == s ||
		       !(u[-1] == '_' || (u[-1] >= 'a' && u[-1] <= 'z') ||
			 (u[-1] >= 'A' && u[-1] <= 'Z') ||
			 (u[-1] >= '0' && u[-1] <= '9'))) &&
		      !(u[6] == '_' || (u[6] >= 'a' && u[6] <= 'z') ||
			(u[6] >= 'A' && u[6] <= 'Z') ||
			(u[6] >= '0' && u[6] <= '9'));
	clang_disposeString(sp);
	return yes;
}

enum kr_mem ember__kr_mem_of(unsigned int prov)
{
	if (prov & KR_KERNEL)
		return KR_MEM_KERNEL;
	if (prov & KR_USER)
		return KR_MEM_USER;
	if (prov & KR_CTX)
		return KR_MEM_CTX;
	return KR_MEM_PROG;
}

const char *ember__kr_callee_name(const struct kr_tree *t, int call)
{
	static __thread char name[128];
	CXCursor callee = clang_getCursorReferenced(t->n[call].c);
	CXString sp;

	name[0] = 0;
	if (clang_Cursor_isNull(callee))
		return name;
	sp = clang_getCursorSpelling(callee);
	snprintf(name, sizeof(name), "%s", clang_getCString(sp));
	clang_disposeString(sp);
	return name;
}

bool ember__kr_table_method(const struct kr_tree *t, int call, CXCursor *table,
			    char *method, size_t method_sz)
{
	int callee = ember__kr_strip(t, ember__kr_child(t, call, 0)), base;
	CXCursor var;
	CXString sp;
	size_t i;
	bool found = false;

	if (callee < 0 || t->n[callee].kind != CXCursor_MemberRefExpr)
		return false;
	base = ember__kr_strip(t, t->n[callee].child);
	if (base < 0 || t->n[base].kind != CXCursor_DeclRefExpr)
		return false;
	var = clang_getCursorReferenced(t->n[base].c);
	sp = clang_getCursorSpelling(var);
	for (i = 0; i < t->rw->tables_cnt; i++)
		if (!strcmp(t->rw->tables[i].name, clang_getCString(sp)))
			found = true;
	clang_disposeString(sp);
	if (!found)
		return false;
	*table = var;
	sp = clang_getCursorSpelling(t->n[callee].c);
	snprintf(method, method_sz, "%s", clang_getCString(sp));
	clang_disposeString(sp);
	return true;
}

/* ---- operators ------------------------------------------------------- */

/* The text a location range is spelled in (main file or a header). */
static const char *spelled(const struct kr_tree *t, CXSourceLocation loc,
			   CXFile *file, unsigned int *off)
{
	size_t size;
	const char *s;

	clang_getSpellingLocation(loc, file, NULL, NULL, off);
	if (!*file)
		return NULL;
	s = clang_getFileContents(t->rw->tu, *file, &size);
	return s && *off <= size ? s : NULL;
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\\') {
			p++;
		} else if (p + 1 < end && p[0] == '/' && p[1] == '*') {
			const char *q = strstr(p + 2, "*/");

			p = q ? q + 2 : end;
		} else if (p + 1 < end && p[0] == '/' && p[1] == '/') {
			while (p < end && *p != '\n')
				p++;
		} else {
			break;
		}
	}
	return p;
}

/* The operator between a binary operator's operands, from the text. */
static enum kr_op binary_op(const struct kr_tree *t, int n)
{
	int l = ember__kr_child(t, n, 0), r = ember__kr_child(t, n, 1);
	CXFile f1, f2;
	unsigned int o1, o2;
	const char *s1, *s2, *p, *end;
	char op[4] = { 0 };
	size_t k = 0;

	if (l < 0 || r < 0)
		return KR_OP_OTHER;
	s1 = spelled(t, clang_getRangeEnd(clang_getCursorExtent(t->n[l].c)),
		     &f1, &o1);
	s2 = spelled(t, clang_getRangeStart(clang_getCursorExtent(t->n[r].c)),
		     &f2, &o2);
	if (!s1 || !s2 || !clang_File_isEqual(f1, f2) || o2 < o1)
		return KR_OP_OTHER;
	p = skip_space(s1 + o1, s1 + o2);
	end = s1 + o2;
	while (p < end && k < sizeof(op) - 1 && strchr("=!<>&|+-*/%^,", *p))
		op[k++] = *p++;
	if (!strcmp(op, "="))
		return KR_OP_ASSIGN;
	if (!strcmp(op, ","))
		return KR_OP_COMMA;
	if (!strcmp(op, "==") || !strcmp(op, "!=") || !strcmp(op, "<") ||
	    !strcmp(op, ">") || !strcmp(op, "<=") || !strcmp(op, ">=") ||
	    !strcmp(op, "&&") || !strcmp(op, "||"))
		return KR_OP_LOGIC;
	return KR_OP_OTHER;
}

static enum kr_op unary_op(const struct kr_tree *t, int n)
{
	int o = ember__kr_child(t, n, 0);
	CXType ty = t->n[n].type, oty;
	CXSourceRange ext = clang_getCursorExtent(t->n[n].c);
	CXFile f1, f2;
	unsigned int b, e;
	const char *s, *s2;

	if (o < 0)
		return KR_OP_OTHER;
	s = spelled(t, clang_getRangeStart(ext), &f1, &b);
	s2 = spelled(t, clang_getRangeEnd(ext), &f2, &e);
	if (s && s2 && clang_File_isEqual(f1, f2) && e > b) {
		/* prefix operators are the first token, postfix the last */
		if (e >= b + 2 &&
		    (!strncmp(s + b, "++", 2) || !strncmp(s + b, "--", 2) ||
		     !strncmp(s + e - 2, "++", 2) ||
		     !strncmp(s + e - 2, "--", 2)))
			return KR_OP_INCDEC;
		if (s[b] == '*')
			return KR_OP_DEREF;
		if (s[b] == '&')
			return KR_OP_ADDR;
		if (s[b] == '!')
			return KR_OP_LOGIC;
	}
	/* no operator in the text (none to look at, or a macro's own text,
	 * which libclang reports at the macro's name): the types tell & and
	 * * apart */
	oty = t->n[o].type;
	if (ty.kind == CXType_Pointer &&
	    clang_equalTypes(clang_getCanonicalType(clang_getPointeeType(ty)),
			     oty))
		return KR_OP_ADDR;
	if (oty.kind == CXType_Pointer &&
	    clang_equalTypes(clang_getCanonicalType(clang_getPointeeType(oty)),
			     ty))
		return KR_OP_DEREF;
	return KR_OP_OTHER;
}

static bool unevaluated_call(const struct kr_tree *t, int call)
{
	const char *name = ember__kr_callee_name(t, call);

	/* CO-RE builtins take an access expression they do not evaluate */
	return !strncmp(name, "__builtin_preserve_", 19) ||
	       !strcmp(name, "__builtin_btf_type_id") ||
	       !strcmp(name, "__builtin_types_compatible_p") ||
	       !strcmp(name, "__builtin_constant_p");
}

/*
 * Expressions that are part of a type: typeof(x) in a declaration or a cast
 * (libclang lists them as children before the initialiser or operand), and
 * array bounds. They are not evaluated.
 */
static void mark_type_parts(struct kr_tree *t, int n)
{
	int last = ember__kr_last_expr(t, n), first = -1;
	CXString sp;

	for (int k = t->n[n].child; k >= 0; k = t->n[k].next) {
		if (!clang_isExpression(t->n[k].kind))
			continue;
		if (first < 0)
			first = k;
		if (k != last)
			t->n[k].unevaluated = true;
	}
	if (t->n[n].kind != CXCursor_VarDecl || first < 0 || first != last)
		return;
	/* typeof(x) v; has no initialiser: x is its only expression */
	sp = clang_getTypeSpelling(t->n[n].raw);
	if (strstr(clang_getCString(sp), "typeof"))
		t->n[first].unevaluated = true;
	clang_disposeString(sp);
}

static void classify(struct kr_tree *t)
{
	size_t i;

	for (i = 0; i < t->cnt; i++) {
		struct kr_node *n = &t->n[i];

		if (n->parent >= 0)
			n->unevaluated |= t->n[n->parent].unevaluated;
		if (n->kind == CXCursor_VarDecl ||
		    n->kind == CXCursor_CStyleCastExpr)
			mark_type_parts(t, (int)i);
		switch (n->kind) {
		case CXCursor_UnaryOperator:
			n->op = unary_op(t, (int)i);
			break;
		case CXCursor_BinaryOperator:
			n->op = binary_op(t, (int)i);
			break;
		case CXCursor_CompoundAssignOperator:
			n->op = KR_OP_COMPOUND;
			break;
		case CXCursor_UnaryExpr:
			n->op = KR_OP_SIZEOF;
			n->unevaluated = true;
			break;
		case CXCursor_CallExpr:
			if (unevaluated_call(t, (int)i))
				n->unevaluated = true;
			break;
		default:
			break;
		}
	}
}

int ember__kr_build(struct kr_tree *t, struct ember_rewriter *rw)
{
	memset(t, 0, sizeof(*t));
	t->rw = rw;
	clang_visitChildren(clang_getTranslationUnitCursor(rw->tu), build_top,
			    t);
	if (!t->err)
		classify(t);
	return t->err;
}

void ember__kr_free(struct kr_tree *t)
{
	free(t->n);
	free(t->keys);
	free(t->fns);
	memset(t, 0, sizeof(*t));
}
