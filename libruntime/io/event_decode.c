// SPDX-License-Identifier: MIT
/*
 * Events by field name, from BTF: what the program submitted through a perf
 * or ring buffer, described as fields (name, offset, size, kind), read by
 * name, and printed as "pid=1 comm=bash" or JSON.
 *
 * Events come from the machine we run on, so their byte order is ours; bit
 * field positions follow the little-endian layout BTF describes for it.
 */
#include "io/event_decode.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "loader/module.h"

/* Nesting deeper than this is not a type a program submits; it also bounds
 * recursion over a malformed BTF. */
#define MAX_DEPTH 32

static const struct btf_type *skip_mods(const struct btf *btf, __u32 *id,
					bool typedefs)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);
	int n = 0;

	while (t && n++ < MAX_DEPTH &&
	       (btf_is_mod(t) || (typedefs && btf_is_typedef(t)))) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

static const char *type_name(const struct btf *btf, const struct btf_type *t)
{
	const char *s = btf__name_by_offset(btf, t->name_off);

	return s ? s : "";
}

/* ---------------------------------------------------------------- */
/* Spelling a type the way C would                                   */

static void spell(FILE *f, const struct btf *btf, __u32 id, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const char *name;

	if (!id) {
		fputs("void", f);
		return;
	}
	if (!t || depth > MAX_DEPTH) {
		fputs("?", f);
		return;
	}
	name = type_name(btf, t);
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPEDEF:
		fputs(name, f);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FWD:
		fprintf(f, "%s %s",
			btf_is_union(t) || (btf_is_fwd(t) && btf_kflag(t))
				? "union"
			: btf_is_any_enum(t) ? "enum"
					     : "struct",
			*name ? name : "<anon>");
		break;
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
		fputs(btf_is_const(t) ? "const " : "volatile ", f);
		spell(f, btf, t->type, depth + 1);
		break;
	case BTF_KIND_PTR:
		spell(f, btf, t->type, depth + 1);
		fputs(" *", f);
		break;
	case BTF_KIND_ARRAY: {
		/* int[2][3]: the element's spelling, then every dimension */
		const struct btf_type *e = t;
		__u32 elem = id;
		int n = 0;

		while (e && btf_is_array(e) && n++ < MAX_DEPTH) {
			elem = btf_array(e)->type;
			e = btf__type_by_id(btf, elem);
		}
		spell(f, btf, elem, depth + 1);
		for (e = t, n = 0; e && btf_is_array(e) && n++ < MAX_DEPTH;
		     e = btf__type_by_id(btf, btf_array(e)->type))
			fprintf(f, "[%u]", btf_array(e)->nelems);
		break;
	}
	case BTF_KIND_FUNC_PROTO:
		fputs("<function>", f);
		break;
	default:
		spell(f, btf, t->type, depth + 1);
		break;
	}
}

char *ember__btf_type_spelling(const struct btf *btf, __u32 id)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	spell(f, btf, id, 0);
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

/* ---------------------------------------------------------------- */
/* Reading scalars                                                   */

/* Bytes a value occupies from its byte offset (bit fields: what holds it). */
static size_t span(const struct btf *btf, __u32 id, unsigned int bit_off,
		   unsigned int bit_size)
{
	__s64 sz;

	if (bit_size)
		return (bit_off + bit_size + 7) / 8;
	sz = btf__resolve_size(btf, id);
	return sz > 0 ? (size_t)sz : 0;
}

/* An unsigned value of nbytes (<= 8) little-endian bytes, or of a bit field
 * at bit_off (bits after p) of bit_size bits. */
static uint64_t load_bits(const unsigned char *p, size_t nbytes,
			  unsigned int bit_off, unsigned int bit_size)
{
	unsigned __int128 v = 0;
	size_t i;

	if (!bit_size) {
		uint64_t u = 0;

		memcpy(&u, p, nbytes > 8 ? 8 : nbytes);
		return u;
	}
	nbytes = (bit_off + bit_size + 7) / 8;
	for (i = 0; i < nbytes && i < 16; i++)
		v |= (unsigned __int128)p[i] << (8 * i);
	v >>= bit_off;
	if (bit_size < 64)
		v &= ((unsigned __int128)1 << bit_size) - 1;
	return (uint64_t)v;
}

static int64_t sign_extend(uint64_t v, unsigned int bits)
{
	if (bits >= 64 || !bits)
		return (int64_t)v;
	if (v & (1ull << (bits - 1)))
		v |= ~0ull << bits;
	return (int64_t)v;
}

struct scalar {
	uint64_t u;
	bool is_signed;
	bool is_bool;
	bool is_ptr;
	bool is_enum;
};

/*
 * Integer-like value at p (the field's byte offset). Returns 0, or -EINVAL
 * when the type is not an integer, enum, bool or pointer of at most 8 bytes.
 */
