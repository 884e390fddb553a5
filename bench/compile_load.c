// SPDX-License-Identifier: MIT
/*
 * Compile+load benchmark: how long ember takes to turn BCC-style text into
 * attached programs, and what one whole process costs.
 *
 *   bench_compile_load [--iterations N] [--program hello|map] [--no-cold]
 *   bench_compile_load --once PROGRAM
 *
 * Default mode times, per program, N in-process iterations of
 *   compile-only:  ember_module_compile + ember_module_free
 *   compile+load:  ember_module_new + ember_module_attach_auto +
 *                  ember_module_free
 * after one untimed warm-up (the first compile in a process also pays for
 * LLVM's and the BTF reader's one-time set-up, which --once shows instead).
 * Before that, unless --no-cold, a forked child runs one compile+load with
 * EMBER_CACHE_DIR pointing at a fresh directory: the first-ever compile,
 * which builds the precompiled kernel-types header.
 *
 * --once does exactly one compile+load+attach+free and prints its timings and
 * the process's peak RSS; bench/compile_load.sh wraps it in /usr/bin/time.
 *
 * Result rows have fixed columns so the script can pick them out with awk:
 *   PROGRAM PHASE N MIN_MS MEDIAN_MS P90_MS
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ember/ember.h>

struct program {
	const char *name;
	const char *text;
};

static const struct program programs[] = {
	{ "hello", "TRACEPOINT_PROBE(syscalls, sys_enter_execve)\n"
		   "{\n"
		   "\tbpf_trace_printk(\"Hello, World!\\n\");\n"
		   "\treturn 0;\n"
		   "}\n" },
	/* ember has no BPF_HASH yet: libbpf's BTF map form, from the prelude's
	 * bpf_helpers.h, says the same thing. */
	{ "map", "struct {\n"
		 "\t__uint(type, BPF_MAP_TYPE_HASH);\n"
		 "\t__type(key, u32);\n"
		 "\t__type(value, u64);\n"
		 "\t__uint(max_entries, 10240);\n"
		 "} counts SEC(\".maps\");\n"
		 "\n"
		 "TRACEPOINT_PROBE(syscalls, sys_enter_execve)\n"
		 "{\n"
		 "\tu32 uid = bpf_get_current_uid_gid();\n"
		 "\tu64 one = 1, *val;\n"
		 "\n"
		 "\tval = bpf_map_lookup_elem(&counts, &uid);\n"
		 "\tif (val)\n"
		 "\t\t__sync_fetch_and_add(val, 1);\n"
		 "\telse\n"
		 "\t\tbpf_map_update_elem(&counts, &uid, &one, BPF_ANY);\n"
		 "\treturn 0;\n"
		 "}\n" },
};

#define N_PROGRAMS (sizeof(programs) / sizeof(programs[0]))

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const struct program *find_program(const char *name)
{
	for (size_t i = 0; i < N_PROGRAMS; i++)
		if (!strcmp(programs[i].name, name))
			return &programs[i];
	return NULL;
}

static void fail(const struct program *p, const char *what)
{
	fprintf(stderr, "bench_compile_load: %s %s: %s\n", p->name, what,
		ember_errmsg());
	exit(1);
}

/* Compile only; the module is never loaded. */
static double run_compile(const struct program *p)
{
	struct ember_module_opts opts = { .sz = sizeof(opts), .name = p->name };
	struct ember_module *m;
	double t0 = now_ms();

	if (ember_module_compile(p->text, &opts, &m))
		fail(p, "compile");
	ember_module_free(m);
	return now_ms() - t0;
}

/* Phase times of one compile+load+attach+free, in ms. */
struct phases {
	double compile, load, attach, free, total;
};

/*
 * The unit BCC's BPF(text=...) (which compiles, loads and attaches
 * TRACEPOINT_PROBEs) plus cleanup() is compared with. free is timed apart:
 * closing a tracepoint link waits for the kernel's RCU grace periods, tens of
 * milliseconds that BCC's cleanup() pays just the same.
 */
