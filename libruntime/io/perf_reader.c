// SPDX-License-Identifier: MIT
/*
 * Perf buffer reader over a BPF_PERF_EVENT_ARRAY table: libbpf's
 * perf_buffer does the per-CPU perf events, mmaps and epoll; this file adds
 * the wake-up policy, delivered/lost counters and ember's errors.
 *
 * A wake-up per event (BCC's wakeup_events=1) costs the program an
 * irq_work self-interrupt each time, ~10-20 us here: 0.05-0.1M events/s is
 * then all a producer can send. By default the kernel wakes the reader only
 * when a CPU's buffer is a quarter full, and a timer makes the reader's fd
 * readable every LATENCY_MS so that fewer events still arrive promptly.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "error.h"
#include "opts.h"
#include "loader/module.h"

#define DEFAULT_PAGE_CNT 64
/* The longest an event waits in a buffer its CPU has not filled to the
 * wake-up mark; documented in output.h. */
#define LATENCY_MS 10

struct ember_perf_reader {
	struct perf_buffer *pb;
	/* Our own duplicate of the table's fd: libbpf clears the table's
	 * slots through it when the buffer is freed, which must not hit
	 * whatever fd number the module's closed fd was reused for. */
	int map_fd;
	ember_perf_sample_fn sample;
	ember_perf_lost_fn lost;
	void *ctx;
	/* wakeup_events != 1: the kernel does not wake the reader for every
	 * event; timer_fd ticks every LATENCY_MS and epoll_fd (ours) waits
	 * for it or libbpf's epoll. Otherwise both are -1. */
	int timer_fd;
	int epoll_fd;
	uint64_t delivered;
	uint64_t lost_cnt;
	/* Every CPU's buffer, to give back each record's space as soon as it
	 * is read (see release()). */
	struct region *regions;
	size_t regions_cnt;
	size_t last; /* the region of the last record */
};

struct region {
	struct perf_event_mmap_page *hdr;
	const char *data;
	size_t size;
};

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct ember_perf_reader *r = ctx;

	r->delivered++;
	if (r->sample)
		r->sample(r->ctx, cpu, data, size);
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	struct ember_perf_reader *r = ctx;

	r->lost_cnt += cnt;
	if (r->lost)
		r->lost(r->ctx, cpu, cnt);
}

/* Records as the kernel writes them for PERF_SAMPLE_RAW. */
struct raw_sample {
	struct perf_event_header header;
	__u32 size;
	char data[];
};

struct lost_record {
	struct perf_event_header header;
	__u64 id;
	__u64 lost;
};

/* perf_buffer__new_raw's callback: perf_buffer__new cannot set the
 * wake-up policy. */
/*
 * Give the program the space of record e, read: libbpf moves the buffer's
 * tail only after its whole batch, so while a slow callback (Python's)
 * works through a full buffer the program would find no room and lose
 * events. The tail goes to just past e, wherever libbpf's pass began; a
 * record that wrapped around is a copy outside the buffer and is given back
 * with the next one (or by libbpf at the end of its pass, which writes the
 * same tail).
 */
static void release(struct ember_perf_reader *r,
		    const struct perf_event_header *e)
{
	const char *p = (const char *)e;
	size_t i;

	for (i = 0; i < r->regions_cnt; i++) {
		size_t k = (r->last + i) % r->regions_cnt;
		struct region *g = &r->regions[k];
		__u64 tail, off;

		if (p < g->data || p >= g->data + g->size)
			continue;
		tail = __atomic_load_n(&g->hdr->data_tail, __ATOMIC_RELAXED);
		off = (__u64)(p - g->data);
		tail += (off + g->size - tail % g->size) % g->size + e->size;
		__atomic_store_n(&g->hdr->data_tail, tail, __ATOMIC_RELEASE);
		r->last = k;
		return;
	}
}

static enum bpf_perf_event_ret on_raw(void *ctx, int cpu,
				      struct perf_event_header *e)
{
	if (e->type == PERF_RECORD_SAMPLE) {
		struct raw_sample *s = (struct raw_sample *)e;

		on_sample(ctx, cpu, s->data, s->size);
	} else if (e->type == PERF_RECORD_LOST) {
		on_lost(ctx, cpu, ((struct lost_record *)e)->lost);
	}
	release(ctx, e);
	return LIBBPF_PERF_EVENT_CONT;
}