static int read_scalar(const struct btf *btf, __u32 id, const unsigned char *p,
		       unsigned int bit_off, unsigned int bit_size,
		       struct scalar *s)
{
	const struct btf_type *t = skip_mods(btf, &id, true);
	unsigned int bits;
	size_t nbytes;

	memset(s, 0, sizeof(*s));
	if (!t)
		return -EINVAL;
	if (btf_is_int(t)) {
		s->is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		s->is_bool = btf_int_encoding(t) & BTF_INT_BOOL;
		nbytes = t->size;
	} else if (btf_is_any_enum(t)) {
		s->is_signed = btf_kflag(t);
		s->is_enum = true;
		nbytes = t->size;
	} else if (btf_is_ptr(t)) {
		s->is_ptr = true;
		nbytes = sizeof(uint64_t);
	} else {
		return -EINVAL;
	}
	if (nbytes > 8 || !nbytes)
		return -EINVAL;
	s->u = load_bits(p, nbytes, bit_off, bit_size);
	bits = bit_size ? bit_size : (unsigned int)nbytes * 8;
	if (s->is_signed)
		s->u = (uint64_t)sign_extend(s->u, bits);
	return 0;
}

/* char arrays are text; u8 / unsigned char arrays are numbers (as BCC's
 * ctypes mapping has them). */
static bool is_char_array(const struct btf *btf, const struct btf_type *t)
{
	__u32 elem;
	const struct btf_type *e;

	if (!btf_is_array(t))
		return false;
	elem = btf_array(t)->type;
	e = skip_mods(btf, &elem, false);
	return e && btf_is_int(e) && e->size == 1 &&
	       !strcmp(type_name(btf, e), "char");
}

/* ---------------------------------------------------------------- */
/* Formatting                                                        */

struct fmt {
	FILE *f;
	const struct btf *btf;
	const unsigned char *data;
	size_t size;
	bool json;
};

static void put_string(struct fmt *c, const unsigned char *p, size_t max)
{
	size_t i;

	if (c->json)
		fputc('"', c->f);
	for (i = 0; i < max && p[i]; i++) {
		unsigned char ch = p[i];

		if (c->json) {
			if (ch == '"' || ch == '\\')
				fprintf(c->f, "\\%c", ch);
			else if (ch < 0x20 || ch >= 0x7f)
				fprintf(c->f, "\\u%04x", ch);
			else
				fputc(ch, c->f);
		} else if (ch == '\n') {
			fputs("\\n", c->f);
		} else if (ch == '\t') {
			fputs("\\t", c->f);
		} else if (ch < 0x20 || ch >= 0x7f || ch == '\\') {
			fprintf(c->f, "\\x%02x", ch);
		} else {
			fputc(ch, c->f);
		}
	}
	if (c->json)
		fputc('"', c->f);
}

static const char *enum_name(const struct btf *btf, const struct btf_type *t,
			     uint64_t v)
{
	int i, n = btf_vlen(t);

	for (i = 0; i < n; i++) {
		uint64_t ev;
		__u32 name_off;

		if (btf_is_enum(t)) {
			const struct btf_enum *e = btf_enum(t) + i;

			/* 32-bit enums compare in their own width */
			ev = (uint32_t)e->val;
			name_off = e->name_off;
			if ((uint32_t)v != ev)
				continue;
		} else {
			const struct btf_enum64 *e = btf_enum64(t) + i;

			ev = btf_enum64_value(e);
			name_off = e->name_off;
			if (v != ev)
				continue;
		}
		return btf__name_by_offset(btf, name_off);
	}
	return NULL;
}

static void fmt_value(struct fmt *c, __u32 id, size_t bitpos,
		      unsigned int bit_size, int depth);

/* Members of the struct/union t at bitpos, separated; anonymous members'
 * own members inline. *first tracks whether a separator is due. */
static void fmt_members(struct fmt *c, const struct btf_type *t, size_t bitpos,
			bool *first, int depth)
{
	const struct btf_member *m = btf_members(t);
	int i, n = btf_vlen(t);

	for (i = 0; i < n; i++, m++) {
		const char *name = btf__name_by_offset(c->btf, m->name_off);
		size_t pos = bitpos + btf_member_bit_offset(t, i);
		unsigned int bsz = btf_member_bitfield_size(t, i);
		__u32 mid = m->type;
		const struct btf_type *mt = skip_mods(c->btf, &mid, true);

		if (!mt)
			continue;
		if ((!name || !*name) && btf_is_composite(mt)) {
			fmt_members(c, mt, pos, first, depth + 1);
			continue;
		}
		/* what the event is too short to hold is left out; a
		 * struct or array prints the part that is there */
		if (pos / 8 >= c->size ||
		    (!btf_is_composite(mt) && !btf_is_array(mt) &&
		     pos / 8 + span(c->btf, mid, pos % 8, bsz) > c->size))
			continue;
		if (!*first)
			fputc(c->json ? ',' : ' ', c->f);
		*first = false;
		if (c->json)
			fprintf(c->f, "\"%s\":", name ? name : "");
		else
			fprintf(c->f, "%s=", name ? name : "");
		fmt_value(c, m->type, pos, bsz, depth + 1);
	}
}

