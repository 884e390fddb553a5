// SPDX-License-Identifier: MIT
/*
 * Histogram tables (BCC's BPF_HISTOGRAM and anything shaped like one) read
 * into slot arrays and printed with histogram.c's layouts: a table keyed by
 * the slot, or by a struct { section; slot } for one histogram per section,
 * with BCC's "section_header = key" lines.
 */
#include "io/histogram.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "io/btf_value.h"
#include "io/table_impl.h"

/* Where slot and section sit in a key. */
struct shape {
	bool two_level;
	uint32_t slot_off, slot_size;
	bool slot_signed;
	uint32_t sec_off, sec_size, sec_type;
	bool sec_chars; /* a char array: compared and shown up to its NUL */
	bool sec_int, sec_signed;
};

struct section {
	unsigned char *key; /* sec_size bytes */
	uint64_t *vals;
};

struct collect {
	struct ember_table *t;
	const struct shape *sh;
	size_t slots;
	struct section *secs;
	size_t nsecs, cap;
	unsigned char *norm; /* scratch: a normalised section key */
	int err;
	int64_t bad_slot;
};

static const struct btf_type *resolved(const struct btf *btf, uint32_t id,
				       uint32_t *out_id)
{
	int r = btf ? btf__resolve_type(btf, id) : -1;

	if (r < 0)
		return NULL;
	if (out_id)
		*out_id = (uint32_t)r;
	return btf__type_by_id(btf, (uint32_t)r);
}

static bool int_like(const struct btf_type *t, bool *is_signed)
{
	if (!t)
		return false;
	if (btf_is_int(t)) {
		*is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		return btf_int_offset(t) == 0 && btf_int_bits(t) == t->size * 8;
	}
	if (btf_is_any_enum(t)) {
		*is_signed = btf_kflag(t);
		return true;
	}
	return false;
}

static int find_shape(const struct ember_table *t, struct shape *sh)
{
	const struct btf_type *kt, *mt;
	const struct btf_member *m;
	const char *name;
	int slot = 1;

	memset(sh, 0, sizeof(*sh));
	kt = t->key_type_id ? resolved(t->btf, t->key_type_id, NULL) : NULL;
	if (!kt || int_like(kt, &sh->slot_signed)) {
		/* keyed by the slot itself; untyped keys are unsigned */
		sh->slot_size = t->key_size;
		if (sh->slot_size > 8)
			goto bad;
		return 0;
	}
	if (!btf_is_struct(kt) || btf_vlen(kt) < 2)
		goto bad;
	m = btf_members(kt);
	/* BCC skips a padding member its own rewriter may have put there */
	name = btf__name_by_offset(t->btf, m[1].name_off);
	if (btf_vlen(kt) == 3 && name && !strcmp(name, "__pad_1"))
		slot = 2;
	if (btf_member_bitfield_size(kt, 0) ||
	    btf_member_bitfield_size(kt, slot))
		goto bad;
	mt = resolved(t->btf, m[slot].type, NULL);
	if (!int_like(mt, &sh->slot_signed))
		goto bad;
	sh->two_level = true;
	sh->slot_off = btf_member_bit_offset(kt, slot) / 8;
	sh->slot_size = mt->size;
	sh->sec_off = btf_member_bit_offset(kt, 0) / 8;
	sh->sec_type = m[0].type;
	mt = resolved(t->btf, m[0].type, NULL);
	if (!mt || btf__resolve_size(t->btf, m[0].type) <= 0)
		goto bad;
	sh->sec_size = (uint32_t)btf__resolve_size(t->btf, m[0].type);
	sh->sec_int = int_like(mt, &sh->sec_signed) && mt->size <= 8;
	if (btf_is_array(mt)) {
		const struct btf_type *et =
			resolved(t->btf, btf_array(mt)->type, NULL);

		sh->sec_chars = et && btf_is_int(et) && et->size == 1;
	}
	if (sh->slot_off + sh->slot_size > t->key_size ||
	    sh->sec_off + sh->sec_size > t->key_size)
		goto bad;
	return 0;
bad:
	return ember__error(EINVAL,
			    "table '%s' is not a histogram: its key must be a "
			    "slot number, or a struct whose first member is "
			    "the section and whose second is the slot",
			    t->name);
}

static int64_t read_slot(const struct shape *sh, const unsigned char *key)
{
	uint64_t v = 0;

	ember__read_uint(key + sh->slot_off, sh->slot_size, &v);
	if (sh->slot_signed && sh->slot_size < 8 &&
	    (v >> (sh->slot_size * 8 - 1)) & 1)
		return -1;
	return (int64_t)v;
}

