// SPDX-License-Identifier: MIT
/*
 * ember: run or check a BCC-style program text file or a prebuilt object.
 *   ember run [--duration SECONDS] [--tables] [-v] FILE.c|FILE.o
 *   ember check [--dump] [--timings] FILE.c|FILE.o
 *   ember build FILE.c -o FILE.o
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ember/ember.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int verbose, timings;

static void log_to_stderr(enum ember_log_level level, const char *msg,
			  void *ctx)
{
	(void)ctx;
	/* --timings: the library's "time: PHASE N ms" lines (debug level) */
	if ((int)level <= (verbose ? EMBER_LOG_DEBUG : EMBER_LOG_WARN) ||
	    (timings && !strncmp(msg, "time: ", 6)))
		fprintf(stderr, "%s\n", msg);
}

static char *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	char chunk[65536];
	size_t n;

	if (!f)
		return NULL;
	out = open_memstream(&buf, &len);
	if (!out) {
		fclose(f);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, out);
	fclose(f);
	fclose(out);
	*size = len;
	return buf;
}

static void usage(FILE *to)
{
	fprintf(to, "usage: ember run [--duration SECONDS] [--tables] [-v] "
		    "[--timings] [--kernel-headers DIR] [--cflag FLAG]... "
		    "FILE.c|FILE.o\n"
		    "       ember check [--dump] [--timings] [--kernel-headers "
		    "DIR] "
		    "[--cflag FLAG]... FILE.c|FILE.o\n"
		    "       ember build [--kernel-headers DIR] [--cflag "
		    "FLAG]... FILE.c -o FILE.o\n"
		    "       ember version\n"
		    "New text compiles in the shared ember-compiler process, "
		    "which stays up to 30 s\nafter the last compile; "
		    "EMBER_SHARED_COMPILER=0: one of this process's own.\n");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One perf or ring output table being printed. */
struct output {
	const char *table;
	struct ember_event_type *type; /* NULL: print bytes */
	struct ember_perf_reader *perf;
	struct ember_ring_reader *ring;
};

static void print_event(const struct output *o, const void *data, size_t size)
{
	printf("%s: ", o->table);
	if (o->type) {
		struct ember_event ev = { o->type, data, size };

		ember_event_fprint(&ev, 0, stdout);
	} else {
		for (size_t i = 0; i < size; i++)
			printf("%02x", ((const unsigned char *)data)[i]);
	}
	putchar('\n');
	fflush(stdout);
}

static void perf_sample(void *ctx, int cpu, const void *data, uint32_t size)
{
	(void)cpu;
	print_event(ctx, data, size);
}

static void perf_lost(void *ctx, int cpu, uint64_t count)
{
	const struct output *o = ctx;

	fprintf(stderr, "ember: %s: lost %llu events on CPU %d\n", o->table,
		(unsigned long long)count, cpu);
}

static int ring_sample(void *ctx, const void *data, size_t size)
{
	print_event(ctx, data, size);
	return 0;
}

/* Open a reader for every perf and ring output table of the module. */
static int open_outputs(struct ember_module *m, struct output *out, size_t max,
			size_t *cnt)
{
	size_t i, n = ember_module_table_cnt(m);

	*cnt = 0;
	for (i = 0; i < n && *cnt < max; i++) {
		struct ember_table *t = ember_module_table_at(m, i);
		const char *kind = ember_table_kind(t);
		struct output *o = &out[*cnt];
		int err = 0;

		if (strcmp(kind, "perf_output") && strcmp(kind, "ringbuf"))
			continue;
		memset(o, 0, sizeof(*o));
		o->table = ember_table_name(t);
		if (ember_event_type_new(m, o->table, NULL, &o->type))
			o->type = NULL; /* nothing submitted, or no BTF */
		if (!strcmp(kind, "perf_output")) {
			err = ember_perf_reader_new(m, o->table, perf_sample,
						    perf_lost, o, NULL,
						    &o->perf);
		} else {
			err = ember_ring_reader_new(m, o->table, ring_sample, o,
						    NULL, &o->ring);
		}
		if (err) {
			ember_event_type_free(o->type);
			return err;
		}
		(*cnt)++;
	}
	return 0;
}

static void close_outputs(struct output *out, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++) {
		struct ember_ring_reader_stats st = { .sz = sizeof(st) };

		if (out[i].ring &&
		    !ember_ring_reader_stats(out[i].ring, NULL, &st) &&
		    st.dropped)
			fprintf(stderr,
				"ember: %s: %llu events dropped (ring "
				"full)\n",
				out[i].table, (unsigned long long)st.dropped);
		ember_perf_reader_free(out[i].perf);
		ember_ring_reader_free(out[i].ring);
		ember_event_type_free(out[i].type);
	}
}

