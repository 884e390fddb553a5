// SPDX-License-Identifier: MIT
/*
 * Memory over many module lifetimes in one process: N cycles (default
 * 10,000) of compile, load, read a table and free (--attach: also attach a
 * tracepoint and trigger it; detaching waits for the kernel), printing
 * the resident set size (VmRSS) and the open file descriptors every N/10
 * cycles. A growth beyond noise between the warm first checkpoint and the
 * last is a leak. With --distinct every cycle's text differs (each compile
 * misses the object cache and runs the compiler; default: every cycle after
 * the first is an object cache hit, so the cycles measure load and free).
 * Needs root; run under the kernel lock:
 *   flock /tmp/ember-kernel.lock build/bin/bench_rss_cycles [--distinct]
 *         [--attach] [N]
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ember/ember.h>

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kib = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n - 3; /* ".", ".." and the directory's own fd */
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int distinct, attach;

static int cycle(long i)
{
	char text[512];
	EMBER_OPTS(ember_module_opts, o, .name = "rss.c");
	struct ember_module *m;
	struct ember_table *t;
	uint64_t val;
	uint32_t key = 0;
	int err;

	snprintf(text, sizeof(text),
		 "BPF_ARRAY(calls, u64, 1);\n"
		 "TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
		 "{\n"
		 "	u32 k = 0;\n"
		 "	u64 *v = calls.lookup(&k);\n"
		 "	if (v)\n"
		 "		__sync_fetch_and_add(v, %ld);\n"
		 "	return 0;\n"
		 "}\n",
		 distinct ? i + 1 : 1L);
	err = ember_module_new(text, &o, &m);
	if (!err && attach && ember_module_attach_auto(m) != 1)
		err = -1;
	getppid();
	if (!err && (ember_module_table(m, "calls", &t) ||
		     ember_table_lookup(t, &key, &val) || (attach && !val)))
		err = -1;
	if (err)
		fprintf(stderr, "cycle %ld: %s\n", i, ember_errmsg());
	ember_module_free(m);
	return err;
}

int main(int argc, char **argv)
{
	long n = 10000, step;
	double t0 = now();

	for (int a = 1; a < argc; a++)
		if (!strcmp(argv[a], "--distinct"))
			distinct = 1;
		else if (!strcmp(argv[a], "--attach"))
			attach = 1;
		else
			n = atol(argv[a]);
	step = n >= 10 ? n / 10 : 1;

	printf("%10s %10s %6s %8s\n", "cycles", "rss_kib", "fds", "seconds");
	for (long i = 0; i < n; i++) {
		if (cycle(i))
			return 1;
		if (i == 0 || (i + 1) % step == 0) {
			printf("%10ld %10ld %6d %8.1f\n", i + 1, rss_kib(),
			       open_fds(), now() - t0);
			fflush(stdout);
		}
	}
	return 0;
}
