// SPDX-License-Identifier: MIT
/*
 * A tracepoint's args struct written from kernel BTF (what an unprivileged
 * ember check uses: tracefs is root's) is the one its tracefs format file
 * gives, for events of several kinds: their own record, data_loc strings,
 * arrays, system calls' entry and exit. Needs tracefs readable (root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/tracepoint_btf.h"
#include "kernel/tracepoint_format.h"

static const char *const events[][2] = {
	{ "sched", "sched_process_exec" }, /* __data_loc */
	{ "sched", "sched_switch" }, /* char[16], long, int */
	{ "sched", "sched_process_fork" },
	{ "syscalls", "sys_enter_clone" }, /* arguments named from BTF */
	{ "syscalls", "sys_exit_execve" },
	{ "irq", "irq_handler_entry" },
};

static void btf_struct_is_format_struct(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* the format files are root's */
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		char *format = NULL, *from_btf = NULL, *from_tracefs = NULL;

		assert_int_equal(ember__tracepoint_struct(events[i][0],
							  events[i][1], "s",
							  &from_tracefs),
				 0);
		assert_int_equal(ember__tracepoint_format_from_btf(
					 events[i][0], events[i][1], &format),
				 0);
		assert_int_equal(ember__tracepoint_struct_from_format(
					 format, "s", &from_btf),
				 0);
		if (strcmp(from_btf, from_tracefs))
			fail_msg("%s:%s\nfrom BTF:\n%s\nfrom tracefs:\n%s",
				 events[i][0], events[i][1], from_btf,
				 from_tracefs);
		free(format);
		free(from_btf);
		free(from_tracefs);
	}
}

/*
 * Every system call event: where BTF gives a format (the exits, the entries
 * whose arguments it names) the struct is tracefs's; where it cannot be
 * sure it gives none (-ENOENT), never another one.
 */
static void every_syscall_from_btf_is_tracefs(void **state)
{
	const char *dirs[] = { "/sys/kernel/tracing/events/syscalls",
			       "/sys/kernel/debug/tracing/events/syscalls" };
	size_t described = 0, refused = 0, total = 0;
	struct dirent *e;
	DIR *d = NULL;

	(void)state;
	if (geteuid() != 0)
		skip(); /* the format files are root's */
	for (size_t i = 0; i < 2 && !d; i++)
		d = opendir(dirs[i]);
	assert_non_null(d);
	while ((e = readdir(d))) {
		char *format = NULL, *from_btf = NULL, *from_tracefs = NULL;
		int err;

		if (strncmp(e->d_name, "sys_e", 5))
			continue;
		total++;
		err = ember__tracepoint_format_from_btf("syscalls", e->d_name,
							&format);
		if (err == -ENOENT) {
			refused++;
			continue;
		}
		assert_int_equal(err, 0);
		assert_int_equal(ember__tracepoint_struct("syscalls", e->d_name,
							  "s", &from_tracefs),
				 0);
		assert_int_equal(ember__tracepoint_struct_from_format(
					 format, "s", &from_btf),
				 0);
		if (strcmp(from_btf, from_tracefs))
			fail_msg(
				"syscalls:%s\nfrom BTF:\n%s\nfrom tracefs:\n%s",
				e->d_name, from_btf, from_tracefs);
		described++;
		free(format);
		free(from_btf);
		free(from_tracefs);
	}
	closedir(d);
	print_message("system call events: %zu, described from BTF as "
		      "tracefs does: %zu, refused: %zu\n",
		      total, described, refused);
	/* every exit has the same record: all of them at least */
	assert_true(described >= total / 2);
}

/* an event BTF has no record for: an error, no made-up struct */
static void unknown_event(void **state)
{
	char *format = (char *)"x";

	(void)state;
	assert_int_equal(ember__tracepoint_format_from_btf(
				 "sched", "no_such_event", &format),
			 -ENOENT);
	assert_null(format);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(btf_struct_is_format_struct),
		cmocka_unit_test(every_syscall_from_btf_is_tracefs),
		cmocka_unit_test(unknown_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
