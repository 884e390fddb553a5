// SPDX-License-Identifier: MIT
/*
 * A helper process (compiler/isolation.c: ember-object-check, which checks
 * prebuilt objects): it must not outlive a host that is killed while it
 * works. A helper that waits without using CPU is not stopped by its CPU
 * limit, and only its host enforces the wall limit. The helper here is
 * this program itself, run with "wait". (The compiler process:
 * tests/library/test_compiler_process.c.)
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "compiler/isolation.h"
#include "test_support.h"

/* The helper's work: wait for ever on a pipe no one writes to. */
static int wait_forever(void *arg, ember_log_fn log, void *log_ctx, FILE *reply)
{
	int p[2];
	char c;

	(void)arg, (void)log, (void)log_ctx, (void)reply;
	if (pipe(p))
		return -errno;
	return (int)read(p[0], &c, 1);
}

static void copy_dies_with_its_host(void **state)
{
	pid_t host, copy = 0;
	int status;

	(void)state;
	host = fork();
	assert_true(host >= 0);
	if (host == 0) {
		static const char *const args[] = { "wait" };
		char *reply;
		size_t len;

		ember__isolated_exec("wait.c", "/proc/self/exe", args, 1, "", 0,
				     NULL, NULL, &reply, &len);
		_exit(0);
	}
	for (int i = 0; i < 200 && !copy; i++) {
		usleep(10000);
		copy = test_child_of(host);
	}
	assert_true(copy > 0);
	assert_false(test_process_gone(copy));
	kill(host, SIGKILL);
	assert_int_equal(waitpid(host, &status, 0), host);
	for (int i = 0; i < 200 && !test_process_gone(copy); i++)
		usleep(10000);
	if (!test_process_gone(copy)) {
		kill(copy, SIGKILL);
		fail_msg("the helper %d outlived its killed host", copy);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copy_dies_with_its_host),
	};

	if (argc == 4 && !strcmp(argv[3], "wait"))
		return ember__isolated_main(argc, argv, wait_forever);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
