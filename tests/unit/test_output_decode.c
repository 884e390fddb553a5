// SPDX-License-Identifier: MIT
/*
 * Events by field name without a kernel: BTF built here by hand stands in
 * for a program's, and events are bytes laid out as the program would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bpf/btf.h>

#include "ember/ember.h"
#include "io/event_decode.h"

struct data_t {
	uint32_t pid;
	uint32_t seq;
	char comm[16];
};

enum color { RED = 0, GREEN = 1, BLUE = 7 };

/* What the hand-made BTF below describes, for building events. */
struct rich {
	int32_t neg;
	uint8_t bytes[4];
	uint32_t color; /* enum color */
	struct {
		uint16_t a;
		int16_t b;
	} in;
	union {
		uint32_t x;
		uint32_t y;
	};
	uint32_t flag : 1;
	uint32_t mode : 3;
	int32_t sbits : 4;
	uint64_t *ptr;
	_Bool ok;
	double d;
	char name[8];
};

static struct btf *make_btf(void)
{
	struct btf *b = btf__new_empty();
	int uint, sint, chr, uchar, u8, u16, s16, u32, u64, ull, boolean, dbl;
	int arr16, arr4, arr8, en, inner, anon, ptr;

	assert_non_null(b);
	uint = btf__add_int(b, "unsigned int", 4, 0);
	sint = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	chr = btf__add_int(b, "char", 1, BTF_INT_SIGNED | BTF_INT_CHAR);
	uchar = btf__add_int(b, "unsigned char", 1, BTF_INT_CHAR);
	ull = btf__add_int(b, "long long unsigned int", 8, 0);
	boolean = btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
	dbl = btf__add_float(b, "double", 8);
	u8 = btf__add_typedef(b, "u8", uchar);
	u16 = btf__add_typedef(b, "u16",
			       btf__add_int(b, "unsigned short", 2, 0));
	s16 = btf__add_int(b, "short", 2, BTF_INT_SIGNED);
	u32 = btf__add_typedef(b, "u32", uint);
	u64 = btf__add_typedef(b, "u64", ull);
	arr16 = btf__add_array(b, uint, chr, 16);
	arr4 = btf__add_array(b, uint, u8, 4);
	arr8 = btf__add_array(b, uint, chr, 8);

	assert_true(btf__add_struct(b, "data_t", 24) > 0);
	assert_int_equal(btf__add_field(b, "pid", u32, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "seq", u32, 32, 0), 0);
	assert_int_equal(btf__add_field(b, "comm", arr16, 64, 0), 0);

	en = btf__add_enum(b, "color", 4);
	assert_int_equal(btf__add_enum_value(b, "RED", RED), 0);
	assert_int_equal(btf__add_enum_value(b, "GREEN", GREEN), 0);
	assert_int_equal(btf__add_enum_value(b, "BLUE", BLUE), 0);

	inner = btf__add_struct(b, "inner", 4);
	assert_int_equal(btf__add_field(b, "a", u16, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "b", s16, 16, 0), 0);
	anon = btf__add_union(b, NULL, 4);
	assert_int_equal(btf__add_field(b, "x", u32, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "y", u32, 0, 0), 0);
	ptr = btf__add_ptr(b, u64);

	assert_true(btf__add_struct(b, "rich", sizeof(struct rich)) > 0);
#define F(name, type, bits)                                              \
	assert_int_equal(btf__add_field(b, #name, type,                  \
					offsetof(struct rich, name) * 8, \
					bits),                           \
			 0)
	assert_int_equal(btf__add_field(b, "neg", sint, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "bytes", arr4, 32, 0), 0);
	assert_int_equal(btf__add_field(b, "color", en, 64, 0), 0);
	assert_int_equal(btf__add_field(b, "in", inner, 96, 0), 0);
	assert_int_equal(btf__add_field(b, NULL, anon, 128, 0), 0);
	/* bit fields: flag at bit 160, mode 161..163, sbits 164..167 */
	assert_int_equal(btf__add_field(b, "flag", u32, 160, 1), 0);
	assert_int_equal(btf__add_field(b, "mode", u32, 161, 3), 0);
	assert_int_equal(btf__add_field(b, "sbits", sint, 164, 4), 0);
	F(ptr, ptr, 0);
	F(ok, boolean, 0);
	F(d, dbl, 0);
	F(name, arr8, 0);
#undef F
	return b;
}

static struct ember_event_type *type_of(const char *name)
{
	struct btf *b = make_btf();
	struct ember_event_type *t = NULL;
	int err = ember__event_type_from_btf(b, name, &t);

	btf__free(b); /* the type keeps its own copy */
	if (err)
		fail_msg("%s: %s", name, ember_errmsg());
	return t;
}

