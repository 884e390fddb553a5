// SPDX-License-Identifier: MIT
/*
 * Ring buffer reader: one libbpf ring_buffer (one epoll) over any number of
 * BPF_MAP_TYPE_RINGBUF tables, of one module or several.
 *
 * A ring buffer has no loss counter in the kernel: a full ring only makes
 * bpf_ringbuf_output() fail or bpf_ringbuf_reserve() return NULL. ember's
 * rewrite of ringbuf_output/ringbuf_reserve counts those failures in the
 * per-CPU array __ember_ringbuf_drops at the table's slot; the reader sums
 * that slot over CPUs so drops are reported, never silent.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "error.h"
#include "opts.h"
#include "loader/module.h"

/* Long enough to spare most wake-ups at millions of events a second, short
 * next to any poll timeout; a 64-page ring holds ~600 us of 72-byte events
 * at 6M/s. */
#define DEFAULT_BATCH_US 50

struct ring {
	struct ember_ring_reader *reader;
	char *table;
	__u32 map_id; /* the kernel's id: the same ring twice is refused */
	int map_fd; /* our duplicate: the reader may outlive the module */
	int drops_fd; /* duplicate of __ember_ringbuf_drops, or -1 */
	int slot; /* index in it, -1: the program does not count drops */
	ember_ring_sample_fn cb;
	void *ctx;
	uint64_t delivered;
};

struct ember_ring_reader {
	struct ring_buffer *rb;
	unsigned int batch_us; /* 0: read at once */
	struct ring *
		*rings; /* each allocated alone: libbpf keeps its address */
	size_t rings_cnt;
	uint64_t delivered;
};

/*
 * Where the program counts drops of ring table: the slot the compiler gave
 * a BPF_RINGBUF_OUTPUT, or for a ring declared in libbpf's form next to a
 * hand-written __ember_ringbuf_drops, slot 0 when it is the only ring (with
 * several, which slot is whose is unknown). -1: not counted.
 */
static int drop_slot(const struct ember_module *m, const char *table)
{
	const struct ember_table_decl *d = ember__module_table_decl(m, table);
	struct bpf_map *map;
	int rings = 0;

	if (d)
		return d->drop_slot;
	if (!ember__module_map(m, EMBER_RINGBUF_DROPS_MAP))
		return -1;
	bpf_object__for_each_map(map, m->obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF)
			rings++;
	return rings == 1 ? 0 : -1;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct ring *g = ctx;

	g->delivered++;
	g->reader->delivered++;
	return g->cb ? g->cb(g->ctx, data, size) : 0;
}

static void ring_free(struct ring *g)
{
	if (!g)
		return;
	if (g->map_fd >= 0)
		close(g->map_fd);
	if (g->drops_fd >= 0)
		close(g->drops_fd);
	free(g->table);
	free(g);
}

