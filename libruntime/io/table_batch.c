// SPDX-License-Identifier: MIT
/*
 * Operations over many entries: iteration, the kernel's batch commands with
 * a per-key fallback, clear and zero.
 *
 * Reading (foreach, lookup_batch, lookup_and_delete_batch, clear) goes
 * through one reader that fills chunks of keys and values either with
 * BPF_MAP_LOOKUP(_AND_DELETE)_BATCH or, where the kernel has no batch command
 * for the map type, with get_next_key + lookup (+ delete) per key.
 */
#include "io/table_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "error.h"
#include "opts.h"

/* Entries per batch system call when iterating. */
#define DEFAULT_CHUNK 8192u
/* Entries handed to the kernel per update/delete batch call. */
#define MAX_WRITE_CHUNK (1u << 20)

/* Remember a command the map type lacks; -EINVAL may also mean bad
 * arguments, so only the unambiguous answers are remembered. */
static void note_unsupported(struct ember_table *t, unsigned int op, int err)
{
	if (err != -EINVAL)
		t->no_batch |= op;
}

struct reader {
	struct ember_table *t;
	bool del; /* remove what is read */
	bool per_key; /* no batch command: get_next_key + lookup */
	bool started;
	bool done;
	uint64_t elem_flags;
	/* batch: the kernel's position tokens (a key's size for arrays) */
	void *in_tok, *out_tok;
	/* per key: the next key to read, valid when started && !done */
	void *cur, *next;
};

static int reader_init(struct reader *r, struct ember_table *t, bool del,
		       bool no_batch, uint64_t elem_flags)
{
	size_t tok = t->key_size > 8 ? t->key_size : 8;
	unsigned int op =
		del ? EMBER__BATCH_LOOKUP_AND_DELETE : EMBER__BATCH_LOOKUP;

	memset(r, 0, sizeof(*r));
	r->t = t;
	r->del = del;
	r->elem_flags = elem_flags;
	r->per_key = no_batch || (t->no_batch & op);
	r->in_tok = calloc(4, tok);
	if (!r->in_tok)
		return ember__error(ENOMEM, "out of memory");
	r->out_tok = (char *)r->in_tok + tok;
	r->cur = (char *)r->in_tok + 2 * tok;
	r->next = (char *)r->in_tok + 3 * tok;
	return 0;
}

static void reader_fini(struct reader *r)
{
	free(r->in_tok);
}

/* Per key: up to cap entries. Missing lookups (entries removed under us, or
 * fd arrays' empty slots) are skipped. */
static int read_per_key(struct reader *r, char *keys, char *values, size_t cap,
			size_t *got)
{
	struct ember_table *t = r->t;
	size_t n = 0;
	int err;

	if (!r->started) {
		r->started = true;
		err = bpf_map_get_next_key(t->fd, NULL, r->cur);
		if (err == -ENOENT)
			r->done = true;
		else if (err)
			return err;
	}
	while (!r->done && n < cap) {
		char *k = keys + n * t->key_size;
		char *v = values + n * t->value_buf_size;

		err = bpf_map_lookup_elem_flags(t->fd, r->cur, v,
						r->elem_flags);
		if (err && err != -ENOENT)
			return err;
		if (!err) {
			memcpy(k, r->cur, t->key_size);
			n++;
		}
		/* find the successor before the delete loses our place */
		err = bpf_map_get_next_key(t->fd, r->cur, r->next);
		if (err && err != -ENOENT)
			return err;
		if (err)
			r->done = true;
		if (r->del) {
			int d = bpf_map_delete_elem(t->fd, r->cur);

			if (d && d != -ENOENT)
				return d;
		}
		memcpy(r->cur, r->next, t->key_size);
	}
	*got = n;
	return 0;
}

/*
 * Read up to cap entries. Returns 0 (*got set; r->done when the table is
 * exhausted) or a negative errno; -ENOSPC when not even one kernel bucket
 * fits in cap.
 */
