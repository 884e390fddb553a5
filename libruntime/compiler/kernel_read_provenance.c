// SPDX-License-Identifier: MIT
/*
 * Provenance of pointers for the implicit kernel reads rewriter.
 *
 * Sources: the context of a tracing program (values read from it are kernel
 * values, or user values for system call tracepoints), typed kprobe
 * parameters after ctx, bpf_get_current_task(), anything read from kernel
 * memory, and __user types. It flows through casts, arithmetic, ?:,
 * assignments to variables and to fields, map values (a pointer stored with
 * update() and looked up again), bpf_probe_read*() destinations, and the
 * parameters and returns of static functions. Provenance only grows, so
 * repeating the evaluation until nothing changes reaches a fixpoint.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/kernel_read_provenance.h"

#define MAX_PASSES 64

/* ---- storage keys ----------------------------------------------------- */

static int key_of(struct kr_tree *t, enum kr_key_kind kind, CXCursor decl)
{
	CXCursor canon = clang_getCanonicalCursor(decl);
	unsigned int h = clang_hashCursor(canon);
	struct kr_key *k;
	size_t i;

	for (i = 0; i < t->keys_cnt; i++)
		if (t->keys[i].hash == h && t->keys[i].kind == kind &&
		    clang_equalCursors(t->keys[i].decl, canon))
			return (int)i;
	if (t->keys_cnt == t->keys_cap) {
		size_t cap = t->keys_cap ? t->keys_cap * 2 : 64;

		k = realloc(t->keys, cap * sizeof(*k));
		if (!k) {
			t->err = -ENOMEM;
			return -1;
		}
		t->keys = k;
		t->keys_cap = cap;
	}
	k = &t->keys[t->keys_cnt];
	*k = (struct kr_key){
		.kind = kind, .decl = canon, .hash = h, .map = -1
	};
	return (int)t->keys_cnt++;
}

static void flow(struct kr_tree *t, int key, unsigned int prov, int map)
{
	struct kr_key *k;

	if (key < 0)
		return;
	k = &t->keys[key];
	if ((k->prov | prov) != k->prov) {
		k->prov |= prov;
		t->changed = true;
	}
	if (map != -1 && k->map != map && k->map != -2) {
		k->map = k->map == -1 ? map : -2;
		t->changed = true;
	}
}

/* ---- evaluation ------------------------------------------------------- */

static void copy_value(struct kr_node *to, const struct kr_node *from)
{
	to->prov = from->prov;
	to->map = from->map;
}

static void copy_lvalue(struct kr_node *to, const struct kr_node *from)
{
	to->mem = from->mem;
	to->mprov = from->mprov;
	to->key = from->key;
}

/* The value of lvalue n when read (or, for an array, its address). */
static void load(struct kr_tree *t, struct kr_node *n)
{
	CXType ty = n->type;

	if (ember__kr_is_array(ty)) {
		n->prov = n->mem == KR_MEM_PROG ? 0 : n->mprov;
		n->map = n->mem == KR_MEM_PROG ? n->key : -1;
		return;
	}
	if (ty.kind == CXType_FunctionProto ||
	    ty.kind == CXType_FunctionNoProto) {
		n->prov = 0;
		n->map = -1;
		return;
	}
	n->map = -1;
	switch (n->mem) {
	case KR_MEM_KERNEL:
		n->prov = KR_KERNEL;
		break;
	case KR_MEM_USER:
		n->prov = KR_USER;
		break;
	case KR_MEM_CTX:
		n->prov = (n->mprov & KR_CTX_K ? KR_KERNEL : 0) |
			  (n->mprov & KR_CTX_U ? KR_USER : 0);
		break;
	default:
		n->prov = n->key >= 0 ? t->keys[n->key].prov : 0;
		n->map = n->key >= 0 ? t->keys[n->key].map : -1;
		if (n->map == -2)
			n->map = -1;
		break;
	}
}

/* The lvalue designated through pointer value p. */
static void through(struct kr_node *n, const struct kr_node *p, int key)
{
	n->mprov = p->prov;
	n->mem = ember__kr_mem_of(p->prov);
	n->key = n->mem == KR_MEM_PROG ? key : -1;
}