static int dup_fd(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/* A ring for table of m, with its fds duplicated; sets the message. */
static int ring_open(struct ember_module *m, const char *table,
		     ember_ring_sample_fn cb, void *ctx, struct ring **out)
{
	struct bpf_map_info info;
	__u32 info_len = sizeof(info);
	struct bpf_map *drops;
	struct ring *g;
	int fd, err;

	if (!m || !table)
		return ember__error(EINVAL, "ring reader: module and table "
					    "are required");
	err = ember__module_map_of_type(m, table, BPF_MAP_TYPE_RINGBUF,
					"ring buffer (BPF_RINGBUF_OUTPUT)",
					&fd);
	if (err)
		return err;
	g = calloc(1, sizeof(*g));
	if (!g)
		return ember__error(ENOMEM, "out of memory");
	g->map_fd = g->drops_fd = -1;
	g->cb = cb;
	g->ctx = ctx;
	g->table = strdup(table);
	g->map_fd = dup_fd(fd);
	if (!g->table || g->map_fd < 0) {
		int e = g->table ? errno : ENOMEM;

		err = ember__error(e, "table '%s': %s", table, strerror(e));
		goto fail;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(g->map_fd, &info, &info_len)) {
		err = ember__error(errno, "table '%s': map info: %s", table,
				   strerror(errno));
		goto fail;
	}
	g->map_id = info.id;
	g->slot = drop_slot(m, table);
	drops = g->slot >= 0 ? ember__module_map(m, EMBER_RINGBUF_DROPS_MAP)
			     : NULL;
	if (g->slot >= 0 && (!drops || bpf_map__fd(drops) < 0 ||
			     (g->drops_fd = dup_fd(bpf_map__fd(drops))) < 0)) {
		err = ember__error(drops ? errno : ENOENT,
				   "table '%s': the drop counter %s is "
				   "missing",
				   table, EMBER_RINGBUF_DROPS_MAP);
		goto fail;
	}
	if (g->slot < 0)
		ember__module_logf(m, EMBER_LOG_WARN,
				   "ring buffer '%s': the program does not "
				   "count what the ring has no room for; "
				   "drops will not be reported",
				   table);
	*out = g;
	return 0;
fail:
	ring_free(g);
	return err;
}

int ember_ring_reader_new(struct ember_module *m, const char *table,
			  ember_ring_sample_fn cb, void *ctx,
			  const struct ember_ring_reader_opts *opts,
			  struct ember_ring_reader **out)
{
	struct ember_ring_reader_opts o;
	struct ember_ring_reader *r;
	struct ring *g;
	int err;

	if (!out)
		return ember__error(EINVAL, "ember_ring_reader_new: out is "
					    "required");
	err = EMBER_OPTS_COPY(o, opts, "ember_ring_reader_opts");
	if (err)
		return err;
	if (o.batch_us > 1000000)
		return ember__error(EINVAL,
				    "ember_ring_reader_opts.batch_us "
				    "%d is over a second",
				    o.batch_us);
	r = calloc(1, sizeof(*r));
	if (!r)
		return ember__error(ENOMEM, "out of memory");
	if (o.batch_us > 0)
		r->batch_us = (unsigned int)o.batch_us;
	else if (o.batch_us == 0)
		r->batch_us = DEFAULT_BATCH_US;
	r->rings = calloc(1, sizeof(*r->rings));
	if (!r->rings) {
		free(r);
		return ember__error(ENOMEM, "out of memory");
	}
	err = ring_open(m, table, cb, ctx, &g);
	if (err) {
		free(r->rings);
		free(r);
		return err;
	}
	g->reader = r;
	r->rb = ring_buffer__new(g->map_fd, on_sample, g, NULL);
	if (!r->rb) {
		err = errno ? errno : EINVAL;
		ember__error(err, "ring buffer of table '%s': %s", table,
			     strerror(err));
		ring_free(g);
		free(r->rings);
		free(r);
		return -err;
	}
	r->rings[r->rings_cnt++] = g;
	*out = r;
	return 0;
}

int ember_ring_reader_add(struct ember_ring_reader *r, struct ember_module *m,
			  const char *table, ember_ring_sample_fn cb, void *ctx)
{
	struct ring *g, **nr;
	size_t i;
	int err;

	if (!r)
		return ember__error(EINVAL, "ember_ring_reader_add: no reader");
	err = ring_open(m, table, cb, ctx, &g);
	if (err)
		return err;
	for (i = 0; i < r->rings_cnt; i++) {
		if (r->rings[i]->map_id == g->map_id) {
			ring_free(g);
			return ember__error(EEXIST,
					    "ring buffer '%s' is already read "
					    "by this reader",
					    table);
		}
	}
	nr = realloc(r->rings, (r->rings_cnt + 1) * sizeof(*nr));
	if (!nr) {
		ring_free(g);
		return ember__error(ENOMEM, "out of memory");
	}
	r->rings = nr;
	g->reader = r;
	err = ring_buffer__add(r->rb, g->map_fd, on_sample, g);
	if (err < 0) {
		ring_free(g);
		return ember__error(-err, "ring buffer of table '%s': %s",
				    table, strerror(-err));
	}
	r->rings[r->rings_cnt++] = g;
	return 0;
}

static int result(struct ember_ring_reader *r, int err, uint64_t before,
		  const char *what)
{
	uint64_t n = r->delivered - before;

	if (err < 0)
		return ember__error(-err, "ring buffer %s: %s", what,
				    strerror(-err));
	return n > INT_MAX ? INT_MAX : (int)n;
}

int ember_ring_reader_poll(struct ember_ring_reader *r, int timeout_ms)
{
	struct epoll_event e;
	uint64_t before;
	int n;

	if (!r)
		return ember__error(EINVAL,
				    "ember_ring_reader_poll: no reader");
	before = r->delivered;
	if (!r->batch_us)
		return result(r, ring_buffer__poll(r->rb, timeout_ms), before,
			      "poll");
	/* Wait, then let events gather before reading: the program wakes
	 * the reader only for an event that finds the ring empty, so those
	 * arriving meanwhile cost it no wake-up. */
	n = epoll_wait(ring_buffer__epoll_fd(r->rb), &e, 1, timeout_ms);
	if (n < 0)
		return result(r, -errno, before, "poll");
	if (n > 0) {
		struct timespec ts = {
			.tv_sec = r->batch_us / 1000000,
			.tv_nsec = (long)(r->batch_us % 1000000) * 1000,
		};

		nanosleep(&ts, NULL);
	}
	return result(r, ring_buffer__consume(r->rb), before, "poll");
}

int ember_ring_reader_consume(struct ember_ring_reader *r)
{
	uint64_t before;

	if (!r)
		return ember__error(EINVAL,
				    "ember_ring_reader_consume: no reader");
	before = r->delivered;
	return result(r, ring_buffer__consume(r->rb), before, "consume");
}

int ember_ring_reader_fd(const struct ember_ring_reader *r)
{
	if (!r)
		return ember__error(EINVAL, "ember_ring_reader_fd: no reader");
	return ring_buffer__epoll_fd(r->rb);
}

/* Sum of the ring's drop counter over every possible CPU. */
static int read_drops(const struct ring *g, uint64_t *sum)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u32 key = (__u32)g->slot;
	uint64_t *v;

	if (ncpu <= 0)
		return ember__error(ncpu < 0 ? -ncpu : EINVAL,
				    "cannot count the possible CPUs");
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return ember__error(ENOMEM, "out of memory");
	if (bpf_map_lookup_elem(g->drops_fd, &key, v)) {
		int err = errno;

		free(v);
		return ember__error(err, "ring buffer '%s': reading %s[%d]: %s",
				    g->table, EMBER_RINGBUF_DROPS_MAP, g->slot,
				    strerror(err));
	}
	for (i = 0; i < ncpu; i++)
		*sum += v[i];
	free(v);
	return 0;
}