/* The mmap of every CPU's buffer (data after the header page); -ENOMEM. */
static int map_regions(struct ember_perf_reader *r)
{
	size_t i, n = perf_buffer__buffer_cnt(r->pb);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	r->regions = calloc(n ? n : 1, sizeof(*r->regions));
	if (!r->regions)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		void *base;
		size_t size;

		/* a possible CPU that was offline has no buffer: no region */
		if (perf_buffer__buffer(r->pb, (int)i, &base, &size))
			continue;
		r->regions[i].hdr = base;
		r->regions[i].data = (const char *)base + page;
		r->regions[i].size = size;
	}
	r->regions_cnt = n;
	return 0;
}

/*
 * The perf event attributes of every CPU's buffer: a wake-up per
 * wakeup_events events, or (0) when a quarter of the buffer is written.
 */
static void wakeup_policy(struct perf_event_attr *attr, size_t page_cnt,
			  unsigned int wakeup_events)
{
	if (wakeup_events) {
		attr->wakeup_events = wakeup_events;
		return;
	}
	attr->watermark = 1;
	attr->wakeup_watermark =
		(__u32)(page_cnt * (size_t)sysconf(_SC_PAGESIZE) / 4);
}

/* Our epoll over libbpf's and a timer ticking every LATENCY_MS; sets the
 * message. */
static int latency_timer(struct ember_perf_reader *r, const char *table)
{
	struct itimerspec its = {
		.it_interval.tv_nsec = LATENCY_MS * 1000000L,
		.it_value.tv_nsec = LATENCY_MS * 1000000L,
	};
	struct epoll_event ev = { .events = EPOLLIN };

	r->timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (r->timer_fd < 0 || r->epoll_fd < 0 ||
	    timerfd_settime(r->timer_fd, 0, &its, NULL) ||
	    epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, r->timer_fd, &ev) ||
	    epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, perf_buffer__epoll_fd(r->pb),
		      &ev))
		return ember__error(errno,
				    "perf buffer of table '%s': timer: %s",
				    table, strerror(errno));
	return 0;
}

int ember_perf_reader_new(struct ember_module *m, const char *table,
			  ember_perf_sample_fn sample, ember_perf_lost_fn lost,
			  void *ctx, const struct ember_perf_reader_opts *opts,
			  struct ember_perf_reader **out)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_period = 1,
		.sample_type = PERF_SAMPLE_RAW,
	};
	struct ember_perf_reader_opts o;
	struct ember_perf_reader *r;
	int fd, err;

	if (!m || !table || !out)
		return ember__error(EINVAL, "ember_perf_reader_new: module, "
					    "table and out are required");
	err = EMBER_OPTS_COPY(o, opts, "ember_perf_reader_opts");
	if (err)
		return err;
	if (!o.page_cnt)
		o.page_cnt = DEFAULT_PAGE_CNT;
	if (o.page_cnt & (o.page_cnt - 1) || o.page_cnt > INT_MAX)
		return ember__error(EINVAL,
				    "perf buffer of table '%s': page_cnt %zu "
				    "is not a power of two",
				    table, o.page_cnt);
	err = ember__module_map_of_type(m, table, BPF_MAP_TYPE_PERF_EVENT_ARRAY,
					"perf output (BPF_PERF_OUTPUT)", &fd);
	if (err)
		return err;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ember__error(ENOMEM, "out of memory");
	r->sample = sample;
	r->lost = lost;
	r->ctx = ctx;
	r->timer_fd = r->epoll_fd = -1;
	r->map_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (r->map_fd < 0) {
		err = ember__error(errno, "table '%s': dup: %s", table,
				   strerror(errno));
		free(r);
		return err;
	}
	wakeup_policy(&attr, o.page_cnt, o.wakeup_events);
	r->pb = perf_buffer__new_raw(r->map_fd, o.page_cnt, &attr, on_raw, r,
				     NULL);
	if (!r->pb) {
		err = errno ? errno : EINVAL;
		ember__error(err,
			     "perf buffer of table '%s' (%zu pages per "
			     "CPU): %s%s",
			     table, o.page_cnt, strerror(err),
			     err == EPERM || err == EACCES
				     ? " (perf events need CAP_PERFMON or "
				       "CAP_SYS_ADMIN)"
				     : "");
		ember_perf_reader_free(r);
		return -err;
	}
	err = map_regions(r);
	if (err) {
		ember__error(-err, "perf buffer of table '%s': %s", table,
			     strerror(-err));
		ember_perf_reader_free(r);
		return err;
	}
	if (o.wakeup_events != 1) {
		err = latency_timer(r, table);
		if (err) {
			ember_perf_reader_free(r);
			return err;
		}
	}
	*out = r;
	return 0;
}

