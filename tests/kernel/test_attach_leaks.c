// SPDX-License-Identifier: MIT
/*
 * Nothing left behind: 1,000 cycles of compile, load, attach (a tracepoint,
 * a uprobe and a perf event on every CPU), detach and free leave this
 * process with the file descriptors it started with, and tracefs with no
 * uprobe or kprobe events (the probes are perf PMU events, not tracefs
 * ones). EMBER_TEST_CYCLES overrides the count.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

static const char prog_text[] =
	"TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { return 0; }\n"
	"int on_call(struct pt_regs *ctx) { return 0; }\n"
	"int on_sample(struct bpf_perf_event_data *ctx) { return 0; }\n";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What the uprobe probes: a function of this test program. */
__attribute__((noinline, used)) int ember_leak_target(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

static char self[4096];

/* One cycle; 0, or -1 with a message in err. */
static int one_cycle(char *err, size_t size)
{
	struct ember_perf_event_opts po = { .sz = sizeof(po),
					    .sample_freq = 10 };
	struct ember_uprobe_opts uo = { .sz = sizeof(uo) };
	struct ember_module_opts o = { .sz = sizeof(o), .name = "leak.c" };
	struct ember_module *m = NULL;
	int ret = 0;

	if (ember_module_new(prog_text, &o, &m)) {
		snprintf(err, size, "load failed: %s", ember_errmsg());
		return -1;
	}
	uo.pid = getpid();
	if (ember_module_attach_auto(m) != 1 ||
	    ember_module_attach_uprobe(m, "on_call", self, "ember_leak_target",
				       &uo, NULL) ||
	    ember_module_attach_perf_event(
		    m, "on_sample", EMBER_PERF_TYPE_SOFTWARE,
		    EMBER_PERF_COUNT_SW_CPU_CLOCK, &po, NULL)) {
		snprintf(err, size, "attach failed: %s", ember_errmsg());
		ret = -1;
	} else if (ember_module_link_cnt(m) != 3) {
		snprintf(err, size, "%zu links", ember_module_link_cnt(m));
		ret = -1;
	}
	ember_leak_target(1);
	getppid();
	ember_module_free(m);
	return ret;
}

/* Detaching a uprobe or a tracepoint waits for the kernel's RCU grace
 * periods (the uprobe about 100 ms here, under a kernel mutex, so threads
 * would not overlap them): 1,000 cycles take a few minutes. */
static void thousand_cycles_leave_nothing(void **state)
{
	const char *env = getenv("EMBER_TEST_CYCLES");
	int cycles = env ? atoi(env) : 1000, fds, uprobes, dynamic;
	struct ember_module_opts o = { .sz = sizeof(o) };
	struct ember_uprobe_opts uo = { .sz = sizeof(uo) };
	struct ember_module *m = NULL;
	char err[1024] = "";
	double t0;

	(void)state;
	assert_true(readlink("/proc/self/exe", self, sizeof(self) - 1) > 0);
	uprobes = test_tracefs_lines("uprobe_events");
	dynamic = test_tracefs_lines("dynamic_events");
	/* the first cycle opens what stays open for the process's life (the
	 * compiler's caches, tracefs, the feature checks) */
	if (one_cycle(err, sizeof(err)))
		fail_msg("%s", err);
	fds = test_count_fds();

	/* attached, and still nothing in tracefs */
	assert_int_equal(ember_module_new(prog_text, &o, &m), 0);
	assert_int_equal(ember_module_attach_uprobe(m, "on_call", self,
						    "ember_leak_target", &uo,
						    NULL),
			 0);
	assert_int_equal(test_tracefs_lines("uprobe_events"), uprobes);
	assert_int_equal(test_tracefs_lines("dynamic_events"), dynamic);
	ember_module_free(m);

	t0 = now();
	for (int i = 0; i < cycles; i++)
		if (one_cycle(err, sizeof(err)))
			fail_msg("cycle %d: %s", i, err);
	print_message("%d cycles in %.1f s (%.0f ms each); fds %d -> %d\n",
		      cycles, now() - t0, (now() - t0) * 1000 / cycles, fds,
		      test_count_fds());
	assert_int_equal(test_count_fds(), fds);
	assert_int_equal(test_tracefs_lines("uprobe_events"), uprobes);
	assert_int_equal(test_tracefs_lines("dynamic_events"), dynamic);
	assert_int_equal(test_tracefs_lines("kprobe_events"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(thousand_cycles_leave_nothing),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