int ember_ring_reader_stats(const struct ember_ring_reader *r,
			    const char *table,
			    struct ember_ring_reader_stats *st)
{
	struct ember_ring_reader_stats s = { .sz = sizeof(s) };
	bool found = false;
	size_t i;
	int err;

	if (!r)
		return ember__error(EINVAL,
				    "ember_ring_reader_stats: reader is NULL");
	if (!st || st->sz < sizeof(st->sz))
		return ember__opts_out(st, &s, sizeof(s),
				       "ember_ring_reader_stats");
	for (i = 0; i < r->rings_cnt; i++) {
		const struct ring *g = r->rings[i];

		if (table && strcmp(g->table, table))
			continue;
		found = true;
		s.delivered += g->delivered;
		if (g->slot < 0) {
			s.uncounted++;
			continue;
		}
		err = read_drops(g, &s.dropped);
		if (err)
			return err;
	}
	if (!found)
		return ember__error(ENOENT, "the reader has no ring '%s'",
				    table);
	return ember__opts_out(st, &s, sizeof(s), "ember_ring_reader_stats");
}

void ember_ring_reader_free(struct ember_ring_reader *r)
{
	size_t i;

	if (!r)
		return;
	ring_buffer__free(r->rb);
	for (i = 0; i < r->rings_cnt; i++)
		ring_free(r->rings[i]);
	free(r->rings);
	free(r);
}
