/* SPDX-License-Identifier: MIT */
/*
 * Where pointers point, for the implicit kernel reads rewriter
 * (rewrite_kernel_reads.c). The user's functions are copied into a tree of
 * nodes (rewrite_kernel_reads_tree.c: libclang gives no parent links and no
 * operator kinds); a fixpoint over that tree (kernel_read_provenance.c)
 * decides, for every expression, whether its value points into kernel
 * memory, user memory, the program's context or the program's own memory,
 * and for every lvalue which of those it designates.
 */
#ifndef EMBER_KERNEL_READ_PROVENANCE_H
#define EMBER_KERNEL_READ_PROVENANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler/rewriter.h"

/* Provenance of a value: a set, since a variable may be assigned twice. */
enum {
	KR_KERNEL = 1u << 0, /* points into (or was read from) kernel memory */
	KR_USER = 1u << 1, /* points into user memory */
	KR_CTX_K = 1u << 2, /* the context; values read from it are kernel's */
	KR_CTX_U = 1u << 3, /* the context; values read from it are user's */
	KR_CTX_0 = 1u << 4, /* a non-tracing context (skb, xdp, ...) */
};
#define KR_CTX (KR_CTX_K | KR_CTX_U | KR_CTX_0)

/* The memory an lvalue designates. */
enum kr_mem {
	KR_MEM_PROG, /* stack, maps, globals: read directly */
	KR_MEM_KERNEL, /* read with bpf_probe_read_kernel */
	KR_MEM_USER, /* read with bpf_probe_read_user */
	KR_MEM_CTX, /* the context: read directly, the verifier checks it */
};

/* What an operator node is, found from types and the text. */
enum kr_op {
	KR_OP_NONE,
	KR_OP_ADDR, /* &x */
	KR_OP_DEREF, /* *p */
	KR_OP_INCDEC, /* ++ -- (writes) */
	KR_OP_ASSIGN, /* = */
	KR_OP_COMPOUND, /* += -= ... (writes) */
	KR_OP_COMMA,
	KR_OP_LOGIC, /* comparisons, && || ! */
	KR_OP_SIZEOF, /* sizeof, _Alignof: unevaluated */
	KR_OP_OTHER, /* arithmetic */
};

struct kr_node {
	CXCursor c;
	enum CXCursorKind kind;
	int parent, child, next; /* first child, next sibling; -1 */
	int nkids;
	CXType type; /* canonical */
	CXType raw; /* as written: canonical types lose __user */
	enum kr_op op;
	bool unevaluated; /* inside sizeof, typeof, __builtin_preserve_* */
	/* results of the analysis */
	unsigned int prov; /* of the value */
	int map; /* storage key of what this pointer points to, or -1 */
	enum kr_mem mem; /* when an lvalue */
	unsigned int mprov; /* provenance of the pointer it was reached by */
	int key; /* storage key of that memory, or -1 */
};

/* Storage that carries provenance: variables, fields, map values,
 * function returns. */
enum kr_key_kind { KR_KEY_VAR, KR_KEY_FIELD, KR_KEY_MAPVAL, KR_KEY_RET };

struct kr_key {
	enum kr_key_kind kind;
	CXCursor decl; /* canonical declaration */
	unsigned int hash;
	unsigned int prov;
	int map; /* map value it points to; -1 none, -2 several */
};

struct kr_func {
	CXCursor decl;
	int body; /* node of the body */
	bool program; /* non-static: a BPF program, first parameter is ctx */
};

struct kr_tree {
	struct ember_rewriter *rw;
	struct kr_node *n;
	size_t cnt, cap;
	struct kr_key *keys;
	size_t keys_cnt, keys_cap;
	struct kr_func *fns;
	size_t fns_cnt;
	bool changed; /* a key grew in this pass */
	int err; /* -ENOMEM */
};

/* Copy the user's function definitions into t (rewrite_kernel_reads_tree.c). */
int ember__kr_build(struct kr_tree *t, struct ember_rewriter *rw);
void ember__kr_free(struct kr_tree *t);
/* Decide provenance for every node (fixpoint; kernel_read_provenance.c). */
int ember__kr_analyze(struct kr_tree *t);

/* Helpers shared by the analysis and the rewrite. */
int ember__kr_child(const struct kr_tree *t, int n, int i);
/* The last child of n that is an expression, or -1. */
int ember__kr_last_expr(const struct kr_tree *t, int n);
/* n without parentheses and implicit casts around it */
int ember__kr_strip(const struct kr_tree *t, int n);
/* The name of the function a call expression calls ("" if none); the
 * result is valid until the next call. */
const char *ember__kr_callee_name(const struct kr_tree *t, int call);
/* For a call of a BCC table method (t.lookup(...)): the table variable's
 * declaration and the method name; false otherwise. */
bool ember__kr_table_method(const struct kr_tree *t, int call, CXCursor *table,
			    char *method, size_t method_sz);
bool ember__kr_is_array(CXType t);
bool ember__kr_is_user_type(CXType t);
/* Where a pointer with provenance p points. */
enum kr_mem ember__kr_mem_of(unsigned int prov);

#endif