static void struct_fields(void **state)
{
	struct ember_event_type *t = type_of("struct data_t");
	const struct ember_event_field *f;

	(void)state;
	assert_string_equal(ember_event_type_name(t), "struct data_t");
	assert_int_equal(ember_event_type_size(t), 24);
	assert_int_equal(ember_event_type_field_cnt(t), 3);
	f = ember_event_type_field(t, 0);
	assert_string_equal(f->name, "pid");
	assert_string_equal(f->type_name, "u32");
	assert_int_equal(f->kind, EMBER_FIELD_INT);
	assert_int_equal(f->offset, 0);
	assert_int_equal(f->size, 4);
	assert_false(f->is_signed);
	f = ember_event_type_field(t, 2);
	assert_string_equal(f->name, "comm");
	assert_string_equal(f->type_name, "char[16]");
	assert_int_equal(f->kind, EMBER_FIELD_STRING);
	assert_int_equal(f->offset, 8);
	assert_int_equal(f->size, 16);
	assert_int_equal(f->elems, 16);
	assert_null(ember_event_type_field(t, 3));
	assert_ptr_equal(ember_event_type_field_by_name(t, "seq"),
			 ember_event_type_field(t, 1));
	assert_null(ember_event_type_field_by_name(t, "nope"));
	assert_non_null(strstr(ember_errmsg(), "no field 'nope'"));
	ember_event_type_free(t);
}

