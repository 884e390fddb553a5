// SPDX-License-Identifier: MIT
/*
 * trace_pipe line parsing (every line shape seen on real kernels) and the
 * line reader's buffering, driven through a pipe instead of tracefs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ember/ember.h"
#include "test_support.h"

/* Internal, defined in libruntime/io/trace_pipe.c. */
int ember__trace_pipe_from_fd(int fd, struct ember_trace_pipe **out);

static long long usec(double ts)
{
	return (long long)(ts * 1e6 + 0.5);
}

/* Parse a copy of line and check every field. */
static void check_line(const char *line, const char *task, int pid, int cpu,
		       const char *flags, long long ts_us, const char *msg)
{
	struct ember_trace_fields f;
	char *copy = strdup(line);

	assert_non_null(copy);
	assert_int_equal(ember_trace_parse(copy, &f), 0);
	assert_string_equal(f.task, task);
	assert_int_equal(f.pid, pid);
	assert_int_equal(f.cpu, cpu);
	assert_string_equal(f.flags, flags);
	assert_int_equal(usec(f.ts), ts_us);
	assert_string_equal(f.msg, msg);
	free(copy);
}

static void test_lost_task_name(void **state)
{
	(void)state;
	check_line("           <...>-337271  [001] d..31 1988822.065540: "
		   "bpf_trace_printk: Hello World!",
		   "<...>", 337271, 1, "d..31", 1988822065540LL,
		   "Hello World!");
}

static void test_dashes_in_task(void **state)
{
	(void)state;
	check_line("  systemd-udevd-1205 [001] d..31 89.861992: "
		   "bpf_trace_printk: id 0",
		   "systemd-udevd", 1205, 1, "d..31", 89861992LL, "id 0");
	check_line("    (udev-worker)-3191 [001] d..31 89.972630: "
		   "bpf_trace_printk: id 0",
		   "(udev-worker)", 3191, 1, "d..31", 89972630LL, "id 0");
}

static void test_wide_pid_column(void **state)
{
	(void)state;
	check_line("            bash-4623    [000] d..3. 215.181875: "
		   "bpf_trace_printk: x",
		   "bash", 4623, 0, "d..3.", 215181875LL, "x");
}

static void test_spaces_and_colons(void **state)
{
	(void)state;
	check_line("   my task name-77 [003] ..... 12.000001: "
		   "bpf_trace_printk: a: b: c",
		   "my task name", 77, 3, ".....", 12000001LL, "a: b: c");
}

static void test_no_flags_column(void **state)
{
	(void)state;
	check_line("<idle>-0 [000] 123.456: bpf_trace_printk: tick", "<idle>",
		   0, 0, "", 123456000LL, "tick");
}

static void test_tgid_column(void **state)
{
	(void)state;
	check_line("bash-4623 (   4623) [000] d..3. 215.181875: "
		   "bpf_trace_printk: hi",
		   "bash", 4623, 0, "d..3.", 215181875LL, "hi");
	check_line("          <...>-99 (-------) [002] ...1. 7.5: "
		   "bpf_trace_printk: y",
		   "<...>", 99, 2, "...1.", 7500000LL, "y");
	/* A task named like a tgid column still splits at the last '-'. */
	check_line("    (udev-worker)-3191 (   3190) [001] d..31 89.972630: "
		   "bpf_trace_printk: z",
		   "(udev-worker)", 3191, 1, "d..31", 89972630LL, "z");
}

static void test_other_events(void **state)
{
	(void)state;
	/* trace_marker writes, as trace_pipe shows them on 6.18. */
	check_line("           <...>-8142    [001] ...1.   777.733601: "
		   "tracing_mark_write: hello poll",
		   "<...>", 8142, 1, "...1.", 777733601LL, "hello poll");
	/* Old kernels print a symbol or address in place of the event. */
	check_line("  python-1 [000] d... 1.000001: 0x00000001: old style",
		   "python", 1, 0, "d...", 1000001LL, "old style");
	/* counter trace clock: integer timestamps. */
	check_line("cat-5 [001] .... 123456: bpf_trace_printk: n", "cat", 5, 1,
		   "....", 123456000000LL, "n");
}

