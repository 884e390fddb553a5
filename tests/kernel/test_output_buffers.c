// SPDX-License-Identifier: MIT
/*
 * Perf and ring buffers against the real kernel: events from a syscall
 * tracepoint decoded by field name, several rings on one poller, and bursts
 * of 1,000,000 events where every event is delivered or counted as lost
 * (perf: the kernel's lost records; ring: the program's drop counter).
 */
#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

#define BURST 1000000u

/*
 * clang's BTF has the types of globals and function signatures, not of
 * locals: a function taking the event type puts it there. (To go once the
 * compiler does this for every submitted type.)
 */
#define ANCHOR(type) \
	"static __attribute__((used)) void anchor(" type " *e) {}\n"

/* One event per getppid() of this process, numbered by the program. */
#define PROG_HEAD                                                       \
	"struct data_t { u32 pid; u32 seq; char comm[16]; };\n" ANCHOR( \
		"struct data_t") "BPF_ARRAY(counter, u64, 1);\n"
#define PROG_BODY(output)                                    \
	"TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"    \
	"{\n"                                                \
	"\tstruct data_t d = {};\n"                          \
	"\tint zero = 0;\n"                                  \
	"\tu64 *n;\n"                                        \
	"\n"                                                 \
	"\tif (bpf_get_current_pid_tgid() >> 32 != ME)\n"    \
	"\t\treturn 0;\n"                                    \
	"\tn = counter.lookup(&zero);\n"                     \
	"\tif (!n)\n"                                        \
	"\t\treturn 0;\n"                                    \
	"\td.seq = *n;\n"                                    \
	"\t*n += 1;\n"                                       \
	"\td.pid = ME;\n"                                    \
	"\tbpf_get_current_comm(&d.comm, sizeof(d.comm));\n" \
	"\t" output ";\n"                                    \
	"\treturn 0;\n"                                      \
	"}\n"

static const char perf_prog[] =
	PROG_HEAD "BPF_PERF_OUTPUT(events);\n" PROG_BODY(
		"events.perf_submit(args, &d, sizeof(d))");

/* RING_PAGES comes from the test's flags: small rings overflow. */
static const char ring_prog[] =
	PROG_HEAD "BPF_RINGBUF_OUTPUT(events, RING_PAGES);\n" PROG_BODY(
		"events.ringbuf_output(&d, sizeof(d), 0)");

/* The same through reserve/submit, into one of two rings by parity. */
static const char ring_reserve_prog[] =
	"struct data_t { u32 pid; u32 seq; char comm[16]; };\n" ANCHOR(
		"struct data_t") "BPF_ARRAY(counter, u64, 1);\n"
				 "BPF_RINGBUF_OUTPUT(even, 4);\n"
				 "BPF_RINGBUF_OUTPUT(odd, 4);\n"
				 "TRACEPOINT_PROBE(syscalls, "
				 "sys_enter_getppid)\n"
				 "{\n"
				 "\tint zero = 0;\n"
				 "\tu64 *n, seq;\n"
				 "\n"
				 "\tif (bpf_get_current_pid_tgid() >> 32 != "
				 "ME)\n"
				 "\t\treturn 0;\n"
				 "\tn = counter.lookup(&zero);\n"
				 "\tif (!n)\n"
				 "\t\treturn 0;\n"
				 "\tseq = *n;\n"
				 "\t*n += 1;\n"
				 "\tif (seq & 1) {\n"
				 "\t\tstruct data_t *p = "
				 "odd.ringbuf_reserve(sizeof(struct data_t));\n"
				 "\t\tif (!p)\n"
				 "\t\t\treturn 0;\n"
				 "\t\tp->pid = ME;\n"
				 "\t\tp->seq = seq;\n"
				 "\t\tbpf_get_current_comm(&p->comm, "
				 "sizeof(p->comm));\n"
				 "\t\todd.ringbuf_submit(p, 0);\n"
				 "\t} else {\n"
				 "\t\tstruct data_t *p = "
				 "even.ringbuf_reserve(sizeof(struct "
				 "data_t));\n"
				 "\t\tif (!p)\n"
				 "\t\t\treturn 0;\n"
				 "\t\tp->pid = ME;\n"
				 "\t\tp->seq = seq;\n"
				 "\t\tbpf_get_current_comm(&p->comm, "
				 "sizeof(p->comm));\n"
				 "\t\teven.ringbuf_submit(p, 0);\n"
				 "\t}\n"
				 "\treturn 0;\n"
				 "}\n";

