// SPDX-License-Identifier: MIT
/*
 * What ember_module_free() promises (include/ember/ember.h): once it
 * returns, no program of the module runs, though its tracepoints, uprobes
 * and kprobes keep firing, and nothing of it is left in this process (no
 * perf event, no BPF link, no fd), in tracefs (no kprobe or uprobe event)
 * nor, shortly after, in the process that releases its events; with
 * SIGCHLD ignored too, and a subreaper host gets no process to reap.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
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

/* Ten system calls a thread can make at will, one probe on each. */
static const struct {
	const char *name;
	long nr;
} calls[] = {
	{ "getppid", SYS_getppid },	    { "getpid", SYS_getpid },
	{ "getuid", SYS_getuid },	    { "geteuid", SYS_geteuid },
	{ "getgid", SYS_getgid },	    { "getegid", SYS_getegid },
	{ "gettid", SYS_gettid },	    { "getpgrp", SYS_getpgrp },
	{ "sched_yield", SYS_sched_yield }, { "getpriority", SYS_getpriority },
};
#define N_CALLS (sizeof(calls) / sizeof(calls[0]))

/* Ten functions of this program, one uprobe on each. */
#define TARGET(i)                                                       \
	__attribute__((noinline, used)) int ember_free_target##i(int x) \
	{                                                               \
		__asm__ volatile("" ::: "memory");                      \
		return x + i;                                           \
	}
TARGET(0)
TARGET(1)
TARGET(2)
TARGET(3)
TARGET(4)
TARGET(5)
TARGET(6)
TARGET(7)
TARGET(8)
TARGET(9)
static int (*const volatile targets[])(int) = {
	ember_free_target0, ember_free_target1, ember_free_target2,
	ember_free_target3, ember_free_target4, ember_free_target5,
	ember_free_target6, ember_free_target7, ember_free_target8,
	ember_free_target9,
};

enum kind { TRACEPOINTS, UPROBES, KPROBES };
static const char *const kind_names[] = { "tracepoints", "uprobes", "kprobes" };

static atomic_bool stop;

/* Make every one of the ten calls and function calls, over and over,
 * until stop. */
static void *fire(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		for (size_t i = 0; i < N_CALLS; i++) {
			syscall(calls[i].nr, 0, 0);
			targets[i]((int)i);
		}
	return NULL;
}

/* The module's ten programs attached, one on each call (kind) */
static void attach(struct ember_module *m, enum kind kind)
{
	EMBER_OPTS(ember_uprobe_opts, uo);
	char self[4096], fn[16], sym[32], kfn[128];
	ssize_t len;
	int n;

	if (kind == TRACEPOINTS) {
		n = ember_module_attach_auto(m);
		if (n != (int)N_CALLS)
			fail_msg("%d attached: %s", n, ember_errmsg());
		return;
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(len > 0);
	self[len] = 0;
	for (size_t i = 0; i < N_CALLS; i++) {
		snprintf(fn, sizeof(fn), "on_%zu", i);
		snprintf(sym, sizeof(sym), "ember_free_target%zu", i);
		if (kind == UPROBES)
			n = ember_module_attach_uprobe(m, fn, self, sym, &uo,
						       NULL);
		else if (!(n = ember_syscall_fnname(calls[i].name, kfn,
						    sizeof(kfn))))
			n = ember_module_attach_kprobe(m, fn, kfn, false, NULL);
		if (n)
			fail_msg("attach of %s: %s", fn, ember_errmsg());
	}
}

static uint64_t count(int fd, uint32_t key)
{
	uint64_t v = 0;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)&v;
	if (syscall(SYS_bpf, BPF_MAP_LOOKUP_ELEM, &a, sizeof(a)))
		fail_msg("lookup of key %u: %s", key, strerror(errno));
	return v;
}

static uint64_t total(int fd)
{
	uint64_t sum = 0;

	for (uint32_t k = 0; k < N_CALLS; k++)
		sum += count(fd, k);
	return sum;
}

/* fds of this process whose target is an anon inode named like kind */
static int anon_fds(const char *kind)
{
	char path[320], target[128];
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	ssize_t len;

	assert_non_null(d);
	while ((e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		n += strstr(target, kind) != NULL;
	}
	closedir(d);
	return n;
}

/* Processes named ember-release: children of ppid (zombies too) if ppid >
 * 0, else anyone's that are alive (not zombies). */
static int releasers(int ppid)
{
	char path[320], *stat, *paren;
	struct dirent *e;
	DIR *d = opendir("/proc");
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		stat = test_read_file(path, NULL);
		paren = stat ? strrchr(stat, ')') : NULL;
		/* ") S PPID ..." */
		if (paren && strstr(stat, "(ember-release)") && paren[1] &&
		    paren[2] &&
		    (ppid > 0 ? atoi(paren + 4) == ppid : paren[2] != 'Z'))
			n++;
		free(stat);
	}
	closedir(d);
	return n;
}