static int result(struct ember_perf_reader *r, int err, uint64_t before,
		  const char *what)
{
	uint64_t n = r->delivered - before;

	if (err < 0)
		return ember__error(-err, "perf buffer %s: %s", what,
				    strerror(-err));
	return n > INT_MAX ? INT_MAX : (int)n;
}

/* Every buffer, and the timer's ticks so far (its fd is readable until
 * they are read). */
static int consume_all(struct ember_perf_reader *r)
{
	uint64_t ticks;

	if (r->timer_fd >= 0 && read(r->timer_fd, &ticks, sizeof(ticks)) < 0 &&
	    errno != EAGAIN)
		return -errno;
	return perf_buffer__consume(r->pb);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait for the kernel's wake-up or the timer's tick, then read every
 * buffer: a tick finds the events short of the wake-up mark. Until events
 * come or the timeout passes.
 */
static int poll_batched(struct ember_perf_reader *r, int timeout_ms)
{
	int64_t end = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	uint64_t before = r->delivered;
	struct epoll_event ev;
	int n, err;

	for (;;) {
		n = epoll_wait(r->epoll_fd, &ev, 1, timeout_ms);
		if (n < 0)
			return -errno;
		if (n > 0) {
			err = consume_all(r);
			if (err < 0)
				return err;
		}
		if (r->delivered != before || !timeout_ms)
			return 0;
		if (timeout_ms > 0) {
			int64_t left = end - now_ms();

			if (left <= 0)
				return 0;
			timeout_ms = (int)left;
		}
	}
}

int ember_perf_reader_poll(struct ember_perf_reader *r, int timeout_ms)
{
	uint64_t before;

	if (!r)
		return ember__error(EINVAL,
				    "ember_perf_reader_poll: no reader");
	before = r->delivered;
	return result(r,
		      r->epoll_fd >= 0 ? poll_batched(r, timeout_ms)
				       : perf_buffer__poll(r->pb, timeout_ms),
		      before, "poll");
}

int ember_perf_reader_consume(struct ember_perf_reader *r)
{
	uint64_t before;

	if (!r)
		return ember__error(EINVAL,
				    "ember_perf_reader_consume: no reader");
	before = r->delivered;
	return result(r, consume_all(r), before, "consume");
}

int ember_perf_reader_fd(const struct ember_perf_reader *r)
{
	if (!r)
		return ember__error(EINVAL, "ember_perf_reader_fd: no reader");
	return r->epoll_fd >= 0 ? r->epoll_fd : perf_buffer__epoll_fd(r->pb);
}

int ember_perf_reader_stats(const struct ember_perf_reader *r,
			    struct ember_perf_reader_stats *st)
{
	struct ember_perf_reader_stats s = { .sz = sizeof(s) };

	if (!r)
		return ember__error(EINVAL,
				    "ember_perf_reader_stats: reader is NULL");
	s.delivered = r->delivered;
	s.lost = r->lost_cnt;
	return ember__opts_out(st, &s, sizeof(s), "ember_perf_reader_stats");
}

void ember_perf_reader_free(struct ember_perf_reader *r)
{
	if (!r)
		return;
	perf_buffer__free(r->pb);
	if (r->epoll_fd >= 0)
		close(r->epoll_fd);
	if (r->timer_fd >= 0)
		close(r->timer_fd);
	close(r->map_fd);
	free(r->regions);
	free(r);
}
