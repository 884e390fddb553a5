// SPDX-License-Identifier: MIT
/*
 * ember: run or check a BCC-style program text file.
 *   ember run [--duration SECONDS] [-v] FILE.c
 *   ember check [--dump] FILE.c
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
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

static int verbose;

static void log_to_stderr(enum ember_log_level level, const char *msg,
			  void *ctx)
{
	(void)ctx;
	if ((int)level <= (verbose ? EMBER_LOG_DEBUG : EMBER_LOG_WARN))
		fprintf(stderr, "%s\n", msg);
}

static char *read_file(const char *path)
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
	return buf;
}

static void usage(FILE *to)
{
	fprintf(to, "usage: ember run [--duration SECONDS] [-v] FILE.c\n"
		    "       ember check [--dump] FILE.c\n"
		    "       ember version\n");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Print trace_pipe lines until the duration passes or a signal arrives. */
static int print_trace(double duration)
{
	struct ember_trace_pipe *tp;
	double end = duration > 0 ? now() + duration : 0;
	const char *line;
	int err;

	err = ember_trace_pipe_open(&tp);
	if (err) {
		fprintf(stderr, "ember: %s\n", ember_errmsg());
		return 1;
	}
	while (!stop) {
		int wait_ms = 200;

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
		if (err == 1) {
			puts(line);
			fflush(stdout);
		}
	}
	ember_trace_pipe_free(tp);
	return err < 0 && err != -EINTR ? 1 : 0;
}

static int cmd(int argc, char **argv, int run)
{
	static const struct option long_opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "dump", no_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ember_module_opts opts = { .sz = sizeof(opts) };
	struct ember_module *m = NULL;
	double duration = -1;
	int dump = 0, c, err, rc = 0;
	char *text, *end;

	while ((c = getopt_long(argc, argv, "d:Dvh", long_opts, NULL)) != -1) {
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
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	text = read_file(argv[optind]);
	if (!text) {
		fprintf(stderr, "ember: cannot read %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	opts.name = argv[optind];
	opts.log = log_to_stderr;
	opts.debug_flags = dump ? EMBER_DEBUG_SOURCE : 0;

	err = ember_module_compile(text, &opts, &m);
	free(text);
	if (err) {
		fprintf(stderr, "%s", ember_errmsg());
		if (ember_errmsg()[strlen(ember_errmsg()) - 1] != '\n')
			fputc('\n', stderr);
		return 1;
	}
	if (!run) {
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
	if (duration != 0)
		rc = print_trace(duration);
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
		return cmd(argc - 1, argv + 1, 1);
	if (!strcmp(argv[1], "check"))
		return cmd(argc - 1, argv + 1, 0);
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
