// SPDX-License-Identifier: MIT
/*
 * Keys and values as text or JSON, walking their BTF types. One walker, two
 * spellings: text looks like C designated initialisers, JSON is what a
 * program reading the output wants (objects, arrays, numbers, strings).
 */
#include "io/table_impl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Nesting deeper than this is a cycle or nonsense. */
#define MAX_DEPTH 32

/* snprintf-style sink: counts everything, stores what fits. */
struct out {
	char *buf;
	size_t size;
	size_t len;
	bool json;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->size && o->len < o->size - 1) {
		size_t room = o->size - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
putf(struct out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, tmp,
		    (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void finish(struct out *o)
{
	if (o->size)
		o->buf[o->len < o->size ? o->len : o->size - 1] = 0;
}

/* Bytes as a quoted string, escaped for C or JSON. */
static void put_string(struct out *o, const unsigned char *s, size_t n)
{
	size_t i;

	puts_(o, "\"");
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			putf(o, "\\%c", c);
		else if (c == '\n')
			puts_(o, "\\n");
		else if (c == '\t')
			puts_(o, "\\t");
		else if (c == '\r')
			puts_(o, "\\r");
		else if (c < 0x20 || c >= 0x7f)
			putf(o, o->json ? "\\u%04x" : "\\x%02x", c);
		else
			put(o, (const char *)&c, 1);
	}
	puts_(o, "\"");
}

static void put_u128(struct out *o, unsigned __int128 v, bool neg)
{
	char tmp[48];
	int i = sizeof(tmp);

	tmp[--i] = 0;
	do {
		tmp[--i] = '0' + (char)(v % 10);
		v /= 10;
	} while (v);
	if (neg)
		tmp[--i] = '-';
	puts_(o, tmp + i);
}

/* Bits [bit_off, bit_off + bits) of data, little-endian as on the host. */
static uint64_t extract_bits(const unsigned char *data, uint32_t bit_off,
			     uint32_t bits)
{
	unsigned __int128 acc = 0;
	uint32_t first = bit_off / 8, last = (bit_off + bits + 7) / 8, i;

	for (i = last; i > first; i--)
		acc = (acc << 8) | data[i - 1];
	acc >>= bit_off % 8;
	if (bits < 64)
		acc &= ((unsigned __int128)1 << bits) - 1;
	return (uint64_t)acc;
}

static int64_t sign_extend(uint64_t v, uint32_t bits)
{
	if (bits >= 64)
		return (int64_t)v;
	if (v & (1ull << (bits - 1)))
		v |= ~0ull << bits;
	return (int64_t)v;
}

struct walker {
	const struct btf *btf;
	struct out *o;
};

static int walk(struct walker *w, uint32_t id, const unsigned char *data,
		uint32_t bit_off, uint32_t bitfield, int depth);

static void put_enum(struct walker *w, const struct btf_type *t, uint64_t raw,
		     uint32_t bits)
{
	bool is_signed = btf_kflag(t);
	int64_t sv = is_signed ? sign_extend(raw, bits) : (int64_t)raw;
	const char *name = NULL;
	int i;

	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);

		for (i = 0; i < btf_vlen(t) && !name; i++, e++)
			if ((uint32_t)e->val == (uint32_t)raw)
				name = btf__name_by_offset(w->btf, e->name_off);
	} else {
		const struct btf_enum64 *e = btf_enum64(t);

		for (i = 0; i < btf_vlen(t) && !name; i++, e++)
			if (btf_enum64_value(e) == raw)
				name = btf__name_by_offset(w->btf, e->name_off);
	}
	if (name && *name) {
		if (w->o->json)
			put_string(w->o, (const unsigned char *)name,
				   strlen(name));
		else
			puts_(w->o, name);
	} else if (is_signed) {
		putf(w->o, "%lld", (long long)sv);
	} else {
		putf(w->o, "%llu", (unsigned long long)raw);
	}
}

static int put_int(struct walker *w, const struct btf_type *t,
		   const unsigned char *data, uint32_t bit_off,
		   uint32_t bitfield)
{
	uint32_t enc = btf_int_encoding(t), bits = btf_int_bits(t);
	uint64_t raw;

	bit_off += btf_int_offset(t);
	if (bitfield)
		bits = bitfield;
	if (t->size == 16 && bits == 128 && bit_off % 8 == 0) {
		unsigned __int128 v;
		bool neg;

		memcpy(&v, data + bit_off / 8, sizeof(v));
		neg = (enc & BTF_INT_SIGNED) && (v >> 127);
		put_u128(w->o, neg ? -v : v, neg);
		return 0;
	}
	if (bits > 64)
		return -EINVAL;
	raw = extract_bits(data, bit_off, bits);
	if (enc & BTF_INT_BOOL)
		puts_(w->o, raw ? "true" : "false");
	else if (enc & BTF_INT_SIGNED)
		putf(w->o, "%lld", (long long)sign_extend(raw, bits));
	else
		putf(w->o, "%llu", (unsigned long long)raw);
	return 0;
}

