// SPDX-License-Identifier: MIT
/*
 * Keys and values formatted from BTF, as text and as JSON, over BTF built in
 * memory: integers of every size, bool, char arrays as strings, enums by
 * name, pointers, nested structs, bitfields, anonymous unions, floats
 * (round-trip exact); snprintf semantics and errors.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

struct types {
	struct btf *btf;
	int s32, u32, chr, u8, boolean, u64, s128, dbl, flt;
	int u64_t; /* typedef */
	int cu64; /* const u64_t */
	int state; /* enum */
	int big; /* enum64 */
	int comm; /* char[8] */
	int key; /* the struct below */
	int u64_ptr;
};

/*
 * struct key {                      offset
 *	u32 pid;                     0
 *	char comm[8];                4
 *	enum state st;               12
 *	u64 *ptr;                    16
 *	struct inner { u8 bytes[3]; } in;  24
 *	int bf1 : 3;                 28, bits 0-2
 *	unsigned int bf2 : 5;        28, bits 3-7
 *	bool ok;                     29
 *	union { int a; u32 b; };     32
 * };                                size 40
 */
static void build(struct types *t)
{
	struct btf *b = btf__new_empty();
	int inner, u8x3, anon;

	assert_non_null(b);
	t->btf = b;
	t->s32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	t->u32 = btf__add_int(b, "unsigned int", 4, 0);
	t->chr = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	t->u8 = btf__add_int(b, "unsigned char", 1, 0);
	t->boolean = btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
	t->u64 = btf__add_int(b, "unsigned long long", 8, 0);
	t->s128 = btf__add_int(b, "__int128", 16, BTF_INT_SIGNED);
	t->dbl = btf__add_float(b, "double", 8);
	t->flt = btf__add_float(b, "float", 4);
	t->u64_t = btf__add_typedef(b, "u64", t->u64);
	t->cu64 = btf__add_const(b, t->u64_t);
	t->state = btf__add_enum(b, "state", 4);
	btf__add_enum_value(b, "RUNNING", 0);
	btf__add_enum_value(b, "SLEEPING", 1);
	t->big = btf__add_enum64(b, "big", 8, false);
	btf__add_enum64_value(b, "HUGE", 1ull << 40);
	t->comm = btf__add_array(b, t->s32, t->chr, 8);
	u8x3 = btf__add_array(b, t->s32, t->u8, 3);
	t->u64_ptr = btf__add_ptr(b, t->u64_t);
	inner = btf__add_struct(b, "inner", 3);
	btf__add_field(b, "bytes", u8x3, 0, 0);
	anon = btf__add_union(b, NULL, 4);
	btf__add_field(b, "a", t->s32, 0, 0);
	btf__add_field(b, "b", t->u32, 0, 0);
	t->key = btf__add_struct(b, "key", 40);
	btf__add_field(b, "pid", t->u32, 0, 0);
	btf__add_field(b, "comm", t->comm, 4 * 8, 0);
	btf__add_field(b, "st", t->state, 12 * 8, 0);
	btf__add_field(b, "ptr", t->u64_ptr, 16 * 8, 0);
	btf__add_field(b, "in", inner, 24 * 8, 0);
	btf__add_field(b, "bf1", t->s32, 28 * 8, 3);
	btf__add_field(b, "bf2", t->u32, 28 * 8 + 3, 5);
	btf__add_field(b, "ok", t->boolean, 29 * 8, 0);
	btf__add_field(b, NULL, anon, 32 * 8, 0);
	assert_true(t->key > 0);
}

static void key_bytes(unsigned char *k)
{
	uint32_t pid = 42, st = 1, u = 0xffffffff;
	uint64_t ptr = 0xffff8880deadbeefull;

	memset(k, 0, 40);
	memcpy(k, &pid, 4);
	memcpy(k + 4, "bash\0xyz", 8); /* garbage after the NUL is not shown */
	memcpy(k + 12, &st, 4);
	memcpy(k + 16, &ptr, 8);
	k[24] = 1, k[25] = 2, k[26] = 3;
	k[28] = 5 | (17 << 3); /* bf1 = -3 in 3 bits, bf2 = 17 */
	k[29] = 1;
	memcpy(k + 32, &u, 4);
}

