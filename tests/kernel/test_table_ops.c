// SPDX-License-Identifier: MIT
/*
 * Tables against the real kernel: a program counts getppid calls into a
 * hash and a per-CPU array, and the host finds the tables, reads what was
 * counted, updates, deletes, iterates, uses batch operations (and their
 * per-key fallback on an LPM trie, which has no batch commands), clears, and
 * sums per-CPU values.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

static const char program[] =
	"struct val_t { u32 calls; char tag[4]; };\n"
	"struct lpm_key { u32 prefixlen; u32 addr; };\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_HASH);\n"
	"\t__type(key, u32);\n"
	"\t__type(value, u64);\n"
	"\t__uint(max_entries, 10240);\n"
	"} counts SEC(\".maps\");\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);\n"
	"\t__type(key, u32);\n"
	"\t__type(value, u64);\n"
	"\t__uint(max_entries, 4);\n"
	"} pcpu SEC(\".maps\");\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_ARRAY);\n"
	"\t__type(key, u32);\n"
	"\t__type(value, struct val_t);\n"
	"\t__uint(max_entries, 8);\n"
	"} arr SEC(\".maps\");\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_LPM_TRIE);\n"
	"\t__type(key, struct lpm_key);\n"
	"\t__type(value, u64);\n"
	"\t__uint(max_entries, 4096);\n"
	"\t__uint(map_flags, BPF_F_NO_PREALLOC);\n"
	"} trie SEC(\".maps\");\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_QUEUE);\n"
	"\t__type(value, u32);\n"
	"\t__uint(max_entries, 8);\n"
	"} fifo SEC(\".maps\");\n"
	"TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
	"{\n"
	"\tu32 k = 1, z = 0;\n"
	"\tu64 one = 1, *v, *p;\n"
	"\tstruct val_t *a;\n"
	"\n"
	"\tif ((bpf_get_current_pid_tgid() >> 32) != ME)\n"
	"\t\treturn 0;\n"
	"\tv = bpf_map_lookup_elem(&counts, &k);\n"
	"\tif (v)\n"
	"\t\t__sync_fetch_and_add(v, 1);\n"
	"\telse\n"
	"\t\tbpf_map_update_elem(&counts, &k, &one, BPF_ANY);\n"
	"\tp = bpf_map_lookup_elem(&pcpu, &z);\n"
	"\tif (p)\n"
	"\t\t(*p)++;\n"
	"\ta = bpf_map_lookup_elem(&arr, &z);\n"
	"\tif (a)\n"
	"\t\t__sync_fetch_and_add(&a->calls, 1);\n"
	"\treturn 0;\n"
	"}\n";

struct lpm_key {
	uint32_t prefixlen;
	uint32_t addr;
};

struct fixture {
	struct ember_module *m;
	struct ember_table *counts, *pcpu, *arr, *trie, *fifo;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char me[32];
	const char *cflags[] = { me };
	struct ember_module_opts o = { .sz = sizeof(o),
				       .name = "tables.c",
				       .cflags = cflags,
				       .cflags_cnt = 1 };

	snprintf(me, sizeof(me), "-DME=%d", (int)getpid());
	if (ember_module_new(program, &o, &f->m))
		fail_msg("load failed: %s", ember_errmsg());
	assert_int_equal(ember_module_attach_auto(f->m), 1);
	assert_int_equal(ember_module_table(f->m, "counts", &f->counts), 0);
	assert_int_equal(ember_module_table(f->m, "pcpu", &f->pcpu), 0);
	assert_int_equal(ember_module_table(f->m, "arr", &f->arr), 0);
	assert_int_equal(ember_module_table(f->m, "trie", &f->trie), 0);
	assert_int_equal(ember_module_table(f->m, "fifo", &f->fifo), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ember_module_free(f->m);
	free(f);
	return 0;
}

static void getppid_n(int n)
{
	while (n--)
		syscall(SYS_getppid);
}

static void finding_tables(void **state)
{
	struct fixture *f = *state;
	struct ember_table *t;
	const char *names[] = { "counts", "pcpu", "arr", "trie", "fifo" };
	char buf[64];
	uint32_t one = 1;
	size_t i;

	assert_int_equal(ember_module_table_cnt(f->m), 5);
	for (i = 0; i < 5; i++)
		assert_string_equal(
			ember_table_name(ember_module_table_at(f->m, i)),
			names[i]);
	assert_null(ember_module_table_at(f->m, 5));
	/* the same handle every time */
	assert_int_equal(ember_module_table(f->m, "counts", &t), 0);
	assert_ptr_equal(t, f->counts);
	assert_int_equal(ember_module_table(f->m, "cuonts", &t), -ENOENT);
	assert_null(t);
	assert_non_null(strstr(ember_errmsg(),
			       "(tables: counts, pcpu, arr, trie, fifo)"));

	t = f->counts;
	assert_int_equal(ember_table_type(t), EMBER_MAP_HASH);
	assert_string_equal(ember_table_kind(t), "hash");
	assert_string_equal(ember_map_type_name(ember_table_type(t)), "hash");
	assert_int_equal(ember_table_key_size(t), 4);
	assert_int_equal(ember_table_value_size(t), 8);
	assert_int_equal(ember_table_max_entries(t), 10240);
	assert_int_equal(ember_table_ncpus(t), 1);
	assert_int_equal(ember_table_value_buf_size(t), 8);
	assert_false(ember_table_is_percpu(t));
	assert_true(ember_table_fd(t) >= 0);
	assert_non_null(ember_table_btf(t));
	assert_true(ember_table_key_type_id(t) > 0);
	assert_true(ember_table_value_type_id(t) > 0);
	assert_int_equal(ember_table_key_snprintf(t, &one, buf, sizeof(buf),
						  EMBER_FORMAT_JSON),
			 1);
	assert_string_equal(buf, "1");
	assert_string_equal(ember_table_kind(f->pcpu), "percpu_array");
	assert_string_equal(ember_table_kind(f->trie), "lpm_trie");
	assert_int_equal(ember_table_flags(f->trie) & 1 /* NO_PREALLOC */, 1);
}

