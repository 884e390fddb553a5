// SPDX-License-Identifier: MIT
/*
 * Values of a BTF type, read and printed. One walker prints table keys and
 * values, events and histogram sections; the three spellings differ only in
 * punctuation and in a few choices a row of the table below makes.
 *
 * Values come from the machine we run on, so their byte order is ours; bit
 * field positions follow the little-endian layout BTF describes for it.
 */
#include "io/btf_value.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Nesting deeper than this is a cycle or nonsense in a malformed BTF. */
#define MAX_DEPTH 32

/*
 * Values one print may visit, for size bytes of data. Each element is bounded
 * by the bytes, but a member may lie outside its struct and elements may have
 * no size, so nested arrays can revisit the same bytes exponentially often
 * (fuzz: a seemingly endless walk). Real types stay far below this.
 */
#define MAX_VALUES(size) ((size)*64 + 4096)

struct spelling {
	const char *struct_open, *struct_close, *array_open, *array_close;
	const char *member_sep, *elem_sep, *name_open, *name_close;
	const char *byte_escape; /* bytes outside printable ASCII */
	bool quote; /* strings in double quotes */
	bool json; /* enum names, pointers, hex in quotes; null for no value */
	bool merge_anon; /* anonymous struct/union members inline */
	bool bare_top; /* a top-level struct without braces */
};

static const struct spelling spellings[] = {
	[EMBER__SPELL_C] = { "{ ", " }", "[ ", " ]", ", ", ", ", ".", " = ",
			     "\\x%02x", true, false, false, false },
	[EMBER__SPELL_TEXT] = { "{", "}", "[", "]", " ", ",", "", "=",
				"\\x%02x", false, false, true, true },
	[EMBER__SPELL_JSON] = { "{", "}", "[", "]", ", ", ", ", "\"",
				"\": ", "\\u%04x", true, true, true, false },
};

/* ---------------------------------------------------------------- */
/* Reading                                                           */

const struct btf_type *ember__btf_skip_mods(const struct btf *btf, uint32_t *id,
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

bool ember__btf_is_string(const struct btf *btf, const struct btf_type *t)
{
	uint32_t elem;
	const struct btf_type *e;
	const char *name;

	if (!btf_is_array(t))
		return false;
	elem = btf_array(t)->type;
	e = ember__btf_skip_mods(btf, &elem, false);
	name = e ? btf__name_by_offset(btf, e->name_off) : NULL;
	return e && btf_is_int(e) && e->size == 1 && name &&
	       !strcmp(name, "char");
}

size_t ember__btf_span(const struct btf *btf, uint32_t id, unsigned int bit_off,
		       unsigned int bit_size)
{
	long long sz;

	if (bit_size)
		return (bit_off + bit_size + 7) / 8;
	sz = btf__resolve_size(btf, id);
	if (sz <= 0)
		return 0;
	/* a whole value need not start on a byte (BTF allows it): one more */
	return (size_t)sz + (bit_off % 8 ? 1 : 0);
}

bool ember__read_uint(const void *p, size_t size, uint64_t *out)
{
	union {
		uint8_t u8;
		uint16_t u16;
		uint32_t u32;
		uint64_t u64;
	} v;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	memcpy(&v, p, size);
	*out = size == 1 ? v.u8 : size == 2 ? v.u16 : size == 4 ? v.u32 : v.u64;
	return true;
}

/* bits (<= 64) bits from bit bit_off of p, little-endian. */
static uint64_t load_bits(const unsigned char *p, unsigned int bit_off,
			  unsigned int bits)
{
	unsigned __int128 v = 0;
	size_t i = (bit_off + bits + 7) / 8;

	while (i-- > 0)
		v = (v << 8) | p[i];
	v >>= bit_off;
	if (bits < 64)
		v &= ((unsigned __int128)1 << bits) - 1;
	return (uint64_t)v;
}

int ember__btf_scalar(const struct btf *btf, uint32_t id,
		      const unsigned char *p, unsigned int bit_off,
		      unsigned int bit_size, struct ember__scalar *s)
{
	const struct btf_type *t = ember__btf_skip_mods(btf, &id, true);
	unsigned int bits;

	memset(s, 0, sizeof(*s));
	if (!t)
		return -EINVAL;
	if (btf_is_int(t)) {
		s->is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		s->is_bool = btf_int_encoding(t) & BTF_INT_BOOL;
		bit_off += btf_int_offset(t);
		bits = btf_int_bits(t);
	} else if (btf_is_any_enum(t)) {
		s->is_signed = btf_kflag(t);
		s->is_enum = true;
		bits = t->size * 8;
	} else if (btf_is_ptr(t)) {
		s->is_ptr = true;
		bits = 64;
	} else {
		return -EINVAL;
	}
	if (bit_size)
		bits = bit_size;
	if (!bits || bits > 64)
		return -EINVAL;
	p += bit_off / 8;
	s->u = load_bits(p, bit_off % 8, bits);
	if (s->is_signed && bits < 64 && (s->u >> (bits - 1)) & 1)
		s->u |= ~0ull << bits;
	return 0;
}

/* ---------------------------------------------------------------- */
/* Printing                                                          */

struct walk {
	FILE *f;
	const struct btf *btf;
	const unsigned char *data;
	size_t size;
	const struct spelling *sp;
	size_t budget; /* values left to visit (MAX_VALUES) */
	bool spent; /* the budget ran out: the walk stops, -E2BIG */
	int err;
};

static void put_string(FILE *f, const struct spelling *sp,
		       const unsigned char *s, size_t n)
{
	size_t i;

	if (sp->quote)
		fputc('"', f);
	for (i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];

		if ((c == '"' && sp->quote) || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, sp->byte_escape, c);
		else
			fputc(c, f);
	}
	if (sp->quote)
		fputc('"', f);
}