static void fmt_int128(struct fmt *c, const unsigned char *p, size_t n)
{
	size_t i;

	fputs(c->json ? "\"0x" : "0x", c->f);
	for (i = n; i-- > 0;)
		fprintf(c->f, "%02x", p[i]);
	if (c->json)
		fputc('"', c->f);
}

static void fmt_float(struct fmt *c, const unsigned char *p, size_t n)
{
	double d;

	if (n == sizeof(float)) {
		float v;

		memcpy(&v, p, sizeof(v));
		d = v;
	} else if (n == sizeof(double)) {
		memcpy(&d, p, sizeof(d));
	} else {
		fmt_int128(c, p, n);
		return;
	}
	if (c->json && !isfinite(d))
		fputs("null", c->f);
	else
		fprintf(c->f, "%.17g", d);
}

static void fmt_value(struct fmt *c, __u32 id, size_t bitpos,
		      unsigned int bit_size, int depth)
{
	const struct btf_type *t = skip_mods(c->btf, &id, true);
	const unsigned char *p = c->data + bitpos / 8;
	size_t avail = c->size > bitpos / 8 ? c->size - bitpos / 8 : 0;
	struct scalar s;

	if (!t || depth > MAX_DEPTH) {
		fputs(c->json ? "null" : "?", c->f);
		return;
	}
	if (btf_is_composite(t)) {
		bool first = true;

		fputc('{', c->f);
		fmt_members(c, t, bitpos, &first, depth);
		fputc('}', c->f);
		return;
	}
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		__s64 esz = btf__resolve_size(c->btf, a->type);
		__u32 i;

		if (is_char_array(c->btf, t)) {
			put_string(c, p, a->nelems < avail ? a->nelems : avail);
			return;
		}
		fputc('[', c->f);
		for (i = 0; esz > 0 && i < a->nelems; i++) {
			size_t off = bitpos / 8 + (size_t)esz * i;

			if (off + (size_t)esz > c->size)
				break;
			if (i)
				fputc(',', c->f);
			fmt_value(c, a->type, off * 8, 0, depth + 1);
		}
		fputc(']', c->f);
		return;
	}
	if (btf_is_float(t)) {
		fmt_float(c, p, t->size);
		return;
	}
	if (btf_is_int(t) && t->size > 8) {
		fmt_int128(c, p, t->size < avail ? t->size : avail);
		return;
	}
	if (read_scalar(c->btf, id, p, bitpos % 8, bit_size, &s)) {
		fputs(c->json ? "null" : "?", c->f);
		return;
	}
	if (s.is_bool) {
		fputs(s.u ? "true" : "false", c->f);
	} else if (s.is_enum) {
		const char *name = enum_name(c->btf, t, s.u);

		if (name && *name)
			fprintf(c->f, c->json ? "\"%s\"" : "%s", name);
		else if (s.is_signed)
			fprintf(c->f, "%lld", (long long)s.u);
		else
			fprintf(c->f, "%llu", (unsigned long long)s.u);
	} else if (s.is_ptr) {
		/* JSON: a string, as table values have them */
		fprintf(c->f, c->json ? "\"0x%llx\"" : "0x%llx",
			(unsigned long long)s.u);
	} else if (s.is_signed) {
		fprintf(c->f, "%lld", (long long)s.u);
	} else {
		fprintf(c->f, "%llu", (unsigned long long)s.u);
	}
}

int ember__btf_fprint(FILE *f, const struct btf *btf, __u32 id,
		      const void *data, size_t size, unsigned int flags)
{
	struct fmt c = { .f = f,
			 .btf = btf,
			 .data = data,
			 .size = size,
			 .json = flags & EMBER_FORMAT_JSON };
	const struct btf_type *t = skip_mods(btf, &id, true);

	if (t && btf_is_composite(t) && !c.json) {
		/* the top level of a text event needs no braces */
		bool first = true;

		fmt_members(&c, t, 0, &first, 0);
	} else {
		fmt_value(&c, id, 0, 0, 0);
	}
	return ferror(f) ? -EIO : 0;
}

/* ---------------------------------------------------------------- */
/* Finding a type by its spelling                                    */