static int reader_read(struct reader *r, void *keys, void *values, size_t cap,
		       size_t *got)
{
	struct ember_table *t = r->t;
	LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = r->elem_flags);
	unsigned int op =
		r->del ? EMBER__BATCH_LOOKUP_AND_DELETE : EMBER__BATCH_LOOKUP;
	uint32_t count;
	int err;

	*got = 0;
	if (r->done || !cap)
		return 0;
	if (r->per_key)
		return read_per_key(r, keys, values, cap, got);
	count = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	if (r->del)
		err = bpf_map_lookup_and_delete_batch(
			t->fd, r->started ? r->in_tok : NULL, r->out_tok, keys,
			values, &count, &o);
	else
		err = bpf_map_lookup_batch(t->fd, r->started ? r->in_tok : NULL,
					   r->out_tok, keys, values, &count,
					   &o);
	/* an unsupported command fails before it reads anything (and
	 * leaves count as it was) */
	if (err && !r->started && ember__batch_unsupported(err)) {
		note_unsupported(t, op, err);
		r->per_key = true;
		return read_per_key(r, keys, values, cap, got);
	}
	if (err && err != -ENOENT)
		return err;
	*got = count;
	r->started = true;
	if (err == -ENOENT)
		r->done = true;
	else
		memcpy(r->in_tok, r->out_tok,
		       t->key_size > 8 ? t->key_size : 8);
	return 0;
}

/* After the caller's buffers filled: is anything left to read? Reads
 * nothing away (a plain lookup from the current position). */
static int reader_more(struct reader *r, bool *more)
{
	struct ember_table *t = r->t;
	LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = r->elem_flags);
	uint32_t count = 1;
	char *k, *v;
	int err;

	*more = false;
	if (r->done)
		return 0;
	if (r->per_key) {
		*more = true; /* r->cur holds a key not read yet */
		return 0;
	}
	k = malloc(t->key_size + t->value_buf_size + 1);
	if (!k)
		return -ENOMEM;
	v = k + t->key_size;
	err = bpf_map_lookup_batch(t->fd, r->started ? r->in_tok : NULL,
				   r->out_tok, k, v, &count, &o);
	free(k);
	if (err == -ENOSPC || (!err && count) || (err == -ENOENT && count))
		*more = true;
	else if (err && err != -ENOENT)
		return err;
	return 0;
}

/* ------------------------------------------------------------------ */

int ember_table_foreach(struct ember_table *t, ember_table_entry_fn fn,
			void *ctx, const struct ember_table_iter_opts *opts)
{
	struct ember_table_iter_opts o;
	struct reader r;
	size_t chunk, got, i, visited = 0;
	char *keys = NULL, *values;
	int err, stop = 0;

	if (!t || !fn)
		return ember__error(EINVAL, "foreach: table and callback "
					    "must not be NULL");
	err = EMBER_OPTS_COPY(o, opts, "ember_table_iter_opts");
	if (err)
		return err;
	if (ember__table_is_queue(t) || t->type == BPF_MAP_TYPE_RINGBUF)
		return ember__error(EOPNOTSUPP,
				    "table '%s': a %s table has no "
				    "keys to iterate",
				    t->name, t->kind);
	chunk = o.batch_size ? o.batch_size : DEFAULT_CHUNK;
	if (t->max_entries && chunk > t->max_entries)
		chunk = t->max_entries;
	err = reader_init(&r, t, false, o.no_batch, 0);
	if (err)
		return err;
	while (!r.done && !stop) {
		if (!keys) {
			keys = malloc(chunk *
				      (t->key_size + t->value_buf_size));
			if (!keys) {
				err = ember__error(ENOMEM, "out of memory");
				break;
			}
		}
		values = keys + chunk * t->key_size;
		err = reader_read(&r, keys, values, chunk, &got);
		if (err == -ENOSPC) {
			/* one hash bucket holds more than a chunk: grow */
			free(keys);
			keys = NULL;
			chunk *= 2;
			continue;
		}
		if (err) {
			err = ember__error(-err, "table '%s': iterate: %s",
					   t->name, strerror(-err));
			break;
		}
		for (i = 0; i < got && !stop; i++) {
			stop = fn(keys + i * t->key_size,
				  values + i * t->value_buf_size, ctx);
			visited++;
		}
	}
	free(keys);
	reader_fini(&r);
	if (err)
		return err;
	if (stop < 0)
		return stop;
	return visited > INT32_MAX ? INT32_MAX : (int)visited;
}