static struct section *find_section(struct collect *c, const unsigned char *key)
{
	const struct shape *sh = c->sh;
	struct section *s;
	size_t i;

	memcpy(c->norm, key + sh->sec_off, sh->sec_size);
	if (sh->sec_chars) {
		/* Python compares these as bytes up to the NUL */
		unsigned char *nul = memchr(c->norm, 0, sh->sec_size);

		if (nul)
			memset(nul, 0, sh->sec_size - (nul - c->norm));
	}
	for (i = 0; i < c->nsecs; i++)
		if (!memcmp(c->secs[i].key, c->norm, sh->sec_size))
			return &c->secs[i];
	if (c->nsecs == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct section *grown = realloc(c->secs, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		c->secs = grown;
		c->cap = cap;
	}
	s = &c->secs[c->nsecs];
	s->key = malloc(sh->sec_size);
	s->vals = calloc(c->slots, sizeof(*s->vals));
	if (!s->key || !s->vals) {
		free(s->key);
		free(s->vals);
		return NULL;
	}
	memcpy(s->key, c->norm, sh->sec_size);
	c->nsecs++;
	return s;
}

static int collect_entry(const void *key, const void *value, void *ctx)
{
	struct collect *c = ctx;
	struct section *s;
	int64_t slot = read_slot(c->sh, key);
	uint64_t v;

	if (ember_table_percpu_sum(c->t, value, &v)) {
		c->err = -EINVAL;
		return -EINVAL;
	}
	if (slot < 0 || (uint64_t)slot >= c->slots) {
		if (!v)
			return 0; /* an unused array slot beyond BCC's range */
		c->bad_slot = slot;
		c->err = -ERANGE;
		return -ERANGE;
	}
	s = c->sh->two_level ? find_section(c, key) : &c->secs[0];
	if (!s) {
		c->err = -ENOMEM;
		return -ENOMEM;
	}
	s->vals[slot] += v;
	return 0;
}

static int cmp_sections(const void *a, const void *b, void *ctx)
{
	const struct section *x = a, *y = b;
	const struct shape *sh = ctx;
	int64_t sx, sy;
	uint64_t u, v;
	int shift;

	if (!sh->sec_int)
		return memcmp(x->key, y->key, sh->sec_size);
	ember__read_uint(x->key, sh->sec_size, &u);
	ember__read_uint(y->key, sh->sec_size, &v);
	if (!sh->sec_signed)
		return u < v ? -1 : u > v;
	shift = 64 - (int)sh->sec_size * 8;
	sx = (int64_t)(u << shift) >> shift;
	sy = (int64_t)(v << shift) >> shift;
	return sx < sy ? -1 : sx > sy;
}

/* Python 3's repr() of bytes, which is what BCC shows for a char array. */
static char *py_bytes_repr(const unsigned char *s, size_t n)
{
	const unsigned char *nul = memchr(s, 0, n);
	char *text = NULL;
	size_t len = 0, i;
	char q = '\'';
	FILE *f;

	n = nul ? (size_t)(nul - s) : n;
	if (memchr(s, '\'', n) && !memchr(s, '"', n))
		q = '"';
	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f, "b%c", q);
	for (i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == q)
			fprintf(f, "\\%c", s[i]);
		else if (s[i] == '\t')
			fputs("\\t", f);
		else if (s[i] == '\n')
			fputs("\\n", f);
		else if (s[i] == '\r')
			fputs("\\r", f);
		else if (s[i] < 0x20 || s[i] >= 0x7f)
			fprintf(f, "\\x%02x", s[i]);
		else
			fputc(s[i], f);
	}
	fputc(q, f);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* A section key as the header line shows it, or as a JSON value. */
static char *section_text(const struct ember_table *t, const struct shape *sh,
			  const struct ember_hist_opts *o,
			  const unsigned char *key, bool json)
{
	char *text = NULL;
	int n;

	if (o->section) {
		n = o->section(key, sh->sec_size, NULL, 0, o->section_ctx);
		if (n < 0 || !(text = malloc((size_t)n + 1)))
			return NULL;
		o->section(key, sh->sec_size, text, (size_t)n + 1,
			   o->section_ctx);
		if (json) {
			char *quoted = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&quoted, &len);

			if (f) {
				ember__json_string(f, text);
				if (fclose(f)) {
					free(quoted);
					quoted = NULL;
				}
			}
			free(text);
			text = quoted;
		}
		return text;
	}
	if (sh->sec_chars && !json)
		return py_bytes_repr(key, sh->sec_size);
	if (ember_btf_asprintf(t->btf, sh->sec_type, key, sh->sec_size, &text,
			       json ? EMBER_FORMAT_JSON : 0) < 0)
		return NULL;
	return text;
}

