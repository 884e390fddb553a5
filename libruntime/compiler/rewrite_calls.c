// SPDX-License-Identifier: MIT
/*
 * The calls a BPF program can make, checked where the user wrote them rather
 * than left to the loader or the verifier (which say it without a line, or
 * only at load):
 * - a non-static function is a program of its own, not a callee (as BCC);
 * - a function declared but defined nowhere has nothing to call: libbpf
 *   fails at load ("failed to find BTF for extern"), unless it is a kernel
 *   function declared __ksym, which libbpf resolves;
 * - a call passes at most five arguments (BPF registers r1-r5) to a helper
 *   or to a function with no body here; the BPF backend says so without a
 *   place for a helper. A static function is inlined (rewrite_inline.c), and
 *   a __noinline one is reported by the backend at its line;
 * - a kprobe, tracepoint or raw tracepoint program (or a static function it
 *   calls) cannot use a packet helper: no kernel gives one to these program
 *   types (the verifier: "program of this type cannot use helper").
 * Nothing is rewritten.
 */
#include <errno.h>
#include <string.h>

#include "compiler/rewriter.h"
#include "compiler/virtual_files.h"

#define ARGS_MAX 5
#define CALLEES_MAX 256

struct walk {
	struct ember_rewriter *rw;
	int err;
	/* in a program of a tracing type (its kind, for messages), or in a
	 * static function it calls (reach: only the packet-helper rule) */
	const char *prog_kind;
	bool reach;
	/* static functions already followed from a tracing program */
	unsigned int followed[CALLEES_MAX];
	size_t followed_cnt;
};

/* Kernel helpers only packet program types get (socket filter, tc, XDP,
 * lwt...): never kprobe, tracepoint or raw tracepoint ones. */
