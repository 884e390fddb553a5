// SPDX-License-Identifier: MIT
/*
 * Events by field name, from BTF: what the program submitted through a perf
 * or ring buffer, described as fields (name, offset, size, kind), read by
 * name, and printed as "pid=1 comm=bash" or JSON (btf_value.c's walker).
 */
#include "io/event_decode.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "io/btf_type_name.h"
#include "io/btf_value.h"
#include "loader/module.h"

/* Nesting deeper than this is not a type a program submits; it also bounds
 * recursion over a malformed BTF. */
#define MAX_DEPTH 32

/* ---------------------------------------------------------------- */
/* Fields                                                            */

static enum ember_field_kind field_kind(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = ember__btf_skip_mods(btf, &id, true);

	if (!t)
		return EMBER_FIELD_INT;
	if (btf_is_composite(t))
		return EMBER_FIELD_STRUCT;
	if (btf_is_array(t))
		return ember__btf_is_string(btf, t) ? EMBER_FIELD_STRING
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
	const struct btf_type *t = ember__btf_skip_mods(btf, &rid, true);

	memset(f, 0, sizeof(*f));
	f->type_id = id;
	f->pub.kind = field_kind(btf, id);
	f->pub.offset = bitpos / 8;
	if (bit_size) {
		f->pub.bit_offset = bitpos % 8;
		f->pub.bit_size = bit_size;
	} else {
		f->pub.size = ember__btf_span(btf, id, 0, 0);
	}
	if (t && btf_is_int(t))
		f->pub.is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
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
		const struct btf_type *mt =
			ember__btf_skip_mods(et->btf, &mid, true);
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
		const struct btf_type *mt =
			ember__btf_skip_mods(btf, &mid, true);

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
		const struct btf_type *t =
			ember__btf_skip_mods(et->btf, &rid, true);

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
	id = ember__btf_type_by_spelling(et->btf, type_name);
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
	t = ember__btf_skip_mods(et->btf, &rid, true);
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

static const char *field_name(const char *field)
{
	return field && *field ? field : "value";
}

/* The field's bytes (*n of them), checked against the event's size. */
static int locate(const struct ember_event *ev, const char *field,
		  struct ember__field *f, const unsigned char **p, size_t *n)
{
	int err;

	if (!ev || !ev->type || (!ev->data && ev->size))
		return ember__error(EINVAL, "event view without a type");
	err = resolve_path(ev->type, field, f);
	if (err)
		return err;
	*n = f->pub.bit_size
		     ? ember__btf_span(ev->type->btf, f->type_id,
				       f->pub.bit_offset, f->pub.bit_size)
		     : f->pub.size;
	if (f->pub.offset + *n > ev->size)
		return ember__error(ENODATA,
				    "event of %zu bytes is too short for "
				    "'%s' (ends at byte %zu)",
				    ev->size, field_name(field),
				    f->pub.offset + *n);
	*p = (const unsigned char *)ev->data + f->pub.offset;
	return 0;
}

/* An integer-like field for getter fn, or (d not NULL) a float one in *d. */
static int get_number(const struct ember_event *ev, const char *field,
		      const void *val, const char *fn, struct ember__scalar *s,
		      double *d)
{
	struct ember__field f;
	const unsigned char *p = NULL;
	const struct btf_type *t;
	__u32 id;
	size_t n;
	int err;

	if (!val)
		return ember__error(EINVAL, "%s: val is required", fn);
	err = locate(ev, field, &f, &p, &n);
	if (err)
		return err;
	id = f.type_id;
	t = ember__btf_skip_mods(ev->type->btf, &id, true);
	/* a float bitfield (BTF allows one) spans fewer bytes than its type */
	if (t && btf_is_float(t) && n < t->size)
		return ember__error(EINVAL, "'%s' of %s is a float bitfield",
				    field_name(field), ev->type->name);
	if (d && t && btf_is_float(t) && t->size == sizeof(float)) {
		float v;

		memcpy(&v, p, sizeof(v));
		*d = v;
		return 1;
	}
	if (d && t && btf_is_float(t) && t->size == sizeof(double)) {
		memcpy(d, p, sizeof(*d));
		return 1;
	}
	if (ember__btf_scalar(ev->type->btf, f.type_id, p, f.pub.bit_offset,
			      f.pub.bit_size, s))
		return ember__error(EINVAL, "'%s' of %s is not %s",
				    field_name(field), ev->type->name,
				    d ? "a number" : "an integer");
	return 0;
}

static int get_u64(const struct ember_event *ev, const char *field,
		   uint64_t *val, const char *fn)
{
	struct ember__scalar s;
	int err = get_number(ev, field, val, fn, &s, NULL);

	if (!err)
		*val = s.u;
	return err;
}

int ember_event_field_u64(const struct ember_event *ev, const char *field,
			  uint64_t *val)
{
	return get_u64(ev, field, val, __func__);
}

/* the scalar is sign-extended already: the same 64 bits either way */
int ember_event_field_i64(const struct ember_event *ev, const char *field,
			  int64_t *val)
{
	return get_u64(ev, field, (uint64_t *)val, __func__);
}

int ember_event_field_double(const struct ember_event *ev, const char *field,
			     double *val)
{
	struct ember__scalar s;
	int err = get_number(ev, field, val, __func__, &s, val);

	if (!err)
		*val = s.is_signed ? (double)(int64_t)s.u : (double)s.u;
	return err < 0 ? err : 0;
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
	err = locate(ev, field, &f, &p, &len);
	if (err)
		return err;
	if (f.pub.kind != EMBER_FIELD_STRING)
		return ember__error(EINVAL, "'%s' of %s is not a char array",
				    field_name(field), ev->type->name);
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
	size_t n;

	if (locate(ev, field, &f, &p, &n))
		return NULL;
	if (size)
		*size = n;
	return p;
}

static enum ember__spelling spelling(unsigned int flags)
{
	return flags & EMBER_FORMAT_JSON ? EMBER__SPELL_JSON
					 : EMBER__SPELL_TEXT;
}

static int check_event(const struct ember_event *ev, const char *fn)
{
	if (!ev || !ev->type || (!ev->data && ev->size))
		return ember__error(EINVAL,
				    "%s: an event with its type is "
				    "required",
				    fn);
	return 0;
}

int ember_event_fprint(const struct ember_event *ev, unsigned int flags,
		       FILE *f)
{
	int err = check_event(ev, __func__);

	if (err)
		return err;
	if (!f)
		return ember__error(EINVAL, "%s: no stream", __func__);
	err = ember__btf_fprint(f, ev->type->btf, ev->type->id, ev->data,
				ev->size, spelling(flags));
	if (ferror(f))
		return ember__error(EIO, "writing the event failed");
	if (err)
		return ember__error(-err,
				    "%s holds a type that cannot be "
				    "printed",
				    ev->type->name);
	return 0;
}

int ember_event_format(const struct ember_event *ev, unsigned int flags,
		       char *buf, size_t size)
{
	int n = check_event(ev, __func__);

	if (n)
		return n;
	if (!buf && size)
		return ember__error(EINVAL, "%s: no buffer", __func__);
	n = ember__btf_snprint(buf, size, ev->type->btf, ev->type->id, ev->data,
			       ev->size, 0, 0, spelling(flags));
	if (n == -EINVAL)
		return ember__error(EINVAL,
				    "%s holds a type that cannot be "
				    "printed",
				    ev->type->name);
	if (n < 0)
		return ember__error(-n, "out of memory");
	return n;
}
