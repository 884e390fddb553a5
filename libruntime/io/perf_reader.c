// SPDX-License-Identifier: MIT
/*
 * Perf buffer reader over a BPF_PERF_EVENT_ARRAY table: libbpf's
 * perf_buffer does the per-CPU perf events, mmaps and epoll; this file adds
 * BCC's defaults, delivered/lost counters and ember's errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "error.h"
#include "opts.h"
#include "loader/module.h"

#define DEFAULT_PAGE_CNT 64

struct ember_perf_reader {
	struct perf_buffer *pb;
	/* Our own duplicate of the table's fd: libbpf clears the table's
	 * slots through it when the buffer is freed, which must not hit
	 * whatever fd number the module's closed fd was reused for. */
	int map_fd;
	ember_perf_sample_fn sample;
	ember_perf_lost_fn lost;
	void *ctx;
	bool batched; /* wakeup_events > 1: no wake-up for the last events */
	uint64_t delivered;
	uint64_t lost_cnt;
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

/* perf_buffer__new_raw's callback: only used when wakeup_events > 1,
 * which perf_buffer__new cannot set. */
static enum bpf_perf_event_ret on_raw(void *ctx, int cpu,
				      struct perf_event_header *e)
{
	if (e->type == PERF_RECORD_SAMPLE) {
		struct raw_sample *s = (struct raw_sample *)e;

		on_sample(ctx, cpu, s->data, s->size);
	} else if (e->type == PERF_RECORD_LOST) {
		on_lost(ctx, cpu, ((struct lost_record *)e)->lost);
	}
	return LIBBPF_PERF_EVENT_CONT;
}

int ember_perf_reader_new(struct ember_module *m, const char *table,
			  ember_perf_sample_fn sample, ember_perf_lost_fn lost,
			  void *ctx, const struct ember_perf_reader_opts *opts,
			  struct ember_perf_reader **out)
{
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
	r->batched = o.wakeup_events > 1;
	r->map_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (r->map_fd < 0) {
		err = ember__error(errno, "table '%s': dup: %s", table,
				   strerror(errno));
		free(r);
		return err;
	}
	if (o.wakeup_events > 1) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = PERF_COUNT_SW_BPF_OUTPUT,
			.sample_period = 1,
			.sample_type = PERF_SAMPLE_RAW,
			.wakeup_events = o.wakeup_events,
		};

		r->pb = perf_buffer__new_raw(r->map_fd, o.page_cnt, &attr,
					     on_raw, r, NULL);
	} else {
		r->pb = perf_buffer__new(r->map_fd, o.page_cnt, on_sample,
					 on_lost, r, NULL);
	}
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
		close(r->map_fd);
		free(r);
		return -err;
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

int ember_perf_reader_poll(struct ember_perf_reader *r, int timeout_ms)
{
	uint64_t before;

	if (!r)
		return ember__error(EINVAL,
				    "ember_perf_reader_poll: no reader");
	before = r->delivered;
	return result(r, perf_buffer__poll(r->pb, timeout_ms), before, "poll");
}

int ember_perf_reader_consume(struct ember_perf_reader *r)
{
	uint64_t before;

	if (!r)
		return ember__error(EINVAL,
				    "ember_perf_reader_consume: no reader");
	before = r->delivered;
	return result(r, perf_buffer__consume(r->pb), before, "consume");
}

int ember_perf_reader_fd(const struct ember_perf_reader *r)
{
	if (!r)
		return ember__error(EINVAL, "ember_perf_reader_fd: no reader");
	return perf_buffer__epoll_fd(r->pb);
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
	close(r->map_fd);
	free(r);
}