static char *fmt(const struct types *t, int id, const void *data, size_t n,
		 unsigned int flags)
{
	static char buf[1024];
	int len = ember_btf_snprintf(t->btf, (uint32_t)id, data, n, buf,
				     sizeof(buf), flags);

	if (len < 0)
		fail_msg("format failed: %s", ember_errmsg());
	assert_int_equal((size_t)len, strlen(buf));
	return buf;
}

static void struct_text_and_json(void **state)
{
	struct types t;
	unsigned char k[40];

	(void)state;
	build(&t);
	key_bytes(k);
	assert_string_equal(fmt(&t, t.key, k, sizeof(k), 0),
			    "{ .pid = 42, .comm = \"bash\", .st = SLEEPING, "
			    ".ptr = 0xffff8880deadbeef, .in = { .bytes = "
			    "[ 1, 2, 3 ] }, .bf1 = -3, .bf2 = 17, .ok = true, "
			    "{ .a = -1, .b = 4294967295 } }");
	/* anonymous members merge into the object, as C lets one name them */
	assert_string_equal(fmt(&t, t.key, k, sizeof(k), EMBER_FORMAT_JSON),
			    "{\"pid\": 42, \"comm\": \"bash\", \"st\": "
			    "\"SLEEPING\", \"ptr\": \"0xffff8880deadbeef\", "
			    "\"in\": {\"bytes\": [1, 2, 3]}, \"bf1\": -3, "
			    "\"bf2\": 17, \"ok\": true, \"a\": -1, \"b\": "
			    "4294967295}");
	btf__free(t.btf);
}

static void scalars(void **state)
{
	uint64_t u = UINT64_MAX;
	uint32_t e = 7;
	uint64_t huge = 1ull << 40;
	__int128 neg = -((__int128)1 << 100);
	double d = 2.5;
	float f = -0.25f;
	struct types t;

	(void)state;
	build(&t);
	/* typedefs and const resolve to what they name */
	assert_string_equal(fmt(&t, t.cu64, &u, 8, 0), "18446744073709551615");
	assert_string_equal(fmt(&t, t.u64_t, &u, 8, EMBER_FORMAT_JSON),
			    "18446744073709551615");
	/* an enum value without a name is its number */
	assert_string_equal(fmt(&t, t.state, &e, 4, 0), "7");
	assert_string_equal(fmt(&t, t.state, &e, 4, EMBER_FORMAT_JSON), "7");
	assert_string_equal(fmt(&t, t.big, &huge, 8, 0), "HUGE");
	assert_string_equal(fmt(&t, t.s128, &neg, 16, 0),
			    "-1267650600228229401496703205376");
	assert_string_equal(fmt(&t, t.dbl, &d, 8, 0), "2.5");
	assert_string_equal(fmt(&t, t.flt, &f, 4, EMBER_FORMAT_JSON), "-0.25");
	btf__free(t.btf);
}

/* Floats print as the shortest decimal that reads back as the same bits,
 * in every spelling. */
static void floats_round_trip(void **state)
{
	static const double ds[] = { 0.1,	1.0 / 3,     1e100,
				     -2.5e-300, 123456789.0, 5e-324 };
	static const float fs[] = { 0.1f, 1.0f / 3, 16777217.0f, 3.4e38f };
	struct types t;
	double d, back;
	float f, fback;
	size_t i;

	(void)state;
	build(&t);
	for (i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
		d = ds[i];
		back = strtod(fmt(&t, t.dbl, &d, 8, 0), NULL);
		assert_memory_equal(&back, &d, sizeof(d));
	}
	for (i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		f = fs[i];
		fback = strtof(fmt(&t, t.flt, &f, 4, EMBER_FORMAT_JSON), NULL);
		assert_memory_equal(&fback, &f, sizeof(f));
	}
	/* and no longer than that: not %.17g's 0.10000000000000001 */
	d = 0.1;
	assert_string_equal(fmt(&t, t.dbl, &d, 8, 0), "0.1");
	f = 0.1f;
	assert_string_equal(fmt(&t, t.flt, &f, 4, 0), "0.1");
	d = 1.0 / 3;
	assert_string_equal(fmt(&t, t.dbl, &d, 8, 0), "0.3333333333333333");
	d = 1e100;
	assert_string_equal(fmt(&t, t.dbl, &d, 8, EMBER_FORMAT_JSON), "1e+100");
	d = INFINITY;
	assert_string_equal(fmt(&t, t.dbl, &d, 8, 0), "inf");
	assert_string_equal(fmt(&t, t.dbl, &d, 8, EMBER_FORMAT_JSON), "null");
	btf__free(t.btf);
}

