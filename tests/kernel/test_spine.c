// SPDX-License-Identifier: MIT
/*
 * The spine against the real kernel: compile → load → attach → trace_pipe,
 * verifier errors, explicit attach, and nothing left behind.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

static struct ember_module *load(const char *text, const char *const *cflags,
				 size_t cflags_cnt)
{
	struct ember_module_opts o = { .sz = sizeof(o),
				       .name = "test.c",
				       .cflags = cflags,
				       .cflags_cnt = cflags_cnt };
	struct ember_module *m = NULL;

	if (ember_module_new(text, &o, &m))
		fail_msg("load failed: %s", ember_errmsg());
	return m;
}

static pid_t run_true(void)
{
	char *argv[] = { "/bin/true", NULL };

	return test_spawn_wait(argv);
}

static void tracepoint_probe_execve(void **state)
{
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_module *m;
	pid_t child;

	(void)state;
	m = load("TRACEPOINT_PROBE(syscalls, sys_enter_execve)\n"
		 "{\n"
		 "\tbpf_trace_printk(\"spine-exec %d %s\\n\",\n"
		 "\t\tbpf_get_current_pid_tgid() >> 32, args->filename);\n"
		 "\treturn 0;\n"
		 "}\n",
		 NULL, 0);
	assert_int_equal(ember_module_attach_auto(m), 1);
	assert_int_equal(ember_module_link_cnt(m), 1);
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	child = run_true();
	assert_true(child > 0);
	assert_true(test_wait_trace_line(tp, child, "spine-exec", &f));
	{
		char want[64];

		/* the pid the program saw, the file the child exec'd */
		snprintf(want, sizeof(want), "spine-exec %d /bin/true", child);
		assert_non_null(strstr(f.msg, want));
	}
	assert_true(f.cpu >= 0);
	assert_true(f.ts > 0);
	ember_trace_pipe_free(tp);
	ember_module_free(m);
}

static void raw_tracepoint_sys_enter(void **state)
{
	char nr[32], me[32];
	const char *cflags[] = { nr, me };
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_module *m;
	int i, found = 0;

	(void)state;
	snprintf(nr, sizeof(nr), "-DNR_GETPPID=%d", (int)SYS_getppid);
	snprintf(me, sizeof(me), "-DME=%d", (int)getpid());
	m = load("RAW_TRACEPOINT_PROBE(sys_enter)\n"
		 "{\n"
		 "\tif (ctx->args[1] == NR_GETPPID &&\n"
		 "\t    bpf_get_current_pid_tgid() >> 32 == ME)\n"
		 "\t\tbpf_trace_printk(\"spine-getppid %ld\", ctx->args[1]);\n"
		 "\treturn 0;\n"
		 "}\n",
		 cflags, 2);
	assert_int_equal(ember_module_attach_auto(m), 1);
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	for (i = 0; i < 3; i++)
		syscall(SYS_getppid);
	snprintf(nr, sizeof(nr), "spine-getppid %d", (int)SYS_getppid);
	while (found < 3 && test_wait_trace_line(tp, getpid(), nr, &f))
		found++;
	assert_int_equal(found, 3);
	ember_trace_pipe_free(tp);
	ember_module_free(m);
}

/* A function without a conventional name is loaded when attached, with
 * the type the attach needs (BCC's attach_tracepoint(fn_name=...)). */
static void explicit_attach_plain_function(void **state)
{
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_link *link = NULL;
	struct ember_module *m;
	pid_t child;

	(void)state;
	m = load("int hello(void *ctx) {\n"
		 "\tbpf_trace_printk(\"spine-hello\");\n"
		 "\treturn 0;\n"
		 "}\n"
		 "int raw(struct bpf_raw_tracepoint_args *ctx) {\n"
		 "\treturn 0;\n"
		 "}\n",
		 NULL, 0);
	assert_int_equal(ember_module_attach_auto(m), 0);
	assert_int_equal(ember_module_prog_fd(m, "hello"), -ENODEV);
	assert_int_equal(
		ember_module_attach_tracepoint(
			m, "hello", "syscalls:sys_enter_execve", &link),
		0);
	assert_non_null(link);
	assert_true(ember_module_prog_fd(m, "hello") >= 0);
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	child = run_true();
	assert_true(test_wait_trace_line(tp, child, "spine-hello", &f));

	/* Detaching one link stops its events. */
	assert_int_equal(ember_link_detach(link), 0);
	assert_int_equal(ember_module_link_cnt(m), 0);
	child = run_true();
	assert_false(test_wait_trace_line(tp, child, "spine-hello", &f) &&
		     f.pid == child);

	/* The same function cannot be a raw tracepoint program too. */
	assert_int_equal(ember_module_attach_raw_tracepoint(m, "hello",
							    "sys_enter", NULL),
			 -EINVAL);
	assert_non_null(strstr(ember_errmsg(), "loaded as a tracepoint"));
	assert_int_equal(
		ember_module_attach_raw_tracepoint(m, "raw", "sys_enter", NULL),
		0);
	assert_int_equal(
		ember_module_attach_tracepoint(
			m, "nosuch", "syscalls:sys_enter_execve", NULL),
		-ENOENT);
	assert_int_equal(ember_module_attach_tracepoint(
				 m, "hello", "syscalls:sys_enter_nosuch", NULL),
			 -ENOENT);
	assert_non_null(strstr(ember_errmsg(), "sys_enter_nosuch"));
	ember_trace_pipe_free(tp);
	ember_module_free(m);
}