void ember__json_string(FILE *f, const char *s)
{
	put_string(f, &spellings[EMBER__SPELL_JSON], (const unsigned char *)s,
		   strlen(s));
}

static void no_value(struct walk *w)
{
	fputs(w->sp->json ? "null" : "?", w->f);
	w->err = -EINVAL;
}

/* Without a type: an integer of the usual sizes, else the bytes in hex. */
static void put_untyped(struct walk *w, const unsigned char *p, size_t n)
{
	uint64_t v;
	size_t i;

	if (ember__read_uint(p, n, &v)) {
		fprintf(w->f, "%llu", (unsigned long long)v);
		return;
	}
	fputs(w->sp->json ? "\"0x" : "0x", w->f);
	for (i = 0; i < n; i++)
		fprintf(w->f, "%02x", p[i]);
	if (w->sp->json)
		fputc('"', w->f);
}

/*
 * The shortest decimal that reads back as the same float or double: 0.1 is
 * "0.1", not %.17g's "0.10000000000000001", and nothing is lost as %g's six
 * digits lose it.
 */
static void put_float(struct walk *w, const struct btf_type *t,
		      const unsigned char *p)
{
	char buf[40];
	double d;
	float fl = 0;
	int prec, max;

	if (t->size == sizeof(float)) {
		memcpy(&fl, p, sizeof(fl));
		d = fl;
		max = FLT_DECIMAL_DIG;
	} else if (t->size == sizeof(double)) {
		memcpy(&d, p, sizeof(d));
		max = DBL_DECIMAL_DIG;
	} else {
		put_untyped(w, p, t->size);
		return;
	}
	if (!isfinite(d)) {
		if (w->sp->json)
			fputs("null", w->f);
		else
			fprintf(w->f, "%g", d);
		return;
	}
	for (prec = 1;; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (prec >= max ||
		    (t->size == sizeof(float) ? strtof(buf, NULL) == fl
					      : strtod(buf, NULL) == d))
			break;
	}
	fputs(buf, w->f);
}

static void put_int128(struct walk *w, const struct btf_type *t,
		       const unsigned char *p)
{
	char tmp[48];
	int i = sizeof(tmp);
	unsigned __int128 v;
	bool neg;

	if (t->size != 16 || btf_int_bits(t) != 128 || btf_int_offset(t)) {
		no_value(w);
		return;
	}
	memcpy(&v, p, sizeof(v));
	neg = (btf_int_encoding(t) & BTF_INT_SIGNED) && (v >> 127);
	if (neg)
		v = -v;
	tmp[--i] = 0;
	do {
		tmp[--i] = '0' + (char)(v % 10);
		v /= 10;
	} while (v);
	if (neg)
		tmp[--i] = '-';
	fputs(tmp + i, w->f);
}