static int read_batch(struct ember_table *t, void *keys, void *values,
		      size_t *count, const struct ember_batch_opts *opts,
		      bool del)
{
	struct ember_batch_opts o;
	const char *what = del ? "lookup_and_delete_batch" : "lookup_batch";
	size_t cap, total = 0, got;
	struct reader r;
	bool more;
	int err;

	if (!t || !count || (*count && (!keys || !values)))
		return ember__error(EINVAL, "%s: NULL argument", what);
	err = EMBER_OPTS_COPY(o, opts, "ember_batch_opts");
	if (err)
		return err;
	if (del && ember__table_is_array(t))
		return ember__error(EOPNOTSUPP,
				    "table '%s': array elements cannot be "
				    "deleted (ember_table_clear() zeroes them)",
				    t->name);
	if (ember__table_is_queue(t) || t->type == BPF_MAP_TYPE_RINGBUF)
		return ember__error(EOPNOTSUPP,
				    "table '%s': a %s table has no "
				    "keys to read in batches",
				    t->name, t->kind);
	cap = *count;
	err = reader_init(&r, t, del, o.no_batch, o.elem_flags);
	if (err)
		return err;
	while (!err && !r.done && total < cap) {
		err = reader_read(&r, (char *)keys + total * t->key_size,
				  (char *)values + total * t->value_buf_size,
				  cap - total, &got);
		total += got;
	}
	if (err == -ENOSPC)
		err = 0; /* what is left did not fit; reported below */
	if (!err && !r.done) {
		err = reader_more(&r, &more);
		if (!err && more)
			err = -ENOSPC;
	}
	reader_fini(&r);
	*count = total;
	if (err == -ENOSPC)
		return ember__error(ENOSPC,
				    "table '%s': %s: %zu entries fit, "
				    "more remain",
				    t->name, what, total);
	if (err)
		return ember__error(-err, "table '%s': %s: %s", t->name, what,
				    strerror(-err));
	return 0;
}

int ember_table_lookup_batch(struct ember_table *t, void *keys, void *values,
			     size_t *count, const struct ember_batch_opts *opts)
{
	return read_batch(t, keys, values, count, opts, false);
}

int ember_table_lookup_and_delete_batch(struct ember_table *t, void *keys,
					void *values, size_t *count,
					const struct ember_batch_opts *opts)
{
	return read_batch(t, keys, values, count, opts, true);
}

/* update (values != NULL) or delete, *count entries, batch then per key. */
static int write_batch(struct ember_table *t, const char *keys,
		       const char *values, size_t *count,
		       const struct ember_batch_opts *opts)
{
	struct ember_batch_opts o;
	const char *what = values ? "update_batch" : "delete_batch";
	unsigned int op = values ? EMBER__BATCH_UPDATE : EMBER__BATCH_DELETE;
	size_t done = 0, n = *count;
	bool per_key;
	int err = 0;

	err = EMBER_OPTS_COPY(o, opts, "ember_batch_opts");
	if (err)
		return err;
	if (!values && ember__table_is_array(t))
		return ember__error(EOPNOTSUPP,
				    "table '%s': array elements cannot be "
				    "deleted (ember_table_clear() zeroes them)",
				    t->name);
	/* the kernel's batch update takes BPF_F_LOCK only */
	per_key = o.no_batch || (t->no_batch & op) ||
		  (values && (o.elem_flags & ~(uint64_t)BPF_F_LOCK));
	while (!per_key && done < n) {
		LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = o.elem_flags);
		uint32_t want = n - done > MAX_WRITE_CHUNK
					? MAX_WRITE_CHUNK
					: (uint32_t)(n - done),
			 c = want;

		if (values)
			err = bpf_map_update_batch(
				t->fd, keys + done * t->key_size,
				values + done * t->value_buf_size, &c, &bo);
		else
			err = bpf_map_delete_batch(
				t->fd, keys + done * t->key_size, &c, &bo);
		/* unsupported: refused before the first element, count
		 * untouched (a failure at element i reports count i) */
		if (err && done == 0 && (c == 0 || c == want) &&
		    ember__batch_unsupported(err)) {
			note_unsupported(t, op, err);
			per_key = true;
			err = 0;
			break;
		}
		done += c;
		if (err)
			break;
	}
	for (; per_key && done < n; done++) {
		const char *k = keys + done * t->key_size;

		err = values ? bpf_map_update_elem(
				       t->fd, k,
				       values + done * t->value_buf_size,
				       o.elem_flags)
			     : bpf_map_delete_elem(t->fd, k);
		if (err)
			break;
	}
	*count = done;
	if (err)
		return ember__error(-err, "table '%s': %s: %s after %zu of %zu",
				    t->name, what, strerror(-err), done, n);
	return 0;
}

