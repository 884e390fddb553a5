// SPDX-License-Identifier: MIT
/*
 * read() latency as a log2 histogram, BCC-style: TRACEPOINT_PROBEs on the
 * read syscall's entry and exit keep the start time per thread in a
 * BPF_HASH and count microseconds in BPF_HISTOGRAM(dist); the host prints
 * it in BCC's print_log2_hist layout.
 *
 *   read_latency [SECONDS]   trace for SECONDS (default 5), then print
 *   read_latency --self      do 2000 reads of /dev/zero itself, print
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ember/ember.h>

static const char program[] =
	"BPF_HASH(start, u32, u64);\n"
	"BPF_HISTOGRAM(dist);\n"
	"\n"
	"TRACEPOINT_PROBE(syscalls, sys_enter_read)\n"
	"{\n"
	"\tu32 tid = bpf_get_current_pid_tgid();\n"
	"\tu64 ts = bpf_ktime_get_ns();\n"
	"\n"
	"\tstart.update(&tid, &ts);\n"
	"\treturn 0;\n"
	"}\n"
	"\n"
	"TRACEPOINT_PROBE(syscalls, sys_exit_read)\n"
	"{\n"
	"\tu32 tid = bpf_get_current_pid_tgid();\n"
	"\tu64 *tsp = start.lookup(&tid);\n"
	"\n"
	"\tif (tsp) {\n"
	"\t\tdist.increment(bpf_log2l((bpf_ktime_get_ns() - *tsp) / "
	"1000));\n"
	"\t\tstart.delete(&tid);\n"
	"\t}\n"
	"\treturn 0;\n"
	"}\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	EMBER_OPTS(ember_module_opts, opts, .name = "read_latency.c");
	int self = argc > 1 && !strcmp(argv[1], "--self");
	int seconds = argc > 1 && !self ? atoi(argv[1]) : 5;
	struct ember_module *m = NULL;
	EMBER_OPTS(ember_hist_opts, hist, .val_type = "usecs");
	struct ember_table *dist;
	char buf[64];
	int rc = 1;

	signal(SIGINT, on_signal);
	if (ember_module_new(program, &opts, &m) ||
	    ember_module_attach_auto(m) < 0 ||
	    ember_module_table(m, "dist", &dist)) {
		fprintf(stderr, "read_latency: %s\n", ember_errmsg());
		goto out;
	}
	if (self) {
		int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

		for (int i = 0; fd >= 0 && i < 2000; i++)
			if (read(fd, buf, sizeof(buf)) < 0)
				break;
		if (fd >= 0)
			close(fd);
	} else {
		printf("Tracing read() for %d s... Ctrl-C to end\n", seconds);
		fflush(stdout);
		for (int i = 0; i < seconds * 10 && !stop; i++)
			usleep(100000);
	}
	if (ember_table_print_log2_hist(dist, stdout, &hist)) {
		fprintf(stderr, "read_latency: %s\n", ember_errmsg());
		goto out;
	}
	rc = 0;
out:
	ember_module_free(m);
	return rc;
}
