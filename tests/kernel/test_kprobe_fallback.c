// SPDX-License-Identifier: MIT
/*
 * The seeds' kprobe programs on a kernel without kprobes: probes on system
 * calls run on the syscall tracepoints; anything else fails with a message
 * that says why and what to use instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

static char log_text[4096];

static void collect_log(enum ember_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= EMBER_LOG_INFO &&
	    strlen(log_text) + strlen(msg) + 2 < sizeof(log_text)) {
		strcat(log_text, msg);
		strcat(log_text, "\n");
	}
}

static struct ember_module *load(const char *text)
{
	struct ember_module_opts o = { .sz = sizeof(o),
				       .name = "kprobe.c",
				       .log = collect_log };
	struct ember_module *m = NULL;

	log_text[0] = 0;
	if (ember_module_new(text, &o, &m))
		fail_msg("load failed: %s", ember_errmsg());
	return m;
}

/* Seed 004: BPF(text='int kprobe__sys_clone(void *ctx) { ... }') */
static void kprobe_sys_clone_by_name(void **state)
{
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_module *m;
	pid_t child;

	(void)state;
	m = load("int kprobe__sys_clone(void *ctx) { "
		 "bpf_trace_printk(\"Hello, World!\\n\"); return 0; }");
	assert_int_equal(ember_module_attach_auto(m), 1);
	if (!ember_kernel_has_kprobes())
		assert_non_null(strstr(log_text, "syscalls:sys_enter_clone"));
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	child = fork(); /* glibc's fork is the clone system call */
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	assert_true(test_wait_trace_line(tp, getpid(), "Hello, World!", &f));
	ember_trace_pipe_free(tp);
	ember_module_free(m);
}

/* Seed 004's sync_timing, attached as BCC does it. */
static void sync_timing_by_syscall_fnname(void **state)
{
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_module *m;
	char fn[64];

	(void)state;
	m = load("#include <uapi/linux/ptrace.h>\n"
		 "BPF_HASH(last);\n"
		 "int do_trace(struct pt_regs *ctx) {\n"
		 "    u64 ts, *tsp, delta, key = 0;\n"
		 "    tsp = last.lookup(&key);\n"
		 "    if (tsp != NULL) {\n"
		 "        delta = bpf_ktime_get_ns() - *tsp;\n"
		 "        if (delta < 1000000000)\n"
		 "            bpf_trace_printk(\"sync-gap %d\\n\", delta / "
		 "1000000);\n"
		 "        last.delete(&key);\n"
		 "    }\n"
		 "    ts = bpf_ktime_get_ns();\n"
		 "    last.update(&key, &ts);\n"
		 "    return 0;\n"
		 "}\n");
	assert_int_equal(ember_syscall_fnname("sync", fn, sizeof(fn)), 0);
	assert_true(!strcmp(fn, "__x64_sys_sync") || !strcmp(fn, "sys_sync"));
	assert_int_equal(
		ember_module_attach_kprobe(m, "do_trace", fn, false, NULL), 0);
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	sync();
	usleep(20000);
	sync();
	assert_true(test_wait_trace_line(tp, getpid(), "sync-gap ", &f));
	/* 20 ms apart, plus whatever the first sync took */
	assert_true(atoi(strstr(f.msg, "sync-gap ") + 9) >= 20);
	ember_trace_pipe_free(tp);
	ember_module_free(m);
}