static void strings(void **state)
{
	const char quoted[8] = { 'a', '"', 'b', '\n', 1, '\\', 0, 'x' };
	const char full[8] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };
	struct types t;

	(void)state;
	build(&t);
	assert_string_equal(fmt(&t, t.comm, quoted, 8, 0),
			    "\"a\\\"b\\n\\x01\\\\\"");
	assert_string_equal(fmt(&t, t.comm, quoted, 8, EMBER_FORMAT_JSON),
			    "\"a\\\"b\\n\\u0001\\\\\"");
	/* no NUL: all of the array */
	assert_string_equal(fmt(&t, t.comm, full, 8, 0), "\"abcdefgh\"");
	btf__free(t.btf);
}

static void untyped(void **state)
{
	uint64_t v = 1234;
	const unsigned char b3[3] = { 1, 2, 0xab };

	(void)state;
	/* type id 0: a table declared with sizes only */
	assert_string_equal(fmt(&(struct types){ 0 }, 0, &v, 8, 0), "1234");
	assert_string_equal(fmt(&(struct types){ 0 }, 0, b3, 3, 0), "0x0102ab");
	assert_string_equal(
		fmt(&(struct types){ 0 }, 0, b3, 3, EMBER_FORMAT_JSON),
		"\"0x0102ab\"");
}

static void snprintf_semantics(void **state)
{
	struct types t;
	unsigned char k[40];
	char small[10], *all = NULL;
	int need;

	(void)state;
	build(&t);
	key_bytes(k);
	need = ember_btf_snprintf(t.btf, t.key, k, sizeof(k), small,
				  sizeof(small), 0);
	assert_true(need > (int)sizeof(small));
	assert_string_equal(small, "{ .pid = ");
	assert_int_equal(
		ember_btf_snprintf(t.btf, t.key, k, sizeof(k), NULL, 0, 0),
		need);
	assert_int_equal(
		ember_btf_asprintf(t.btf, t.key, k, sizeof(k), &all, 0), need);
	assert_int_equal(strlen(all), need);
	assert_int_equal(strncmp(all, "{ .pid = 42", 11), 0);
	free(all);
	btf__free(t.btf);
}

static void errors(void **state)
{
	struct types t;
	unsigned char k[40] = { 0 };
	char buf[64];

	(void)state;
	build(&t);
	/* fewer bytes than the type */
	assert_int_equal(
		ember_btf_snprintf(t.btf, t.key, k, 39, buf, sizeof(buf), 0),
		-EINVAL);
	assert_non_null(strstr(ember_errmsg(), "needs 40 bytes"));
	assert_string_equal(buf, "");
	assert_int_equal(
		ember_btf_snprintf(t.btf, 9999, k, 40, buf, sizeof(buf), 0),
		-EINVAL);
	assert_int_equal(
		ember_btf_snprintf(t.btf, t.key, NULL, 40, buf, sizeof(buf), 0),
		-EINVAL);
	btf__free(t.btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(struct_text_and_json),
		cmocka_unit_test(scalars),
		cmocka_unit_test(floats_round_trip),
		cmocka_unit_test(strings),
		cmocka_unit_test(untyped),
		cmocka_unit_test(snprintf_semantics),
		cmocka_unit_test(errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
