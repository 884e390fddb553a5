// SPDX-License-Identifier: MIT
/*
 * Tables of a loaded module: finding them, what they are, and operations on
 * one element at a time. Whole-table and batch operations live in
 * table_batch.c, formatting in table_format.c.
 */
#include "io/table_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "error.h"
#include "io/btf_value.h"
#include "loader/module.h"

/* BCC's kind for tables declared in libbpf form, by map type. */
static const char *const kind_by_type[] = {
	[BPF_MAP_TYPE_HASH] = "hash",
	[BPF_MAP_TYPE_ARRAY] = "array",
	[BPF_MAP_TYPE_PROG_ARRAY] = "prog",
	[BPF_MAP_TYPE_PERF_EVENT_ARRAY] = "perf_output",
	[BPF_MAP_TYPE_PERCPU_HASH] = "percpu_hash",
	[BPF_MAP_TYPE_PERCPU_ARRAY] = "percpu_array",
	[BPF_MAP_TYPE_STACK_TRACE] = "stacktrace",
	[BPF_MAP_TYPE_CGROUP_ARRAY] = "cgroup_array",
	[BPF_MAP_TYPE_LRU_HASH] = "lru_hash",
	[BPF_MAP_TYPE_LRU_PERCPU_HASH] = "lru_percpu_hash",
	[BPF_MAP_TYPE_LPM_TRIE] = "lpm_trie",
	[BPF_MAP_TYPE_ARRAY_OF_MAPS] = "array_of_maps",
	[BPF_MAP_TYPE_HASH_OF_MAPS] = "hash_of_maps",
	[BPF_MAP_TYPE_DEVMAP] = "devmap",
	[BPF_MAP_TYPE_SOCKMAP] = "sockmap",
	[BPF_MAP_TYPE_CPUMAP] = "cpumap",
	[BPF_MAP_TYPE_XSKMAP] = "xskmap",
	[BPF_MAP_TYPE_SOCKHASH] = "sockhash",
	[BPF_MAP_TYPE_CGROUP_STORAGE] = "cgroup_storage",
	[BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE] = "percpu_cgroup_storage",
	[BPF_MAP_TYPE_QUEUE] = "queue",
	[BPF_MAP_TYPE_STACK] = "stack",
	[BPF_MAP_TYPE_SK_STORAGE] = "sk_storage",
	[BPF_MAP_TYPE_RINGBUF] = "ringbuf",
	[BPF_MAP_TYPE_INODE_STORAGE] = "inode_storage",
	[BPF_MAP_TYPE_TASK_STORAGE] = "task_storage",
};

static const char *kind_of(const struct ember_module *m,
			   const struct bpf_map *map)
{
	const struct ember_table_decl *d =
		ember__module_table_decl(m, bpf_map__name(map));
	enum bpf_map_type type = bpf_map__type(map);
	const char *s;

	if (d && d->kind)
		return d->kind;
	if (type == BPF_MAP_TYPE_STACK_TRACE &&
	    (bpf_map__map_flags(map) & BPF_F_STACK_BUILD_ID))
		return "stacktrace_buildid";
	if ((size_t)type < sizeof(kind_by_type) / sizeof(kind_by_type[0]) &&
	    kind_by_type[type])
		return kind_by_type[type];
	s = libbpf_bpf_map_type_str(type);
	return s ? s : "unknown";
}