static void test_message_edges(void **state)
{
	(void)state;
	check_line("a-1 [000] .... 1.0: bpf_trace_printk: ", "a", 1, 0, "....",
		   1000000LL, "");
	check_line("a-1 [000] .... 1.0: bpf_trace_printk: trailing\n", "a", 1,
		   0, "....", 1000000LL, "trailing");
	check_line("a-1 [000] .... 1.0: no event colon here", "a", 1, 0, "....",
		   1000000LL, "no event colon here");
	/* The message may repeat the line's own shape. */
	check_line(
		"a-1 [000] .... 1.0: bpf_trace_printk: b-2 [001] .... 2.0: x",
		"a", 1, 0, "....", 1000000LL, "b-2 [001] .... 2.0: x");
	/* Brackets in a task name are not the cpu column. */
	check_line("foo[1]-12 [002] .... 5.5: bpf_trace_printk: m", "foo[1]",
		   12, 2, "....", 5500000LL, "m");
	check_line("x [9] 1.0: y-12 [002] .... 5.5: bpf_trace_printk: m",
		   "x [9] 1.0: y", 12, 2, "....", 5500000LL, "m");
	check_line("-5 [000] .... 1.0: bpf_trace_printk: m", "", 5, 0, "....",
		   1000000LL, "m");
}

static void check_rejected(const char *line)
{
	struct ember_trace_fields f;
	char *copy = strdup(line);

	assert_non_null(copy);
	assert_int_equal(ember_trace_parse(copy, &f), -EINVAL);
	/* A rejected line is left as it was (save a trailing newline). */
	assert_string_equal(copy, line);
	assert_non_null(strstr(ember_errmsg(), "not a trace event line"));
	free(copy);
}