static bool packet_helper(const char *name)
{
	static const char *const prefixes[] = { "bpf_skb_", "bpf_xdp_",
						"bpf_redirect" };
	static const char *const names[] = {
		"bpf_clone_redirect",  "bpf_l3_csum_replace",
		"bpf_l4_csum_replace", "bpf_csum_diff",
		"bpf_csum_update",     "bpf_csum_level",
		"bpf_set_hash_invalid"
	};
	size_t i, n = strlen(name);

	/* bpf_skb_output, bpf_xdp_output: tracing programs may */
	if (n > 7 && !strcmp(name + n - 7, "_output"))
		return false;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* The tracing program kind a function's name makes it (BCC's names and
 * the probe macros'), or NULL. */
static const char *tracing_kind(CXCursor fn)
{
	static const char *const kinds[][2] = {
		{ "tracepoint__", "tracepoint" },
		{ "raw_tracepoint__", "raw tracepoint" },
		{ "kprobe__", "kprobe" },
		{ "kretprobe__", "kretprobe" },
	};
	CXString sp = clang_getCursorSpelling(fn);
	const char *name = clang_getCString(sp), *kind = NULL;

	for (size_t i = 0; name && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(name, kinds[i][0], strlen(kinds[i][0])))
			kind = kinds[i][1];
	clang_disposeString(sp);
	return kind;
}

static void record(struct walk *w, int err)
{
	if (err != -EINVAL || !w->err)
		w->err = err;
}

static enum CXChildVisitResult find_asm_label(CXCursor c, CXCursor parent,
					      void *data)
{
	(void)parent;
	if (clang_getCursorKind(c) != CXCursor_AsmLabelAttr)
		return CXChildVisit_Continue;
	*(bool *)data = true;
	return CXChildVisit_Break;
}

/* Declared by ember's prelude: its vocabulary (incr_cksum_l3), which a
 * later rewriter replaces, except memcmp, which BCC programs call as a
 * library function and the BPF backend leaves a call (no libc to link). */
static bool prelude_vocabulary(CXCursor decl, const char *name)
{
	static const char prelude[] = EMBER_VIRTUAL_INCLUDE_DIR "/ember/";
	CXFile file = NULL;
	CXString path;
	bool yes;

	clang_getSpellingLocation(clang_getCursorLocation(decl), &file, NULL,
				  NULL, NULL);
	if (!file)
		return false;
	path = clang_getFileName(file);
	yes = clang_getCString(path) &&
	      !strncmp(clang_getCString(path), prelude, sizeof(prelude) - 1) &&
	      strcmp(name, "memcmp");
	clang_disposeString(path);
	return yes;
}

/*
 * May a call to this function that has no body go to the loader? Yes for
 * clang's builtins (__builtin_*, __sync_*: declared by clang itself, with
 * no written parameter list; memcpy, memset, memmove), which the BPF backend expands or refuses
 * at the call; for ember's own vocabulary; for a declaration naming an LLVM intrinsic (BCC's load_byte
 * asm("llvm.bpf.load.byte")); and for a kernel function (__ksym: section
 * ".ksyms"), which libbpf resolves from the kernel's BTF.
 */
static bool callable_without_body(CXTranslationUnit tu, CXCursor decl)
{
	/* library builtins even when declared: the backend expands them */
	static const char *const expanded[] = { "memcpy", "memset", "memmove" };
	CXString name = clang_getCursorSpelling(decl);
	CXToken *toks = NULL;
	unsigned int n = 0;
	bool written = false, ksym = false, label = false;

	for (size_t i = 0; i < sizeof(expanded) / sizeof(expanded[0]); i++)
		written |= !strcmp(clang_getCString(name), expanded[i]);
	written |= prelude_vocabulary(decl, clang_getCString(name));
	clang_disposeString(name);
	if (written)
		return true;

	clang_tokenize(tu, clang_getCursorExtent(decl), &toks, &n);
	for (unsigned int i = 0; i < n && !ksym; i++) {
		CXString s = clang_getTokenSpelling(tu, toks[i]);
		const char *t = clang_getCString(s);

		written |= t && !strcmp(t, "(");
		ksym = t && (!strcmp(t, "__ksym") || !strcmp(t, "\".ksyms\""));
		clang_disposeString(s);
	}
	clang_disposeTokens(tu, toks, n);
	if (!written || ksym)
		return true;
	clang_visitChildren(decl, find_asm_label, &label);
	return label;
}

/* A direct call to a FunctionDecl: defined elsewhere as a program, or
 * defined nowhere. */
static void follow(struct walk *w, CXCursor def);

static void check_function(struct walk *w, CXCursor call, CXCursor callee)
{
	CXCursor def = clang_getCursorDefinition(callee);
	CXString sp;
	const char *name;
	int nargs = clang_Cursor_getNumArguments(call);

	if (!clang_Cursor_isNull(def) && w->prog_kind &&
	    ember__cursor_in_main(w->rw, def) &&
	    clang_getCursorLinkage(def) != CXLinkage_External)
		follow(w, def);
	if (w->reach)
		return;
	sp = clang_getCursorSpelling(callee);
	name = clang_getCString(sp);
	if (!clang_Cursor_isNull(def)) {
		if (ember__cursor_in_main(w->rw, def) &&
		    clang_getCursorLinkage(def) == CXLinkage_External)
			record(w,
			       ember__rewrite_error(
				       w->rw, call,
				       "cannot call non-static function '%s': "
				       "each non-static function is a BPF "
				       "program of its own; make it static "
				       "(inlined, or a BPF-to-BPF call with "
				       "__noinline)",
				       name));
	} else if (!callable_without_body(w->rw->tu, callee)) {
		record(w,
		       ember__rewrite_error(
			       w->rw, call,
			       "cannot call '%s': it is declared but defined "
			       "nowhere in the program, and a BPF program "
			       "can call only the functions it defines and "
			       "BPF helpers (the loader would find no BTF "
			       "for extern '%s')",
			       name, name));
	} else if (nargs > ARGS_MAX) {
		record(w, ember__rewrite_error(
				  w->rw, call,
				  "too many arguments to '%s' (%d): a call "
				  "into the kernel passes at most %d, in "
				  "registers r1-r5",
				  name, nargs, ARGS_MAX));
	}
	clang_disposeString(sp);
}

/* Does argument i of the call start with a string literal? */
static bool literal_arg(CXTranslationUnit tu, CXCursor call, unsigned int i)
{
	CXToken *toks = NULL;
	unsigned int n = 0;
	bool yes;

	clang_tokenize(tu,
		       clang_getCursorExtent(clang_Cursor_getArgument(call, i)),
		       &toks, &n);
	yes = n && clang_getTokenKind(toks[0]) == CXToken_Literal;
	if (yes) {
		CXString s = clang_getTokenSpelling(tu, toks[0]);

		yes = clang_getCString(s) && clang_getCString(s)[0] == '"';
		clang_disposeString(s);
	}
	clang_disposeTokens(tu, toks, n);
	return yes;
}

/* A call through a pointer: a helper (BCC's bpf_x = (void *)N) or a cast
 * number. Table methods (struct members), and bpf_trace_printk with BCC's
 * literal format, have their own rewriters, which check their arguments. */
static void check_pointer_call(struct walk *w, CXCursor call, CXCursor callee)
{
	int nargs = clang_Cursor_getNumArguments(call);
	CXString sp;
	const char *name;

	if (clang_getCursorKind(callee) == CXCursor_FieldDecl)
		return;
	sp = clang_getCursorSpelling(callee);
	name = clang_getCString(sp);
	if (w->prog_kind && name && packet_helper(name))
		record(w,
		       ember__rewrite_error(
			       w->rw, call,
			       "helper '%s' is for packet programs (socket "
			       "filter, tc, XDP): the kernel refuses it in a "
			       "%s program (\"program of this type cannot "
			       "use helper\")",
			       name, w->prog_kind));
	if (nargs <= ARGS_MAX || w->reach)
		;
	else if (!name || !*name)
		record(w, ember__rewrite_error(
				  w->rw, call,
				  "too many arguments to a BPF helper (%d): a "
				  "helper takes at most %d, in registers r1-r5",
				  nargs, ARGS_MAX));
	else if (strcmp(name, "bpf_trace_printk") ||
		 !literal_arg(w->rw->tu, call, 0))
		record(w, ember__rewrite_error(
				  w->rw, call,
				  "too many arguments to BPF helper '%s' "
				  "(%d): a helper takes at most %d, in "
				  "registers r1-r5",
				  name, nargs, ARGS_MAX));
	clang_disposeString(sp);
}

static enum CXChildVisitResult visit_calls(CXCursor c, CXCursor parent,
					   void *data)
{
	struct walk *w = data;
	CXCursor callee;

	(void)parent;
	/* sizeof(f(0)), typeof(f(0)) in a declaration: not calls */
	if (clang_getCursorKind(c) == CXCursor_UnaryExpr ||
	    clang_isDeclaration(clang_getCursorKind(c)) ||
	    clang_getCursorKind(c) == CXCursor_TypeRef)
		return clang_getCursorKind(c) == CXCursor_VarDecl
			       ? CXChildVisit_Recurse
			       : CXChildVisit_Continue;
	if (clang_getCursorKind(c) != CXCursor_CallExpr)
		return CXChildVisit_Recurse;
	callee = clang_getCursorReferenced(c);
	if (clang_getCursorKind(callee) == CXCursor_FunctionDecl)
		check_function(w, c, callee);
	else
		check_pointer_call(w, c, callee);
	return w->err && w->err != -EINVAL ? CXChildVisit_Break
					   : CXChildVisit_Recurse;
}

static CXCursor body_of(CXCursor fn);

/* A static function a tracing program calls: its packet helpers too,
 * once. */
static void follow(struct walk *w, CXCursor def)
{
	unsigned int h = clang_hashCursor(def);
	bool reach = w->reach;

	for (size_t i = 0; i < w->followed_cnt; i++)
		if (w->followed[i] == h)
			return;
	if (w->followed_cnt == CALLEES_MAX)
		return;
	w->followed[w->followed_cnt++] = h;
	w->reach = true;
	clang_visitChildren(body_of(def), visit_calls, w);
	w->reach = reach;
}

static enum CXChildVisitResult find_body(CXCursor c, CXCursor parent,
					 void *data)
{
	(void)parent;
	if (clang_getCursorKind(c) == CXCursor_CompoundStmt)
		*(CXCursor *)data = c;
	return CXChildVisit_Continue;
}

/* The function's { body } (its signature may hold typeof(f(0))). */
static CXCursor body_of(CXCursor fn)
{
	CXCursor body = clang_getNullCursor();

	clang_visitChildren(fn, find_body, &body);
	return body;
}

static enum CXChildVisitResult visit_top(CXCursor c, CXCursor parent,
					 void *data)
{
	struct walk *w = data;

	(void)parent;
	if (!ember__cursor_in_main(w->rw, c) ||
	    clang_getCursorKind(c) != CXCursor_FunctionDecl ||
	    !clang_isCursorDefinition(c))
		return CXChildVisit_Continue;
	w->prog_kind = clang_Cursor_getStorageClass(c) == CX_SC_Static
			       ? NULL
			       : tracing_kind(c);
	clang_visitChildren(body_of(c), visit_calls, w);
	return w->err && w->err != -EINVAL ? CXChildVisit_Break
					   : CXChildVisit_Continue;
}

int ember__rewrite_calls(struct ember_rewriter *rw)
{
	struct walk w = { .rw = rw };

	clang_visitChildren(clang_getTranslationUnitCursor(rw->tu), visit_top,
			    &w);
	return w.err;
}