int ember_table_update_batch(struct ember_table *t, const void *keys,
			     const void *values, size_t *count,
			     const struct ember_batch_opts *opts)
{
	if (!t || !count || (*count && (!keys || !values)))
		return ember__error(EINVAL, "update_batch: NULL argument");
	return write_batch(t, keys, values, count, opts);
}

int ember_table_delete_batch(struct ember_table *t, const void *keys,
			     size_t *count, const struct ember_batch_opts *opts)
{
	if (!t || !count || (*count && !keys))
		return ember__error(EINVAL, "delete_batch: NULL argument");
	return write_batch(t, keys, NULL, count, opts);
}

/* ------------------------------------------------------------------ */
/* clear and zero                                                      */

/* Every array index gets value (a zeroed value buffer), in chunks. */
static int fill_array(struct ember_table *t, const char *what)
{
	size_t chunk = t->max_entries < 4096 ? t->max_entries : 4096;
	uint32_t *keys, i, base;
	char *values;
	size_t n;
	int err = 0;

	keys = calloc(chunk ? chunk : 1, sizeof(*keys) + t->value_buf_size);
	if (!keys)
		return ember__error(ENOMEM, "out of memory");
	values = (char *)(keys + chunk);
	for (base = 0; !err && base < t->max_entries; base += chunk) {
		n = t->max_entries - base < chunk ? t->max_entries - base
						  : chunk;
		for (i = 0; i < n; i++)
			keys[i] = base + i;
		err = write_batch(t, (const char *)keys, values, &n, NULL);
	}
	free(keys);
	return err ? ember__error_prefix(-err, "%s", what) : 0;
}

/* All keys of the table into a malloc'd array (keys only: fd arrays cannot
 * be looked up from user space). */
static int collect_keys(struct ember_table *t, char **out, size_t *count)
{
	size_t cap = 64, n = 0;
	char *keys = malloc(cap * t->key_size), *grown;
	int err;

	if (!keys)
		return -ENOMEM;
	err = bpf_map_get_next_key(t->fd, NULL, keys);
	while (!err) {
		n++;
		if (n == cap) {
			cap *= 2;
			grown = realloc(keys, cap * t->key_size);
			if (!grown) {
				free(keys);
				return -ENOMEM;
			}
			keys = grown;
		}
		err = bpf_map_get_next_key(t->fd, keys + (n - 1) * t->key_size,
					   keys + n * t->key_size);
	}
	if (err != -ENOENT) {
		free(keys);
		return err;
	}
	*out = keys;
	*count = n;
	return 0;
}

static bool has_no_elements(const struct ember_table *t)
{
	switch ((int)t->type) {
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF:
	case BPF_MAP_TYPE_STRUCT_OPS:
	case BPF_MAP_TYPE_BLOOM_FILTER:
	case BPF_MAP_TYPE_SK_STORAGE:
	case BPF_MAP_TYPE_INODE_STORAGE:
	case BPF_MAP_TYPE_TASK_STORAGE:
	case EMBER_MAP_CGRP_STORAGE: /* newer than our uapi headers */
	case BPF_MAP_TYPE_CGROUP_STORAGE:
	case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
		return true;
	default:
		return false;
	}
}

