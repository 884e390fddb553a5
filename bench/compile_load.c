// SPDX-License-Identifier: MIT
/*
 * Compile+load benchmark: how long ember takes to turn BCC-style text into
 * attached programs, and what one whole process costs.
 *
 *   bench_compile_load [--iterations N] [--program hello|map] [--no-cold]
 *   bench_compile_load --once PROGRAM [--unique]
 *
 * ember keeps two caches in EMBER_CACHE_DIR: the precompiled kernel-types
 * header (PCH, built once per kernel and library) and compiled objects keyed
 * by program text (a second run of the same text skips clang). So there are
 * three compile costs, measured apart:
 *   cold    first-ever compile: builds the PCH (a forked child, fresh dir)
 *   new     text never compiled before: the PCH is reused, clang runs
 *           (each iteration appends a distinct comment to the text)
 *   cached  the same text again: the object comes from the cache
 * The default mode runs in a private cache directory that it removes at the
 * end, so the user's cache is neither used nor filled.
 *
 * Per program and iteration (after one untimed warm-up that pays the
 * process's one-time set-up and builds the PCH):
 *   compile_new, compile_cached   ember_module_compile + free
 *   compile_load_attach_*         ember_module_new + ember_module_attach_auto
 *   compile_load_attach_free_*    ... + ember_module_free
 *   load, attach, free_detach     the parts of the "new" cycle
 *
 * --once does exactly one compile+load+attach+free in the caller's cache
 * (--unique: with never-seen text) and prints its timings and peak RSS;
 * bench/compile_load.sh wraps it to measure whole processes.
 *
 * Result rows have fixed columns so scripts can pick them out with awk:
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

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void fail(const struct program *p, const char *what)
{
	fprintf(stderr, "bench_compile_load: %s %s: %s\n", p->name, what,
		ember_errmsg());
	exit(1);
}

/*
 * The program's text, or with unique set a variant no cache has seen: a
 * trailing comment changes the object cache's key and nothing else. The
 * returned string is static storage, valid until the next call.
 */
static const char *text_of(const struct program *p, int unique)
{
	static char buf[4096];
	static unsigned int seq;
	struct timespec ts;

	if (!unique)
		return p->text;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, sizeof(buf), "%s// bench %d.%ld.%ld.%u\n", p->text,
		 (int)getpid(), (long)ts.tv_sec, ts.tv_nsec, seq++);
	return buf;
}

static double run_compile(const struct program *p, int unique)
{
	struct ember_module_opts opts = { .sz = sizeof(opts), .name = p->name };
	const char *text = text_of(p, unique);
	struct ember_module *m;
	double t0 = now_ms();

	if (ember_module_compile(text, &opts, &m))
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
 * TRACEPOINT_PROBEs) plus cleanup() is compared with: ember_module_new is
 * ember_module_compile then ember_module_load, called apart here to time
 * them apart. free is timed apart too: closing a tracepoint link waits for
 * the kernel's RCU grace periods, tens of milliseconds that BCC's cleanup()
 * pays just the same.
 */
static void run_compile_load(const struct program *p, int unique,
			     struct phases *ph)
{
	struct ember_module_opts opts = { .sz = sizeof(opts), .name = p->name };
	const char *text = text_of(p, unique);
	struct ember_module *m;
	double t0, t1, t2, t3, t4;
	int n;

	t0 = now_ms();
	if (ember_module_compile(text, &opts, &m))
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
	printf("%-6s %-32s %4s %9s %9s %9s\n", "prog", "phase", "n", "min_ms",
	       "median_ms", "p90_ms");
}