static void verifier_rejection_names_line(void **state)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "reject.c" };
	struct ember_module *m = NULL;
	int before, err;

	(void)state;
	test_start_compiler();
	before = test_count_fds();
	/* Reading an arbitrary scalar as a pointer: the verifier refuses. */
	err = ember_module_new("TRACEPOINT_PROBE(syscalls, sys_enter_execve)\n"
			       "{\n"
			       "\tlong addr = bpf_get_prandom_u32();\n"
			       "\tlong v = *(long *)addr;\n"
			       "\tbpf_trace_printk(\"%ld\", v);\n"
			       "\treturn 0;\n"
			       "}\n",
			       &o, &m);
	assert_int_equal(err, -EINVAL);
	assert_null(m);
	if (!strstr(ember_errmsg(), "verifier rejected program "
				    "'tracepoint__syscalls__sys_enter_execve' "
				    "at reject.c:4"))
		fail_msg("message: %s", ember_errmsg());
	assert_non_null(strstr(ember_errmsg(), "invalid mem access"));
	/* nothing left open by the failed load */
	assert_int_equal(test_count_fds(), before);
}

/* A field the running kernel does not have: the error names it. */
static void core_relocation_failure_names_field(void **state)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "relo.c" };
	struct ember_module *m = NULL;

	(void)state;
	assert_int_equal(
		ember_module_new(
			"struct task_struct___old {\n"
			"\tint no_such_field;\n"
			"} __attribute__((preserve_access_index));\n"
			"TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
			"{\n"
			"\tstruct task_struct___old *t = (void "
			"*)bpf_get_current_task();\n"
			"\treturn BPF_CORE_READ(t, no_such_field);\n"
			"}\n",
			&o, &m),
		-EINVAL);
	if (!strstr(ember_errmsg(), "at relo.c:") ||
	    !strstr(ember_errmsg(), "task_struct___old.no_such_field"))
		fail_msg("message: %s", ember_errmsg());
}

static void open_attach_close_no_leaks(void **state)
{
	const char *text = "TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
			   "{ return 0; }\n"
			   "RAW_TRACEPOINT_PROBE(sys_exit) { return 0; }\n";
	struct ember_trace_pipe *tp;
	int before, i;

	(void)state;
	/* warm up: PCH, tracefs, libbpf's one-time probes */
	ember_module_free(load(text, NULL, 0));
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	ember_trace_pipe_free(tp);
	before = test_count_fds();
	for (i = 0; i < 200; i++) {
		struct ember_module *m = load(text, NULL, 0);

		assert_int_equal(ember_module_attach_auto(m), 2);
		ember_module_free(m);
	}
	assert_int_equal(test_count_fds(), before);
}

static void tracefs_mounted_when_missing(void **state)
{
	struct ember_trace_pipe *tp;
	struct statfs st;

	(void)state;
	/* A fresh machine starts with neither tracefs nor debugfs (whose
	 * tracing/ ember would use) mounted: make it so in a mount namespace
	 * of this test alone, and check ember mounts tracefs itself. */
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		fail_msg("private mount namespace: %s", strerror(errno));
	if (umount2("/sys/kernel/tracing", MNT_DETACH) != 0 && errno != EINVAL)
		fail_msg("umount /sys/kernel/tracing: %s", strerror(errno));
	if (umount2("/sys/kernel/debug", MNT_DETACH) != 0 && errno != EINVAL)
		fail_msg("umount /sys/kernel/debug: %s", strerror(errno));
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	ember_trace_pipe_free(tp);
	assert_int_equal(statfs("/sys/kernel/tracing", &st), 0);
	assert_int_equal((unsigned long)st.f_type, 0x74726163UL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: the library must mount tracefs itself */
		cmocka_unit_test(tracefs_mounted_when_missing),
		cmocka_unit_test(tracepoint_probe_execve),
		cmocka_unit_test(raw_tracepoint_sys_enter),
		cmocka_unit_test(explicit_attach_plain_function),
		cmocka_unit_test(verifier_rejection_names_line),
		cmocka_unit_test(core_relocation_failure_names_field),
		cmocka_unit_test(open_attach_close_no_leaks),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