static int clear_queue(struct ember_table *t)
{
	char *v = malloc(t->value_buf_size ? t->value_buf_size : 1);
	int err;

	if (!v)
		return ember__error(ENOMEM, "out of memory");
	do
		err = bpf_map_lookup_and_delete_elem(t->fd, NULL, v);
	while (!err);
	free(v);
	if (err != -ENOENT)
		return ember__error(-err, "table '%s': clear: %s", t->name,
				    strerror(-err));
	return 0;
}

/*
 * Hash tables: read and delete in batches, one pass over the buckets with
 * no list of keys gathered first (a get_next_key call per key made that
 * the larger half of clearing 100k entries). 1: the kernel has no such
 * batch for this map; the caller then deletes key by key.
 */
static int clear_hash_by_batches(struct ember_table *t)
{
	size_t chunk = DEFAULT_CHUNK, got;
	struct reader r;
	char *buf = NULL;
	int err;

	switch (t->type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		break;
	default:
		return 1;
	}
	if (t->no_batch & EMBER__BATCH_LOOKUP_AND_DELETE)
		return 1;
	err = reader_init(&r, t, true, false, 0);
	if (err)
		return err;
	while (!r.done) {
		if (!buf) {
			buf = malloc(chunk * (t->key_size + t->value_buf_size));
			if (!buf) {
				err = -ENOMEM;
				break;
			}
		}
		err = reader_read(&r, buf, buf + chunk * t->key_size, chunk,
				  &got);
		if (err == -ENOSPC) {
			/* one bucket holds more than a chunk: grow */
			free(buf);
			buf = NULL;
			chunk *= 2;
			continue;
		}
		if (err || r.per_key)
			break;
	}
	/* refused before anything was read: fall back (noted for next time) */
	if (!err && r.per_key)
		err = 1;
	free(buf);
	reader_fini(&r);
	return err;
}

int ember_table_clear(struct ember_table *t)
{
	size_t n, i, done;
	char *keys;
	int err;

	if (!t)
		return ember__error(EINVAL, "clear: table is NULL");
	if (ember__table_is_array(t))
		return fill_array(t, "clear");
	if (ember__table_is_queue(t))
		return clear_queue(t);
	if (has_no_elements(t))
		return ember__error(EOPNOTSUPP,
				    "table '%s': a %s table cannot "
				    "be cleared from user space",
				    t->name, t->kind);
	err = clear_hash_by_batches(t);
	if (err <= 0)
		return err ? ember__error(-err, "table '%s': clear: %s",
					  t->name, strerror(-err))
			   : 0;
	err = collect_keys(t, &keys, &n);
	if (err)
		return ember__error(-err, "table '%s': clear: %s", t->name,
				    strerror(-err));
	/* batch delete (key by key where the kernel has none); a key the
	 * program deleted meanwhile stops it: go on from there one by one */
	done = n;
	err = write_batch(t, keys, NULL, &done, NULL);
	i = done;
	for (; err && i < n; i++) {
		int d = bpf_map_delete_elem(t->fd, keys + i * t->key_size);

		if (d && d != -ENOENT) {
			free(keys);
			return ember__error(-d, "table '%s': clear: %s",
					    t->name, strerror(-d));
		}
	}
	free(keys);
	return 0;
}

int ember_table_zero(struct ember_table *t)
{
	size_t n;
	char *keys, *values;
	int err;

	if (!t)
		return ember__error(EINVAL, "zero: table is NULL");
	if (ember__table_is_array(t))
		return fill_array(t, "zero");
	switch (t->type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_LPM_TRIE:
		break;
	default:
		return ember__error(EOPNOTSUPP,
				    "table '%s': values of a %s "
				    "table cannot be zeroed",
				    t->name, t->kind);
	}
	err = collect_keys(t, &keys, &n);
	if (err)
		return ember__error(-err, "table '%s': zero: %s", t->name,
				    strerror(-err));
	values = calloc(n ? n : 1, t->value_buf_size);
	if (!values) {
		free(keys);
		return ember__error(ENOMEM, "out of memory");
	}
	err = write_batch(t, keys, values, &n, NULL);
	free(values);
	free(keys);
	return err;
}
