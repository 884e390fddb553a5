// SPDX-License-Identifier: MIT
/*
 * Packet header fields, as BCC rewrites them in socket filters: a pointer
 * to a BPF_PACKET_HEADER struct (bcc/proto.h) made by cursor_advance()
 * holds an offset into the packet, and its fields are bits of the packet in
 * network order. In a function whose first parameter is the packet (skb):
 *   ip->nextp          →  bpf_dext_pkt(skb, (u64)ip + 9, 0, 8)
 *   ethernet->src = v  →  bpf_dins_pkt(skb, (u64)ethernet + 6, 0, 48, v)
 * The byte and bit come from the struct's layout (fields in wire order,
 * bitfields from the most significant bit), as clang lays it out. Taking a
 * field's address (&ip->hchecksum) reads nothing: it stays the offset.
 *
 * BCC's checksum updates need the packet too, and the size of the new
 * value as written (before a field read in it becomes a 64-bit load):
 *   incr_cksum_l3(&ip->hchecksum, old, ip->dst)
 *     →  __ember_incr_cksum_l3(skb, 4, &ip->hchecksum, old, ip->dst)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/rewriter.h"

#define PACKET_ANNOTATION "bcc_packet_header"

struct walk {
	struct ember_rewriter *rw;
	const char *skb; /* the function's first parameter */
	/* accesses rewritten (a macro argument may be expanded twice) */
	size_t *done, done_cnt;
	int err;
};

/* Where the text of a range is written: the user's text, or a macro
 * argument in it (file locations; expansion locations say where the macro
 * is). False when it is in no file of the user's or made by a macro. */
static bool written_at(struct ember_rewriter *rw, CXSourceRange r, size_t *b,
		       size_t *e)
{
	CXFile f1, f2;
	unsigned int x1, x2;

	clang_getFileLocation(clang_getRangeStart(r), &f1, NULL, NULL, &x1);
	clang_getFileLocation(clang_getRangeEnd(r), &f2, NULL, NULL, &x2);
	if (!f1 || !f2 || !clang_File_isEqual(f1, rw->main_file) ||
	    !clang_File_isEqual(f2, rw->main_file) || x2 < x1 || x2 > rw->len)
		return false;
	*b = x1;
	*e = x2;
	return true;
}

/* Is the member's name written where the cursor says (not made by a
 * macro's own text)? */
static bool name_written(struct ember_rewriter *rw, CXCursor member, size_t e)
{
	CXString sp = clang_getCursorSpelling(member);
	const char *name = clang_getCString(sp);
	size_t n = name ? strlen(name) : 0;
	bool yes = n && e >= n && !memcmp(rw->text + e - n, name, n);

	clang_disposeString(sp);
	return yes;
}

static enum CXChildVisitResult find_annotation(CXCursor c, CXCursor parent,
					       void *data)
{
	(void)parent;
	if (clang_getCursorKind(c) == CXCursor_AnnotateAttr) {
		CXString sp = clang_getCursorSpelling(c);

		if (!strcmp(clang_getCString(sp), PACKET_ANNOTATION))
			*(bool *)data = true;
		clang_disposeString(sp);
	}
	return CXChildVisit_Continue;
}

/* A field of a BPF_PACKET_HEADER struct? */
static bool packet_field(CXCursor field)
{
	CXCursor rec = clang_getCursorSemanticParent(field);
	bool yes = false;

	if (clang_getCursorKind(field) != CXCursor_FieldDecl)
		return false;
	clang_visitChildren(rec, find_annotation, &yes);
	return yes;
}

static enum CXChildVisitResult first_child(CXCursor c, CXCursor parent,
					   void *data)
{
	(void)parent;
	*(CXCursor *)data = c;
	return CXChildVisit_Break;
}

static size_t skip_space(const struct ember_rewriter *rw, size_t i)
{
	while (i < rw->len && (rw->text[i] == ' ' || rw->text[i] == '\t' ||
			       rw->text[i] == '\n'))
		i++;
	return i;
}

static void note(struct walk *w, int err)
{
	if (err && (!w->err || err == -ENOMEM))
		w->err = err;
}

/*
 * base->field at [b, e) with base at [bb, be): a read, or the left side of
 * "= value" (the value ending where the assignment does).
 */
static void rewrite_access(struct walk *w, CXCursor member, CXCursor parent,
			   size_t b, size_t e, size_t be)
{
	struct ember_rewriter *rw = w->rw;
	CXCursor field = clang_getCursorReferenced(member);
	long long bit = clang_Cursor_getOffsetOfField(field);
	int width = clang_getFieldDeclBitWidth(field);
	long long bits =
		width > 0
			? width
			: clang_Type_getSizeOf(clang_getCursorType(field)) * 8;
	size_t after = skip_space(rw, e), pb, pe;
	char head[160];

	if (bit < 0 || bits <= 0 || bits > 64)
		return;
	snprintf(head, sizeof(head), "bpf_dext_pkt(%s, (u64)", w->skb);
	/* "x->f = v" (not "=="): the parent is the assignment */
	if (after < rw->len && rw->text[after] == '=' &&
	    (after + 1 >= rw->len || rw->text[after + 1] != '=') &&
	    clang_getCursorKind(parent) == CXCursor_BinaryOperator &&
	    ember__cursor_offsets(rw, parent, &pb, &pe) && pb == b) {
		snprintf(head, sizeof(head), "bpf_dins_pkt(%s, (u64)", w->skb);
		note(w, ember__edits_insert(&rw->edits, b, head));
		note(w, ember__edits_replacef(&rw->edits, be, after + 1 - be,
					      " + %lld, %lld, %lld,", bit >> 3,
					      bit & 7, bits));
		note(w, ember__edits_insert_after(&rw->edits, pe, ")"));
		return;
	}
	note(w, ember__edits_insert(&rw->edits, b, head));
	note(w, ember__edits_replacef(&rw->edits, be, e - be,
				      " + %lld, %lld, %lld)", bit >> 3, bit & 7,
				      bits));
}