/* Sorts t. p90 is nearest-rank: the smallest value >= 90% of samples. */
static void print_row(const char *prog, const char *phase, double *t, int n)
{
	double median;
	int p90 = (9 * n + 9) / 10 - 1;

	qsort(t, n, sizeof(*t), cmp_double);
	median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	printf("%-6s %-32s %4d %9.2f %9.2f %9.2f\n", prog, phase, n, t[0],
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

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * One compile+load with EMBER_CACHE_DIR at an empty directory, in a child so
 * that it is also the process's first compile and nothing it sets up
 * in-process helps the other measurements. The child reports through a pipe.
 */
static int measure_cold(const struct program *p, const char *root)
{
	struct phases ph;
	char dir[4096];
	int fds[2], ok;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/cold-%s", root, p->name);
	if (pipe(fds))
		die("bench_compile_load: pipe");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		setenv("EMBER_CACHE_DIR", dir, 1);
		run_compile_load(p, 0, &ph);
		_exit(write(fds[1], &ph, sizeof(ph)) == sizeof(ph) ? 0 : 1);
	}
	close(fds[1]);
	ok = pid > 0 && read(fds[0], &ph, sizeof(ph)) == sizeof(ph);
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	rm_tree(dir);
	if (!ok) {
		fprintf(stderr, "bench_compile_load: cold run failed\n");
		return -1;
	}
	print_row(p->name, "cold_compile_load_attach_free", &ph.total, 1);
	print_row(p->name, "cold_compile", &ph.compile, 1);
	return 0;
}

enum row {
	COMPILE_NEW,
	COMPILE_CACHED,
	LOAD,
	ATTACH,
	FREE_DETACH,
	CLA_NEW,
	CLAF_NEW,
	CLA_CACHED,
	CLAF_CACHED,
	N_ROWS
};

static const char *const row_names[N_ROWS] = {
	[COMPILE_NEW] = "compile_new",
	[COMPILE_CACHED] = "compile_cached",
	[LOAD] = "load",
	[ATTACH] = "attach",
	[FREE_DETACH] = "free_detach",
	[CLA_NEW] = "compile_load_attach_new",
	[CLAF_NEW] = "compile_load_attach_free_new",
	[CLA_CACHED] = "compile_load_attach_cached",
	[CLAF_CACHED] = "compile_load_attach_free_cached",
};

static void measure_warm(const struct program *p, int iterations)
{
	double *t[N_ROWS];
	struct phases ph;
	int r, i;

	for (r = 0; r < N_ROWS; r++) {
		t[r] = calloc(iterations, sizeof(double));
		if (!t[r])
			die("bench_compile_load");
	}
	/* Also puts the plain text in the object cache for the cached rows. */
	run_compile_load(p, 0, &ph);
	/* Interleaved, so that a burst of background load hits every row. */
	for (i = 0; i < iterations; i++) {
		t[COMPILE_NEW][i] = run_compile(p, 1);
		t[COMPILE_CACHED][i] = run_compile(p, 0);
		run_compile_load(p, 1, &ph);
		t[LOAD][i] = ph.load;
		t[ATTACH][i] = ph.attach;
		t[FREE_DETACH][i] = ph.free;
		t[CLA_NEW][i] = ph.total - ph.free;
		t[CLAF_NEW][i] = ph.total;
		run_compile_load(p, 0, &ph);
		t[CLA_CACHED][i] = ph.total - ph.free;
		t[CLAF_CACHED][i] = ph.total;
	}
	for (r = 0; r < N_ROWS; r++) {
		print_row(p->name, row_names[r], t[r], iterations);
		free(t[r]);
	}
}

static long maxrss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;
}

static int run_once(const struct program *p, int unique)
{
	struct phases ph;

	run_compile_load(p, unique, &ph);
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
		   "       bench_compile_load --once hello|map [--unique]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "program", required_argument, NULL, 'p' },
		{ "once", required_argument, NULL, 'o' },
		{ "unique", no_argument, NULL, 'u' },
		{ "no-cold", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct program *only = NULL, *once = NULL;
	int iterations = 20, cold = 1, unique = 0, opt;
	char root[] = "/tmp/ember-bench-cache.XXXXXX", dir[4096];
	char *end;

	while ((opt = getopt_long(argc, argv, "n:p:o:uch", longopts, NULL)) !=
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
		case 'u':
			unique = 1;
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
		return run_once(once, unique);

	if (!mkdtemp(root))
		die("bench_compile_load: mkdtemp");
	printf("ember %s, %d iterations per phase, private cache %s\n",
	       ember_version(), iterations, root);
	print_header();
	for (size_t i = 0; i < N_PROGRAMS; i++) {
		if (only && only != &programs[i])
			continue;
		/* Cold first: fork before this process initialises LLVM. */
		if (cold && measure_cold(&programs[i], root)) {
			rm_tree(root);
			return 1;
		}
	}
	snprintf(dir, sizeof(dir), "%s/warm", root);
	setenv("EMBER_CACHE_DIR", dir, 1);
	for (size_t i = 0; i < N_PROGRAMS; i++) {
		if (only && only != &programs[i])
			continue;
		measure_warm(&programs[i], iterations);
	}
	printf("peak RSS of this process: %ld kB\n", maxrss_kb());
	rm_tree(root);
	return 0;
}