static void free_stops_every_program(enum kind kind)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "ten.c" };
	struct ember_module *m = NULL;
	char text[4096];
	size_t len;
	pthread_t th[2];
	int fds, fd, uprobe_events, kprobe_events;
	uint64_t before, after;
	double t0, t1;

	len = (size_t)snprintf(text, sizeof(text),
			       "BPF_ARRAY(counts, u64, %zu);\n", N_CALLS);
	for (size_t i = 0; i < N_CALLS; i++)
		if (kind == TRACEPOINTS)
			len += (size_t)snprintf(
				text + len, sizeof(text) - len,
				"TRACEPOINT_PROBE(syscalls, sys_enter_%s)\n"
				"{\n"
				"\tcounts.atomic_increment(%zu);\n"
				"\treturn 0;\n"
				"}\n",
				calls[i].name, i);
		else
			len += (size_t)snprintf(
				text + len, sizeof(text) - len,
				"int on_%zu(struct pt_regs *ctx)\n"
				"{\n"
				"\tcounts.atomic_increment(%zu);\n"
				"\treturn 0;\n"
				"}\n",
				i, i);
	assert_true(len < sizeof(text));
	uprobe_events = test_tracefs_lines("uprobe_events");
	kprobe_events = test_tracefs_lines("kprobe_events");

	test_start_compiler();
	fds = test_count_fds();
	if (ember_module_new(text, &o, &m))
		fail_msg("load failed: %s", ember_errmsg());
	attach(m, kind);
	fd = dup(test_table_fd(m, "counts"));
	assert_true(fd >= 0);

	atomic_store(&stop, false);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, fire, NULL), 0);
	/* every probe runs */
	for (t0 = test_now(); test_now() - t0 < 5;) {
		uint32_t k;

		for (k = 0; k < N_CALLS && count(fd, k) > 100; k++)
			;
		if (k == N_CALLS)
			break;
	}
	for (uint32_t k = 0; k < N_CALLS; k++)
		if (count(fd, k) <= 100)
			fail_msg("the probe of %s ran %llu times",
				 calls[k].name,
				 (unsigned long long)count(fd, k));

	/* freed while the ten probes fire on both CPUs */
	t0 = test_now();
	ember_module_free(m);
	t1 = test_now();
	before = total(fd);
	usleep(100 * 1000);
	after = total(fd);
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	print_message("ember_module_free of %zu %s: %.0f ms; "
		      "counted %llu, then %llu\n",
		      N_CALLS, kind_names[kind], (t1 - t0) * 1000,
		      (unsigned long long)before, (unsigned long long)after);
	assert_true(before > 0);
	assert_true(after == before);

	close(fd);
	assert_int_equal(anon_fds("perf_event"), 0);
	assert_int_equal(anon_fds("bpf_link"), 0);
	assert_int_equal(test_count_fds(), fds);
	assert_int_equal(test_tracefs_lines("uprobe_events"), uprobe_events);
	assert_int_equal(test_tracefs_lines("kprobe_events"), kprobe_events);
	/* the releasing process, if any, is gone soon */
	for (t0 = test_now(); releasers(0) && test_now() - t0 < 10;)
		usleep(20 * 1000);
	assert_int_equal(releasers(0), 0);
}

static void free_stops_every_program_test(void **state)
{
	(void)state;
	free_stops_every_program(TRACEPOINTS);
}

static void free_stops_every_uprobe(void **state)
{
	(void)state;
	free_stops_every_program(UPROBES);
}

/* Without kprobes, a kprobe on a system call is its tracepoint: the same. */
static void free_stops_every_kprobe(void **state)
{
	(void)state;
	free_stops_every_program(KPROBES);
}

/* A host that lets the kernel reap its children (no status to wait for)
 * gets the same. */
static void sigchld_ignored(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;

	(void)state;
	assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
	free_stops_every_program(UPROBES);
	sigaction(SIGCHLD, &old, NULL);
}

/* A subreaper host would inherit the releasing process: it gets none, the
 * same guarantee, and pays the releases itself. */
static void subreaper_host(void **state)
{
	(void)state;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	free_stops_every_program(TRACEPOINTS);
	assert_int_equal(releasers(getpid()), 0);
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(free_stops_every_program_test),
		cmocka_unit_test(free_stops_every_uprobe),
		cmocka_unit_test(free_stops_every_kprobe),
		cmocka_unit_test(sigchld_ignored),
		cmocka_unit_test(subreaper_host),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