/* An argument as written: below the implicit conversion to the
 * parameter's type, which libclang shows as an unexposed expression. */
static CXCursor as_written(CXCursor arg)
{
	CXCursor inner = clang_getNullCursor();

	while (clang_getCursorKind(arg) == CXCursor_UnexposedExpr) {
		inner = clang_getNullCursor();
		clang_visitChildren(arg, first_child, &inner);
		if (clang_Cursor_isNull(inner))
			break;
		arg = inner;
	}
	return arg;
}

/* incr_cksum_l3(off, old, new) and incr_cksum_l4(off, old, new, pseudo) */
static void rewrite_checksum(struct walk *w, CXCursor call)
{
	struct ember_rewriter *rw = w->rw;
	CXString sp = clang_getCursorSpelling(call);
	const char *name = clang_getCString(sp);
	int layer = !name			     ? 0
		    : !strcmp(name, "incr_cksum_l3") ? 3
		    : !strcmp(name, "incr_cksum_l4") ? 4
						     : 0;
	size_t n = name ? strlen(name) : 0, b, e, paren;
	long long size;

	if (!layer || clang_Cursor_getNumArguments(call) != layer) {
		clang_disposeString(sp);
		return;
	}
	if (!w->skb) {
		note(w, ember__rewrite_error(
				rw, call,
				"%s() updates the checksum of the packet "
				"that is the calling function's first "
				"parameter; this function has no parameter",
				name));
	} else if (ember__cursor_in_macro(call) ||
		   !ember__cursor_offsets(rw, call, &b, &e) || e - b < n ||
		   memcmp(rw->text + b, name, n) ||
		   (paren = skip_space(rw, b + n)) >= e ||
		   rw->text[paren] != '(') {
		note(w, ember__rewrite_error(
				rw, call,
				"%s() cannot be called from a macro's text: "
				"ember rewrites the call, so write it in the "
				"program",
				name));
	} else {
		size = clang_Type_getSizeOf(clang_getCursorType(
			as_written(clang_Cursor_getArgument(call, 2))));
		note(w, ember__edits_replacef(&rw->edits, b, paren + 1 - b,
					      "__ember_%s(%s, %lld, ", name,
					      w->skb, size > 0 ? size : 0));
	}
	clang_disposeString(sp);
}

/* Is the member expression the operand of '&' (its address, not a read)? */
static bool address_taken(struct ember_rewriter *rw, CXCursor parent, size_t b)
{
	size_t pb, pe;

	return clang_getCursorKind(parent) == CXCursor_UnaryOperator &&
	       ember__cursor_offsets(rw, parent, &pb, &pe) && pb < b &&
	       rw->text[pb] == '&';
}

static enum CXChildVisitResult visit(CXCursor c, CXCursor parent, void *data)
{
	struct walk *w = data;
	CXCursor base = clang_getNullCursor();
	size_t b, e, bb, be;
	CXType bt;

	if (clang_getCursorKind(c) == CXCursor_CallExpr)
		rewrite_checksum(w, c);
	if (clang_getCursorKind(c) != CXCursor_MemberRefExpr || !w->skb)
		return CXChildVisit_Recurse;
	clang_visitChildren(c, first_child, &base);
	bt = clang_getCanonicalType(clang_getCursorType(base));
	/* base->field through a pointer, written in the text (or in a macro
	 * argument there) */
	if (clang_Cursor_isNull(base) || bt.kind != CXType_Pointer ||
	    !packet_field(clang_getCursorReferenced(c)) ||
	    !written_at(w->rw, clang_getCursorExtent(c), &b, &e) ||
	    !written_at(w->rw, clang_getCursorExtent(base), &bb, &be) ||
	    bb != b || be > e || !name_written(w->rw, c, e) ||
	    address_taken(w->rw, parent, b))
		return CXChildVisit_Recurse;
	for (size_t i = 0; i < w->done_cnt; i++)
		if (w->done[i] == b)
			return CXChildVisit_Continue;
	{
		size_t *d = realloc(w->done, (w->done_cnt + 1) * sizeof(*d));

		if (!d) {
			note(w, -ENOMEM);
			return CXChildVisit_Break;
		}
		w->done = d;
		d[w->done_cnt++] = b;
	}
	rewrite_access(w, c, parent, b, e, be);
	return CXChildVisit_Continue;
}

static enum CXChildVisitResult visit_function(CXCursor c, CXCursor parent,
					      void *data)
{
	struct ember_rewriter *rw = data;
	struct walk w = { .rw = rw };
	CXString skb;

	(void)parent;
	if (clang_getCursorKind(c) != CXCursor_FunctionDecl ||
	    !clang_isCursorDefinition(c) || !ember__cursor_in_main(rw, c))
		return CXChildVisit_Continue;
	skb = clang_getCursorSpelling(clang_Cursor_getArgument(c, 0));
	w.skb = clang_Cursor_getNumArguments(c) >= 1 && clang_getCString(skb) &&
				*clang_getCString(skb)
			? clang_getCString(skb)
			: NULL;
	clang_visitChildren(c, visit, &w);
	clang_disposeString(skb);
	free(w.done);
	if (w.err == -ENOMEM)
		return CXChildVisit_Break;
	return CXChildVisit_Continue;
}

int ember__rewrite_packet_fields(struct ember_rewriter *rw)
{
	if (clang_visitChildren(clang_getTranslationUnitCursor(rw->tu),
				visit_function, rw))
		return -ENOMEM;
	return 0;
}