static void free_sections(struct collect *c)
{
	size_t i;

	for (i = 0; i < c->nsecs; i++) {
		free(c->secs[i].key);
		free(c->secs[i].vals);
	}
	free(c->secs);
	free(c->norm);
}

static int print_sections(struct ember_table *t, struct collect *c,
			  const struct ember__sink *sink,
			  const struct ember_hist_opts *o,
			  enum ember__hist_layout layout)
{
	size_t i;
	int err = 0;

	if (!c->sh->two_level)
		return ember__hist_emit(sink, o, layout, c->secs[0].vals,
					c->slots, NULL);
	if (o->flags & EMBER_HIST_SORT_SECTIONS)
		qsort_r(c->secs, c->nsecs, sizeof(*c->secs), cmp_sections,
			(void *)c->sh);
	for (i = 0; !err && i < c->nsecs; i++) {
		char *text = section_text(t, c->sh, o, c->secs[i].key,
					  layout == EMBER__HIST_JSON);
		char *line = NULL;

		if (!text)
			return ember__error(ENOMEM,
					    "histogram '%s': cannot "
					    "format a section key",
					    t->name);
		if (layout != EMBER__HIST_JSON) {
			/* BCC prints "\n%s = %r": a blank line first */
			ember__sink_line(sink, "");
			if (asprintf(&line, "%s = %s", o->section_header,
				     text) < 0)
				line = NULL;
			if (line)
				ember__sink_line(sink, line);
			free(line);
		}
		err = ember__hist_emit(
			sink, o, layout, c->secs[i].vals, c->slots,
			layout == EMBER__HIST_JSON ? text : NULL);
		free(text);
	}
	return err;
}

static int print_table(struct ember_table *t, FILE *out,
		       const struct ember_hist_opts *opts,
		       enum ember__hist_layout layout)
{
	struct ember_hist_opts o;
	struct ember__sink sink;
	struct collect c = { 0 };
	struct shape sh;
	int err;

	if (!t)
		return ember__error(EINVAL, "histogram: table is NULL");
	err = ember__hist_opts(opts, out, &o, &sink);
	if (err)
		return err;
	err = find_shape(t, &sh);
	if (err)
		return err;
	if ((t->value_size != 1 && t->value_size != 2 && t->value_size != 4 &&
	     t->value_size != 8) ||
	    (t->value_type_id &&
	     !int_like(resolved(t->btf, t->value_type_id, NULL),
		       &(bool){ false })))
		return ember__error(EINVAL,
				    "table '%s' is not a histogram: its "
				    "values (%u bytes) are not counts",
				    t->name, t->value_size);
	c.t = t;
	c.sh = &sh;
	c.slots = layout == EMBER__HIST_LINEAR ? EMBER_LINEAR_SLOTS
					       : EMBER_LOG2_SLOTS;
	c.norm = malloc(sh.sec_size ? sh.sec_size : 1);
	c.secs = calloc(1, sizeof(*c.secs));
	if (c.secs) {
		c.cap = 1;
		if (!sh.two_level) {
			c.secs[0].vals = calloc(c.slots, sizeof(uint64_t));
			c.nsecs = c.secs[0].vals ? 1 : 0;
		}
	}
	if (!c.norm || !c.secs || (!sh.two_level && !c.nsecs)) {
		free_sections(&c);
		return ember__error(ENOMEM, "out of memory");
	}
	err = ember_table_foreach(t, collect_entry, &c, NULL);
	if (err >= 0)
		err = 0;
	if (c.err == -ERANGE)
		err = ember__error(ERANGE,
				   "histogram '%s': slot %lld is beyond the "
				   "%zu slots a %s histogram has",
				   t->name, (long long)c.bad_slot, c.slots,
				   layout == EMBER__HIST_LINEAR ? "linear"
								: "log2");
	else if (c.err)
		err = ember__error(-c.err, "histogram '%s': %s", t->name,
				   strerror(-c.err));
	if (!err)
		err = print_sections(t, &c, &sink, &o, layout);
	free_sections(&c);
	return err;
}

int ember_table_print_log2_hist(struct ember_table *t, FILE *out,
				const struct ember_hist_opts *opts)
{
	return print_table(t, out, opts, EMBER__HIST_LOG2);
}

int ember_table_print_linear_hist(struct ember_table *t, FILE *out,
				  const struct ember_hist_opts *opts)
{
	return print_table(t, out, opts, EMBER__HIST_LINEAR);
}

int ember_table_print_json_hist(struct ember_table *t, FILE *out,
				const struct ember_hist_opts *opts)
{
	return print_table(t, out, opts, EMBER__HIST_JSON);
}