static const char *enum_name(const struct btf *btf, const struct btf_type *t,
			     uint64_t v)
{
	int i, n = btf_vlen(t);

	for (i = 0; i < n; i++) {
		if (btf_is_enum(t)) {
			const struct btf_enum *e = btf_enum(t) + i;

			/* 32-bit enums compare in their own width */
			if ((uint32_t)v == (uint32_t)e->val)
				return btf__name_by_offset(btf, e->name_off);
		} else {
			const struct btf_enum64 *e = btf_enum64(t) + i;

			if (v == btf_enum64_value(e))
				return btf__name_by_offset(btf, e->name_off);
		}
	}
	return NULL;
}

static void put_scalar(struct walk *w, const struct btf_type *t,
		       const struct ember__scalar *s)
{
	const char *name = s->is_enum ? enum_name(w->btf, t, s->u) : NULL;

	if (s->is_bool) {
		fputs(s->u ? "true" : "false", w->f);
	} else if (name && *name) {
		if (w->sp->json)
			ember__json_string(w->f, name);
		else
			fputs(name, w->f);
	} else if (s->is_ptr) {
		fprintf(w->f, w->sp->json ? "\"0x%llx\"" : "0x%llx",
			(unsigned long long)s->u);
	} else if (s->is_signed) {
		fprintf(w->f, "%lld", (long long)s->u);
	} else {
		fprintf(w->f, "%llu", (unsigned long long)s->u);
	}
}

static void value(struct walk *w, uint32_t id, size_t bitpos,
		  unsigned int bit_size, int depth, bool top);

/* n values of type id from byte off, stride apart, as a list; elements the
 * data does not hold are left out. */
static void put_list(struct walk *w, uint32_t id, size_t off, size_t stride,
		     size_t esize, size_t n, int depth)
{
	size_t i;

	if (!n) {
		fputs("[]", w->f);
		return;
	}
	fputs(w->sp->array_open, w->f);
	for (i = 0; i < n && off + i * stride + esize <= w->size && !w->spent;
	     i++) {
		if (i)
			fputs(w->sp->elem_sep, w->f);
		if (w->btf)
			value(w, id, (off + i * stride) * 8, 0, depth + 1,
			      false);
		else
			put_untyped(w, w->data + off + i * stride, esize);
	}
	fputs(w->sp->array_close, w->f);
}

static void put_array(struct walk *w, const struct btf_type *t, size_t bitpos,
		      int depth)
{
	const struct btf_array *a = btf_array(t);
	long long esize = btf__resolve_size(w->btf, a->type);
	size_t off = bitpos / 8, avail = w->size - off;

	if (ember__btf_is_string(w->btf, t))
		put_string(w->f, w->sp, w->data + off,
			   a->nelems < avail ? a->nelems : avail);
	else if (esize < 0)
		no_value(w);
	else
		put_list(w, a->type, off, (size_t)esize, (size_t)esize,
			 a->nelems, depth);
}

/*
 * Members of the struct or union t at bitpos. Merged anonymous members print
 * only their members, so *first says whether a separator is due.
 */
static void put_members(struct walk *w, const struct btf_type *t, size_t bitpos,
			bool *first, int depth)
{
	const struct btf_member *m = btf_members(t);
	int i, n = btf_vlen(t);

	if (depth > MAX_DEPTH) {
		no_value(w);
		return;
	}
	for (i = 0; i < n && !w->spent; i++, m++) {
		const char *name = btf__name_by_offset(w->btf, m->name_off);
		size_t pos = bitpos + btf_member_bit_offset(t, i);
		unsigned int bsz = btf_member_bitfield_size(t, i);
		uint32_t mid = m->type;
		const struct btf_type *mt =
			ember__btf_skip_mods(w->btf, &mid, true);
		bool anon = !name || !*name;
		bool aggregate =
			mt && (btf_is_composite(mt) || btf_is_array(mt));

		if (anon && mt && btf_is_composite(mt) && w->sp->merge_anon) {
			put_members(w, mt, pos, first, depth + 1);
			continue;
		}
		/* unnamed bit fields are padding, not members (C11 6.7.2.1) */
		if (anon && !(mt && btf_is_composite(mt)))
			continue;
		/* what the data is too short to hold is left out; a struct or
		 * an array prints the part that is there */
		if (pos / 8 >= w->size ||
		    (!aggregate &&
		     pos / 8 + ember__btf_span(w->btf, mid, pos % 8, bsz) >
			     w->size))
			continue;
		if (!*first)
			fputs(w->sp->member_sep, w->f);
		*first = false;
		if (!anon) {
			/* names can be long: no fprintf buffers to mind */
			fputs(w->sp->name_open, w->f);
			fputs(name, w->f);
			fputs(w->sp->name_close, w->f);
		}
		value(w, m->type, pos, bsz, depth + 1, false);
	}
}