/* PT_REGS_PARMn / PT_REGS_RC read the real arguments and return value. */
static void pt_regs_arguments_and_return(void **state)
{
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_module *m;
	char fn[64], want[96];
	int fd;

	(void)state;
	{
		char me[32];
		const char *cflags[] = { me };
		struct ember_module_opts o = { .sz = sizeof(o),
					       .name = "kprobe.c",
					       .cflags = cflags,
					       .cflags_cnt = 1 };
		/* With real kprobes the x86 syscall wrapper's own argument is
		 * the user's pt_regs (BCC's syscall__ reads through it too);
		 * through the fallback, PT_REGS_PARMn are the arguments. */
		const char *args =
			ember_kernel_has_kprobes()
				? "  struct pt_regs *u = (void "
				  "*)PT_REGS_PARM1(ctx);\n"
				  "  long a1 = 0, a3 = 0;\n"
				  "  bpf_probe_read_kernel(&a1, 8, &u->di);\n"
				  "  bpf_probe_read_kernel(&a3, 8, &u->dx);\n"
				: "  long a1 = PT_REGS_PARM1(ctx), a3 = "
				  "PT_REGS_PARM3(ctx);\n";
		char text[1024];

		snprintf(me, sizeof(me), "-DME=%d", (int)getpid());
		snprintf(text, sizeof(text),
			 "int enter(struct pt_regs *ctx) {\n"
			 "%s"
			 "  if ((bpf_get_current_pid_tgid() >> 32) == ME)\n"
			 "    bpf_trace_printk(\"openat-args %%d %%lx\", "
			 "(int)a1, a3);\n"
			 "  return 0;\n"
			 "}\n"
			 "int leave(struct pt_regs *ctx) {\n"
			 "  if ((bpf_get_current_pid_tgid() >> 32) == ME)\n"
			 "    bpf_trace_printk(\"openat-ret %%ld\", "
			 "PT_REGS_RC(ctx));\n"
			 "  return 0;\n"
			 "}\n",
			 args);
		assert_int_equal(ember_module_new(text, &o, &m), 0);
	}
	assert_int_equal(ember_syscall_fnname("openat", fn, sizeof(fn)), 0);
	assert_int_equal(
		ember_module_attach_kprobe(m, "enter", fn, false, NULL), 0);
	assert_int_equal(ember_module_attach_kprobe(m, "leave", fn, true, NULL),
			 0);
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	fd = openat(AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	snprintf(want, sizeof(want), "openat-args %d %x", AT_FDCWD,
		 O_RDONLY | O_CLOEXEC);
	assert_true(test_wait_trace_line(tp, getpid(), want, &f));
	snprintf(want, sizeof(want), "openat-ret %d", fd);
	assert_true(test_wait_trace_line(tp, getpid(), want, &f));
	close(fd);
	ember_trace_pipe_free(tp);
	ember_module_free(m);
}

/* BCC's syscall__NAME: typed parameters are the system call's arguments. */
static void syscall_typed_parameters(void **state)
{
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_module *m;
	char fn[64], want[128];
	int fd;

	(void)state;
	m = load(
		"int syscall__openat(struct pt_regs *ctx, int dfd,\n"
		"                    const char __user *filename, int flags)\n"
		"{\n"
		"\tchar buf[64];\n"
		"\tbpf_probe_read_user_str(buf, sizeof(buf), filename);\n"
		"\tbpf_trace_printk(\"sc-openat %d %s %x\", dfd, buf, flags);\n"
		"\treturn 0;\n"
		"}\n");
	assert_int_equal(ember_syscall_fnname("openat", fn, sizeof(fn)), 0);
	assert_int_equal(ember_module_attach_kprobe(m, "syscall__openat", fn,
						    false, NULL),
			 0);
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	fd = openat(AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	close(fd);
	snprintf(want, sizeof(want), "sc-openat %d /proc/self/stat %x",
		 AT_FDCWD, O_RDONLY | O_CLOEXEC);
	assert_true(test_wait_trace_line(tp, getpid(), want, &f));
	ember_trace_pipe_free(tp);
	ember_module_free(m);
}

static void no_kprobes_error_names_tracepoint(void **state)
{
	struct ember_module *m;
	int err;

	(void)state;
	m = load("int trace_start(struct pt_regs *ctx) { return 0; }\n");
	if (ember_kernel_has_kprobes()) {
		/* nothing to refuse for lack of kprobes: a function the
		 * kernel does not have is the error left */
		err = ember_module_attach_kprobe(
			m, "trace_start", "no_such_function_ember", 0, NULL);
		assert_true(err < 0);
		if (!strstr(ember_errmsg(), "no_such_function_ember"))
			fail_msg("message: %s", ember_errmsg());
		assert_int_equal(ember_module_link_cnt(m), 0);
		ember_module_free(m);
		return;
	}
	err = ember_module_attach_kprobe(m, "trace_start",
					 "blk_mq_start_request", false, NULL);
	assert_int_equal(err, -EOPNOTSUPP);
	assert_non_null(strstr(ember_errmsg(), "no kprobes"));
	assert_non_null(strstr(ember_errmsg(), "block:block_rq_issue"));
	err = ember_module_attach_kprobe(m, "trace_start", "some_function",
					 true, NULL);
	assert_int_equal(err, -EOPNOTSUPP);
	assert_non_null(strstr(ember_errmsg(), "kretprobe"));
	assert_non_null(strstr(ember_errmsg(), "RAW_TRACEPOINT_PROBE"));
	assert_int_equal(ember_module_link_cnt(m), 0);
	ember_module_free(m);

	/* auto-attach by name fails the same way, attaching nothing */
	m = load("int kprobe__vfs_read(void *ctx) { return 0; }\n"
		 "TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { return 0; "
		 "}\n");
	assert_int_equal(ember_module_attach_auto(m), -EOPNOTSUPP);
	assert_non_null(strstr(ember_errmsg(), "syscalls:sys_enter_read"));
	assert_int_equal(ember_module_link_cnt(m), 0);
	ember_module_free(m);
}

/* BCC's attach_kprobe(event_re=...): all matches or nothing. */
static void kprobe_by_regex(void **state)
{
	struct ember_module *m;
	int n;

	(void)state;
	m = load("int counted(struct pt_regs *ctx) { return 0; }\n");
	n = ember_module_attach_kprobe_regex(
		m, "counted", "^(__x64_|__ia32_)?sys_(sync|syncfs)$", false);
	/* two system calls: with kprobes, their entry points; without, their
	 * two tracepoints */
	assert_true(n >= 2);
	assert_int_equal((int)ember_module_link_cnt(m), n);
	assert_int_equal(ember_module_attach_kprobe_regex(
				 m, "counted", "^no_such_fn_xyz$", false),
			 -ENOENT);
	if (!ember_kernel_has_kprobes()) {
		/* a match without a tracepoint twin fails, and undoes the rest */
		assert_true(ember_module_attach_kprobe_regex(
				    m, "counted",
				    "^(__x64_sys_sync|blk_mq_start_request)$",
				    false) < 0);
		assert_int_equal((int)ember_module_link_cnt(m), n);
	}
	ember_module_free(m);
}

/* KFUNC_PROBE / LSM_PROBE on a kernel that refuses fentry and LSM programs:
 * the error says so and names what to use instead. */
static void kfunc_and_lsm_probes_explain(void **state)
{
	static const char *const texts[] = {
		"KFUNC_PROBE(vfs_read, struct file *file)\n{ return 0; }\n",
		"LSM_PROBE(file_open, struct file *file)\n{ return 0; }\n",
	};
	static const char *const macro[] = { "KFUNC_PROBE", "LSM_PROBE" };
	static const enum ember_feature feature[] = { EMBER_FEATURE_FENTRY,
						      EMBER_FEATURE_LSM };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct ember_module *m = load(texts[i]);

		if (ember_feature(feature[i]) == 1) {
			/* nothing to refuse: it attaches (what it sees is
			 * test_kprobes.c's concern) */
			if (ember_module_attach_auto(m) != 1)
				fail_msg("%s: %s", macro[i], ember_errmsg());
			ember_module_free(m);
			continue;
		}
		assert_true(ember_module_attach_auto(m) < 0);
		if (!strstr(ember_errmsg(), macro[i]) ||
		    !strstr(ember_errmsg(), "TRACEPOINT_PROBE"))
			fail_msg("message: %s", ember_errmsg());
		assert_int_equal(ember_module_link_cnt(m), 0);
		ember_module_free(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kprobe_sys_clone_by_name),
		cmocka_unit_test(sync_timing_by_syscall_fnname),
		cmocka_unit_test(pt_regs_arguments_and_return),
		cmocka_unit_test(syscall_typed_parameters),
		cmocka_unit_test(no_kprobes_error_names_tracepoint),
		cmocka_unit_test(kfunc_and_lsm_probes_explain),
		cmocka_unit_test(kprobe_by_regex),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