static void counted_by_the_program(void **state)
{
	struct fixture *f = *state;
	uint32_t k = 1, z = 0;
	uint64_t v = 0;
	struct {
		uint32_t calls;
		char tag[4];
	} a;
	char text[128];

	assert_int_equal(ember_table_clear(f->counts), 0);
	assert_int_equal(ember_table_clear(f->arr), 0);
	getppid_n(5);
	assert_int_equal(ember_table_lookup(f->counts, &k, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(ember_table_lookup(f->arr, &z, &a), 0);
	assert_int_equal(a.calls, 5);
	memcpy(a.tag, "abc", 4);
	assert_int_equal(ember_table_update(f->arr, &z, &a, EMBER_ANY), 0);
	ember_table_value_snprintf(f->arr, &a, text, sizeof(text), 0);
	assert_string_equal(text, "{ .calls = 5, .tag = \"abc\" }");
	ember_table_value_snprintf(f->arr, &a, text, sizeof(text),
				   EMBER_FORMAT_JSON);
	assert_string_equal(text, "{\"calls\": 5, \"tag\": \"abc\"}");
	k = 2;
	assert_int_equal(ember_table_lookup(f->counts, &k, &v), -ENOENT);
}

static void element_operations(void **state)
{
	struct fixture *f = *state;
	struct ember_table *t = f->counts;
	uint32_t k = 100, next, seen = 0;
	uint64_t v = 7, got;
	const void *prev = NULL;
	uint32_t keys[3];

	assert_int_equal(ember_table_clear(t), 0);
	assert_int_equal(ember_table_update(t, &k, &v, EMBER_EXIST), -ENOENT);
	assert_int_equal(ember_table_update(t, &k, &v, EMBER_NOEXIST), 0);
	assert_int_equal(ember_table_update(t, &k, &v, EMBER_NOEXIST), -EEXIST);
	v = 8;
	assert_int_equal(ember_table_update(t, &k, &v, EMBER_EXIST), 0);
	assert_int_equal(ember_table_lookup(t, &k, &got), 0);
	assert_int_equal(got, 8);
	k = 101;
	assert_int_equal(ember_table_update(t, &k, &v, EMBER_ANY), 0);
	/* walk with next_key */
	while (!ember_table_next_key(t, prev, &next)) {
		keys[seen++] = next;
		prev = &keys[seen - 1];
		assert_true(seen <= 2);
	}
	assert_int_equal(seen, 2);
	assert_true((keys[0] == 100 && keys[1] == 101) ||
		    (keys[0] == 101 && keys[1] == 100));
	assert_int_equal(ember_table_lookup_and_delete(t, &k, &got), 0);
	assert_int_equal(got, 8);
	assert_int_equal(ember_table_lookup(t, &k, &got), -ENOENT);
	k = 100;
	assert_int_equal(ember_table_delete(t, &k), 0);
	assert_int_equal(ember_table_delete(t, &k), -ENOENT);
	assert_non_null(strstr(ember_errmsg(), "counts"));
	assert_int_equal(ember_table_next_key(t, NULL, &next), -ENOENT);
	/* arrays cannot lose an index: delete zeroes, as in BCC */
	k = 3;
	v = 0;
	assert_int_equal(ember_table_delete(f->pcpu, &k), 0);
	assert_int_equal(ember_table_lookup(NULL, &k, &got), -EINVAL);
	assert_int_equal(ember_table_lookup(t, NULL, &got), -EINVAL);
}

static void percpu_values(void **state)
{
	struct fixture *f = *state;
	struct ember_table *t = f->pcpu;
	uint32_t ncpus = ember_table_ncpus(t), z = 0, cpu;
	uint64_t *vals, sum = 0, max = 0;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t old, one;
	char text[512];

	assert_true(ember_table_is_percpu(t));
	assert_true(ncpus >= 1);
	assert_int_equal(ember_table_percpu_stride(t), 8);
	assert_int_equal(ember_table_value_buf_size(t), 8 * ncpus);
	assert_int_equal(ember_table_clear(t), 0);
	vals = calloc(ncpus, 8);
	/* 3 calls on the first CPU, 4 on the last online one */
	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	getppid_n(3);
	CPU_ZERO(&one);
	CPU_SET(online - 1, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	getppid_n(4);
	sched_setaffinity(0, sizeof(old), &old);
	assert_int_equal(ember_table_lookup(t, &z, vals), 0);
	assert_int_equal(ember_table_percpu_sum(t, vals, &sum), 0);
	assert_int_equal(sum, 7);
	assert_int_equal(ember_table_percpu_max(t, vals, &max), 0);
	assert_int_equal(max, online > 1 ? 4 : 7);
	if (online > 1) {
		assert_int_equal(vals[0], 3);
		assert_int_equal(vals[online - 1], 4);
	}
	/* formatted: one element per possible CPU */
	ember_table_value_snprintf(t, vals, text, sizeof(text),
				   EMBER_FORMAT_JSON);
	assert_int_equal(text[0], '[');
	for (cpu = 0, sum = 0; text[cpu]; cpu++)
		sum += text[cpu] == ',';
	assert_int_equal(sum, ncpus - 1);
	/* writing: every CPU's value */
	for (cpu = 0; cpu < ncpus; cpu++)
		vals[cpu] = cpu + 1;
	assert_int_equal(ember_table_update(t, &z, vals, EMBER_ANY), 0);
	memset(vals, 0, 8 * ncpus);
	assert_int_equal(ember_table_lookup(t, &z, vals), 0);
	assert_int_equal(ember_table_percpu_sum(t, vals, &sum), 0);
	assert_int_equal(sum, (uint64_t)ncpus * (ncpus + 1) / 2);
	assert_int_equal(ember_table_clear(t), 0);
	assert_int_equal(ember_table_lookup(t, &z, vals), 0);
	assert_int_equal(ember_table_percpu_sum(t, vals, &sum), 0);
	assert_int_equal(sum, 0);
	free(vals);
}

struct visit {
	uint64_t key_sum, value_sum;
	int n, stop_at;
};

static int on_entry(const void *key, const void *value, void *ctx)
{
	struct visit *v = ctx;
	uint32_t k;
	uint64_t val;

	memcpy(&k, key, 4);
	memcpy(&val, value, 8);
	v->key_sum += k;
	v->value_sum += val;
	v->n++;
	return v->stop_at && v->n == v->stop_at ? 1 : 0;
}

static void fill(struct ember_table *t, uint32_t n, uint32_t base)
{
	uint32_t *keys = calloc(n, 4), i;
	uint64_t *vals = calloc(n, 8);
	size_t count = n;

	for (i = 0; i < n; i++) {
		keys[i] = base + i;
		vals[i] = (uint64_t)(base + i) * 10;
	}
	assert_int_equal(ember_table_update_batch(t, keys, vals, &count, NULL),
			 0);
	assert_int_equal(count, n);
	free(keys);
	free(vals);
}

static void iterate_and_batch(void **state)
{
	struct fixture *f = *state;
	struct ember_table *t = f->counts;
	struct ember_table_iter_opts per_key = { .sz = sizeof(per_key),
						 .no_batch = true };
	struct ember_table_iter_opts small = { .sz = sizeof(small),
					       .batch_size = 7 };
	struct visit v = { 0 };
	uint32_t keys[1000], i;
	uint64_t vals[1000];
	size_t count, left;

	assert_int_equal(ember_table_clear(t), 0);
	fill(t, 1000, 1);
	assert_int_equal(ember_table_foreach(t, on_entry, &v, NULL), 1000);
	assert_int_equal(v.key_sum, 500500);
	assert_int_equal(v.value_sum, 5005000);
	memset(&v, 0, sizeof(v));
	assert_int_equal(ember_table_foreach(t, on_entry, &v, &per_key), 1000);
	assert_int_equal(v.key_sum, 500500);
	memset(&v, 0, sizeof(v));
	assert_int_equal(ember_table_foreach(t, on_entry, &v, &small), 1000);
	assert_int_equal(v.value_sum, 5005000);
	memset(&v, 0, sizeof(v));
	v.stop_at = 10;
	assert_int_equal(ember_table_foreach(t, on_entry, &v, NULL), 10);

	/* the whole table at once */
	count = 1000;
	assert_int_equal(ember_table_lookup_batch(t, keys, vals, &count, NULL),
			 0);
	assert_int_equal(count, 1000);
	for (i = 0; i < count; i++)
		assert_int_equal(vals[i], keys[i] * 10ull);
	/* too little room: the whole hash buckets that fit, and -ENOSPC */
	count = 100;
	assert_int_equal(ember_table_lookup_batch(t, keys, vals, &count, NULL),
			 -ENOSPC);
	assert_true(count <= 100 && count >= 90);
	/* read-and-remove in two rounds */
	count = 300;
	assert_int_equal(ember_table_lookup_and_delete_batch(t, keys, vals,
							     &count, NULL),
			 -ENOSPC);
	assert_true(count <= 300 && count >= 290);
	left = 1000 - count;
	count = 1000;
	assert_int_equal(ember_table_lookup_batch(t, keys, vals, &count, NULL),
			 0);
	assert_int_equal(count, left);
	/* delete some by key; a missing key stops the batch */
	count = 200;
	assert_int_equal(ember_table_delete_batch(t, keys, &count, NULL), 0);
	assert_int_equal(count, 200);
	count = 2;
	assert_int_equal(ember_table_delete_batch(t, keys + 199, &count, NULL),
			 -ENOENT);
	assert_int_equal(count, 0);
	count = 1000;
	assert_int_equal(ember_table_lookup_and_delete_batch(t, keys, vals,
							     &count, NULL),
			 0);
	assert_int_equal(count, left - 200);
	assert_int_equal(ember_table_foreach(t, on_entry, &v, NULL), 0);
	/* arrays cannot delete */
	count = 1;
	assert_int_equal(ember_table_delete_batch(f->arr, keys, &count, NULL),
			 -EOPNOTSUPP);
}

static void batch_flags_and_clear(void **state)
{
	struct fixture *f = *state;
	struct ember_table *t = f->counts;
	struct ember_batch_opts noexist = { .sz = sizeof(noexist),
					    .elem_flags = EMBER_NOEXIST };
	uint32_t keys[3] = { 1, 2, 3 };
	uint64_t vals[3] = { 1, 2, 3 }, v;
	size_t count = 3;
	struct visit vis = { 0 };

	assert_int_equal(ember_table_clear(t), 0);
	count = 2;
	assert_int_equal(
		ember_table_update_batch(t, keys + 1, vals, &count, NULL), 0);
	/* the kernel's batch update takes no NOEXIST: done per key, and the
	 * first existing key stops it */
	count = 3;
	assert_int_equal(
		ember_table_update_batch(t, keys, vals, &count, &noexist),
		-EEXIST);
	assert_int_equal(count, 1);
	assert_int_equal(ember_table_lookup(t, &keys[0], &v), 0);
	assert_int_equal(ember_table_zero(t), 0);
	assert_int_equal(ember_table_foreach(t, on_entry, &vis, NULL), 3);
	assert_int_equal(vis.value_sum, 0);
	assert_int_equal(ember_table_clear(t), 0);
	assert_int_equal(ember_table_foreach(t, on_entry, &vis, NULL), 0);
	/* arrays: clear zeroes every index and they all stay */
	assert_int_equal(ember_table_clear(f->arr), 0);
	memset(&vis, 0, sizeof(vis));
	assert_int_equal(ember_table_foreach(f->arr, on_entry, &vis, NULL), 8);
	assert_int_equal(vis.value_sum, 0);
}

static int on_lpm(const void *key, const void *value, void *ctx)
{
	const struct lpm_key *k = key;
	uint64_t v;

	memcpy(&v, value, 8);
	assert_int_equal(v, k->addr + 1);
	(*(int *)ctx)++;
	return 0;
}

/* LPM tries have no batch commands: the same calls work key by key. */
static void batch_fallback(void **state)
{
	struct fixture *f = *state;
	struct ember_table *t = f->trie;
	struct lpm_key keys[64], out_keys[64];
	uint64_t vals[64], out_vals[64];
	size_t count = 64, i;
	int n = 0;

	for (i = 0; i < 64; i++) {
		keys[i].prefixlen = 32;
		keys[i].addr = (uint32_t)(0x0a000000 + i);
		vals[i] = keys[i].addr + 1;
	}
	assert_int_equal(ember_table_update_batch(t, keys, vals, &count, NULL),
			 0);
	assert_int_equal(count, 64);
	assert_int_equal(ember_table_foreach(t, on_lpm, &n, NULL), 64);
	assert_int_equal(n, 64);
	count = 64;
	assert_int_equal(
		ember_table_lookup_batch(t, out_keys, out_vals, &count, NULL),
		0);
	assert_int_equal(count, 64);
	for (i = 0; i < count; i++)
		assert_int_equal(out_vals[i], out_keys[i].addr + 1);
	count = 10;
	assert_int_equal(
		ember_table_lookup_batch(t, out_keys, out_vals, &count, NULL),
		-ENOSPC);
	count = 16;
	assert_int_equal(ember_table_delete_batch(t, keys, &count, NULL), 0);
	assert_int_equal(count, 16);
	count = 20;
	assert_int_equal(ember_table_lookup_and_delete_batch(
				 t, out_keys, out_vals, &count, NULL),
			 -ENOSPC);
	assert_int_equal(count, 20);
	count = 64;
	assert_int_equal(
		ember_table_lookup_batch(t, out_keys, out_vals, &count, NULL),
		0);
	assert_int_equal(count, 28);
	assert_int_equal(ember_table_clear(t), 0);
	n = 0;
	assert_int_equal(ember_table_foreach(t, on_lpm, &n, NULL), 0);
}

/* Queues have no keys: push, peek, pop and clear with key NULL. */
static void queue_without_keys(void **state)
{
	struct fixture *f = *state;
	struct ember_table *q = f->fifo;
	uint32_t v, i;

	assert_int_equal(ember_table_key_size(q), 0);
	assert_string_equal(ember_table_kind(q), "queue");
	for (i = 1; i <= 3; i++)
		assert_int_equal(ember_table_update(q, NULL, &i, EMBER_ANY), 0);
	assert_int_equal(ember_table_lookup(q, NULL, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ember_table_lookup_and_delete(q, NULL, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ember_table_lookup_and_delete(q, NULL, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(ember_table_clear(q), 0);
	assert_int_equal(ember_table_lookup(q, NULL, &v), -ENOENT);
	assert_int_equal(ember_table_foreach(q, on_entry, NULL, NULL),
			 -EOPNOTSUPP);
}

/* The per-key paths, forced on a table that has batch commands. */
static void batch_per_key(void **state)
{
	struct fixture *f = *state;
	struct ember_table *t = f->counts;
	struct ember_batch_opts pk = { .sz = sizeof(pk), .no_batch = true };
	uint32_t keys[50], out_keys[50], i;
	uint64_t vals[50], out_vals[50];
	size_t count = 50;

	assert_int_equal(ember_table_clear(t), 0);
	for (i = 0; i < 50; i++) {
		keys[i] = i + 1;
		vals[i] = i + 1;
	}
	assert_int_equal(ember_table_update_batch(t, keys, vals, &count, &pk),
			 0);
	assert_int_equal(count, 50);
	count = 20;
	/* key by key, exactly as many as asked */
	assert_int_equal(
		ember_table_lookup_batch(t, out_keys, out_vals, &count, &pk),
		-ENOSPC);
	assert_int_equal(count, 20);
	for (i = 0; i < 20; i++)
		assert_int_equal(out_vals[i], out_keys[i]);
	count = 20;
	assert_int_equal(ember_table_lookup_and_delete_batch(
				 t, out_keys, out_vals, &count, &pk),
			 -ENOSPC);
	assert_int_equal(count, 20);
	count = 50;
	assert_int_equal(
		ember_table_lookup_batch(t, out_keys, out_vals, &count, &pk),
		0);
	assert_int_equal(count, 30);
	count = 30;
	assert_int_equal(ember_table_delete_batch(t, out_keys, &count, &pk), 0);
	count = 50;
	assert_int_equal(
		ember_table_lookup_batch(t, out_keys, out_vals, &count, &pk),
		0);
	assert_int_equal(count, 0);
}

/* A table and a program that does nothing (the probe gives the rewriter
 * something to do). */
static const char small_program[] = "struct {\n"
				    "\t__uint(type, BPF_MAP_TYPE_HASH);\n"
				    "\t__type(key, u32);\n"
				    "\t__type(value, u32);\n"
				    "\t__uint(max_entries, 4);\n"
				    "} h SEC(\".maps\");\n"
				    "RAW_TRACEPOINT_PROBE(sys_enter)\n"
				    "{\n"
				    "\treturn 0;\n"
				    "}\n";

static void not_loaded(void **state)
{
	struct ember_module *m;
	struct ember_table *t;

	(void)state;
	assert_int_equal(ember_module_compile(small_program, NULL, &m), 0);
	assert_int_equal(ember_module_table(m, "h", &t), -ENODEV);
	assert_int_equal(ember_module_table_cnt(m), 0);
	assert_int_equal(ember_module_load(m), 0);
	assert_int_equal(ember_module_table_cnt(m), 1);
	assert_int_equal(ember_module_table(m, "h", &t), 0);
	ember_module_free(m);
}

/* Modules freed and made again (possibly at the same addresses) get tables
 * of their own. */
static void modules_come_and_go(void **state)
{
	struct ember_module *m;
	struct ember_table *t;
	uint32_t k = 1, v;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_int_equal(ember_module_new(small_program, NULL, &m), 0);
		assert_int_equal(ember_module_table(m, "h", &t), 0);
		assert_int_equal(ember_table_lookup(t, &k, &v), -ENOENT);
		v = (uint32_t)i;
		assert_int_equal(ember_table_update(t, &k, &v, EMBER_ANY), 0);
		ember_module_free(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finding_tables),
		cmocka_unit_test(counted_by_the_program),
		cmocka_unit_test(element_operations),
		cmocka_unit_test(percpu_values),
		cmocka_unit_test(iterate_and_batch),
		cmocka_unit_test(batch_flags_and_clear),
		cmocka_unit_test(batch_fallback),
		cmocka_unit_test(batch_per_key),
		cmocka_unit_test(queue_without_keys),
	};
	const struct CMUnitTest alone[] = {
		cmocka_unit_test(not_loaded),
		cmocka_unit_test(modules_come_and_go),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, setup, teardown) |
	       cmocka_run_group_tests(alone, NULL, NULL);
}
