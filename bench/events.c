// SPDX-License-Identifier: MIT
/*
 * Event delivery from C: N 64-byte events, one per getppid() of a tight loop
 * on CPU 0, through a perf buffer and through a ring buffer read by a poller
 * on CPU 1. Reports events/s delivered and every event not delivered, split
 * into counted losses (perf lost records, ring drop counter) and uncounted
 * ones (sent - delivered - counted: must be 0).
 *
 * usage: bench_events [-n EVENTS] [-m perf|ring|all] [-p PAGES] [-w N]
 *   -p PAGES runs one configuration per kind instead of the default set,
 *   with -w N as perf's wakeup_events and the ring's batch_us (-1: read
 *   at once; 0: the defaults: perf woken at a quarter-full buffer, ring
 *   batch_us 50).
 * bench_events -P EVENTS: only produce, for another reader (events.sh's BCC
 *   twin): on CPU 0, EVENTS getppid() calls once a line arrives on stdin.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <ember/ember.h>

struct ev64 {
	uint64_t seq;
	uint64_t ts;
	uint32_t pid;
	uint32_t cpu;
	char comm[16];
	uint8_t pad[24];
};

/* Format: the table declaration, then the submit call (in the text itself:
 * BCC's conveniences are not rewritten inside macro expansions). */
static const char prog_fmt[] =
	"struct ev64 { u64 seq; u64 ts; u32 pid; u32 cpu; char comm[16];\n"
	"\tu8 pad[24]; };\n"
	"BPF_ARRAY(counter, u64, 1);\n"
	"%s;\n"
	"TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
	"{\n"
	"\tstruct ev64 e = {};\n"
	"\tint zero = 0;\n"
	"\tu64 *n;\n"
	"\n"
	"\tif (bpf_get_current_pid_tgid() >> 32 != ME)\n"
	"\t\treturn 0;\n"
	"\tn = counter.lookup(&zero);\n"
	"\tif (!n)\n"
	"\t\treturn 0;\n"
	"\te.seq = (*n)++;\n"
	"\te.ts = bpf_ktime_get_ns();\n"
	"\te.pid = ME;\n"
	"\te.cpu = bpf_get_smp_processor_id();\n"
	"\tbpf_get_current_comm(&e.comm, sizeof(e.comm));\n"
	"\t%s;\n"
	"\treturn 0;\n"
	"}\n";

struct run {
	bool perf;
	size_t pages; /* perf: per CPU; ring: the ring */
	int wakeup; /* perf: wakeup_events; ring: batch_us (0: default) */
	uint64_t n;
	/* results */
	uint64_t delivered, lost, seq_sum;
	double seconds, produce_seconds;
};