/* A ring declared in libbpf's own form, counting its drops by hand in
 * ember's documented counter (slot 0: it is the only ring). */
static const char libbpf_ring_prog[] =
	"struct event { u32 pid; u32 seq; char comm[16]; };\n" ANCHOR(
		"struct event") "struct { __uint(type, BPF_MAP_TYPE_RINGBUF);\n"
				"\t__uint(max_entries, 4096); } lrb "
				"SEC(\".maps\");\n"
				"struct { __uint(type, "
				"BPF_MAP_TYPE_PERCPU_ARRAY);\n"
				"\t__type(key, u32); __type(value, u64);\n"
				"\t__uint(max_entries, 1); } "
				"__ember_ringbuf_drops SEC(\".maps\");\n"
				"struct { __uint(type, BPF_MAP_TYPE_ARRAY);\n"
				"\t__type(key, u32); __type(value, u64);\n"
				"\t__uint(max_entries, 1); } lcount "
				"SEC(\".maps\");\n"
				"TRACEPOINT_PROBE(syscalls, "
				"sys_enter_getppid)\n"
				"{\n"
				"\tstruct event e = {};\n"
				"\tu32 zero = 0;\n"
				"\tu64 *n, *drops;\n"
				"\n"
				"\tif (bpf_get_current_pid_tgid() >> 32 != "
				"ME)\n"
				"\t\treturn 0;\n"
				"\tn = bpf_map_lookup_elem(&lcount, &zero);\n"
				"\tif (!n)\n"
				"\t\treturn 0;\n"
				"\te.seq = *n;\n"
				"\t*n += 1;\n"
				"\te.pid = ME;\n"
				"\tbpf_get_current_comm(&e.comm, "
				"sizeof(e.comm));\n"
				"\tif (bpf_ringbuf_output(&lrb, &e, sizeof(e), "
				"0) < 0) {\n"
				"\t\tdrops = "
				"bpf_map_lookup_elem(&__ember_ringbuf_drops, "
				"&zero);\n"
				"\t\tif (drops)\n"
				"\t\t\t__sync_fetch_and_add(drops, 1);\n"
				"\t}\n"
				"\treturn 0;\n"
				"}\n";

struct data_t {
	uint32_t pid;
	uint32_t seq;
	char comm[16];
};

/* What the callbacks saw. */
struct seen {
	struct ember_event_type *type;
	uint64_t events, lost_reports, lost;
	uint64_t bad; /* events that did not decode to our pid and comm */
	uint32_t last_seq;
	bool sentinel; /* the event numbered `sentinel_seq` arrived */
	uint32_t sentinel_seq;
	char comm[16];
	struct data_t first[16]; /* the first few, decoded */
	int first_cnt;
};

static struct ember_module *load(const char *text, int ring_pages)
{
	char me[32], pages[32];
	const char *cflags[] = { me, pages };
	struct ember_module_opts o = { .sz = sizeof(o),
				       .name = "output.c",
				       .cflags = cflags,
				       .cflags_cnt = 2 };
	struct ember_module *m = NULL;

	snprintf(me, sizeof(me), "-DME=%d", (int)getpid());
	snprintf(pages, sizeof(pages), "-DRING_PAGES=%d", ring_pages);
	if (ember_module_new(text, &o, &m))
		fail_msg("load failed: %s", ember_errmsg());
	assert_int_equal(ember_module_attach_auto(m), 1);
	return m;
}

static void record(struct seen *s, const void *data, size_t size)
{
	struct ember_event ev = { s->type, data, size };
	char comm[16];
	uint64_t pid, seq;

	s->events++;
	if (ember_event_field_u64(&ev, "pid", &pid) ||
	    ember_event_field_u64(&ev, "seq", &seq) ||
	    ember_event_field_str(&ev, "comm", comm, sizeof(comm)) < 0 ||
	    pid != (uint64_t)getpid() || strcmp(comm, s->comm)) {
		s->bad++;
		return;
	}
	s->last_seq = (uint32_t)seq;
	if (seq == s->sentinel_seq)
		s->sentinel = true;
	if (s->first_cnt < 16) {
		struct data_t *d = &s->first[s->first_cnt++];

		d->pid = (uint32_t)pid;
		d->seq = (uint32_t)seq;
		memcpy(d->comm, comm, sizeof(comm));
	}
}