static void put_composite(struct walk *w, const struct btf_type *t,
			  size_t bitpos, int depth, bool top)
{
	bool first = true, braces = !(top && w->sp->bare_top);

	if (braces && !btf_vlen(t)) {
		fputs("{}", w->f);
		return;
	}
	if (braces)
		fputs(w->sp->struct_open, w->f);
	put_members(w, t, bitpos, &first, depth);
	if (braces)
		fputs(w->sp->struct_close, w->f);
}

/* The value of type id at bit bitpos of the data (bit_size: a bit field). */
static void value(struct walk *w, uint32_t id, size_t bitpos,
		  unsigned int bit_size, int depth, bool top)
{
	const struct btf_type *t = ember__btf_skip_mods(w->btf, &id, true);
	size_t off = bitpos / 8;
	const unsigned char *p = w->data + off;
	struct ember__scalar s;

	if (!t || depth > MAX_DEPTH) {
		no_value(w);
		return;
	}
	if (!w->budget) {
		w->spent = true;
		w->err = -E2BIG;
		return;
	}
	w->budget--;
	if (btf_is_composite(t)) {
		put_composite(w, t, bitpos, depth, top);
		return;
	}
	if (btf_is_array(t)) {
		put_array(w, t, bitpos, depth);
		return;
	}
	/* a top-level scalar longer than the data: nothing to show */
	if (off + ember__btf_span(w->btf, id, bitpos % 8, bit_size) > w->size)
		return;
	if (btf_is_float(t) && !bit_size)
		put_float(w, t, p);
	else if (btf_is_int(t) && t->size > 8 && !bit_size)
		put_int128(w, t, p);
	else if (!ember__btf_scalar(w->btf, id, p, bitpos % 8, bit_size, &s))
		put_scalar(w, t, &s);
	else
		no_value(w);
}

static int print(FILE *f, const struct btf *btf, uint32_t id, const void *data,
		 size_t size, size_t stride, size_t percpu,
		 enum ember__spelling sp)
{
	struct walk w = { .f = f,
			  .btf = btf,
			  .data = data,
			  .size = size,
			  .sp = &spellings[sp],
			  .budget = MAX_VALUES(size) };

	if (percpu) {
		w.size = (percpu - 1) * stride + size;
		w.budget = MAX_VALUES(w.size);
		if (!id || !btf)
			w.btf = NULL, id = 0;
		put_list(&w, id, 0, stride, size, percpu, -1);
	} else if (!id || !btf) {
		put_untyped(&w, data, size);
	} else {
		value(&w, id, 0, 0, 0, true);
	}
	return w.err;
}

int ember__btf_fprint(FILE *f, const struct btf *btf, uint32_t id,
		      const void *data, size_t size, enum ember__spelling sp)
{
	return print(f, btf, id, data, size, 0, 0, sp);
}

int ember__btf_snprint(char *buf, size_t bufsize, const struct btf *btf,
		       uint32_t id, const void *data, size_t size,
		       size_t stride, size_t percpu, enum ember__spelling sp)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	int err;

	if (!f)
		return -ENOMEM;
	err = print(f, btf, id, data, size, stride, percpu, sp);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err)
		len = 0;
	if (bufsize) {
		size_t n = len < bufsize - 1 ? len : bufsize - 1;

		memcpy(buf, s, n);
		buf[n] = '\0';
	}
	free(s);
	if (err)
		return err;
	return len > INT_MAX ? INT_MAX : (int)len;
}