static int print_entry(const void *key, const void *value, void *ctx)
{
	struct ember_table *t = ctx;
	char k[1024], v[4096];

	ember_table_key_snprintf(t, key, k, sizeof(k), 0);
	ember_table_value_snprintf(t, value, v, sizeof(v), 0);
	printf("%s: %s\n", k, v);
	return 0;
}

/* --tables: every table with contents, histograms as histograms. */
static void print_tables(struct ember_module *m)
{
	size_t i, n = ember_module_table_cnt(m);

	for (i = 0; i < n; i++) {
		struct ember_table *t = ember_module_table_at(m, i);
		const char *kind = ember_table_kind(t);
		const char *name = ember_table_name(t);

		if (!strcmp(kind, "perf_output") || !strcmp(kind, "ringbuf") ||
		    !strcmp(kind, "prog") || !strcmp(kind, "perf_array") ||
		    !strncmp(name, "__ember", 7) || strchr(name, '.'))
			continue;
		printf("\n%s (%s):\n", name, kind);
		if (!strcmp(kind, "histogram"))
			ember_table_print_log2_hist(t, stdout, NULL);
		else
			ember_table_foreach(t, print_entry, t, NULL);
	}
	fflush(stdout);
}

/* Print trace_pipe lines and output events until the duration passes or a
 * signal arrives. */
static int print_trace(struct ember_module *m, double duration)
{
	struct ember_trace_pipe *tp;
	double end = duration > 0 ? now() + duration : 0;
	struct output outputs[16];
	size_t outputs_cnt = 0;
	const char *line;
	int err;

	err = ember_trace_pipe_open(&tp);
	if (!err)
		err = open_outputs(m, outputs, 16, &outputs_cnt);
	if (err) {
		fprintf(stderr, "ember: %s\n", ember_errmsg());
		ember_trace_pipe_free(tp);
		close_outputs(outputs, outputs_cnt);
		return 1;
	}
	while (!stop) {
		int wait_ms = outputs_cnt ? 50 : 200;

		if (end) {
			double left = end - now();

			if (left <= 0)
				break;
			if (left * 1000 < wait_ms)
				wait_ms = (int)(left * 1000) + 1;
		}
		err = ember_trace_pipe_read_line(tp, wait_ms, &line);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "ember: %s\n", ember_errmsg());
			break;
		}
		if (err == 1 && *line) {
			puts(line);
			fflush(stdout);
		}
		for (size_t i = 0; i < outputs_cnt; i++) {
			if (outputs[i].perf)
				ember_perf_reader_consume(outputs[i].perf);
			else
				ember_ring_reader_consume(outputs[i].ring);
		}
	}
	ember_trace_pipe_free(tp);
	close_outputs(outputs, outputs_cnt);
	return err < 0 && err != -EINTR ? 1 : 0;
}

enum command { CHECK, RUN, BUILD };

/* FILE.o: a prebuilt object (ember build) instead of program text. */
static int open_object(const char *path, const char *data, size_t size,
		       const struct ember_module_opts *mo,
		       struct ember_module **m)
{
	struct ember_object_opts oo = { .sz = sizeof(oo) };

	oo.name = path;
	oo.log = mo->log;
	return ember_module_open_object_mem(data, size, &oo, m);
}

