// SPDX-License-Identifier: MIT
/*
 * Programs on perf events: the software CPU clock at a set frequency on
 * every CPU while this process keeps one busy, on one CPU, for one process,
 * from a raw perf_event_attr; and the errors.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

static const char prog_text[] =
	"struct {\n"
	"	__uint(type, BPF_MAP_TYPE_ARRAY);\n"
	"	__type(key, u32);\n"
	"	__type(value, u64);\n"
	"	__uint(max_entries, 1);\n"
	"} counts SEC(\".maps\");\n"
	"int on_sample(struct bpf_perf_event_data *ctx)\n"
	"{\n"
	"	u32 k = 0;\n"
	"	u64 *v = bpf_map_lookup_elem(&counts, &k);\n"
	"	if (v)\n"
	"		__sync_fetch_and_add(v, 1);\n"
	"	return 0;\n"
	"}\n";

static uint64_t count(struct ember_module *m)
{
	union bpf_attr attr;
	uint32_t key = 0;
	uint64_t v = 0;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)test_table_fd(m, "counts");
	attr.key = (uint64_t)(uintptr_t)&key;
	attr.value = (uint64_t)(uintptr_t)&v;
	assert_int_equal(
		syscall(__NR_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr)), 0);
	return v;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Keep this CPU busy for sec seconds. */
static void spin(double sec)
{
	volatile unsigned long x = 0;
	double end = now() + sec;

	while (now() < end)
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
}

static struct ember_module *load(void)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "perf.c" };
	struct ember_module *m = NULL;

	if (ember_module_new(prog_text, &o, &m))
		fail_msg("load failed: %s", ember_errmsg());
	return m;
}

static void cpu_clock_frequency_every_cpu(void **state)
{
	struct ember_perf_event_opts o = { .sz = sizeof(o),
					   .sample_freq = 1000 };
	struct ember_module *m = load();
	struct ember_link *l;
	char want[128];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t n;

	(void)state;
	if (ember_module_attach_perf_event(
		    m, "on_sample", EMBER_PERF_TYPE_SOFTWARE,
		    EMBER_PERF_COUNT_SW_CPU_CLOCK, &o, &l))
		fail_msg("%s", ember_errmsg());
	snprintf(want, sizeof(want),
		 "perf_event software:cpu-clock freq 1000 on %ld CPUs → "
		 "on_sample",
		 cpus);
	assert_string_equal(ember_link_description(l), want);
	spin(0.5);
	n = count(m);
	/* 1000 Hz: about 500 on the busy CPU alone, more with idle CPUs
	 * sampled too; a loaded machine still gives well over 100. */
	print_message("cpu-clock samples in 0.5 s at 1000 Hz: %llu\n",
		      (unsigned long long)n);
	assert_true(n >= 100);
	assert_int_equal(ember_link_detach(l), 0);
	n = count(m);
	spin(0.1);
	assert_int_equal(count(m), n); /* detached: no more samples */
	ember_module_free(m);
}

static void one_cpu_and_one_process(void **state)
{
	struct ember_perf_event_opts o = { .sz = sizeof(o),
					   .sample_period = 1000000 };
	struct ember_module *m = load();
	struct ember_link *l;
	cpu_set_t set;
	int cpu;

	(void)state;
	/* stay on one CPU and sample only that one: 1 ms of CPU time each */
	cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
	o.cpu = EMBER_PERF_CPU(cpu);
	if (ember_module_attach_perf_event(
		    m, "on_sample", EMBER_PERF_TYPE_SOFTWARE,
		    EMBER_PERF_COUNT_SW_CPU_CLOCK, &o, &l))
		fail_msg("%s", ember_errmsg());
	assert_non_null(strstr(ember_link_description(l), "on CPU"));
	spin(0.3);
	assert_true(count(m) >= 50);
	ember_module_free(m);

	/* this process's task clock, wherever it runs */
	m = load();
	o.cpu = 0;
	o.pid = getpid();
	if (ember_module_attach_perf_event(
		    m, "on_sample", EMBER_PERF_TYPE_SOFTWARE,
		    EMBER_PERF_COUNT_SW_TASK_CLOCK, &o, &l))
		fail_msg("%s", ember_errmsg());
	assert_non_null(strstr(ember_link_description(l), "task-clock"));
	spin(0.3);
	assert_true(count(m) >= 50);
	ember_module_free(m);
	CPU_ZERO(&set);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void raw_attr(void **state)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	struct ember_module *m = load();

	(void)state;
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.freq = 1;
	attr.sample_freq = 500;
	if (ember_module_attach_perf_event_raw(m, "on_sample", &attr, 0, -1,
					       NULL))
		fail_msg("%s", ember_errmsg());
	spin(0.4);
	assert_true(count(m) >= 50);
	ember_module_free(m);
}

static void perf_event_errors(void **state)
{
	struct ember_perf_event_opts o = { .sz = sizeof(o) };
	struct ember_module *m = load();
	int err;

	(void)state;
	/* neither period nor frequency, then both */
	assert_int_equal(ember_module_attach_perf_event(
				 m, "on_sample", EMBER_PERF_TYPE_SOFTWARE,
				 EMBER_PERF_COUNT_SW_CPU_CLOCK, &o, NULL),
			 -EINVAL);
	o.sample_period = 1000;
	o.sample_freq = 10;
	assert_int_equal(ember_module_attach_perf_event(
				 m, "on_sample", EMBER_PERF_TYPE_SOFTWARE,
				 EMBER_PERF_COUNT_SW_CPU_CLOCK, &o, NULL),
			 -EINVAL);
	/* hardware counters: present or explained */
	o.sample_freq = 0;
	o.sample_period = 1000000;
	err = ember_module_attach_perf_event(
		m, "on_sample", EMBER_PERF_TYPE_HARDWARE,
		EMBER_PERF_COUNT_HW_CPU_CYCLES, &o, NULL);
	if (err) {
		print_message("hardware cycles: %s\n", ember_errmsg());
		assert_non_null(strstr(ember_errmsg(), "hardware counter"));
	}
	/* a type the kernel does not have */
	assert_true(ember_module_attach_perf_event(m, "on_sample", 4242, 0, &o,
						   NULL) < 0);
	assert_non_null(strstr(ember_errmsg(), "type 4242"));
	ember_module_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cpu_clock_frequency_every_cpu),
		cmocka_unit_test(one_cpu_and_one_process),
		cmocka_unit_test(raw_attr),
		cmocka_unit_test(perf_event_errors),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