static void struct_getters_and_format(void **state)
{
	struct ember_event_type *t = type_of("struct data_t");
	struct data_t d = { .pid = 42, .seq = 7, .comm = "bash" };
	struct ember_event ev = { t, &d, sizeof(d) };
	char buf[128], small[8];
	uint64_t u;
	int64_t i;
	double x;

	(void)state;
	assert_int_equal(ember_event_field_u64(&ev, "pid", &u), 0);
	assert_int_equal(u, 42);
	assert_int_equal(ember_event_field_i64(&ev, "seq", &i), 0);
	assert_int_equal(i, 7);
	assert_int_equal(ember_event_field_double(&ev, "seq", &x), 0);
	assert_true(x == 7.0);
	assert_int_equal(ember_event_field_str(&ev, "comm", buf, sizeof(buf)),
			 4);
	assert_string_equal(buf, "bash");
	/* snprintf semantics: full length back, truncated copy */
	assert_int_equal(ember_event_field_str(&ev, "comm", small, 3), 4);
	assert_string_equal(small, "ba");
	assert_int_equal(ember_event_field_str(&ev, "pid", buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(ember_event_field_u64(&ev, "comm", &u), -EINVAL);
	assert_int_equal(ember_event_field_u64(&ev, "nope", &u), -ENOENT);
	assert_int_equal(ember_event_format(&ev, 0, buf, sizeof(buf)),
			 (int)strlen("pid=42 seq=7 comm=bash"));
	assert_string_equal(buf, "pid=42 seq=7 comm=bash");
	/* JSON as tables and histograms spell it (Python's json.dumps) */
	assert_int_equal(
		ember_event_format(&ev, EMBER_FORMAT_JSON, buf, sizeof(buf)),
		(int)strlen("{\"pid\": 42, \"seq\": 7, \"comm\": \"bash\"}"));
	assert_string_equal(buf,
			    "{\"pid\": 42, \"seq\": 7, \"comm\": \"bash\"}");
	assert_int_equal(ember_event_format(&ev, 0, small, sizeof(small)), 22);
	assert_string_equal(small, "pid=42 ");
	/* a full 16-char comm has no NUL: the array bounds the string */
	memcpy(d.comm, "0123456789abcdef", 16);
	assert_int_equal(ember_event_field_str(&ev, "comm", buf, sizeof(buf)),
			 16);
	assert_string_equal(buf, "0123456789abcdef");
	ember_event_type_free(t);
}

static void truncated_event(void **state)
{
	struct ember_event_type *t = type_of("struct data_t");
	struct data_t d = { .pid = 1, .seq = 2, .comm = "x" };
	struct ember_event ev = { t, &d, 8 }; /* pid and seq only */
	char buf[64];
	uint64_t u;

	(void)state;
	assert_int_equal(ember_event_field_u64(&ev, "seq", &u), 0);
	assert_int_equal(ember_event_field_str(&ev, "comm", buf, sizeof(buf)),
			 -ENODATA);
	ember_event_format(&ev, 0, buf, sizeof(buf));
	assert_string_equal(buf, "pid=1 seq=2");
	ember_event_type_free(t);
}

static void rich_struct(void **state)
{
	struct ember_event_type *t = type_of("struct rich");
	struct rich r;
	struct ember_event ev = { t, &r, sizeof(r) };
	const struct ember_event_field *f;
	uint64_t u;
	int64_t i;
	double x;
	char buf[512];
	size_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.neg = -5;
	memcpy(r.bytes, "\x01\x02\x03\xff", 4);
	r.color = BLUE;
	r.in.a = 3;
	r.in.b = -4;
	r.x = 99;
	r.flag = 1;
	r.mode = 5;
	r.sbits = -3;
	r.ptr = (uint64_t *)(uintptr_t)0x1000;
	r.ok = 1;
	r.d = 1.5;
	memcpy(r.name, "a\"b\n", 5);

	/* anonymous union members appear by their own names */
	assert_int_equal(ember_event_type_field_cnt(t), 13);
	f = ember_event_type_field_by_name(t, "y");
	assert_non_null(f);
	assert_int_equal(f->offset, 16);
	f = ember_event_type_field_by_name(t, "bytes");
	assert_int_equal(f->kind, EMBER_FIELD_ARRAY);
	assert_string_equal(f->type_name, "u8[4]");
	f = ember_event_type_field_by_name(t, "mode");
	assert_int_equal(f->offset, 20);
	assert_int_equal(f->bit_offset, 1);
	assert_int_equal(f->bit_size, 3);
	assert_int_equal(ember_event_type_field_by_name(t, "color")->kind,
			 EMBER_FIELD_ENUM);
	assert_int_equal(ember_event_type_field_by_name(t, "ptr")->kind,
			 EMBER_FIELD_POINTER);
	assert_int_equal(ember_event_type_field_by_name(t, "d")->kind,
			 EMBER_FIELD_FLOAT);
	assert_int_equal(ember_event_type_field_by_name(t, "in")->kind,
			 EMBER_FIELD_STRUCT);
	/* nested names: kept by the type, the same pointer each time */
	f = ember_event_type_field_by_name(t, "in.b");
	assert_non_null(f);
	assert_string_equal(f->name, "in.b");
	assert_int_equal(f->offset, 14);
	assert_true(f->is_signed);
	assert_ptr_equal(ember_event_type_field_by_name(t, "in.b"), f);
	assert_null(ember_event_type_field_by_name(t, "neg.x"));

	assert_int_equal(ember_event_field_i64(&ev, "neg", &i), 0);
	assert_int_equal(i, -5);
	assert_int_equal(ember_event_field_u64(&ev, "color", &u), 0);
	assert_int_equal(u, BLUE);
	assert_int_equal(ember_event_field_i64(&ev, "in.b", &i), 0);
	assert_int_equal(i, -4);
	assert_int_equal(ember_event_field_u64(&ev, "x", &u), 0);
	assert_int_equal(u, 99);
	assert_int_equal(ember_event_field_u64(&ev, "flag", &u), 0);
	assert_int_equal(u, 1);
	assert_int_equal(ember_event_field_u64(&ev, "mode", &u), 0);
	assert_int_equal(u, 5);
	assert_int_equal(ember_event_field_i64(&ev, "sbits", &i), 0);
	assert_int_equal(i, -3);
	assert_int_equal(ember_event_field_u64(&ev, "ptr", &u), 0);
	assert_int_equal(u, 0x1000);
	assert_int_equal(ember_event_field_u64(&ev, "ok", &u), 0);
	assert_int_equal(u, 1);
	assert_int_equal(ember_event_field_double(&ev, "d", &x), 0);
	assert_true(x == 1.5);
	assert_int_equal(ember_event_field_u64(&ev, "d", &u), -EINVAL);
	assert_int_equal(ember_event_field_u64(&ev, "in", &u), -EINVAL);
	assert_non_null(ember_event_field_ptr(&ev, "bytes", &n));
	assert_int_equal(n, 4);

	ember_event_format(&ev, 0, buf, sizeof(buf));
	assert_string_equal(buf, "neg=-5 bytes=[1,2,3,255] color=BLUE "
				 "in={a=3 b=-4} x=99 y=99 flag=1 mode=5 "
				 "sbits=-3 ptr=0x1000 ok=true d=1.5 "
				 "name=a\"b\\n");
	ember_event_format(&ev, EMBER_FORMAT_JSON, buf, sizeof(buf));
	assert_string_equal(buf,
			    "{\"neg\": -5, \"bytes\": [1, 2, 3, 255], "
			    "\"color\": \"BLUE\", \"in\": {\"a\": 3, "
			    "\"b\": -4}, \"x\": 99, \"y\": 99, \"flag\": 1, "
			    "\"mode\": 5, \"sbits\": -3, \"ptr\": "
			    "\"0x1000\", \"ok\": true, \"d\": 1.5, "
			    "\"name\": \"a\\\"b\\n\"}");
	/* an enum value without a name prints as its number */
	r.color = 3;
	ember_event_format(&ev, EMBER_FORMAT_JSON, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"color\": 3,"));
	ember_event_type_free(t);
}

static void spellings(void **state)
{
	static const struct {
		const char *name;
		size_t size;
		size_t fields;
	} ok[] = {
		{ "struct data_t", 24, 3 },
		{ "const struct data_t", 24, 3 },
		{ "data_t", 24, 3 },
		{ "u32", 4, 0 },
		{ "unsigned int", 4, 0 },
		{ "unsigned long", 8, 0 }, /* not in the BTF: added */
		{ "signed char", 1, 0 }, /* nor this, in either spelling */
		{ "long int", 8, 0 },
		{ "signed", 4, 0 }, /* "int" by its other name */
		{ "__s16", 2, 0 }, /* fixed-width names */
		{ "uint64_t[2]", 16, 0 },
		{ "long long", 8, 0 },
		{ "char[16]", 16, 0 },
		{ "u32 [4]", 16, 0 },
		{ "char[2][3]", 6, 0 },
		{ "struct data_t *", 8, 0 },
		{ "struct data_t[2]", 48, 0 },
		{ "enum color", 4, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct ember_event_type *t = type_of(ok[i].name);

		assert_int_equal(ember_event_type_size(t), ok[i].size);
		assert_int_equal(ember_event_type_field_cnt(t), ok[i].fields);
		ember_event_type_free(t);
	}
}

static void bad_spellings(void **state)
{
	static const struct {
		const char *name;
		int err;
	} bad[] = {
		{ "struct nope", -ENOENT }, { "union data_t", -ENOENT },
		{ "nope_t", -ENOENT },	    { "char[", -EINVAL },
		{ "char[x]", -EINVAL },	    { "", -EINVAL },
		{ "void", -ENOENT },
	};
	struct btf *b = make_btf();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ember_event_type *t = NULL;

		assert_int_equal(ember__event_type_from_btf(b, bad[i].name, &t),
				 bad[i].err);
		assert_null(t);
		assert_true(strlen(ember_errmsg()) > 0);
	}
	btf__free(b);
}

static void scalar_event(void **state)
{
	struct ember_event_type *t = type_of("u32");
	struct ember_event_type *s = type_of("char[16]");
	uint32_t v = 1234;
	char comm[16] = "hello";
	struct ember_event ev = { t, &v, sizeof(v) };
	struct ember_event es = { s, comm, sizeof(comm) };
	uint64_t u;
	char buf[64];

	(void)state;
	assert_int_equal(ember_event_field_u64(&ev, NULL, &u), 0);
	assert_int_equal(u, 1234);
	assert_int_equal(ember_event_field_u64(&ev, "", &u), 0);
	ember_event_format(&ev, 0, buf, sizeof(buf));
	assert_string_equal(buf, "1234");
	ember_event_format(&es, EMBER_FORMAT_JSON, buf, sizeof(buf));
	assert_string_equal(buf, "\"hello\"");
	assert_int_equal(ember_event_field_str(&es, NULL, buf, sizeof(buf)), 5);
	ev.size = 2;
	assert_int_equal(ember_event_field_u64(&ev, NULL, &u), -ENODATA);
	ember_event_type_free(t);
	ember_event_type_free(s);
}

static void bad_arguments(void **state)
{
	struct ember_event_type *t = NULL;
	struct ember_event ev = { 0 };
	uint64_t u;

	(void)state;
	assert_int_equal(ember_event_type_new(NULL, "events", NULL, &t),
			 -EINVAL);
	assert_int_equal(ember_event_field_u64(&ev, "pid", &u), -EINVAL);
	assert_int_equal(ember_event_format(&ev, 0, NULL, 0), -EINVAL);
	assert_int_equal(ember_perf_reader_new(NULL, "events", NULL, NULL, NULL,
					       NULL, NULL),
			 -EINVAL);
	assert_int_equal(
		ember_ring_reader_new(NULL, "rb", NULL, NULL, NULL, NULL),
		-EINVAL);
	assert_int_equal(ember_perf_reader_poll(NULL, 0), -EINVAL);
	assert_int_equal(ember_ring_reader_poll(NULL, 0), -EINVAL);
	ember_perf_reader_free(NULL);
	ember_ring_reader_free(NULL);
	ember_event_type_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(struct_fields),
		cmocka_unit_test(struct_getters_and_format),
		cmocka_unit_test(truncated_event),
		cmocka_unit_test(rich_struct),
		cmocka_unit_test(spellings),
		cmocka_unit_test(bad_spellings),
		cmocka_unit_test(scalar_event),
		cmocka_unit_test(bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