static int cmd(int argc, char **argv, enum command command)
{
	static const struct option long_opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "dump", no_argument, NULL, 'D' },
		{ "tables", no_argument, NULL, 't' },
		{ "kernel-headers", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "cflag", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "timings", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ember_module_opts opts = { .sz = sizeof(opts) };
	struct ember_module *m = NULL;
	static const char *cflags[64];
	size_t cflags_cnt = 0;
	double duration = -1;
	int dump = 0, tables = 0, c, err, rc = 0;
	const char *output = NULL;
	char *text, *end;
	size_t size;

	while ((c = getopt_long(argc, argv, "d:Dtk:vc:o:h", long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'd':
			duration = strtod(optarg, &end);
			if (*end || duration < 0) {
				fprintf(stderr, "ember: bad duration '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'D':
			dump = 1;
			break;
		case 't':
			tables = 1;
			break;
		case 'k':
			opts.kernel_headers = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'c': /* -DNAME=VALUE, -I DIR, -W...: as BCC's cflags */
			if (cflags_cnt == sizeof(cflags) / sizeof(cflags[0])) {
				fprintf(stderr, "ember: too many --cflag\n");
				return 2;
			}
			cflags[cflags_cnt++] = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'T':
			timings = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc || !output != (command != BUILD)) {
		usage(stderr);
		return 2;
	}
	text = read_file(argv[optind], &size);
	if (!text) {
		fprintf(stderr, "ember: cannot read %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	opts.name = argv[optind];
	opts.log = log_to_stderr;
	opts.debug_flags = dump ? EMBER_DEBUG_SOURCE : 0;
	opts.cflags = cflags;
	opts.cflags_cnt = cflags_cnt;

	if (!strncmp(text,
		     "\x7f"
		     "ELF",
		     4)) {
		if (command == BUILD || cflags_cnt || opts.kernel_headers ||
		    dump) {
			fprintf(stderr,
				"ember: %s is a prebuilt object: build, "
				"--cflag, --kernel-headers and --dump take "
				"program text\n",
				argv[optind]);
			free(text);
			return 2;
		}
		err = open_object(argv[optind], text, size, &opts, &m);
	} else {
		err = ember_module_compile(text, &opts, &m);
	}
	free(text);
	if (err) {
		fprintf(stderr, "%s", ember_errmsg());
		if (ember_errmsg()[strlen(ember_errmsg()) - 1] != '\n')
			fputc('\n', stderr);
		return 1;
	}
	if (command == BUILD) {
		err = ember_module_write_object(m, output);
		if (err)
			fprintf(stderr, "ember: %s\n", ember_errmsg());
		ember_module_free(m);
		return err ? 1 : 0;
	}
	if (command == CHECK) {
		if (dump)
			fputs(ember_module_rewritten_source(m), stdout);
		ember_module_free(m);
		return 0;
	}
	err = ember_module_load(m);
	if (!err) {
		err = ember_module_attach_auto(m);
		if (err >= 0 && verbose)
			fprintf(stderr, "ember: %d attachment(s)\n", err);
	}
	if (err < 0) {
		fprintf(stderr, "ember: %s\n", ember_errmsg());
		ember_module_free(m);
		return 1;
	}
	if (err == 0) {
		/* an empty text, or only helper functions: nothing would run */
		fprintf(stderr,
			"ember: %s: nothing to attach (no TRACEPOINT_PROBE, "
			"RAW_TRACEPOINT_PROBE or probe-named function)\n",
			opts.name);
		ember_module_free(m);
		return 1;
	}
	if (duration != 0)
		rc = print_trace(m, duration);
	if (tables)
		print_tables(m);
	ember_module_free(m);
	return rc;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "run"))
		return cmd(argc - 1, argv + 1, RUN);
	if (!strcmp(argv[1], "check"))
		return cmd(argc - 1, argv + 1, CHECK);
	if (!strcmp(argv[1], "build"))
		return cmd(argc - 1, argv + 1, BUILD);
	if (!strcmp(argv[1], "version")) {
		printf("ember %s\n", ember_version());
		return 0;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