static void put_float(struct walker *w, const struct btf_type *t,
		      const unsigned char *data)
{
	double d;

	if (t->size == 4) {
		float f;

		memcpy(&f, data, sizeof(f));
		d = f;
	} else if (t->size == 8) {
		memcpy(&d, data, sizeof(d));
	} else {
		long double ld;

		memcpy(&ld, data, sizeof(ld) < t->size ? sizeof(ld) : t->size);
		d = (double)ld;
	}
	if (w->o->json && !isfinite(d))
		puts_(w->o, "null");
	else
		putf(w->o, w->o->json ? "%.17g" : "%g", d);
}

/* "char" arrays are strings; signed/unsigned char arrays are numbers. */
static bool is_char(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t =
		btf__type_by_id(btf, btf__resolve_type(btf, id));

	return t && btf_is_int(t) && t->size == 1 &&
	       ((btf_int_encoding(t) & BTF_INT_CHAR) ||
		!strcmp(btf__name_by_offset(btf, t->name_off), "char"));
}

static int put_array(struct walker *w, const struct btf_type *t,
		     const unsigned char *data, int depth)
{
	const struct btf_array *a = btf_array(t);
	long esize = btf__resolve_size(w->btf, a->type);
	uint32_t i;
	int err;

	if (esize < 0)
		return (int)esize;
	if (is_char(w->btf, a->type)) {
		const unsigned char *nul = memchr(data, 0, a->nelems);

		put_string(w->o, data, nul ? (size_t)(nul - data) : a->nelems);
		return 0;
	}
	if (!a->nelems) {
		puts_(w->o, "[]");
		return 0;
	}
	puts_(w->o, w->o->json ? "[" : "[ ");
	for (i = 0; i < a->nelems; i++) {
		if (i)
			puts_(w->o, ", ");
		err = walk(w, a->type, data + (size_t)i * esize, 0, 0,
			   depth + 1);
		if (err)
			return err;
	}
	puts_(w->o, w->o->json ? "]" : " ]");
	return 0;
}

/*
 * Members of a struct or union. JSON merges anonymous members into the
 * enclosing object, so this prints the members only and *first says whether
 * a separator is due.
 */
static int put_members(struct walker *w, const struct btf_type *t,
		       const unsigned char *data, bool *first, int depth)
{
	const struct btf_member *m = btf_members(t);
	int i, err;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(w->btf, m->name_off);
		uint32_t off = btf_member_bit_offset(t, i);
		uint32_t bf = btf_member_bitfield_size(t, i);
		bool anon = !name || !*name;

		if (anon && w->o->json && !bf) {
			const struct btf_type *mt = btf__type_by_id(
				w->btf, btf__resolve_type(w->btf, m->type));

			if (mt && btf_is_composite(mt)) {
				err = put_members(w, mt, data + off / 8, first,
						  depth + 1);
				if (err)
					return err;
				continue;
			}
		}
		if (!*first)
			puts_(w->o, ", ");
		*first = false;
		/* names can be long: no putf (it has a small buffer) */
		if (w->o->json) {
			puts_(w->o, "\"");
			puts_(w->o, anon ? "" : name);
			puts_(w->o, "\": ");
		} else if (!anon) {
			puts_(w->o, ".");
			puts_(w->o, name);
			puts_(w->o, " = ");
		}
		err = walk(w, m->type, data + off / 8, off % 8, bf, depth + 1);
		if (err)
			return err;
	}
	return 0;
}

static int put_composite(struct walker *w, const struct btf_type *t,
			 const unsigned char *data, int depth)
{
	bool first = true;
	int err;

	if (!btf_vlen(t)) {
		puts_(w->o, "{}");
		return 0;
	}
	puts_(w->o, w->o->json ? "{" : "{ ");
	err = put_members(w, t, data, &first, depth);
	if (err)
		return err;
	puts_(w->o, w->o->json ? "}" : " }");
	return 0;
}

/* data points at the byte holding the value's first bit; bit_off and
 * bitfield (bits, 0 when not a bitfield) place it within. */