static void test_rejects(void **state)
{
	(void)state;
	check_rejected("CPU:3 [LOST 12 EVENTS]");
	check_rejected("CPU:0 [LOST 1 EVENTS]");
	check_rejected("");
	check_rejected("hello");
	check_rejected("# tracer: nop");
	check_rejected(
		"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION");
	check_rejected("bash-12 [000 d..3. 1.0: x");
	check_rejected("bash [000] d..3. 1.0: x");
	check_rejected("bash-x [000] d..3. 1.0: x");
	check_rejected("bash-12 [000] d..3. notts: x");
	check_rejected("bash-12 [000] d..3. 1.: x");
	check_rejected("bash-12 [000] d..3. 1.5 x");
	check_rejected("bash-12 [abc] 1.0: x");
	check_rejected("bash-12 [000]");
	check_rejected("bash-12 [000] ");
	check_rejected("bash-12 [000]d..3. 1.0: x");
	check_rejected("bash-12[000] d..3. 1.0: x");
	check_rejected("bash-12 (12x) [000] d..3. 1.0: x");
	check_rejected("bash-99999999999 [000] d..3. 1.0: x");
	check_rejected("bash-1 [99999999999] d..3. 1.0: x");
	assert_int_equal(ember_trace_parse(NULL, NULL), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* The reader, over a pipe                                             */

struct pipe_fixture {
	struct ember_trace_pipe *tp;
	int wfd;
};

static int pipe_setup(void **state)
{
	struct pipe_fixture *fx = calloc(1, sizeof(*fx));
	int fds[2];

	if (!fx || pipe(fds))
		return -1;
	if (ember__trace_pipe_from_fd(fds[0], &fx->tp))
		return -1;
	fx->wfd = fds[1];
	*state = fx;
	return 0;
}

static int pipe_teardown(void **state)
{
	struct pipe_fixture *fx = *state;

	ember_trace_pipe_free(fx->tp);
	if (fx->wfd >= 0)
		close(fx->wfd);
	free(fx);
	return 0;
}

static void put(struct pipe_fixture *fx, const char *s)
{
	assert_int_equal(write(fx->wfd, s, strlen(s)), (ssize_t)strlen(s));
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_read_lines(void **state)
{
	struct pipe_fixture *fx = *state;
	const char *line;

	assert_true(ember_trace_pipe_fd(fx->tp) >= 0);
	put(fx, "one\ntwo\nthr");
	assert_int_equal(ember_trace_pipe_read_line(fx->tp, 0, &line), 1);
	assert_string_equal(line, "one");
	assert_int_equal(ember_trace_pipe_read_line(fx->tp, 0, &line), 1);
	assert_string_equal(line, "two");
	/* Half a line is kept, not handed out, across a timeout. */
	assert_int_equal(ember_trace_pipe_read_line(fx->tp, 0, &line), 0);
	assert_int_equal(ember_trace_pipe_read_line(fx->tp, 20, &line), 0);
	put(fx, "ee\n\nlast\n");
	assert_int_equal(ember_trace_pipe_read_line(fx->tp, 0, &line), 1);
	assert_string_equal(line, "three");
	assert_int_equal(ember_trace_pipe_read_line(fx->tp, 0, &line), 1);
	assert_string_equal(line, "");
	assert_int_equal(ember_trace_pipe_read_line(fx->tp, -1, &line), 1);
	assert_string_equal(line, "last");
}

static void test_read_timeout(void **state)
{
	struct pipe_fixture *fx = *state;
	const char *line;
	long long t0 = now_ms(), dt;

	assert_int_equal(ember_trace_pipe_read_line(fx->tp, 150, &line), 0);
	dt = now_ms() - t0;
	assert_true(dt >= 140);
	assert_true(dt < 2000);
}

static void test_read_long_line(void **state)
{
	struct pipe_fixture *fx = *state;
	size_t n = 50000;
	char *big = malloc(n + 2);
	const char *line;
	size_t done = 0;

	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\n';
	big[n + 1] = '\0';
	/* Interleave writes and reads so the pipe never fills. */
	while (done < n + 1) {
		size_t chunk = n + 1 - done < 8000 ? n + 1 - done : 8000;

		assert_int_equal(write(fx->wfd, big + done, chunk),
				 (ssize_t)chunk);
		done += chunk;
		if (done < n + 1)
			assert_int_equal(
				ember_trace_pipe_read_line(fx->tp, 0, &line),
				0);
	}
	assert_int_equal(ember_trace_pipe_read_line(fx->tp, 0, &line), 1);
	assert_int_equal(strlen(line), n);
	big[n] = '\0';
	assert_string_equal(line, big);
	free(big);
}

static void test_read_fields_skips_notices(void **state)
{
	struct pipe_fixture *fx = *state;
	struct ember_trace_fields f;

	put(fx, "CPU:1 [LOST 3 EVENTS]\n"
		"            bash-4623    [000] d..3. 215.181875: "
		"bpf_trace_printk: x\n"
		"garbage\n"
		"  systemd-udevd-1205 [001] d..31 89.861992: bpf_trace_printk: "
		"id 0\n");
	assert_int_equal(ember_trace_pipe_read_fields(fx->tp, 0, &f), 1);
	assert_string_equal(f.task, "bash");
	assert_int_equal(f.pid, 4623);
	assert_string_equal(f.msg, "x");
	assert_int_equal(ember_trace_pipe_read_fields(fx->tp, 100, &f), 1);
	assert_string_equal(f.task, "systemd-udevd");
	assert_string_equal(f.msg, "id 0");
	assert_int_equal(ember_trace_pipe_read_fields(fx->tp, 0, &f), 0);
	/* Only notices before the timeout: still a timeout. */
	put(fx, "CPU:0 [LOST 1 EVENTS]\n");
	assert_int_equal(ember_trace_pipe_read_fields(fx->tp, 30, &f), 0);
}

static void test_read_eof(void **state)
{
	struct pipe_fixture *fx = *state;
	const char *line;

	put(fx, "a\n");
	close(fx->wfd);
	fx->wfd = -1;
	assert_int_equal(ember_trace_pipe_read_line(fx->tp, 100, &line), 1);
	assert_string_equal(line, "a");
	assert_int_equal(ember_trace_pipe_read_line(fx->tp, 100, &line),
			 -EPIPE);
}

static void test_null_args(void **state)
{
	const char *line;

	(void)state;
	assert_int_equal(ember_trace_pipe_read_line(NULL, 0, &line), -EINVAL);
	assert_int_equal(ember_trace_pipe_read_fields(NULL, 0, NULL), -EINVAL);
	assert_int_equal(ember_trace_pipe_fd(NULL), -EINVAL);
	assert_int_equal(ember_trace_pipe_open(NULL), -EINVAL);
	ember_trace_pipe_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lost_task_name),
		cmocka_unit_test(test_dashes_in_task),
		cmocka_unit_test(test_wide_pid_column),
		cmocka_unit_test(test_spaces_and_colons),
		cmocka_unit_test(test_no_flags_column),
		cmocka_unit_test(test_tgid_column),
		cmocka_unit_test(test_other_events),
		cmocka_unit_test(test_message_edges),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test_setup_teardown(test_read_lines, pipe_setup,
						pipe_teardown),
		cmocka_unit_test_setup_teardown(test_read_timeout, pipe_setup,
						pipe_teardown),
		cmocka_unit_test_setup_teardown(test_read_long_line, pipe_setup,
						pipe_teardown),
		cmocka_unit_test_setup_teardown(test_read_fields_skips_notices,
						pipe_setup, pipe_teardown),
		cmocka_unit_test_setup_teardown(test_read_eof, pipe_setup,
						pipe_teardown),
		cmocka_unit_test(test_null_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
