// SPDX-License-Identifier: MIT
/*
 * Probe declarations → ELF sections. BCC decides what a function attaches to
 * from its name (tracepoint__cat__event, raw_tracepoint__event, kprobe__fn,
 * kretprobe__fn) or from the TRACEPOINT_PROBE / RAW_TRACEPOINT_PROBE macros;
 * libbpf decides from the ELF section. Each non-static function definition
 * becomes a program: conventional names get their libbpf section, every
 * other function goes to "ember/NAME" and is loaded on request with the
 * program type the host asks for (BCC's load_func). The probe macros are
 * replaced by the text they stand for so the rewritten C needs no BCC
 * vocabulary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/rewriter.h"

struct probe_macro {
	size_t begin, end; /* extent of "TRACEPOINT_PROBE(a, b)" */
	bool raw;
};

struct walk {
	struct ember_rewriter *rw;
	int err;
};

static int add_program(struct ember_rewriter *rw, const char *name,
		       const char *section)
{
	struct ember_program_info *v;

	v = realloc(rw->progs, (rw->progs_cnt + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	rw->progs = v;
	v[rw->progs_cnt].name = strdup(name);
	v[rw->progs_cnt].section = strdup(section);
	if (!v[rw->progs_cnt].name || !v[rw->progs_cnt].section) {
		free(v[rw->progs_cnt].name);
		free(v[rw->progs_cnt].section);
		return -ENOMEM;
	}
	rw->progs_cnt++;
	return 0;
}

/*
 * BCC's conventional function names and the libbpf sections they stand for.
 * What a section loads as and attaches to is the loader's table
 * (loader/sections.c); this one stays here because the compiler sits below
 * the loader and runs without it (ember check).
 */
static const struct {
	const char *name_prefix, *section_prefix;
	/* the rest of the name is CATEGORY__EVENT, the section's CATEGORY/EVENT */
	bool category;
} bcc_names[] = {
	{ "tracepoint__", "tracepoint/", true },
	{ "raw_tracepoint__", "raw_tracepoint/", false },
	{ "kretprobe__", "kretprobe/", false },
	{ "kprobe__", "kprobe/", false },
	{ "kfunc__vmlinux__", "fentry/", false },
	{ "kretfunc__vmlinux__", "fexit/", false },
	{ "kmod_ret__vmlinux__", "fmod_ret/", false },
	{ "lsm__", "lsm/", false },
};

/* The section a function's name asks for; NULL for a plain function. */
static char *section_for_name(const char *name)
{
	const char *rest, *sep;
	char *s = NULL;
	size_t i, pl;

	for (i = 0; i < sizeof(bcc_names) / sizeof(bcc_names[0]); i++) {
		pl = strlen(bcc_names[i].name_prefix);
		if (!strncmp(name, bcc_names[i].name_prefix, pl) && name[pl])
			break;
	}
	if (i == sizeof(bcc_names) / sizeof(bcc_names[0]))
		return NULL;
	rest = name + pl;
	if (!bcc_names[i].category) {
		if (asprintf(&s, "%s%s", bcc_names[i].section_prefix, rest) < 0)
			s = NULL;
		return s;
	}
	sep = strstr(rest, "__");
	if (sep && sep != rest && sep[2] &&
	    asprintf(&s, "%s%.*s/%s", bcc_names[i].section_prefix,
		     (int)(sep - rest), rest, sep + 2) < 0)
		s = NULL;
	return s;
}

/*
 * A probe macro at off: "TRACEPOINT_PROBE ( ... )" or "RAW_TRACEPOINT_PROBE
 * ( ... )" read from the text itself (libclang does not report macro
 * expansions of a TU built on a PCH).
 */
static bool macro_at(const struct ember_rewriter *rw, size_t off,
		     struct probe_macro *m)
{
	static const char tp[] = "TRACEPOINT_PROBE",
			  raw[] = "RAW_TRACEPOINT_PROBE";
	const char *t = rw->text;
	size_t i = off;
	int depth = 0;

	if (rw->len - off > sizeof(raw) - 1 &&
	    !memcmp(t + off, raw, sizeof(raw) - 1)) {
		m->raw = true;
		i += sizeof(raw) - 1;
	} else if (rw->len - off > sizeof(tp) - 1 &&
		   !memcmp(t + off, tp, sizeof(tp) - 1)) {
		m->raw = false;
		i += sizeof(tp) - 1;
	} else {
		return false;
	}
	while (i < rw->len && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (i >= rw->len || t[i] != '(')
		return false;
	for (; i < rw->len; i++) {
		if (t[i] == '(')
			depth++;
		else if (t[i] == ')' && --depth == 0)
			break;
		else if (t[i] == '\n')
			return false;
	}
	if (i >= rw->len)
		return false;
	m->begin = off;
	m->end = i + 1;
	return true;
}

/*
 * A section the text gives the function itself (SEC("xdp"), or a macro of
 * its own around __attribute__((section(...)))): the first string literal
 * between the start of the declaration and the function's name.
 */
/* The string literal inside t[open..close], or NULL. */
static char *literal_in(const char *t, size_t open, size_t close)
{
	const char *q1 = memchr(t + open, '"', close - open), *q2;

	if (!q1)
		return NULL;
	q2 = memchr(q1 + 1, '"', (size_t)(t + close - q1 - 1));
	return q2 ? strndup(q1 + 1, (size_t)(q2 - q1 - 1)) : NULL;
}

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/*
 * A section the text gives the function itself (SEC("xdp"), or a macro of
 * its own around __attribute__((section(...)))): a string literal inside
 * SEC(...)/section(...) either between the start of the declaration and the
 * function's name, or just before the declaration when a macro such as
 * libbpf's BPF_PROG() makes the declaration start at the macro.
 */
static char *explicit_section(struct ember_rewriter *rw, CXCursor fn,
			      size_t begin)
{
	unsigned int name_off;
	const char *t = rw->text;
	size_t i, close, open;
	int depth;

	clang_getExpansionLocation(clang_getCursorLocation(fn), NULL, NULL,
				   NULL, &name_off);
	if (name_off > begin && name_off <= rw->len) {
		for (i = begin; i < name_off; i++)
			if (t[i] == '"')
				break;
		if (i < name_off &&
		    (memmem(t + begin, i - begin, "SEC", 3) ||
		     memmem(t + begin, i - begin, "section", 7)))
			return literal_in(t, begin, name_off);
	}
	/* backwards over "int", "static", ... to a closing parenthesis */
	i = begin;
	for (;;) {
		while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t' ||
				 t[i - 1] == '\n'))
			i--;
		if (i == 0 || !is_ident(t[i - 1]))
			break;
		while (i > 0 && is_ident(t[i - 1]))
			i--;
	}
	if (i == 0 || t[i - 1] != ')')
		return NULL;
	close = i - 1;
	for (depth = 0, open = close + 1; open > 0; open--) {
		if (t[open - 1] == ')')
			depth++;
		else if (t[open - 1] == '(' && --depth == 0)
			break;
	}
	if (open == 0)
		return NULL;
	open--;
	for (i = open; i > 0 && is_ident(t[i - 1]); i--)
		;
	if (!memmem(t + i, close - i, "SEC", 3) &&
	    !memmem(t + i, close - i, "section", 7))
		return NULL;
	return literal_in(t, open, close);
}

/*
 * A program's return value is a number the kernel reads (0 or 1 for a
 * kprobe, an action for XDP or tc): a struct or float is no value at all in
 * R0, an error. A pointer is a warning: BCC compiles it (its own tests
 * return a pointer read from the kernel), and the verifier refuses what
 * would leak an address.
 */
static int check_return_type(struct ember_rewriter *rw, CXCursor fn,
			     const char *name)
{
	CXType t = clang_getCanonicalType(clang_getCursorResultType(fn));
	CXString sp;
	int err;

	bool pointer = false;

	switch (t.kind) {
	case CXType_Pointer:
	case CXType_BlockPointer:
		pointer = true;
		break;
	case CXType_Record:
	case CXType_Float:
	case CXType_Double:
	case CXType_LongDouble:
		break;
	default:
		return 0;
	}
	sp = clang_getTypeSpelling(clang_getCursorResultType(fn));
	err = (pointer ? ember__rewrite_warning : ember__rewrite_error)(
		rw, fn,
		"'%s' is a BPF program and returns '%s': a program returns "
		"an integer (the kernel reads it as a number), declare it "
		"'int %s(...)'",
		name, clang_getCString(sp), name);
	clang_disposeString(sp);
	return err;
}

static int rewrite_function(struct walk *w, CXCursor fn)
{
	struct ember_rewriter *rw = w->rw;
	struct probe_macro macro, *m = NULL;
	CXString sp = clang_getCursorSpelling(fn);
	char *name = strdup(clang_getCString(sp));
	char *section = NULL;
	size_t b, e;
	int err = -ENOMEM;

	clang_disposeString(sp);
	if (!name)
		return -ENOMEM;
	/* libclang may list the first declaration of a file twice */
	for (size_t i = 0; i < rw->progs_cnt; i++)
		if (!strcmp(rw->progs[i].name, name)) {
			free(name);
			return 0;
		}
	if (!ember__cursor_offsets(rw, fn, &b, &e)) {
		free(name);
		return 0;
	}
	err = check_return_type(rw, fn, name);
	if (err) {
		free(name);
		return err;
	}
	section = explicit_section(rw, fn, b);
	if (section) {
		/* the text already placed it: record, change nothing */
		err = add_program(rw, name, section);
		goto out;
	}
	section = section_for_name(name);
	if (!section && asprintf(&section, "ember/%s", name) < 0)
		section = NULL;
	if (!section)
		goto out;

	if (macro_at(rw, b, &macro))
		m = &macro;
	if (m && m->raw)
		err = ember__edits_replacef(&rw->edits, m->begin,
					    m->end - m->begin,
					    "SEC(\"%s\") int %s(struct "
					    "bpf_raw_tracepoint_args *ctx)",
					    section, name);
	else if (m)
		err = ember__edits_replacef(
			&rw->edits, m->begin, m->end - m->begin,
			"SEC(\"%s\") int %s(struct %s *args)", section, name,
			name);
	else
		err = ember__edits_replacef(&rw->edits, b, 0, "SEC(\"%s\") ",
					    section);
	if (!err)
		err = ember__rewrite_probe_params(rw, fn, name);
	if (!err)
		err = add_program(rw, name, section);
out:
	free(section);
	free(name);
	return err;
}

static enum CXChildVisitResult visit_top(CXCursor c, CXCursor parent,
					 void *data)
{
	struct walk *w = data;
	enum CXCursorKind k = clang_getCursorKind(c);
	int err;

	(void)parent;
	if (!ember__cursor_in_main(w->rw, c))
		return CXChildVisit_Continue;
	if (k == CXCursor_MacroDefinition) {
		CXString sp = clang_getCursorSpelling(c);

		w->rw->license_macro |=
			!strcmp(clang_getCString(sp), "BPF_LICENSE");
		clang_disposeString(sp);
		return CXChildVisit_Continue;
	}
	if (k == CXCursor_VarDecl) {
		CXString sp = clang_getCursorSpelling(c);
		const char *n = clang_getCString(sp);
		size_t l = strlen(n);

		/* BCC adds a GPL license unless the text declares one. */
		if (l >= 7 && !strcmp(n + l - 7, "license"))
			w->rw->has_license = true;
		clang_disposeString(sp);
		return CXChildVisit_Continue;
	}
	if (k != CXCursor_FunctionDecl || !clang_isCursorDefinition(c) ||
	    clang_Cursor_getStorageClass(c) == CX_SC_Static)
		return CXChildVisit_Continue;
	err = rewrite_function(w, c);
	if (err && (err != -EINVAL || !w->err))
		w->err = err;
	return err && err != -EINVAL ? CXChildVisit_Break
				     : CXChildVisit_Continue;
}

int ember__rewrite_probe_sections(struct ember_rewriter *rw)
{
	CXCursor root = clang_getTranslationUnitCursor(rw->tu);
	struct walk w = { .rw = rw };

	clang_visitChildren(root, visit_top, &w);
	return w.err;
}