/* C spellings of base types and the names clang gives them in BTF. */
static const struct {
	const char *c, *btf;
	int size, enc;
} base_types[] = {
	{ "char", "char", 1, BTF_INT_SIGNED | BTF_INT_CHAR },
	{ "signed char", "signed char", 1, BTF_INT_SIGNED | BTF_INT_CHAR },
	{ "unsigned char", "unsigned char", 1, BTF_INT_CHAR },
	{ "short", "short", 2, BTF_INT_SIGNED },
	{ "short int", "short", 2, BTF_INT_SIGNED },
	{ "unsigned short", "unsigned short", 2, 0 },
	{ "short unsigned int", "unsigned short", 2, 0 },
	{ "int", "int", 4, BTF_INT_SIGNED },
	{ "signed", "int", 4, BTF_INT_SIGNED },
	{ "unsigned", "unsigned int", 4, 0 },
	{ "unsigned int", "unsigned int", 4, 0 },
	{ "long", "long", 8, BTF_INT_SIGNED },
	{ "long int", "long", 8, BTF_INT_SIGNED },
	{ "unsigned long", "unsigned long", 8, 0 },
	{ "long unsigned int", "unsigned long", 8, 0 },
	{ "long long", "long long", 8, BTF_INT_SIGNED },
	{ "long long int", "long long", 8, BTF_INT_SIGNED },
	{ "unsigned long long", "unsigned long long", 8, 0 },
	{ "long long unsigned int", "unsigned long long", 8, 0 },
	{ "_Bool", "_Bool", 1, BTF_INT_BOOL },
	{ "bool", "_Bool", 1, BTF_INT_BOOL },
	{ "u8", "u8", 1, 0 },
	{ "u16", "u16", 2, 0 },
	{ "u32", "u32", 4, 0 },
	{ "u64", "u64", 8, 0 },
	{ "s8", "s8", 1, BTF_INT_SIGNED },
	{ "s16", "s16", 2, BTF_INT_SIGNED },
	{ "s32", "s32", 4, BTF_INT_SIGNED },
	{ "s64", "s64", 8, BTF_INT_SIGNED },
	{ "__u8", "__u8", 1, 0 },
	{ "__u16", "__u16", 2, 0 },
	{ "__u32", "__u32", 4, 0 },
	{ "__u64", "__u64", 8, 0 },
	{ "__s8", "__s8", 1, BTF_INT_SIGNED },
	{ "__s16", "__s16", 2, BTF_INT_SIGNED },
	{ "__s32", "__s32", 4, BTF_INT_SIGNED },
	{ "__s64", "__s64", 8, BTF_INT_SIGNED },
	{ "uint8_t", "uint8_t", 1, 0 },
	{ "uint16_t", "uint16_t", 2, 0 },
	{ "uint32_t", "uint32_t", 4, 0 },
	{ "uint64_t", "uint64_t", 8, 0 },
	{ "int8_t", "int8_t", 1, BTF_INT_SIGNED },
	{ "int16_t", "int16_t", 2, BTF_INT_SIGNED },
	{ "int32_t", "int32_t", 4, BTF_INT_SIGNED },
	{ "int64_t", "int64_t", 8, BTF_INT_SIGNED },
};

/* clang's BTF spells "long" as "long int", "unsigned" as "unsigned int"... */
static const struct {
	const char *c, *btf;
} int_aliases[] = {
	{ "short", "short int" },
	{ "unsigned short", "short unsigned int" },
	{ "signed", "int" },
	{ "unsigned", "unsigned int" },
	{ "long", "long int" },
	{ "unsigned long", "long unsigned int" },
	{ "long long", "long long int" },
	{ "unsigned long long", "long long unsigned int" },
	{ "bool", "_Bool" },
};

static int find_base(struct btf *btf, const char *name)
{
	static const int kinds[] = { BTF_KIND_TYPEDEF, BTF_KIND_INT,
				     BTF_KIND_FLOAT,   BTF_KIND_STRUCT,
				     BTF_KIND_UNION,   BTF_KIND_ENUM,
				     BTF_KIND_ENUM64 };
	size_t i;
	int id;

	if (!strncmp(name, "struct ", 7))
		return btf__find_by_name_kind(btf, name + 7, BTF_KIND_STRUCT);
	if (!strncmp(name, "union ", 6))
		return btf__find_by_name_kind(btf, name + 6, BTF_KIND_UNION);
	if (!strncmp(name, "enum ", 5)) {
		id = btf__find_by_name_kind(btf, name + 5, BTF_KIND_ENUM);
		return id > 0 ? id
			      : btf__find_by_name_kind(btf, name + 5,
						       BTF_KIND_ENUM64);
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		id = btf__find_by_name_kind(btf, name, kinds[i]);
		if (id > 0)
			return id;
	}
	for (i = 0; i < sizeof(int_aliases) / sizeof(int_aliases[0]); i++) {
		if (strcmp(name, int_aliases[i].c))
			continue;
		id = btf__find_by_name_kind(btf, int_aliases[i].btf,
					    BTF_KIND_INT);
		if (id > 0)
			return id;
	}
	/* a base type the program never used is still a type we know */
	for (i = 0; i < sizeof(base_types) / sizeof(base_types[0]); i++)
		if (!strcmp(name, base_types[i].c))
			return btf__add_int(btf, base_types[i].btf,
					    base_types[i].size,
					    base_types[i].enc);
	if (!strcmp(name, "float"))
		return btf__add_float(btf, "float", 4);
	if (!strcmp(name, "double"))
		return btf__add_float(btf, "double", 8);
	return -ENOENT;
}