struct consumer {
	struct ember_perf_reader *perf;
	struct ember_ring_reader *ring;
	bool stop; /* __atomic */
	int err;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The callbacks read the event, as a real consumer would. */
static void on_perf(void *ctx, int cpu, const void *data, uint32_t size)
{
	struct run *r = ctx;
	const struct ev64 *e = data;

	(void)cpu;
	if (size >= sizeof(*e))
		r->seq_sum += e->seq;
}

static int on_ring(void *ctx, const void *data, size_t size)
{
	struct run *r = ctx;
	const struct ev64 *e = data;

	if (size >= sizeof(*e))
		r->seq_sum += e->seq;
	return 0;
}

static void *consume(void *arg)
{
	struct consumer *c = arg;

	pin(1);
	for (;;) {
		bool stop = __atomic_load_n(&c->stop, __ATOMIC_ACQUIRE);
		int k = c->perf ? ember_perf_reader_poll(c->perf, 20)
				: ember_ring_reader_poll(c->ring, 20);

		if (k < 0 && k != -EINTR) {
			c->err = k;
			break;
		}
		if (stop && k == 0)
			break;
	}
	return NULL;
}

static int run_one(struct run *r)
{
	char me[32], output[96], prog[2048];
	const char *cflags[] = { me };
	struct ember_module_opts mo = { .sz = sizeof(mo),
					.name = "events.c",
					.cflags = cflags,
					.cflags_cnt = 1 };
	struct ember_perf_reader_opts po = { .sz = sizeof(po) };
	struct ember_perf_reader_stats ps = { .sz = sizeof(ps) };
	struct ember_ring_reader_stats rs = { .sz = sizeof(rs) };
	struct consumer c = { 0 };
	struct ember_module *m;
	pthread_t th;
	double t0, t1;
	uint64_t i;
	int err;

	snprintf(me, sizeof(me), "-DME=%d", (int)getpid());
	if (r->perf)
		snprintf(prog, sizeof(prog), prog_fmt,
			 "BPF_PERF_OUTPUT(events)",
			 "events.perf_submit(args, &e, sizeof(e))");
	else
		snprintf(prog, sizeof(prog), prog_fmt,
			 (snprintf(output, sizeof(output),
				   "BPF_RINGBUF_OUTPUT(events, %zu)", r->pages),
			  output),
			 "events.ringbuf_output(&e, sizeof(e), 0)");
	err = ember_module_new(prog, &mo, &m);
	if (err) {
		fprintf(stderr, "load: %s\n", ember_errmsg());
		return err;
	}
	err = ember_module_attach_auto(m);
	if (err < 0)
		goto out;
	if (r->perf) {
		po.page_cnt = r->pages;
		po.wakeup_events = (unsigned int)r->wakeup;
		err = ember_perf_reader_new(m, "events", on_perf, NULL, r, &po,
					    &c.perf);
	} else {
		struct ember_ring_reader_opts ro = { .sz = sizeof(ro),
						     .batch_us = r->wakeup };

		err = ember_ring_reader_new(m, "events", on_ring, r, &ro,
					    &c.ring);
	}
	if (err)
		goto out;
	pin(0);
	err = pthread_create(&th, NULL, consume, &c);
	if (err) {
		err = -err;
		goto out;
	}
	t0 = now();
	for (i = 0; i < r->n; i++)
		syscall(SYS_getppid);
	t1 = now();
	__atomic_store_n(&c.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	r->seconds = now() - t0;
	r->produce_seconds = t1 - t0;
	if (c.err) {
		err = c.err;
		goto out;
	}
	/* the kernel reports a perf buffer's last losses in front of the next
	 * event: one more, on the burst's CPU (counted as sent) */
	syscall(SYS_getppid);
	r->n++;
	for (i = 0; i < 100; i++) {
		if (r->perf) {
			ember_perf_reader_consume(c.perf);
			ember_perf_reader_stats(c.perf, &ps);
			r->delivered = ps.delivered;
			r->lost = ps.lost;
		} else {
			ember_ring_reader_consume(c.ring);
			ember_ring_reader_stats(c.ring, NULL, &rs);
			r->delivered = rs.delivered;
			r->lost = rs.dropped;
		}
		if (r->delivered + r->lost >= r->n)
			break;
		usleep(1000);
	}
	err = 0;
out:
	if (err < 0)
		fprintf(stderr, "error: %s\n", ember_errmsg());
	ember_perf_reader_free(c.perf);
	ember_ring_reader_free(c.ring);
	ember_module_free(m);
	return err;
}

static void report(const struct run *r)
{
	long long uncounted =
		(long long)r->n - (long long)(r->delivered + r->lost);

	char wake[16];

	if (r->perf && !r->wakeup)
		snprintf(wake, sizeof(wake), "1/4buf");
	else
		snprintf(wake, sizeof(wake), "%d", !r->wakeup ? 50 : r->wakeup);
	printf("%-4s %6zu pages%s %s %-6s  sent %8llu  delivered %8llu "
	       "(%5.1f%%)  %s %8llu  uncounted %lld  %.3f s  "
	       "%.2fM delivered/s  (produced %.2fM/s)\n",
	       r->perf ? "perf" : "ring", r->pages, r->perf ? "/cpu" : "    ",
	       r->perf ? "wakeup  " : "batch_us", wake,
	       (unsigned long long)r->n, (unsigned long long)r->delivered,
	       100.0 * (double)r->delivered / (double)r->n,
	       r->perf ? "lost   " : "dropped", (unsigned long long)r->lost,
	       uncounted, r->seconds, (double)r->delivered / r->seconds / 1e6,
	       (double)(r->n - 1) / r->produce_seconds / 1e6);
	fflush(stdout);
}

static int produce_only(uint64_t n)
{
	char line[16];
	uint64_t i;

	pin(0);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}

int main(int argc, char **argv)
{
	/* BCC's defaults (a wake-up per event), ember's, then what it takes
	 * to lose nothing */
	static const struct run defaults[] = {
		{ .perf = true, .pages = 64, .wakeup = 1 },
		{ .perf = true, .pages = 64, .wakeup = 0 },
		{ .perf = true, .pages = 64, .wakeup = 64 },
		{ .perf = true, .pages = 8192, .wakeup = 64 },
		{ .perf = false, .pages = 64, .wakeup = -1 },
		{ .perf = false, .pages = 64 },
		{ .perf = false, .pages = 1024 },
	};
	const char *mode = "all";
	uint64_t n = 1000000;
	size_t pages = 0;
	int wakeup = 0;
	size_t i;
	int opt, failed = 0;

	while ((opt = getopt(argc, argv, "n:m:p:w:P:")) != -1) {
		switch (opt) {
		case 'P':
			return produce_only(strtoull(optarg, NULL, 0));
		case 'n':
			n = strtoull(optarg, NULL, 0);
			break;
		case 'm':
			mode = optarg;
			break;
		case 'p':
			pages = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			wakeup = (int)strtol(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n EVENTS] [-m perf|ring|all] "
				"[-p PAGES] [-w WAKEUP]\n",
				argv[0]);
			return 2;
		}
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "needs two CPUs (producer and reader)\n");
		return 2;
	}
	printf("%llu events of %zu bytes, producer on CPU 0, reader on "
	       "CPU 1\n",
	       (unsigned long long)n, sizeof(struct ev64));
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		struct run r = defaults[i];

		if (strcmp(mode, "all") &&
		    strcmp(mode, r.perf ? "perf" : "ring"))
			continue;
		if (pages) {
			/* -p: one run per kind, with the given sizes */
			if (i != 0 && i != 4)
				continue;
			r.pages = pages;
			r.wakeup = wakeup;
		}
		r.n = n;
		if (run_one(&r))
			failed = 1;
		else
			report(&r);
	}
	return failed;
}
