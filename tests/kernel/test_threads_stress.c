// SPDX-License-Identifier: MIT
/*
 * What ember.h promises: distinct modules may be used from distinct threads
 * at the same time. 8 threads each compile (a text of their own every round,
 * so no object cache hit), load, attach, trigger and read their module, and
 * compile a wrong text whose error must name their own file: errors are
 * per thread. EMBER_TEST_ROUNDS overrides the rounds per thread.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

#define THREADS 8
#define CALLS 20

static int rounds = 4;

struct worker {
	int index;
	pthread_t thread;
	char error[1024]; /* empty: all rounds passed */
};

static void failed(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
}

static void one_round(struct worker *w, int round)
{
	char text[1024], name[64], bad_name[64];
	EMBER_OPTS(ember_module_opts, o, .name = name);
	EMBER_OPTS(ember_module_opts, bo, .name = bad_name);
	struct ember_module *m = NULL, *bad = NULL;
	struct ember_table *t;
	long tid = syscall(SYS_gettid);
	uint64_t val = 0;
	uint32_t key = 0;
	int err;

	snprintf(name, sizeof(name), "thread%d_round%d.c", w->index, round);
	snprintf(bad_name, sizeof(bad_name), "bad%d_round%d.c", w->index,
		 round);
	/* counts this thread's getppid() calls, ROUND + 1 at a time */
	snprintf(text, sizeof(text),
		 "BPF_ARRAY(calls_%d, u64, 1);\n"
		 "TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
		 "{\n"
		 "	u32 k = 0;\n"
		 "	u64 *v;\n"
		 "	if ((u32)bpf_get_current_pid_tgid() != %ld)\n"
		 "		return 0;\n"
		 "	v = calls_%d.lookup(&k);\n"
		 "	if (v)\n"
		 "		__sync_fetch_and_add(v, %d);\n"
		 "	return 0;\n"
		 "}\n",
		 w->index, tid, w->index, round + 1);
	if (ember_module_new(text, &o, &m)) {
		failed(w, "%s: %s", name, ember_errmsg());
		return;
	}
	if (ember_module_attach_auto(m) != 1) {
		failed(w, "%s: attach: %s", name, ember_errmsg());
		goto out;
	}
	/* another thread's failure must not overwrite this one's message */
	err = ember_module_new("int f( { return 0; }\n", &bo, &bad);
	if (!err || !strstr(ember_errmsg(), bad_name))
		failed(w, "%s: error %d, message \"%s\"", bad_name, err,
		       ember_errmsg());
	for (int i = 0; i < CALLS; i++)
		getppid();
	snprintf(text, sizeof(text), "calls_%d", w->index);
	if (ember_module_table(m, text, &t) ||
	    ember_table_lookup(t, &key, &val)) {
		failed(w, "%s: table: %s", name, ember_errmsg());
		goto out;
	}
	if (val != (uint64_t)CALLS * (uint64_t)(round + 1))
		failed(w, "%s: counted %llu, want %d", name,
		       (unsigned long long)val, CALLS * (round + 1));
out:
	ember_module_free(bad);
	ember_module_free(m);
}

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int r = 0; r < rounds && !w->error[0]; r++)
		one_round(w, r);
	return NULL;
}

static void eight_threads(void **state)
{
	struct worker w[THREADS];
	double t0 = test_now();
	int fds;

	(void)state;
	test_require_root();
	if (getenv("EMBER_TEST_ROUNDS"))
		rounds = atoi(getenv("EMBER_TEST_ROUNDS"));
	/* Build the precompiled prelude first (once per cache: minutes under
	 * ASan), so the threads race on compiles, not on that one build. */
	{
		EMBER_OPTS(ember_module_opts, po, .name = "prelude.c");
		struct ember_module *pm;

		assert_int_equal(ember_module_new("int x;\n", &po, &pm), 0);
		ember_module_free(pm);
	}
	test_start_compiler();
	fds = test_count_fds();
	for (int i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].index = i;
		assert_int_equal(
			pthread_create(&w[i].thread, NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
	print_message("%d threads x %d rounds in %.1f s\n", THREADS, rounds,
		      test_now() - t0);
	for (int i = 0; i < THREADS; i++)
		if (w[i].error[0])
			fail_msg("thread %d: %s", i, w[i].error);
	assert_int_equal(test_count_fds(), fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(eight_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