/* "const struct x *[4]" → base "struct x", 1 pointer, dims {4}. */
#define MAX_DIMS 8
struct spelling {
	char base[256];
	int ptrs;
	__u32 dims[MAX_DIMS];
	int ndims;
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_spelling(const char *name, struct spelling *sp)
{
	char buf[256], *s, *e, *sp2;
	int i;

	memset(sp, 0, sizeof(*sp));
	if (strlen(name) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, name);
	s = trim(buf);
	/* dimensions, outermost (leftmost) first */
	while ((e = s + strlen(s)) > s && e[-1] == ']') {
		char *open = strrchr(s, '[');
		char *end;
		unsigned long n;

		if (!open || sp->ndims == MAX_DIMS)
			return -EINVAL;
		n = strtoul(open + 1, &end, 0);
		if (end == open + 1 || *trim(end) != ']' || n > UINT32_MAX)
			return -EINVAL;
		for (i = sp->ndims++; i > 0; i--)
			sp->dims[i] = sp->dims[i - 1];
		sp->dims[0] = (__u32)n;
		*open = '\0';
		s = trim(s);
	}
	while ((e = s + strlen(s)) > s && e[-1] == '*') {
		sp->ptrs++;
		e[-1] = '\0';
		s = trim(s);
	}
	/* qualifiers change nothing about the bytes */
	for (;;) {
		if (!strncmp(s, "const ", 6))
			s = trim(s + 6);
		else if (!strncmp(s, "volatile ", 9))
			s = trim(s + 9);
		else
			break;
	}
	/* collapse inner runs of spaces: "unsigned  long" */
	for (sp2 = sp->base; *s && sp2 < sp->base + sizeof(sp->base) - 1; s++)
		if (!isspace((unsigned char)*s) ||
		    (sp2 > sp->base && sp2[-1] != ' '))
			*sp2++ = isspace((unsigned char)*s) ? ' ' : *s;
	*sp2 = '\0';
	for (sp2 = sp->base; *sp2; sp2++)
		if (!isalnum((unsigned char)*sp2) && *sp2 != '_' && *sp2 != ' ')
			return -EINVAL;
	return sp->base[0] ? 0 : -EINVAL;
}

static int resolve_spelling(struct btf *btf, const char *name)
{
	struct spelling sp;
	int id, i, idx;

	if (parse_spelling(name, &sp))
		return ember__error(EINVAL, "cannot parse type name '%s'",
				    name);
	id = find_base(btf, sp.base);
	if (id <= 0)
		return ember__error(ENOENT,
				    "type '%s' is not in the program's BTF",
				    sp.base);
	for (i = 0; i < sp.ptrs && id > 0; i++)
		id = btf__add_ptr(btf, id);
	if (sp.ndims) {
		idx = find_base(btf, "unsigned int");
		if (idx <= 0)
			return ember__error(ENOMEM, "cannot add to BTF");
		for (i = sp.ndims; i-- > 0 && id > 0;)
			id = btf__add_array(btf, idx, id, sp.dims[i]);
	}
	if (id <= 0)
		return ember__error(ENOMEM, "cannot add '%s' to BTF", name);
	return id;
}

/* ---------------------------------------------------------------- */
/* Fields                                                            */

static enum ember_field_kind field_kind(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = skip_mods(btf, &id, true);

	if (!t)
		return EMBER_FIELD_INT;
	if (btf_is_composite(t))
		return EMBER_FIELD_STRUCT;
	if (btf_is_array(t))
		return is_char_array(btf, t) ? EMBER_FIELD_STRING
					     : EMBER_FIELD_ARRAY;
	if (btf_is_any_enum(t))
		return EMBER_FIELD_ENUM;
	if (btf_is_float(t))
		return EMBER_FIELD_FLOAT;
	if (btf_is_ptr(t) || btf_is_func_proto(t))
		return EMBER_FIELD_POINTER;
	return EMBER_FIELD_INT;
}

/* Fill f (without strings) for a value of type id at bitpos. */
static void describe(const struct btf *btf, __u32 id, size_t bitpos,
		     unsigned int bit_size, struct ember__field *f)
{
	__u32 rid = id;
	const struct btf_type *t = skip_mods(btf, &rid, true);

	memset(f, 0, sizeof(*f));
	f->type_id = id;
	f->pub.kind = field_kind(btf, id);
	f->pub.offset = bitpos / 8;
	if (bit_size) {
		f->pub.bit_offset = bitpos % 8;
		f->pub.bit_size = bit_size;
	} else {
		f->pub.size = span(btf, id, 0, 0);
	}
	if (t && btf_is_int(t))
		f->pub.is_signed = !!(btf_int_encoding(t) & BTF_INT_SIGNED);
	else if (t && btf_is_any_enum(t))
		f->pub.is_signed = btf_kflag(t);
	if (t && btf_is_array(t))
		f->pub.elems = btf_array(t)->nelems;
}

static int field_strings(const struct btf *btf, const char *name,
			 struct ember__field *f)
{
	f->pub.name = strdup(name);
	f->pub.type_name = ember__btf_type_spelling(btf, f->type_id);
	return f->pub.name && f->pub.type_name ? 0 : -ENOMEM;
}

static void field_free(struct ember__field *f)
{
	free((char *)f->pub.name);
	free((char *)f->pub.type_name);
}

static int collect_fields(struct ember_event_type *et, const struct btf_type *t,
			  size_t bitpos, int depth)
{
	const struct btf_member *m = btf_members(t);
	int i, n = btf_vlen(t), err;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	for (i = 0; i < n; i++, m++) {
		const char *name = btf__name_by_offset(et->btf, m->name_off);
		size_t pos = bitpos + btf_member_bit_offset(t, i);
		__u32 mid = m->type;
		const struct btf_type *mt = skip_mods(et->btf, &mid, true);
		struct ember__field *f, *nf;

		if (!mt)
			continue;
		if ((!name || !*name) && btf_is_composite(mt)) {
			err = collect_fields(et, mt, pos, depth + 1);
			if (err)
				return err;
			continue;
		}
		nf = realloc(et->fields, (et->fields_cnt + 1) * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		et->fields = nf;
		f = &et->fields[et->fields_cnt];
		describe(et->btf, m->type, pos, btf_member_bitfield_size(t, i),
			 f);
		err = field_strings(et->btf, name ? name : "", f);
		et->fields_cnt++; /* counted even half-filled: freed alike */
		if (err)
			return err;
	}
	return 0;
}

/* Member name of the composite t (anonymous members searched through). */
static bool find_member(const struct btf *btf, const struct btf_type *t,
			const char *name, size_t len, size_t bitpos,
			__u32 *type_id, size_t *pos, unsigned int *bsz,
			int depth)
{
	const struct btf_member *m = btf_members(t);
	int i, n = btf_vlen(t);

	if (depth > MAX_DEPTH)
		return false;
	for (i = 0; i < n; i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		size_t mpos = bitpos + btf_member_bit_offset(t, i);
		__u32 mid = m->type;
		const struct btf_type *mt = skip_mods(btf, &mid, true);

		if (!mt)
			continue;
		if ((!mn || !*mn) && btf_is_composite(mt)) {
			if (find_member(btf, mt, name, len, mpos, type_id, pos,
					bsz, depth + 1))
				return true;
			continue;
		}
		if (mn && strlen(mn) == len && !strncmp(mn, name, len)) {
			*type_id = m->type;
			*pos = mpos;
			*bsz = btf_member_bitfield_size(t, i);
			return true;
		}
	}
	return false;
}

/* Resolve "a.b.c" (NULL or "": the whole value) to a field without strings.
 * Sets the message on failure. */
static int resolve_path(const struct ember_event_type *et, const char *path,
			struct ember__field *out)
{
	__u32 id = et->id;
	size_t pos = 0;
	unsigned int bsz = 0;
	const char *p = path;

	while (p && *p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		__u32 rid = id;
		const struct btf_type *t = skip_mods(et->btf, &rid, true);

		if (!t || !btf_is_composite(t))
			return ember__error(ENOENT,
					    "'%s' of %s: '%.*s' is not a "
					    "struct or union",
					    path, et->name, (int)(p - path - 1),
					    path);
		if (!find_member(et->btf, t, p, len, pos, &id, &pos, &bsz, 0))
			return ember__error(ENOENT, "%s has no field '%s'",
					    et->name, path);
		p = dot ? dot + 1 : NULL;
	}
	describe(et->btf, id, pos, bsz, out);
	return 0;
}

/* ---------------------------------------------------------------- */
/* The type                                                          */

int ember__event_type_from_btf(const struct btf *src, const char *type_name,
			       struct ember_event_type **out)
{
	struct ember_event_type *et;
	const struct btf_type *t;
	const void *raw;
	__u32 raw_sz, rid;
	__s64 size;
	int id, err;

	if (!src || !type_name || !out)
		return ember__error(EINVAL, "event type: BTF and a type name "
					    "are required");
	et = calloc(1, sizeof(*et));
	if (!et)
		return ember__error(ENOMEM, "out of memory");
	raw = btf__raw_data(src, &raw_sz);
	et->btf = raw ? btf__new(raw, raw_sz) : NULL;
	et->name = strdup(type_name);
	if (!et->btf || !et->name) {
		err = ember__error(ENOMEM, "cannot copy the program's BTF");
		goto fail;
	}
	id = resolve_spelling(et->btf, type_name);
	if (id < 0) {
		err = id;
		goto fail;
	}
	et->id = (__u32)id;
	size = btf__resolve_size(et->btf, et->id);
	if (size <= 0) {
		err = ember__error(EINVAL,
				   "type '%s' has no size (incomplete type?)",
				   type_name);
		goto fail;
	}
	et->size = (size_t)size;
	rid = et->id;
	t = skip_mods(et->btf, &rid, true);
	if (t && btf_is_composite(t)) {
		err = collect_fields(et, t, 0, 0);
		if (err) {
			err = ember__error(-err, "describing %s failed",
					   type_name);
			goto fail;
		}
	}
	*out = et;
	return 0;
fail:
	ember_event_type_free(et);
	return err;
}

int ember_event_type_new(struct ember_module *m, const char *table,
			 const char *type_name, struct ember_event_type **out)
{
	const struct ember_table_decl *d;
	const struct btf *btf;

	if (!m || !out || (!table && !type_name))
		return ember__error(EINVAL, "ember_event_type_new: module, "
					    "out and a table or type name "
					    "are required");
	btf = ember__module_btf(m);
	if (!btf)
		return ember__error(ENODEV, "ember_event_type_new: the module "
					    "is not loaded (no BTF yet)");
	if (!type_name) {
		d = ember__module_table_decl(m, table);
		if (!d && !ember__module_map(m, table))
			return ember__error(ENOENT, "no table '%s'", table);
		if (!d)
			return ember__error(
				ENOENT,
				"table '%s' is declared in libbpf's form: "
				"name its event type",
				table);
		if (!d->event_type)
			return ember__error(
				ENOENT,
				"nothing is submitted through table '%s' with "
				"a type ember could record: name its event "
				"type",
				table);
		type_name = d->event_type;
	}
	return ember__event_type_from_btf(btf, type_name, out);
}

void ember_event_type_free(struct ember_event_type *et)
{
	size_t i;

	if (!et)
		return;
	for (i = 0; i < et->fields_cnt; i++)
		field_free(&et->fields[i]);
	for (i = 0; i < et->named_cnt; i++) {
		field_free(et->named[i]);
		free(et->named[i]);
	}
	free(et->fields);
	free(et->named);
	btf__free(et->btf);
	free(et->name);
	free(et);
}

const char *ember_event_type_name(const struct ember_event_type *et)
{
	return et ? et->name : NULL;
}

size_t ember_event_type_size(const struct ember_event_type *et)
{
	return et ? et->size : 0;
}

size_t ember_event_type_field_cnt(const struct ember_event_type *et)
{
	return et ? et->fields_cnt : 0;
}

const struct ember_event_field *
ember_event_type_field(const struct ember_event_type *et, size_t i)
{
	return et && i < et->fields_cnt ? &et->fields[i].pub : NULL;
}

const struct ember_event_field *
ember_event_type_field_by_name(struct ember_event_type *et, const char *name)
{
	struct ember__field f, *nf, **nn;
	size_t i;

	if (!et || !name || !*name) {
		ember__error(EINVAL, "ember_event_type_field_by_name: type and "
				     "name are required");
		return NULL;
	}
	for (i = 0; i < et->fields_cnt; i++)
		if (!strcmp(et->fields[i].pub.name, name))
			return &et->fields[i].pub;
	for (i = 0; i < et->named_cnt; i++)
		if (!strcmp(et->named[i]->pub.name, name))
			return &et->named[i]->pub;
	if (resolve_path(et, name, &f))
		return NULL;
	nn = realloc(et->named, (et->named_cnt + 1) * sizeof(*nn));
	if (nn)
		et->named = nn;
	nf = nn ? malloc(sizeof(*nf)) : NULL;
	if (nf)
		*nf = f;
	if (!nf || field_strings(et->btf, name, nf)) {
		if (nf)
			field_free(nf);
		free(nf);
		ember__error(ENOMEM, "out of memory");
		return NULL;
	}
	et->named[et->named_cnt++] = nf;
	return &nf->pub;
}

/* ---------------------------------------------------------------- */
/* Reading one event                                                 */

/* The field's bytes, checked against the event's size. */
static int locate(const struct ember_event *ev, const char *field,
		  struct ember__field *f, const unsigned char **p)
{
	size_t need;
	int err;

	if (!ev || !ev->type || (!ev->data && ev->size))
		return ember__error(EINVAL, "event view without a type");
	err = resolve_path(ev->type, field, f);
	if (err)
		return err;
	need = f->pub.offset +
	       (f->pub.bit_size ? span(ev->type->btf, f->type_id,
				       f->pub.bit_offset, f->pub.bit_size)
				: f->pub.size);
	if (need > ev->size)
		return ember__error(ENODATA,
				    "event of %zu bytes is too short for "
				    "'%s' (ends at byte %zu)",
				    ev->size, field && *field ? field : "value",
				    need);
	*p = (const unsigned char *)ev->data + f->pub.offset;
	return 0;
}

static int get_scalar(const struct ember_event *ev, const char *field,
		      struct scalar *s)
{
	struct ember__field f;
	const unsigned char *p = NULL;
	int err = locate(ev, field, &f, &p);

	if (err)
		return err;
	if (read_scalar(ev->type->btf, f.type_id, p, f.pub.bit_offset,
			f.pub.bit_size, s))
		return ember__error(EINVAL, "'%s' of %s is not an integer",
				    field && *field ? field : "value",
				    ev->type->name);
	return 0;
}

int ember_event_field_u64(const struct ember_event *ev, const char *field,
			  uint64_t *val)
{
	struct scalar s;
	int err;

	if (!val)
		return ember__error(EINVAL, "ember_event_field_u64: val is "
					    "required");
	err = get_scalar(ev, field, &s);
	if (!err)
		*val = s.u;
	return err;
}

int ember_event_field_i64(const struct ember_event *ev, const char *field,
			  int64_t *val)
{
	struct scalar s;
	int err;

	if (!val)
		return ember__error(EINVAL, "ember_event_field_i64: val is "
					    "required");
	err = get_scalar(ev, field, &s);
	if (!err)
		*val = (int64_t)s.u;
	return err;
}

int ember_event_field_double(const struct ember_event *ev, const char *field,
			     double *val)
{
	struct ember__field f;
	const unsigned char *p = NULL;
	struct scalar s;
	__u32 id;
	const struct btf_type *t;
	int err;

	if (!val)
		return ember__error(EINVAL, "ember_event_field_double: val is "
					    "required");
	err = locate(ev, field, &f, &p);
	if (err)
		return err;
	id = f.type_id;
	t = skip_mods(ev->type->btf, &id, true);
	if (t && btf_is_float(t) && t->size == sizeof(float)) {
		float v;

		memcpy(&v, p, sizeof(v));
		*val = v;
		return 0;
	}
	if (t && btf_is_float(t) && t->size == sizeof(double)) {
		memcpy(val, p, sizeof(*val));
		return 0;
	}
	if (read_scalar(ev->type->btf, f.type_id, p, f.pub.bit_offset,
			f.pub.bit_size, &s))
		return ember__error(EINVAL, "'%s' of %s is not a number",
				    field && *field ? field : "value",
				    ev->type->name);
	*val = s.is_signed ? (double)(int64_t)s.u : (double)s.u;
	return 0;
}

int ember_event_field_str(const struct ember_event *ev, const char *field,
			  char *buf, size_t size)
{
	struct ember__field f;
	const unsigned char *p = NULL;
	size_t len;
	int err;

	if (!buf && size)
		return ember__error(EINVAL, "ember_event_field_str: no buffer");
	err = locate(ev, field, &f, &p);
	if (err)
		return err;
	if (f.pub.kind != EMBER_FIELD_STRING)
		return ember__error(EINVAL, "'%s' of %s is not a char array",
				    field && *field ? field : "value",
				    ev->type->name);
	len = strnlen((const char *)p, f.pub.size);
	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(buf, p, n);
		buf[n] = '\0';
	}
	return len > INT_MAX ? INT_MAX : (int)len;
}

const void *ember_event_field_ptr(const struct ember_event *ev,
				  const char *field, size_t *size)
{
	struct ember__field f;
	const unsigned char *p = NULL;

	if (locate(ev, field, &f, &p))
		return NULL;
	if (size)
		*size = f.pub.bit_size ? span(ev->type->btf, f.type_id,
					      f.pub.bit_offset, f.pub.bit_size)
				       : f.pub.size;
	return p;
}

int ember_event_fprint(const struct ember_event *ev, unsigned int flags,
		       FILE *f)
{
	if (!ev || !ev->type || !f || (!ev->data && ev->size))
		return ember__error(EINVAL, "ember_event_fprint: event and "
					    "stream are required");
	if (ember__btf_fprint(f, ev->type->btf, ev->type->id, ev->data,
			      ev->size, flags))
		return ember__error(EIO, "writing the event failed");
	return 0;
}

int ember_event_format(const struct ember_event *ev, unsigned int flags,
		       char *buf, size_t size)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (!buf && size)
		return ember__error(EINVAL, "ember_event_format: no buffer");
	f = open_memstream(&s, &len);
	if (!f)
		return ember__error(ENOMEM, "out of memory");
	err = ember_event_fprint(ev, flags, f);
	if (fclose(f) && !err)
		err = ember__error(ENOMEM, "out of memory");
	if (!err && size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(buf, s, n);
		buf[n] = '\0';
	}
	free(s);
	if (err)
		return err;
	return len > INT_MAX ? INT_MAX : (int)len;
}