static bool is_percpu_type(enum bpf_map_type type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/* libbpf's .rodata/.bss/... and ember's own bookkeeping are not tables. */
static bool is_user_table(const struct bpf_map *map)
{
	return !bpf_map__is_internal(map) &&
	       strncmp(bpf_map__name(map), "__ember", 7) != 0;
}

static int fill_table(struct ember_table *t, struct ember_module *m,
		      struct bpf_map *map, int ncpus)
{
	t->module = m;
	t->map = map;
	t->btf = ember__module_btf(m);
	t->name = bpf_map__name(map);
	t->kind = kind_of(m, map);
	t->type = bpf_map__type(map);
	t->key_size = bpf_map__key_size(map);
	t->value_size = bpf_map__value_size(map);
	t->max_entries = bpf_map__max_entries(map);
	t->map_flags = bpf_map__map_flags(map);
	t->key_type_id = bpf_map__btf_key_type_id(map);
	t->value_type_id = bpf_map__btf_value_type_id(map);
	t->fd = bpf_map__fd(map);
	t->ncpus = 1;
	t->stride = t->value_size;
	if (is_percpu_type(t->type)) {
		if (ncpus < 0)
			return ember__error(-ncpus,
					    "cannot count possible "
					    "CPUs: %s",
					    strerror(-ncpus));
		t->ncpus = ncpus;
		t->stride = (t->value_size + 7) & ~7u;
	}
	/* the kernel copies per-CPU values at an 8-byte stride, even for
	 * a single CPU */
	t->value_buf_size = (size_t)t->stride * t->ncpus;
	return 0;
}

/* The tables of m, built on first use. */
static int tables_of(struct ember_module *m, struct ember__table_set **out)
{
	struct ember__table_set *s;
	struct bpf_map *map;
	size_t n = 0;
	int err, ncpus = -EINVAL;

	if (!m->loaded || !m->obj)
		return ember__error(ENODEV,
				    "%s: tables exist once the module "
				    "is loaded",
				    m->name);
	if (m->tables) {
		*out = m->tables;
		return 0;
	}
	bpf_object__for_each_map(map, m->obj)
		if (is_user_table(map)) {
			n++;
			if (is_percpu_type(bpf_map__type(map)))
				ncpus = libbpf_num_possible_cpus();
		}
	s = calloc(1, sizeof(*s) + n * sizeof(s->tables[0]));
	if (!s)
		return ember__error(ENOMEM, "out of memory");
	bpf_object__for_each_map(map, m->obj) {
		if (!is_user_table(map))
			continue;
		err = fill_table(&s->tables[s->count++], m, map, ncpus);
		if (err) {
			free(s);
			return err;
		}
	}
	*out = m->tables = s;
	return 0;
}

/* The kernel's "operation not supported" (not in the uapi errno set). */
#define EMBER_ENOTSUPP 524

bool ember__batch_unsupported(int err)
{
	return err == -EINVAL || err == -EMBER_ENOTSUPP || err == -EOPNOTSUPP;
}

int ember_module_table(struct ember_module *m, const char *name,
		       struct ember_table **out)
{
	struct ember__table_set *s = NULL;
	char *names = NULL;
	size_t i, len = 0;
	int err;

	if (!m || !name || !out)
		return ember__error(EINVAL, "ember_module_table: module, name "
					    "and out must not be NULL");
	*out = NULL;
	err = tables_of(m, &s);
	for (i = 0; !err && i < s->count; i++)
		if (!strcmp(s->tables[i].name, name)) {
			*out = &s->tables[i];
			break;
		}
	if (!err && !*out) {
		/* say which tables there are: typos are the usual cause */
		for (i = 0; i < s->count; i++)
			len += strlen(s->tables[i].name) + 2;
		names = calloc(1, len + 1);
		for (i = 0; names && i < s->count; i++) {
			if (i)
				strcat(names, ", ");
			strcat(names, s->tables[i].name);
		}
		err = ember__error(ENOENT, "%s has no table '%s' (tables: %s)",
				   m->name, name,
				   s->count ? (names ? names : "?") : "none");
		free(names);
	}
	return err;
}

size_t ember_module_table_cnt(struct ember_module *m)
{
	struct ember__table_set *s;
	size_t n = 0;

	if (!m)
		return 0;
	if (!tables_of(m, &s))
		n = s->count;
	return n;
}

struct ember_table *ember_module_table_at(struct ember_module *m, size_t i)
{
	struct ember_table *t = NULL;
	struct ember__table_set *s;

	if (!m)
		return NULL;
	if (!tables_of(m, &s) && i < s->count)
		t = &s->tables[i];
	return t;
}

/* ------------------------------------------------------------------ */

const char *ember_table_name(const struct ember_table *t)
{
	return t ? t->name : NULL;
}

enum ember_map_type ember_table_type(const struct ember_table *t)
{
	return t ? (enum ember_map_type)t->type : EMBER_MAP_UNSPEC;
}

const char *ember_table_kind(const struct ember_table *t)
{
	return t ? t->kind : NULL;
}

const char *ember_map_type_name(enum ember_map_type type)
{
	return libbpf_bpf_map_type_str((enum bpf_map_type)type);
}

uint32_t ember_table_key_size(const struct ember_table *t)
{
	return t ? t->key_size : 0;
}

uint32_t ember_table_value_size(const struct ember_table *t)
{
	return t ? t->value_size : 0;
}

uint32_t ember_table_max_entries(const struct ember_table *t)
{
	return t ? t->max_entries : 0;
}

uint32_t ember_table_flags(const struct ember_table *t)
{
	return t ? t->map_flags : 0;
}

int ember_table_fd(const struct ember_table *t)
{
	return t ? t->fd : -EINVAL;
}

bool ember_table_is_percpu(const struct ember_table *t)
{
	return t && is_percpu_type(t->type);
}

uint32_t ember_table_ncpus(const struct ember_table *t)
{
	return t ? t->ncpus : 0;
}

uint32_t ember_table_percpu_stride(const struct ember_table *t)
{
	return t ? t->stride : 0;
}

size_t ember_table_value_buf_size(const struct ember_table *t)
{
	return t ? t->value_buf_size : 0;
}

const struct btf *ember_table_btf(const struct ember_table *t)
{
	return t ? t->btf : NULL;
}

uint32_t ember_table_key_type_id(const struct ember_table *t)
{
	return t ? t->key_type_id : 0;
}

uint32_t ember_table_value_type_id(const struct ember_table *t)
{
	return t ? t->value_type_id : 0;
}

bool ember__table_is_array(const struct ember_table *t)
{
	return t->type == BPF_MAP_TYPE_ARRAY ||
	       t->type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

bool ember__table_is_queue(const struct ember_table *t)
{
	return t->type == BPF_MAP_TYPE_QUEUE || t->type == BPF_MAP_TYPE_STACK;
}

/* ------------------------------------------------------------------ */
/* One element                                                         */

static int op_error(const struct ember_table *t, const char *op, int err)
{
	return ember__error(-err, "table '%s': %s: %s", t->name, op,
			    strerror(-err));
}

/* Keyless tables take key NULL; everything else needs one. */
static int check_key(const struct ember_table *t, const void *key,
		     const char *op)
{
	if (!t)
		return ember__error(EINVAL, "%s: table is NULL", op);
	if (!key && t->key_size)
		return ember__error(EINVAL, "table '%s': %s needs a key",
				    t->name, op);
	return 0;
}

int ember_table_lookup(struct ember_table *t, const void *key, void *value)
{
	int err = check_key(t, key, "lookup");

	if (err)
		return err;
	if (!value)
		return ember__error(EINVAL,
				    "table '%s': lookup needs a value "
				    "buffer",
				    t->name);
	err = bpf_map_lookup_elem(t->fd, key, value);
	return err ? op_error(t, "lookup", err) : 0;
}

int ember_table_update(struct ember_table *t, const void *key,
		       const void *value, uint64_t flags)
{
	int err = check_key(t, key, "update");

	if (err)
		return err;
	if (!value)
		return ember__error(EINVAL, "table '%s': update needs a value",
				    t->name);
	err = bpf_map_update_elem(t->fd, key, value, flags);
	return err ? op_error(t, "update", err) : 0;
}

int ember_table_delete(struct ember_table *t, const void *key)
{
	int err = check_key(t, key, "delete");
	void *zero;

	if (err)
		return err;
	if (ember__table_is_array(t)) {
		/* arrays keep every index: zero it, as BCC's Array does */
		zero = calloc(1, t->value_buf_size);
		if (!zero)
			return ember__error(ENOMEM, "out of memory");
		err = bpf_map_update_elem(t->fd, key, zero, BPF_ANY);
		free(zero);
		return err ? op_error(t, "delete (zero)", err) : 0;
	}
	err = bpf_map_delete_elem(t->fd, key);
	return err ? op_error(t, "delete", err) : 0;
}

static bool is_hash(enum bpf_map_type type)
{
	return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

int ember_table_lookup_and_delete(struct ember_table *t, const void *key,
				  void *value)
{
	int err = check_key(t, key, "lookup_and_delete");
	void *scratch = NULL;

	if (err)
		return err;
	if (!value) {
		scratch = malloc(t->value_buf_size ? t->value_buf_size : 1);
		if (!scratch)
			return ember__error(ENOMEM, "out of memory");
	}
	err = bpf_map_lookup_and_delete_elem(t->fd, key,
					     value ? value : scratch);
	if (ember__batch_unsupported(err) && key && is_hash(t->type)) {
		/* Hash tables have it since Linux 5.14: before, a lookup
		 * then a delete (as BCC's pop does); ENOENT from the delete
		 * means another reader took the element first. */
		err = bpf_map_lookup_elem(t->fd, key, value ? value : scratch);
		if (!err)
			err = bpf_map_delete_elem(t->fd, key);
	}
	free(scratch);
	if (ember__batch_unsupported(err))
		return ember__error(EOPNOTSUPP,
				    "table '%s': the kernel cannot look up "
				    "and delete in one step in a %s table",
				    t->name, t->kind);
	return err ? op_error(t, "lookup_and_delete", err) : 0;
}

int ember_table_next_key(struct ember_table *t, const void *key, void *next_key)
{
	int err;

	if (!t || !next_key)
		return ember__error(EINVAL, "next_key: table and next_key "
					    "must not be NULL");
	err = bpf_map_get_next_key(t->fd, key, next_key);
	if (err == -ENOENT)
		return ember__error(ENOENT, "table '%s': no more keys",
				    t->name);
	return err ? op_error(t, "next_key", err) : 0;
}

/* ------------------------------------------------------------------ */
/* Per-CPU values                                                      */

static int percpu_fold(const struct ember_table *t, const void *values,
		       uint64_t *out, bool max)
{
	uint64_t acc = 0, v;
	uint32_t cpu;

	if (!t || !values || !out)
		return ember__error(EINVAL, "per-CPU sum: NULL argument");
	for (cpu = 0; cpu < t->ncpus; cpu++) {
		if (!ember__read_uint((const char *)values +
					      (size_t)cpu * t->stride,
				      t->value_size, &v))
			return ember__error(EINVAL,
					    "table '%s': a %u-byte value is "
					    "not an integer to add up",
					    t->name, t->value_size);
		acc = max ? (v > acc ? v : acc) : acc + v;
	}
	*out = acc;
	return 0;
}

int ember_table_percpu_sum(const struct ember_table *t, const void *values,
			   uint64_t *sum)
{
	return percpu_fold(t, values, sum, false);
}

int ember_table_percpu_max(const struct ember_table *t, const void *values,
			   uint64_t *max)
{
	return percpu_fold(t, values, max, true);
}

/* ------------------------------------------------------------------ */
/* Stack traces                                                        */

int ember_table_stack(struct ember_table *t, int64_t stack_id, uint64_t *ips,
		      size_t max)
{
	uint64_t *frames;
	uint32_t id, depth, i;
	int err;

	if (!t || (!ips && max))
		return ember__error(EINVAL, "stack: NULL argument");
	if (t->type != BPF_MAP_TYPE_STACK_TRACE)
		return ember__error(EINVAL,
				    "table '%s' is a %s table, not a "
				    "stack trace table",
				    t->name, t->kind);
	if (t->map_flags & BPF_F_STACK_BUILD_ID)
		return ember__error(EINVAL,
				    "table '%s' holds build ids and "
				    "offsets, not addresses",
				    t->name);
	if (stack_id < 0 || stack_id > UINT32_MAX)
		return ember__error(EINVAL,
				    "stack id %lld is not a stack: "
				    "get_stackid failed in the "
				    "program (%s)",
				    (long long)stack_id,
				    strerror((int)-stack_id));
	id = (uint32_t)stack_id;
	depth = t->value_size / sizeof(uint64_t);
	frames = calloc(depth ? depth : 1, sizeof(*frames));
	if (!frames)
		return ember__error(ENOMEM, "out of memory");
	err = bpf_map_lookup_elem(t->fd, &id, frames);
	if (err) {
		free(frames);
		if (err == -ENOENT)
			return ember__error(ENOENT,
					    "table '%s' has no stack "
					    "%u",
					    t->name, id);
		return op_error(t, "stack lookup", err);
	}
	for (i = 0; i < depth && frames[i]; i++)
		if (i < max)
			ips[i] = frames[i];
	free(frames);
	return (int)(i < max ? i : max);
}