static void run_compile_load(const struct program *p, struct phases *ph)
{
	struct ember_module_opts opts = { .sz = sizeof(opts), .name = p->name };
	struct ember_module *m;
	double t0, t1, t2, t3, t4;
	int n;

	t0 = now_ms();
	if (ember_module_compile(p->text, &opts, &m))
		fail(p, "compile");
	t1 = now_ms();
	if (ember_module_load(m))
		fail(p, "load");
	t2 = now_ms();
	n = ember_module_attach_auto(m);
	if (n < 0)
		fail(p, "attach");
	t3 = now_ms();
	if (n != 1) {
		fprintf(stderr,
			"bench_compile_load: %s: %d attachments, expected 1\n",
			p->name, n);
		exit(1);
	}
	ember_module_free(m);
	t4 = now_ms();
	*ph = (struct phases){ .compile = t1 - t0,
			       .load = t2 - t1,
			       .attach = t3 - t2,
			       .free = t4 - t3,
			       .total = t4 - t0 };
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void print_header(void)
{
	printf("%-6s %-30s %4s %9s %9s %9s\n", "prog", "phase", "n", "min_ms",
	       "median_ms", "p90_ms");
}

/* Sorts t. p90 is nearest-rank: the smallest value >= 90% of samples. */
static void print_row(const char *prog, const char *phase, double *t, int n)
{
	double median;
	int p90 = (9 * n + 9) / 10 - 1;

	qsort(t, n, sizeof(*t), cmp_double);
	median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	printf("%-6s %-30s %4d %9.2f %9.2f %9.2f\n", prog, phase, n, t[0],
	       median, t[p90]);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/*
 * One compile+load against an empty PCH cache, in a child so that neither the
 * environment change nor anything the first compile sets up in-process leaks
 * into the warm measurements. The child reports through a pipe.
 */
static int measure_cold(const struct program *p)
{
	char dir[] = "/tmp/ember-bench-cache.XXXXXX";
	struct phases ph;
	int fds[2], ok;
	pid_t pid;

	if (!mkdtemp(dir)) {
		perror("bench_compile_load: mkdtemp");
		return -1;
	}
	if (pipe(fds)) {
		perror("bench_compile_load: pipe");
		rmdir(dir);
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		setenv("EMBER_CACHE_DIR", dir, 1);
		run_compile_load(p, &ph);
		_exit(write(fds[1], &ph, sizeof(ph)) == sizeof(ph) ? 0 : 1);
	}
	close(fds[1]);
	ok = pid > 0 && read(fds[0], &ph, sizeof(ph)) == sizeof(ph);
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (!ok) {
		fprintf(stderr, "bench_compile_load: cold run failed\n");
		return -1;
	}
	print_row(p->name, "cold_compile_load_attach_free", &ph.total, 1);
	print_row(p->name, "cold_compile", &ph.compile, 1);
	return 0;
}

static void measure_warm(const struct program *p, int iterations)
{
	/* compile-only, then per compile+load+attach+free iteration: load,
	 * attach, free, compile+load+attach, total. */
	static const char *const names[] = {
		"compile_only",
		"load",
		"attach",
		"free_detach",
		"compile_load_attach",
		"compile_load_attach_free",
	};
	enum { N_ROWS = sizeof(names) / sizeof(names[0]) };
	double *t[N_ROWS];
	struct phases ph;
	int r, i;

	for (r = 0; r < N_ROWS; r++) {
		t[r] = calloc(iterations, sizeof(double));
		if (!t[r]) {
			perror("bench_compile_load");
			exit(1);
		}
	}
	/* Warm-up: pays the process's one-time set-up and builds the PCH in
	 * the normal cache if it is missing. */
	run_compile_load(p, &ph);
	for (i = 0; i < iterations; i++)
		t[0][i] = run_compile(p);
	for (i = 0; i < iterations; i++) {
		run_compile_load(p, &ph);
		t[1][i] = ph.load;
		t[2][i] = ph.attach;
		t[3][i] = ph.free;
		t[4][i] = ph.total - ph.free;
		t[5][i] = ph.total;
	}
	for (r = 0; r < N_ROWS; r++) {
		print_row(p->name, names[r], t[r], iterations);
		free(t[r]);
	}
}

static long maxrss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;
}

static int run_once(const struct program *p)
{
	struct phases ph;

	run_compile_load(p, &ph);
	printf("once prog=%s compile_load_attach_free_ms=%.2f compile_ms=%.2f "
	       "load_ms=%.2f attach_ms=%.2f free_ms=%.2f maxrss_kb=%ld\n",
	       p->name, ph.total, ph.compile, ph.load, ph.attach, ph.free,
	       maxrss_kb());
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_compile_load [--iterations N] "
		   "[--program hello|map] [--no-cold]\n"
		   "       bench_compile_load --once hello|map\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "program", required_argument, NULL, 'p' },
		{ "once", required_argument, NULL, 'o' },
		{ "no-cold", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct program *only = NULL, *once = NULL;
	int iterations = 20, cold = 1, opt;
	char *end;

	while ((opt = getopt_long(argc, argv, "n:p:o:ch", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'n':
			errno = 0;
			iterations = strtol(optarg, &end, 10);
			if (errno || *end || iterations < 1) {
				fprintf(stderr, "bad --iterations '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'p':
		case 'o':
			if (!find_program(optarg)) {
				fprintf(stderr, "unknown program '%s'\n",
					optarg);
				usage(stderr);
				return 2;
			}
			if (opt == 'o')
				once = find_program(optarg);
			else
				only = find_program(optarg);
			break;
		case 'c':
			cold = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (once)
		return run_once(once);

	printf("ember %s, %d iterations per phase\n", ember_version(),
	       iterations);
	print_header();
	for (size_t i = 0; i < N_PROGRAMS; i++) {
		if (only && only != &programs[i])
			continue;
		/* Cold first: fork before this process initialises LLVM. */
		if (cold && measure_cold(&programs[i]))
			return 1;
	}
	for (size_t i = 0; i < N_PROGRAMS; i++) {
		if (only && only != &programs[i])
			continue;
		measure_warm(&programs[i], iterations);
	}
	printf("peak RSS of this process: %ld kB\n", maxrss_kb());
	return 0;
}