static void on_perf_sample(void *ctx, int cpu, const void *data, uint32_t size)
{
	(void)cpu;
	record(ctx, data, size);
}

static void on_perf_lost(void *ctx, int cpu, uint64_t count)
{
	struct seen *s = ctx;

	(void)cpu;
	s->lost_reports++;
	s->lost += count;
}

static int on_ring_sample(void *ctx, const void *data, size_t size)
{
	record(ctx, data, size);
	return 0;
}

static void seen_init(struct seen *s, struct ember_module *m, const char *table,
		      const char *type)
{
	memset(s, 0, sizeof(*s));
	s->sentinel_seq = UINT32_MAX;
	assert_int_equal(prctl(PR_GET_NAME, s->comm), 0);
	if (ember_event_type_new(m, table, type, &s->type))
		fail_msg("event type of %s: %s", table, ember_errmsg());
}

static void getppid_n(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
}

/* Events arrive in submission order on one CPU: check the first ones. */
static void check_first(const struct seen *s, int n, uint32_t seq0,
			uint32_t step)
{
	int i;

	assert_int_equal(s->bad, 0);
	assert_true(s->first_cnt >= n);
	for (i = 0; i < n; i++) {
		assert_int_equal(s->first[i].pid, getpid());
		assert_int_equal(s->first[i].seq, seq0 + step * i);
		assert_string_equal(s->first[i].comm, s->comm);
	}
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

static void unpin(void)
{
	cpu_set_t set;
	long i, n = sysconf(_SC_NPROCESSORS_CONF);

	CPU_ZERO(&set);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ---------------------------------------------------------------- */
/* Decoding                                                          */

static void perf_events_decode(void **state)
{
	struct ember_module *m = load(perf_prog, 1);
	struct ember_perf_reader_stats st = { .sz = sizeof(st) };
	struct ember_perf_reader *r;
	struct seen s;
	char text[128], want[128];
	struct ember_event ev;
	int n = 0, i;

	(void)state;
	seen_init(&s, m, "events", NULL);
	assert_string_equal(ember_event_type_name(s.type), "struct data_t");
	assert_int_equal(ember_event_type_size(s.type), 24);
	assert_int_equal(ember_perf_reader_new(m, "events", on_perf_sample,
					       on_perf_lost, &s, NULL, &r),
			 0);
	assert_true(ember_perf_reader_fd(r) >= 0);
	pin_to_cpu(0); /* one CPU: events come back in order */
	getppid_n(10);
	unpin();
	for (i = 0; i < 50 && s.events < 10; i++) {
		int k = ember_perf_reader_poll(r, 100);

		assert_true(k >= 0);
		n += k;
	}
	assert_int_equal(n, 10);
	assert_int_equal(s.events, 10);
	check_first(&s, 10, 0, 1);
	assert_int_equal(ember_perf_reader_stats(r, &st), 0);
	assert_int_equal(st.delivered, 10);
	assert_int_equal(st.lost, 0);
	assert_int_equal(ember_perf_reader_consume(r), 0);

	/* the whole event as text and JSON */
	ev = (struct ember_event){ s.type, &s.first[3], sizeof(s.first[3]) };
	assert_true(ember_event_format(&ev, 0, text, sizeof(text)) > 0);
	snprintf(want, sizeof(want), "pid=%d seq=3 comm=%s", getpid(), s.comm);
	assert_string_equal(text, want);
	assert_true(ember_event_format(&ev, EMBER_FORMAT_JSON, text,
				       sizeof(text)) > 0);
	snprintf(want, sizeof(want),
		 "{\"pid\": %d, \"seq\": 3, \"comm\": \"%s\"}", getpid(),
		 s.comm);
	assert_string_equal(text, want);
	ember_perf_reader_free(r);
	ember_event_type_free(s.type);
	ember_module_free(m);
}

static void perf_reader_errors(void **state)
{
	struct ember_module *m = load(perf_prog, 1);
	struct ember_perf_reader_opts o = { .sz = sizeof(o), .page_cnt = 3 };
	struct ember_perf_reader *r = NULL;
	struct ember_event_type *t = NULL;

	(void)state;
	assert_int_equal(
		ember_perf_reader_new(m, "nope", NULL, NULL, NULL, NULL, &r),
		-ENOENT);
	assert_int_equal(
		ember_perf_reader_new(m, "counter", NULL, NULL, NULL, NULL, &r),
		-EINVAL);
	assert_non_null(strstr(ember_errmsg(), "not a perf output"));
	assert_int_equal(
		ember_perf_reader_new(m, "events", NULL, NULL, NULL, &o, &r),
		-EINVAL);
	assert_non_null(strstr(ember_errmsg(), "power of two"));
	assert_null(r);
	assert_int_equal(ember_event_type_new(m, "counter", NULL, &t), -ENOENT);
	assert_int_equal(ember_event_type_new(m, "events", "struct nope", &t),
			 -ENOENT);
	assert_null(t);
	ember_module_free(m);
}

/* reserve/submit into two rings, both read by one poller; the reader
 * outlives its module. */
static void ring_reserve_two_rings(void **state)
{
	struct ember_module *m = load(ring_reserve_prog, 1);
	struct ember_ring_reader_stats st = { .sz = sizeof(st) };
	struct ember_ring_reader *r;
	struct seen even, odd;
	int i, n = 0;

	(void)state;
	seen_init(&even, m, "even", NULL);
	seen_init(&odd, m, "odd", NULL);
	assert_string_equal(ember_event_type_name(odd.type), "struct data_t");
	assert_int_equal(ember_ring_reader_new(m, "even", on_ring_sample, &even,
					       NULL, &r),
			 0);
	assert_int_equal(
		ember_ring_reader_add(r, m, "odd", on_ring_sample, &odd), 0);
	assert_int_equal(
		ember_ring_reader_add(r, m, "even", on_ring_sample, &even),
		-EEXIST);
	assert_int_equal(ember_ring_reader_add(r, m, "counter", NULL, NULL),
			 -EINVAL);
	assert_true(ember_ring_reader_fd(r) >= 0);
	getppid_n(20);
	ember_module_free(m); /* the reader keeps what it reads alive */
	for (i = 0; i < 50 && even.events + odd.events < 20; i++) {
		int k = ember_ring_reader_poll(r, 100);

		assert_true(k >= 0);
		n += k;
	}
	assert_int_equal(n, 20);
	assert_int_equal(even.events, 10);
	assert_int_equal(odd.events, 10);
	check_first(&even, 10, 0, 2);
	check_first(&odd, 10, 1, 2);
	assert_int_equal(ember_ring_reader_stats(r, "odd", &st), 0);
	assert_int_equal(st.delivered, 10);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.uncounted, 0);
	assert_int_equal(ember_ring_reader_stats(r, NULL, &st), 0);
	assert_int_equal(st.delivered, 20);
	assert_int_equal(ember_ring_reader_stats(r, "nope", &st), -ENOENT);
	ember_ring_reader_free(r);
	ember_event_type_free(even.type);
	ember_event_type_free(odd.type);
}

/* libbpf-form ring: the type is named by the host; a full ring's drops
 * are counted through the hand-written counter. */
static void ring_libbpf_form_drops(void **state)
{
	struct ember_module *m = load(libbpf_ring_prog, 1);
	struct ember_ring_reader_stats st = { .sz = sizeof(st) };
	struct ember_event_type *t = NULL;
	struct ember_ring_reader *r;
	struct seen s;

	(void)state;
	assert_int_equal(ember_event_type_new(m, "lrb", NULL, &t), -ENOENT);
	assert_non_null(strstr(ember_errmsg(), "name its event type"));
	seen_init(&s, m, "lrb", "struct event");
	assert_int_equal(
		ember_ring_reader_new(m, "lrb", on_ring_sample, &s, NULL, &r),
		0);
	/* 4096 bytes hold 128 events of 24 + 8 bytes: most of these drop */
	getppid_n(1000);
	while (ember_ring_reader_consume(r) > 0)
		;
	assert_int_equal(ember_ring_reader_stats(r, NULL, &st), 0);
	assert_int_equal(st.uncounted, 0);
	assert_true(st.dropped > 0);
	assert_true(st.delivered > 0);
	assert_int_equal(st.delivered + st.dropped, 1000);
	assert_int_equal(st.delivered, s.events);
	check_first(&s, 10, 0, 1);
	ember_ring_reader_free(r);
	ember_event_type_free(s.type);
	ember_module_free(m);
}

/* ---------------------------------------------------------------- */
/* Wake-up policies: a lone event arrives promptly under each        */

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * One event, far below the default wake-up mark (a quarter of 64 pages),
 * must reach a poll waiting forever within the 10 ms the reader promises
 * (plus scheduling slack: this runs beside other work and under emulation),
 * and the reader's fd must turn readable for an event loop in that time.
 */
static void perf_lone_event(unsigned int wakeup_events, bool use_fd)
{
	struct ember_module *m = load(perf_prog, 0);
	struct ember_perf_reader_opts po = { .sz = sizeof(po),
					     .wakeup_events = wakeup_events };
	struct ember_perf_reader *r;
	struct timespec t0;
	struct pollfd pfd;
	struct seen s;
	double ms;
	int round;

	seen_init(&s, m, "events", NULL);
	assert_int_equal(ember_perf_reader_new(m, "events", on_perf_sample,
					       on_perf_lost, &s, &po, &r),
			 0);
	pfd.fd = ember_perf_reader_fd(r);
	pfd.events = POLLIN;
	assert_true(pfd.fd >= 0);
	for (round = 0; round < 3; round++) {
		getppid_n(1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (use_fd) {
			assert_int_equal(poll(&pfd, 1, 5000), 1);
			ms = ms_since(&t0);
			assert_true(ember_perf_reader_consume(r) >= 0);
		} else {
			assert_int_equal(ember_perf_reader_poll(r, -1), 1);
			ms = ms_since(&t0);
		}
		print_message("wakeup_events %u%s: event %d after %.1f ms\n",
			      wakeup_events, use_fd ? " (fd)" : "", round, ms);
		assert_int_equal(s.events, (uint64_t)round + 1);
		assert_true(ms < 100);
		/* nothing more comes: a timed poll returns 0 in its time */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(ember_perf_reader_poll(r, 30), 0);
		ms = ms_since(&t0);
		assert_true(ms >= 29 && ms < 1000);
	}
	check_first(&s, 3, 0, 1);
	ember_perf_reader_free(r);
	ember_event_type_free(s.type);
	ember_module_free(m);
}

static void perf_lone_event_default(void **state)
{
	(void)state;
	perf_lone_event(0, false);
	perf_lone_event(0, true);
}

static void perf_lone_event_per_event_wakeup(void **state)
{
	(void)state;
	perf_lone_event(1, false);
	perf_lone_event(1, true);
}

static void perf_lone_event_every_8(void **state)
{
	(void)state;
	perf_lone_event(8, false);
}

/* ---------------------------------------------------------------- */
/* Bursts: delivered + lost == sent, exactly                         */

struct consumer {
	pthread_t thread;
	struct ember_perf_reader *perf;
	struct ember_ring_reader *ring;
	bool stop; /* __atomic */
	int err;
};

static void *consume_loop(void *arg)
{
	struct consumer *c = arg;
	cpu_set_t set;
	int k;

	/* the producer runs on CPU 0; read from the other one */
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	for (;;) {
		bool stop = __atomic_load_n(&c->stop, __ATOMIC_ACQUIRE);

		k = c->perf ? ember_perf_reader_poll(c->perf, 50)
			    : ember_ring_reader_poll(c->ring, 50);
		if (k < 0 && k != -EINTR) {
			c->err = k;
			break;
		}
		if (stop && k == 0)
			break;
	}
	return NULL;
}

/*
 * BURST getppid() calls from CPU 0 with a reader polling on CPU 1 (when
 * concurrent), then one more call once everything is read: the kernel
 * reports a perf buffer's losses in front of the next event that fits,
 * and that event's number proves how many the program saw.
 */
static void burst(bool perf, size_t pages, unsigned int wakeup, bool concurrent,
		  bool want_loss)
{
	struct ember_module *m = load(perf ? perf_prog : ring_prog, (int)pages);
	struct ember_perf_reader_opts po = { .sz = sizeof(po) };
	struct ember_perf_reader_stats ps = { .sz = sizeof(ps) };
	struct ember_ring_reader_stats rs = { .sz = sizeof(rs) };
	struct consumer c = { 0 };
	uint64_t delivered, lost;
	struct timespec t0, t1;
	struct seen s;
	int i;

	seen_init(&s, m, "events", NULL);
	s.sentinel_seq = BURST;
	if (perf) {
		po.page_cnt = pages;
		po.wakeup_events = wakeup;
		assert_int_equal(
			ember_perf_reader_new(m, "events", on_perf_sample,
					      on_perf_lost, &s, &po, &c.perf),
			0);
	} else {
		assert_int_equal(ember_ring_reader_new(m, "events",
						       on_ring_sample, &s, NULL,
						       &c.ring),
				 0);
	}
	pin_to_cpu(0);
	if (concurrent)
		assert_int_equal(
			pthread_create(&c.thread, NULL, consume_loop, &c), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	getppid_n(BURST);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (concurrent) {
		__atomic_store_n(&c.stop, true, __ATOMIC_RELEASE);
		assert_int_equal(pthread_join(c.thread, NULL), 0);
		assert_int_equal(c.err, 0);
	}
	/* drain, then the sentinel, on the CPU of the burst */
	for (i = 0; i < 1000; i++)
		if ((perf ? ember_perf_reader_consume(c.perf)
			  : ember_ring_reader_consume(c.ring)) <= 0)
			break;
	getppid_n(1);
	unpin();
	/* with wakeup_events > 1 no wake-up may come: consume too */
	for (i = 0; i < 100 && !s.sentinel; i++) {
		assert_true((perf ? ember_perf_reader_poll(c.perf, 10)
				  : ember_ring_reader_poll(c.ring, 10)) >= 0);
		assert_true((perf ? ember_perf_reader_consume(c.perf)
				  : ember_ring_reader_consume(c.ring)) >= 0);
	}
	assert_true(s.sentinel);
	assert_int_equal(s.bad, 0);
	if (perf) {
		assert_int_equal(ember_perf_reader_stats(c.perf, &ps), 0);
		delivered = ps.delivered;
		lost = ps.lost;
		assert_int_equal(lost, s.lost);
	} else {
		assert_int_equal(ember_ring_reader_stats(c.ring, "events", &rs),
				 0);
		assert_int_equal(rs.uncounted, 0);
		delivered = rs.delivered;
		lost = rs.dropped;
	}
	print_message("%s %zu pages%s: sent %u in %.2f s, delivered %llu, "
		      "%s %llu\n",
		      perf ? "perf" : "ring", pages,
		      concurrent ? " (reader polling)" : " (read after)",
		      BURST + 1,
		      (double)(t1.tv_sec - t0.tv_sec) +
			      (t1.tv_nsec - t0.tv_nsec) / 1e9,
		      (unsigned long long)delivered, perf ? "lost" : "dropped",
		      (unsigned long long)lost);
	assert_int_equal(delivered, s.events);
	assert_int_equal(delivered + lost, BURST + 1);
	if (want_loss)
		assert_true(lost > 0);
	if (perf)
		ember_perf_reader_free(c.perf);
	else
		ember_ring_reader_free(c.ring);
	ember_event_type_free(s.type);
	ember_module_free(m);
}

static void perf_burst_polling(void **state)
{
	(void)state;
	/* the default: a wake-up per quarter buffer, reads every 10 ms */
	burst(true, 64, 0, true, false);
	/* one wake-up per 64 events: per event, wake-ups cost ~10 us */
	burst(true, 64, 64, true, false);
}

static void perf_burst_small_buffer_loses(void **state)
{
	(void)state;
	burst(true, 1, 0, false, true);
}

static void ring_burst_polling(void **state)
{
	(void)state;
	burst(false, 64, 0, true, false);
}

static void ring_burst_small_ring_drops(void **state)
{
	(void)state;
	burst(false, 1, 0, false, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(perf_events_decode),
		cmocka_unit_test(perf_reader_errors),
		cmocka_unit_test(ring_reserve_two_rings),
		cmocka_unit_test(ring_libbpf_form_drops),
		cmocka_unit_test(perf_lone_event_default),
		cmocka_unit_test(perf_lone_event_per_event_wakeup),
		cmocka_unit_test(perf_lone_event_every_8),
		cmocka_unit_test(perf_burst_polling),
		cmocka_unit_test(perf_burst_small_buffer_loses),
		cmocka_unit_test(ring_burst_polling),
		cmocka_unit_test(ring_burst_small_ring_drops),
	};

	test_require_root();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		test_skip("the burst tests read on a second CPU");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