static int walk(struct walker *w, uint32_t id, const unsigned char *data,
		uint32_t bit_off, uint32_t bitfield, int depth)
{
	const struct btf_type *t;
	uint64_t raw;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	id = btf__resolve_type(w->btf, id);
	t = btf__type_by_id(w->btf, id);
	if (!t)
		return -EINVAL;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		return put_int(w, t, data, bit_off, bitfield);
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		raw = extract_bits(data, bit_off,
				   bitfield ? bitfield : t->size * 8);
		put_enum(w, t, raw, bitfield ? bitfield : t->size * 8);
		return 0;
	case BTF_KIND_PTR:
		memcpy(&raw, data, sizeof(raw));
		putf(w->o, w->o->json ? "\"0x%llx\"" : "0x%llx",
		     (unsigned long long)raw);
		return 0;
	case BTF_KIND_FLOAT:
		put_float(w, t, data);
		return 0;
	case BTF_KIND_ARRAY:
		return put_array(w, t, data, depth);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return put_composite(w, t, data, depth);
	default:
		return -EINVAL;
	}
}

/* Without a type: integers of the usual sizes, else the bytes in hex. */
static void put_untyped(struct out *o, const unsigned char *data, size_t size)
{
	uint64_t v;
	size_t i;

	if (ember__read_uint(data, size, &v)) {
		putf(o, "%llu", (unsigned long long)v);
		return;
	}
	puts_(o, o->json ? "\"0x" : "0x");
	for (i = 0; i < size; i++)
		putf(o, "%02x", data[i]);
	if (o->json)
		puts_(o, "\"");
}

static int format_one(struct out *o, const struct btf *btf, uint32_t type_id,
		      const void *data, size_t data_size)
{
	struct walker w = { .btf = btf, .o = o };
	long need;

	if (!type_id || !btf) {
		put_untyped(o, data, data_size);
		return 0;
	}
	need = btf__resolve_size(btf, type_id);
	if (need < 0)
		return ember__error(EINVAL, "BTF type %u has no size", type_id);
	if ((size_t)need > data_size)
		return ember__error(EINVAL,
				    "BTF type %u needs %ld bytes, %zu "
				    "given",
				    type_id, need, data_size);
	if (walk(&w, type_id, data, 0, 0, 0))
		return ember__error(EINVAL,
				    "BTF type %u holds a type that "
				    "cannot be formatted",
				    type_id);
	return 0;
}

static int finish_len(struct out *o)
{
	finish(o);
	return o->len > INT32_MAX ? INT32_MAX : (int)o->len;
}

int ember_btf_snprintf(const struct btf *btf, uint32_t type_id,
		       const void *data, size_t data_size, char *buf,
		       size_t size, unsigned int flags)
{
	struct out o = { .buf = buf,
			 .size = buf ? size : 0,
			 .json = flags & EMBER_FORMAT_JSON };
	int err;

	if (!data)
		return ember__error(EINVAL, "format: data is NULL");
	err = format_one(&o, btf, type_id, data, data_size);
	if (err) {
		o.len = 0;
		finish(&o);
		return err;
	}
	return finish_len(&o);
}

int ember_btf_asprintf(const struct btf *btf, uint32_t type_id,
		       const void *data, size_t data_size, char **out,
		       unsigned int flags)
{
	int n;

	if (!out)
		return ember__error(EINVAL, "format: out is NULL");
	*out = NULL;
	n = ember_btf_snprintf(btf, type_id, data, data_size, NULL, 0, flags);
	if (n < 0)
		return n;
	*out = malloc((size_t)n + 1);
	if (!*out)
		return ember__error(ENOMEM, "out of memory");
	return ember_btf_snprintf(btf, type_id, data, data_size, *out,
				  (size_t)n + 1, flags);
}

int ember_table_key_snprintf(const struct ember_table *t, const void *key,
			     char *buf, size_t size, unsigned int flags)
{
	if (!t)
		return ember__error(EINVAL, "format: table is NULL");
	return ember_btf_snprintf(t->btf, t->key_type_id, key, t->key_size, buf,
				  size, flags);
}

int ember_table_value_snprintf(const struct ember_table *t, const void *value,
			       char *buf, size_t size, unsigned int flags)
{
	struct out o = { .buf = buf,
			 .size = buf ? size : 0,
			 .json = flags & EMBER_FORMAT_JSON };
	uint32_t cpu;
	int err;

	if (!t || !value)
		return ember__error(EINVAL, "format: NULL argument");
	if (!ember_table_is_percpu(t))
		return ember_btf_snprintf(t->btf, t->value_type_id, value,
					  t->value_size, buf, size, flags);
	puts_(&o, o.json ? "[" : "[ ");
	for (cpu = 0; cpu < t->ncpus; cpu++) {
		if (cpu)
			puts_(&o, ", ");
		err = format_one(&o, t->btf, t->value_type_id,
				 (const char *)value + (size_t)cpu * t->stride,
				 t->value_size);
		if (err) {
			o.len = 0;
			finish(&o);
			return err;
		}
	}
	puts_(&o, o.json ? "]" : " ]");
	return finish_len(&o);
}
