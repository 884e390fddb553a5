// SPDX-License-Identifier: MIT
/*
 * The forked compile copy (compiler/isolation.c): it must not outlive a host
 * that is killed while it works. A copy that waits without using CPU (a
 * macro-built #include of a FIFO, a lock inherited at fork) is not stopped
 * by its CPU limit, and only its host enforces the wall limit.
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

/* The copy's work: wait for ever on a pipe no one writes to. */
static int wait_forever(void *arg, ember_log_fn log, void *log_ctx, FILE *reply)
{
	int p[2];
	char c;

	(void)arg, (void)log, (void)log_ctx, (void)reply;
	if (pipe(p))
		return -errno;
	return (int)read(p[0], &c, 1);
}

/* The copy's pid: the only child of the host's only thread. */
static pid_t copy_of(pid_t host)
{
	char path[64];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", host, host);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

/* Gone, or a zombie waiting for a reaper that is not us. */
static bool gone(pid_t pid)
{
	char path[64], state = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 0;
	fclose(f);
	return state == 'Z' || state == 'X';
}

static void copy_dies_with_its_host(void **state)
{
	pid_t host, copy = 0;
	int status;

	(void)state;
	host = fork();
	assert_true(host >= 0);
	if (host == 0) {
		char *reply;
		size_t len;

		ember__isolated_run("wait.c", wait_forever, NULL, NULL, NULL,
				    &reply, &len);
		_exit(0);
	}
	for (int i = 0; i < 200 && !copy; i++) {
		usleep(10000);
		copy = copy_of(host);
	}
	assert_true(copy > 0);
	assert_false(gone(copy));
	kill(host, SIGKILL);
	assert_int_equal(waitpid(host, &status, 0), host);
	for (int i = 0; i < 200 && !gone(copy); i++)
		usleep(10000);
	if (!gone(copy)) {
		kill(copy, SIGKILL);
		fail_msg("the compile copy %d outlived its killed host", copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copy_dies_with_its_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