static int field_key(struct kr_tree *t, int n)
{
	CXCursor f = clang_getCursorReferenced(t->n[n].c);

	if (clang_Cursor_isNull(f) ||
	    clang_getCursorKind(f) != CXCursor_FieldDecl)
		return -1;
	return key_of(t, KR_KEY_FIELD, f);
}

/* The map variable of a "&map" argument. */
static int map_key(struct kr_tree *t, int arg)
{
	int a = ember__kr_strip(t, arg), v;

	if (a < 0 || t->n[a].kind != CXCursor_UnaryOperator ||
	    t->n[a].op != KR_OP_ADDR)
		return -1;
	v = ember__kr_strip(t, t->n[a].child);
	if (v < 0 || t->n[v].kind != CXCursor_DeclRefExpr)
		return -1;
	return key_of(t, KR_KEY_MAPVAL, clang_getCursorReferenced(t->n[v].c));
}

/* What a value pointer argument points to flows into key. */
static void flow_pointee(struct kr_tree *t, int key, int ptr)
{
	const struct kr_node *p = &t->n[ptr];

	if (p->map >= 0)
		flow(t, key, t->keys[p->map].prov, t->keys[p->map].map);
}

static void eval_call(struct kr_tree *t, int n)
{
	struct kr_node *c = &t->n[n];
	const char *name = ember__kr_callee_name(t, n);
	int nargs = clang_Cursor_getNumArguments(c->c), i;
	int arg[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
	CXCursor table, fn;
	char method[32];

	for (i = 0; i < nargs && i < 8; i++) {
		CXCursor a = clang_Cursor_getArgument(c->c, (unsigned int)i);

		for (int k = c->child; k >= 0; k = t->n[k].next)
			if (clang_equalCursors(t->n[k].c, a))
				arg[i] = k;
	}
	c->prov = 0;
	c->map = -1;
	if (!strcmp(name, "bpf_get_current_task")) {
		c->prov = KR_KERNEL;
	} else if (!strncmp(name, "bpf_map_lookup", 14) && arg[0] >= 0) {
		c->map = map_key(t, arg[0]);
	} else if (!strcmp(name, "bpf_map_update_elem") && arg[2] >= 0) {
		flow_pointee(t, map_key(t, arg[0]), arg[2]);
	} else if (!strncmp(name, "bpf_probe_read", 14) && arg[0] >= 0) {
		/* the destination now holds what was read */
		unsigned int p = strstr(name, "user") ? KR_USER : KR_KERNEL;

		if (t->n[arg[0]].map >= 0)
			flow(t, t->n[arg[0]].map, p, -1);
	} else if (ember__kr_table_method(t, n, &table, method,
					  sizeof(method))) {
		int mk = key_of(t, KR_KEY_MAPVAL, table);

		if (!strncmp(method, "lookup", 6))
			c->map = mk;
		if ((!strcmp(method, "update") || !strcmp(method, "insert") ||
		     !strncmp(method, "lookup_or_", 10)) &&
		    arg[1] >= 0)
			flow_pointee(t, mk, arg[1]);
	} else {
		fn = clang_getCursorDefinition(clang_getCursorReferenced(c->c));
		if (clang_Cursor_isNull(fn) ||
		    clang_getCursorKind(fn) != CXCursor_FunctionDecl ||
		    !ember__cursor_in_main(t->rw, fn))
			return;
		/* a static function of the text: arguments reach its
		 * parameters, its returns come back */
		for (i = 0; i < nargs && i < 8; i++)
			if (arg[i] >= 0 && i < clang_Cursor_getNumArguments(fn))
				flow(t,
				     key_of(t, KR_KEY_VAR,
					    clang_Cursor_getArgument(
						    fn, (unsigned int)i)),
				     t->n[arg[i]].prov, t->n[arg[i]].map);
		i = key_of(t, KR_KEY_RET, fn);
		if (i >= 0) {
			c->prov = t->keys[i].prov;
			c->map = t->keys[i].map < 0 ? -1 : t->keys[i].map;
		}
	}
}

static void eval(struct kr_tree *t, int n, int fn);

static void eval_children(struct kr_tree *t, int n, int fn)
{
	for (int k = t->n[n].child; k >= 0; k = t->n[k].next)
		eval(t, k, fn);
}

static void eval(struct kr_tree *t, int n, int fn)
{
	struct kr_node *x;
	int a, b, k;

	if (t->err)
		return;
	eval_children(t, n, fn);
	x = &t->n[n];
	x->prov = 0;
	x->map = -1;
	x->mem = KR_MEM_PROG;
	x->mprov = 0;
	x->key = -1;
	a = ember__kr_child(t, n, 0);
	b = ember__kr_child(t, n, 1);
	switch (x->kind) {
	case CXCursor_DeclRefExpr: {
		CXCursor d = clang_getCursorReferenced(x->c);
		enum CXCursorKind dk = clang_getCursorKind(d);

		if (dk == CXCursor_VarDecl || dk == CXCursor_ParmDecl)
			x->key = key_of(t, KR_KEY_VAR, d);
		load(t, x);
		break;
	}
	case CXCursor_MemberRefExpr:
		if (a < 0)
			break;
		if (t->n[a].type.kind == CXType_Pointer)
			through(x, &t->n[a], field_key(t, n));
		else {
			copy_lvalue(x, &t->n[a]);
			if (x->mem == KR_MEM_PROG)
				x->key = field_key(t, n);
		}
		load(t, x);
		break;
	case CXCursor_ArraySubscriptExpr:
		if (a < 0)
			break;
		through(x, &t->n[a], t->n[a].map);
		load(t, x);
		break;
	case CXCursor_UnaryOperator:
		if (a < 0)
			break;
		if (x->op == KR_OP_DEREF) {
			through(x, &t->n[a], t->n[a].map);
			load(t, x);
		} else if (x->op == KR_OP_ADDR) {
			x->prov =
				t->n[a].mem == KR_MEM_PROG ? 0 : t->n[a].mprov;
			x->map = t->n[a].mem == KR_MEM_PROG ? t->n[a].key : -1;
		} else if (x->op != KR_OP_LOGIC) {
			x->prov = t->n[a].prov;
		}
		break;
	case CXCursor_ParenExpr:
	case CXCursor_UnexposedExpr:
	case CXCursor_CStyleCastExpr:
		k = ember__kr_last_expr(t, n);
		if (k < 0)
			break;
		copy_value(x, &t->n[k]);
		if (x->kind != CXCursor_CStyleCastExpr)
			copy_lvalue(x, &t->n[k]);
		break;
	case CXCursor_BinaryOperator:
		if (a < 0 || b < 0)
			break;
		if (x->op == KR_OP_ASSIGN) {
			if (t->n[a].mem == KR_MEM_PROG)
				flow(t, t->n[a].key, t->n[b].prov, t->n[b].map);
			copy_value(x, &t->n[b]);
		} else if (x->op == KR_OP_COMMA) {
			copy_value(x, &t->n[b]);
		} else if (x->op != KR_OP_LOGIC) {
			/* pointer arithmetic keeps the pointer's provenance;
			 * integers mix (a kernel address plus an offset) */
			if (x->type.kind == CXType_Pointer &&
			    t->n[a].type.kind == CXType_Pointer)
				copy_value(x, &t->n[a]);
			else if (x->type.kind == CXType_Pointer &&
				 t->n[b].type.kind == CXType_Pointer)
				copy_value(x, &t->n[b]);
			else
				x->prov = t->n[a].prov | t->n[b].prov;
		}
		break;
	case CXCursor_CompoundAssignOperator:
		if (a < 0 || b < 0)
			break;
		x->prov = t->n[a].prov | t->n[b].prov;
		if (t->n[a].mem == KR_MEM_PROG)
			flow(t, t->n[a].key, x->prov, -1);
		break;
	case CXCursor_ConditionalOperator:
		k = ember__kr_last_expr(t, n);
		if (k < 0 || b < 0)
			break;
		/* c ? b : k, or GNU c ?: k */
		if (t->n[n].nkids == 2)
			b = a;
		x->prov = t->n[b].prov | t->n[k].prov;
		x->map = t->n[b].map == t->n[k].map ? t->n[k].map : -1;
		break;
	case CXCursor_CallExpr:
		eval_call(t, n);
		break;
	case CXCursor_StmtExpr:
		/* ({ ...; v; }) is v */
		if (a >= 0 && t->n[a].kind == CXCursor_CompoundStmt) {
			k = ember__kr_last_expr(t, a);
			if (k >= 0 && t->n[k].next < 0)
				copy_value(x, &t->n[k]);
		}
		break;
	case CXCursor_VarDecl:
		k = ember__kr_last_expr(t, n);
		if (k >= 0 && !t->n[k].unevaluated)
			flow(t, key_of(t, KR_KEY_VAR, x->c), t->n[k].prov,
			     t->n[k].map);
		break;
	case CXCursor_ReturnStmt:
		if (a >= 0 && !t->fns[fn].program)
			flow(t, key_of(t, KR_KEY_RET, t->fns[fn].decl),
			     t->n[a].prov, t->n[a].map);
		break;
	default:
		break;
	}
	x = &t->n[n];
	/* a __user type says where it points, whatever it came from */
	if (ember__kr_is_user_type(x->raw))
		x->prov = (x->prov & ~KR_KERNEL) | KR_USER;
}

/* ---- sources ---------------------------------------------------------- */

static bool type_is(CXType t, const char *spelling)
{
	CXString sp = clang_getTypeSpelling(clang_getCanonicalType(t));
	bool yes = !strcmp(clang_getCString(sp), spelling);

	clang_disposeString(sp);
	return yes;
}

static bool type_prefix(CXType t, const char *prefix)
{
	CXString sp = clang_getTypeSpelling(clang_getCanonicalType(t));
	bool yes = !strncmp(clang_getCString(sp), prefix, strlen(prefix));

	clang_disposeString(sp);
	return yes;
}

/* What reads from a program's context give. */
static unsigned int ctx_kind(CXType t)
{
	static const char *const plain[] = {
		"struct __sk_buff *",	    "struct xdp_md *",
		"struct sk_msg_md *",	    "struct bpf_sock_ops *",
		"struct bpf_sock *",	    "struct bpf_sock_addr *",
		"struct bpf_sockopt *",	    "struct bpf_sysctl *",
		"struct sk_reuseport_md *", "struct bpf_cgroup_dev_ctx *",
		"struct bpf_sk_lookup *",   "struct bpf_flow_keys *",
	};
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (type_is(t, plain[i]))
			return KR_CTX_0;
	/* system call arguments are the caller's: user memory */
	if (type_prefix(t, "struct tracepoint__syscalls__") ||
	    type_is(t, "struct trace_event_raw_sys_enter *"))
		return KR_CTX_U;
	return KR_CTX_K;
}

static bool syscall_probe(const char *name)
{
	return !strncmp(name, "syscall__", 9) ||
	       !strncmp(name, "kprobe__sys_", 12) ||
	       !strncmp(name, "kprobe____x64_sys_", 18);
}

static void seed_program(struct kr_tree *t, const struct kr_func *f)
{
	int nargs = clang_Cursor_getNumArguments(f->decl), i;
	CXString sp;
	CXType ctx;
	bool sys;

	if (nargs < 1)
		return;
	ctx = clang_getCursorType(clang_Cursor_getArgument(f->decl, 0));
	if (ctx.kind != CXType_Pointer)
		return;
	flow(t, key_of(t, KR_KEY_VAR, clang_Cursor_getArgument(f->decl, 0)),
	     ctx_kind(ctx), -1);
	if (!type_is(ctx, "struct pt_regs *"))
		return;
	/* kprobe__fn(struct pt_regs *ctx, struct request *req): the
	 * parameters after ctx are the probed function's arguments */
	sp = clang_getCursorSpelling(f->decl);
	sys = syscall_probe(clang_getCString(sp));
	clang_disposeString(sp);
	for (i = 1; i < nargs; i++)
		flow(t,
		     key_of(t, KR_KEY_VAR,
			    clang_Cursor_getArgument(f->decl, (unsigned int)i)),
		     sys ? KR_USER : KR_KERNEL, -1);
}

int ember__kr_analyze(struct kr_tree *t)
{
	size_t i;
	int pass;

	for (i = 0; i < t->fns_cnt; i++)
		if (t->fns[i].program)
			seed_program(t, &t->fns[i]);
	for (pass = 0; pass < MAX_PASSES; pass++) {
		t->changed = false;
		for (i = 0; i < t->fns_cnt && !t->err; i++)
			eval(t, t->fns[i].body, (int)i);
		if (t->err || !t->changed)
			break;
	}
	return t->err;
}
