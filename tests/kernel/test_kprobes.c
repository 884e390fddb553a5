// SPDX-License-Identifier: MIT
/*
 * kprobes, kretprobes, fentry/fexit, fmod_ret and LSM programs, checked
 * against what this test itself did: the pid, the file it opened and the
 * value the system call returned to it. They run for real on kernels that
 * have these attach kinds (Debian's 5.10, 6.1 and 6.12 in tests/vm); on a
 * kernel without them (this project's CI host) the same programs must fail
 * with a message that says so and names what to use instead, leaving
 * nothing attached.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

static struct ember_module *load(const char *name, const char *text)
{
	char me[32];
	const char *cflags[] = { me };
	struct ember_module_opts o = {
		.sz = sizeof(o), .name = name, .cflags = cflags, .cflags_cnt = 1
	};
	struct ember_module *m = NULL;

	snprintf(me, sizeof(me), "-DME=%d", (int)getpid());
	if (ember_module_new(text, &o, &m))
		fail_msg("%s: load failed: %s", name, ember_errmsg());
	return m;
}

/* ember_errmsg() has every one of the words, else fail showing it. */
static void message_has(const char *a, const char *b)
{
	if (!strstr(ember_errmsg(), a) || (b && !strstr(ember_errmsg(), b)))
		fail_msg("expected '%s'%s%s in: %s", a, b ? " and " : "",
			 b ? b : "", ember_errmsg());
}

static uint64_t table_u64(struct ember_module *m, const char *name,
			  uint32_t key)
{
	struct ember_table *t;
	uint64_t v = 0;

	assert_int_equal(ember_module_table(m, name, &t), 0);
	if (ember_table_lookup(t, &key, &v))
		return 0;
	return v;
}

/* Open path (O_RDONLY | O_CLOEXEC) and close it; the open's result. */
static int open_close(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd >= 0 ? fd : -errno;
}

/* kprobe__/kretprobe__ names with typed arguments: the file name this
 * process opened, and the descriptor or error it got back. */
static void kprobe_typed_arguments_and_return(void **state)
{
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_module *m;
	char path[64], missing[64], want[160];
	int fd, err;

	(void)state;
	m = load("kprobe_args.c",
		 "int kprobe__do_sys_openat2(struct pt_regs *ctx, int dfd,\n"
		 "\tconst char __user *filename, struct open_how *how)\n"
		 "{\n"
		 "\tchar name[64];\n"
		 "\n"
		 "\tif ((bpf_get_current_pid_tgid() >> 32) != ME)\n"
		 "\t\treturn 0;\n"
		 "\tbpf_probe_read_user_str(name, sizeof(name), filename);\n"
		 "\tbpf_trace_printk(\"kp-open %d %s %llx\", dfd, name,\n"
		 "\t\t\t how->flags);\n"
		 "\treturn 0;\n"
		 "}\n"
		 "int kretprobe__do_sys_openat2(struct pt_regs *ctx)\n"
		 "{\n"
		 "\tif ((bpf_get_current_pid_tgid() >> 32) == ME)\n"
		 "\t\tbpf_trace_printk(\"kp-ret %ld\", PT_REGS_RC(ctx));\n"
		 "\treturn 0;\n"
		 "}\n");
	err = ember_module_attach_auto(m);
	if (!ember_kernel_has_kprobes()) {
		/* do_sys_openat2 is no system call entry: nothing stands in */
		assert_int_equal(err, -EOPNOTSUPP);
		message_has("no kprobes", "syscalls:sys_enter_openat");
		assert_int_equal(ember_module_link_cnt(m), 0);
		ember_module_free(m);
		return;
	}
	if (err != 2)
		fail_msg("attach: %d %s", err, ember_errmsg());
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)getpid());
	snprintf(missing, sizeof(missing), "/nonexistent-ember-%d",
		 (int)getpid());
	fd = open_close(path);
	assert_true(fd >= 0);
	assert_int_equal(open_close(missing), -ENOENT);
	/* open(2) is openat(AT_FDCWD, ...); the kernel adds O_LARGEFILE */
	snprintf(want, sizeof(want), "kp-open %d %s", AT_FDCWD, path);
	assert_true(test_wait_trace_line(tp, getpid(), want, &f));
	{
		unsigned long long flags = 0;
		const char *hex = strrchr(f.msg, ' ');

		assert_non_null(hex);
		assert_int_equal(sscanf(hex, " %llx", &flags), 1);
		assert_int_equal(flags & ~0100000ULL, O_RDONLY | O_CLOEXEC);
	}
	snprintf(want, sizeof(want), "kp-ret %d", fd);
	assert_true(test_wait_trace_line(tp, getpid(), want, &f));
	snprintf(want, sizeof(want), "kp-open %d %s", AT_FDCWD, missing);
	assert_true(test_wait_trace_line(tp, getpid(), want, &f));
	assert_true(test_wait_trace_line(tp, getpid(), "kp-ret -2", &f));
	ember_trace_pipe_free(tp);
	ember_module_free(m);
}

/* attach_kprobe(event_re=...): every matching function fires. */
static void kprobe_regex_each_function(void **state)
{
	struct ember_module *m;
	int pipefd[2], n;
	char buf[16] = "0123456789ab";

	(void)state;
	m = load("kprobe_re.c",
		 "BPF_HASH(sizes, u32, u64);\n"
		 "int count(struct pt_regs *ctx)\n"
		 "{\n"
		 "\tu32 size = PT_REGS_PARM3(ctx);\n"
		 "\n"
		 "\tif ((bpf_get_current_pid_tgid() >> 32) == ME)\n"
		 "\t\tsizes.increment(size);\n"
		 "\treturn 0;\n"
		 "}\n");
	n = ember_module_attach_kprobe_regex(m, "count", "^vfs_(read|write)$",
					     0);
	if (!ember_kernel_has_kprobes()) {
		/* neither is a system call entry: all or nothing */
		assert_int_equal(n, -EOPNOTSUPP);
		message_has("no kprobes", "syscalls:sys_enter_");
		assert_int_equal(ember_module_link_cnt(m), 0);
		ember_module_free(m);
		return;
	}
	if (n != 2)
		fail_msg("attach: %d %s", n, ember_errmsg());
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(write(pipefd[1], buf, 7), 7);
	assert_int_equal(read(pipefd[0], buf, 11), 7);
	close(pipefd[0]);
	close(pipefd[1]);
	/* vfs_write(file, buf, 7, pos) and vfs_read(file, buf, 11, pos) */
	assert_true(table_u64(m, "sizes", 7) >= 1);
	assert_true(table_u64(m, "sizes", 11) >= 1);
	ember_module_free(m);
}

/* Run argv; it must exit 0. Returns its pid. */
static int run_ok(char *const argv[])
{
	int status, pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("%s %s: exit status %#x", argv[0], argv[1], status);
	return pid;
}

/* Is kernel module name loaded (/proc/modules)? */
static bool module_loaded(const char *name)
{
	char *text = test_read_file("/proc/modules", NULL), want[64];
	bool loaded;

	snprintf(want, sizeof(want), "\n%s ", name);
	loaded = text && (!strncmp(text, want + 1, strlen(want + 1)) ||
			  strstr(text, want));
	free(text);
	return loaded;
}

/*
 * attach_kprobe on a function of a module that is not loaded when the test
 * starts: refused while the module is out, then, once modprobe has loaded
 * it, a kprobe and a kretprobe (maxactive, a tracefs event) on it fire in
 * the process that makes a dummy device, and see its init return 0. Nothing
 * keeps the module from unloading afterwards.
 */
static void kprobe_module_function(void **state)
{
	char *modprobe[] = { "modprobe", "dummy", NULL };
	char *rmmod[] = { "modprobe", "-r", "dummy", NULL };
	char name[32];
	char *add[] = { "ip", "link", "add", name, "type", "dummy", NULL };
	char *del[] = { "ip", "link", "del", name, NULL };
	struct ember_kprobe_opts o = { .sz = sizeof(o),
				       .retprobe = true,
				       .maxactive = 4 };
	struct ember_module *m;
	int err, pid;

	(void)state;
	m = load("kprobe_mod.c",
		 "BPF_HASH(seen, u32, u64);\n"
		 "BPF_HASH(returned, u32, u64);\n"
		 "int init(struct pt_regs *ctx)\n"
		 "{\n"
		 "\tu32 pid = bpf_get_current_pid_tgid() >> 32;\n"
		 "\n"
		 "\tseen.increment(pid);\n"
		 "\treturn 0;\n"
		 "}\n"
		 "int init_ret(struct pt_regs *ctx)\n"
		 "{\n"
		 "\tu32 pid = bpf_get_current_pid_tgid() >> 32;\n"
		 "\tu64 rc = PT_REGS_RC(ctx) + 100;\n"
		 "\n"
		 "\treturned.update(&pid, &rc);\n"
		 "\treturn 0;\n"
		 "}\n");
	if (!ember_kernel_has_kprobes()) {
		err = ember_module_attach_kprobe(m, "init", "dummy_dev_init", 0,
						 NULL);
		assert_int_equal(err, -EOPNOTSUPP);
		message_has("no kprobes", "RAW_TRACEPOINT_PROBE");
		ember_module_free(m);
		return;
	}
	/* the VM boots without it; elsewhere a dummy device may hold it */
	if (module_loaded("dummy"))
		run_ok(rmmod);
	assert_false(module_loaded("dummy"));
	err = ember_module_attach_kprobe(m, "init", "dummy_dev_init", 0, NULL);
	assert_int_equal(err, -ENOENT);
	message_has("no kernel function dummy_dev_init", "module");
	err = ember_module_attach_kprobe_opts(m, "init_ret", "dummy_dev_init",
					      &o, NULL);
	assert_int_equal(err, -ENOENT);
	message_has("no kernel function dummy_dev_init", "module");
	assert_int_equal(ember_module_link_cnt(m), 0);

	run_ok(modprobe);
	assert_true(module_loaded("dummy"));
	/* dummy_dev_init runs when a dummy device registers, in the process
	 * that asked for it */
	err = ember_module_attach_kprobe(m, "init", "dummy_dev_init", 0, NULL);
	if (err)
		fail_msg("attach: %s", ember_errmsg());
	err = ember_module_attach_kprobe_opts(m, "init_ret", "dummy_dev_init",
					      &o, NULL);
	if (err)
		fail_msg("attach kretprobe: %s", ember_errmsg());
	snprintf(name, sizeof(name), "emb%d", (int)getpid() % 100000);
	pid = run_ok(add);
	run_ok(del);
	assert_int_equal(table_u64(m, "seen", (uint32_t)pid), 1);
	assert_int_equal(table_u64(m, "returned", (uint32_t)pid), 100);
	ember_module_free(m);
	run_ok(rmmod);
	assert_false(module_loaded("dummy"));
}

/* KFUNC_PROBE / KRETFUNC_PROBE: typed arguments, and the return value. */
static void kfunc_typed_arguments_and_return(void **state)
{
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_module *m;
	char path[64], want[128];
	int err, fd;

	(void)state;
	m = load("kfunc.c",
		 "KFUNC_PROBE(do_sys_openat2, int dfd, const char *filename,\n"
		 "\tstruct open_how *how)\n"
		 "{\n"
		 "\tchar name[64];\n"
		 "\n"
		 "\tif ((bpf_get_current_pid_tgid() >> 32) != ME)\n"
		 "\t\treturn 0;\n"
		 "\tbpf_probe_read_user_str(name, sizeof(name), filename);\n"
		 "\tbpf_trace_printk(\"kf-open %d %s\", dfd, name);\n"
		 "\treturn 0;\n"
		 "}\n"
		 "KRETFUNC_PROBE(do_sys_openat2, int dfd, const char "
		 "*filename,\n"
		 "\tstruct open_how *how, long ret)\n"
		 "{\n"
		 "\tchar name[64];\n"
		 "\n"
		 "\tif ((bpf_get_current_pid_tgid() >> 32) != ME)\n"
		 "\t\treturn 0;\n"
		 "\tbpf_probe_read_user_str(name, sizeof(name), filename);\n"
		 "\tbpf_trace_printk(\"kf-ret %s %ld\", name, ret);\n"
		 "\treturn 0;\n"
		 "}\n");
	err = ember_module_attach_auto(m);
	if (ember_feature(EMBER_FEATURE_FENTRY) != 1) {
		assert_int_equal(err, -EOPNOTSUPP);
		message_has("KFUNC_PROBE", "syscalls:sys_enter_openat");
		assert_int_equal(ember_module_link_cnt(m), 0);
		ember_module_free(m);
		return;
	}
	if (err != 2)
		fail_msg("attach: %d %s", err, ember_errmsg());
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)getpid());
	fd = open_close(path);
	assert_true(fd >= 0);
	snprintf(want, sizeof(want), "kf-open %d %s", AT_FDCWD, path);
	assert_true(test_wait_trace_line(tp, getpid(), want, &f));
	snprintf(want, sizeof(want), "kf-ret %s %d", path, fd);
	assert_true(test_wait_trace_line(tp, getpid(), want, &f));
	ember_trace_pipe_free(tp);
	ember_module_free(m);
}

/* KMOD_RET on a security_ function (fmod_ret is allowed there and on
 * error-injectable ones): while armed, the value the program returns is
 * what this process's open() gets. */
static void kmod_ret_changes_return(void **state)
{
	struct ember_module *m;
	struct ember_table *armed;
	uint32_t zero = 0, on = 1, off = 0;
	int err;

	(void)state;
	m = load(
		"kmod_ret.c",
		"BPF_ARRAY(armed, u32, 1);\n"
		"KMOD_RET(security_file_open, struct file *file, int ret)\n"
		"{\n"
		"\tu32 zero = 0, *on = armed.lookup(&zero);\n"
		"\n"
		"\tif (on && *on && (bpf_get_current_pid_tgid() >> 32) == ME)\n"
		"\t\treturn -EXDEV;\n"
		"\treturn 0;\n"
		"}\n");
	err = ember_module_attach_auto(m);
	if (ember_feature(EMBER_FEATURE_FENTRY) != 1) {
		assert_int_equal(err, -EOPNOTSUPP);
		message_has("KMOD_RET", "this kernel does not run");
		assert_int_equal(ember_module_link_cnt(m), 0);
		ember_module_free(m);
		return;
	}
	if (err != 1)
		fail_msg("attach: %d %s", err, ember_errmsg());
	assert_int_equal(ember_module_table(m, "armed", &armed), 0);
	assert_true(open_close("/dev/null") >= 0);
	assert_int_equal(ember_table_update(armed, &zero, &on, 0), 0);
	err = open_close("/dev/null");
	assert_int_equal(ember_table_update(armed, &zero, &off, 0), 0);
	assert_int_equal(err, -EXDEV);
	ember_module_free(m);
	/* detached: opens work again */
	assert_true(open_close("/dev/null") >= 0);
}

/* LSM_PROBE(file_open): while armed, this process's opens are refused with
 * the program's error. */
static void lsm_probe_refuses_open(void **state)
{
	struct ember_module *m;
	struct ember_table *armed;
	uint32_t zero = 0, on = 1, off = 0;
	int err;

	(void)state;
	m = load("lsm.c", "BPF_ARRAY(armed, u32, 1);\n"
			  "LSM_PROBE(file_open, struct file *file)\n"
			  "{\n"
			  "\tu32 zero = 0, *on = armed.lookup(&zero);\n"
			  "\n"
			  "\tif (on && *on && "
			  "(bpf_get_current_pid_tgid() >> 32) == ME)\n"
			  "\t\treturn -EPERM;\n"
			  "\treturn 0;\n"
			  "}\n");
	err = ember_module_attach_auto(m);
	if (ember_feature(EMBER_FEATURE_LSM) != 1) {
		assert_int_equal(err, -EOPNOTSUPP);
		message_has("LSM_PROBE", "syscalls:sys_enter_openat");
		assert_int_equal(ember_module_link_cnt(m), 0);
		ember_module_free(m);
		return;
	}
	if (err != 1)
		fail_msg("attach: %d %s", err, ember_errmsg());
	assert_int_equal(ember_module_table(m, "armed", &armed), 0);
	assert_int_equal(open_close("/dev/null") >= 0, 1);
	assert_int_equal(ember_table_update(armed, &zero, &on, 0), 0);
	err = open_close("/dev/null");
	assert_int_equal(ember_table_update(armed, &zero, &off, 0), 0);
	assert_int_equal(err, -EPERM);
	assert_int_equal(open_close("/dev/null") >= 0, 1);
	ember_module_free(m);
}

/* Lines of path that contain what (0 when path cannot be read). */
static int lines_with(const char *path, const char *what)
{
	char *text = test_read_file(path, NULL), *p;
	int n = 0;

	for (p = text; p && (p = strstr(p, what)); p++)
		n++;
	free(text);
	return n;
}

#define KPROBE_LIST "/sys/kernel/debug/kprobes/list"
#define KPROBE_EVENTS "/sys/kernel/tracing/kprobe_events"
#define KPROBE_PROFILE "/sys/kernel/tracing/kprobe_profile"

/*
 * The line of the kernel's kprobe list (debugfs kprobes/list: "ADDR  k
 * SYM+0xOFF  MOD [FTRACE]") that contains what, into line; false if none.
 */
static bool kprobe_list_line(const char *what, char *line, size_t size)
{
	char *text = test_read_file(KPROBE_LIST, NULL), *p, *end;
	bool found = false;

	if (text && (p = strstr(text, what))) {
		while (p > text && p[-1] != '\n')
			p--;
		end = strchr(p, '\n');
		snprintf(line, size, "%.*s",
			 (int)(end ? end - p : (ptrdiff_t)strlen(p)), p);
		found = true;
	}
	free(text);
	return found;
}

/* Whether no line of the kprobe list has what within 10 s: a module's
 * release leaves its kprobes' (program-less) releases to the
 * ember-release process (ember_module_free in ember.h). */
static bool kprobe_list_gone(const char *what)
{
	char line[256];

	for (double t0 = test_now(); test_now() - t0 < 10; usleep(20 * 1000))
		if (!kprobe_list_line(what, line, sizeof(line)))
			return true;
	return false;
}

/* The option errors every kernel gives, kprobes or not. */
static void kprobe_opts_errors(void **state)
{
	struct ember_kprobe_opts o = { .sz = sizeof(o) };
	struct ember_module *m;

	(void)state;
	m = load("kprobe_opts.c", "int hit(struct pt_regs *ctx)\n"
				  "{ return 0; }\n");
	o.retprobe = true;
	o.offset = 4;
	assert_int_equal(
		ember_module_attach_kprobe_opts(m, "hit", "vfs_read", &o, NULL),
		-EINVAL);
	message_has("kretprobe at vfs_read+4", "takes no offset");
	o.offset = 0;
	o.maxactive = EMBER_KRETPROBE_MAXACTIVE_MAX + 1;
	assert_int_equal(
		ember_module_attach_kprobe_opts(m, "hit", "vfs_read", &o, NULL),
		-EINVAL);
	message_has("maxactive 4097", "0..4096");
	o.maxactive = -1;
	assert_int_equal(
		ember_module_attach_kprobe_opts(m, "hit", "vfs_read", &o, NULL),
		-EINVAL);
	o.retprobe = false;
	o.maxactive = 4;
	assert_int_equal(
		ember_module_attach_kprobe_opts(m, "hit", "vfs_read", &o, NULL),
		-EINVAL);
	message_has("maxactive is for kretprobes", NULL);
	o.sz = 0;
	assert_int_equal(
		ember_module_attach_kprobe_opts(m, "hit", "vfs_read", &o, NULL),
		-EINVAL);
	message_has("ember_kprobe_opts", NULL);
	assert_int_equal(ember_module_link_cnt(m), 0);
	ember_module_free(m);
}

/*
 * BCC's event_off: a kprobe inside do_sys_openat2, on the instruction after
 * the ftrace call site (5 bytes on x86-64) where a kprobe at its entry
 * lands, as the kernel's own kprobe list shows. It fires for this process's
 * open with the arguments still in their registers.
 */
static void kprobe_at_offset(void **state)
{
	struct ember_kprobe_opts o = { .sz = sizeof(o) };
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_link *entry;
	struct ember_module *m;
	char line[256], path[64], want[160], at[64], *plus, syscall_fn[64];
	unsigned int entry_off;
	int err;

	(void)state;
	m = load("kprobe_off.c",
		 "int at_off(struct pt_regs *ctx)\n"
		 "{\n"
		 "\tchar name[64];\n"
		 "\n"
		 "\tif ((bpf_get_current_pid_tgid() >> 32) != ME)\n"
		 "\t\treturn 0;\n"
		 "\tbpf_probe_read_user_str(name, sizeof(name),\n"
		 "\t\t\t\t(void *)PT_REGS_PARM2(ctx));\n"
		 "\tbpf_trace_printk(\"kp-off %s\", name);\n"
		 "\treturn 0;\n"
		 "}\n");
	if (!ember_kernel_has_kprobes()) {
		/* nothing stands in for a point inside a function, not even
		 * in a system call's entry point */
		o.offset = 5;
		err = ember_module_attach_kprobe_opts(
			m, "at_off", "do_sys_openat2", &o, NULL);
		assert_int_equal(err, -EOPNOTSUPP);
		message_has("no kprobes", "do_sys_openat2+0x5");
		assert_int_equal(ember_syscall_fnname("openat", syscall_fn,
						      sizeof(syscall_fn)),
				 0);
		err = ember_module_attach_kprobe_opts(m, "at_off", syscall_fn,
						      &o, NULL);
		assert_int_equal(err, -EOPNOTSUPP);
		message_has("no kprobes", "+0x5");
		assert_int_equal(ember_module_link_cnt(m), 0);
		ember_module_free(m);
		return;
	}
	/* where the kernel puts a kprobe at the entry (after endbr64 on
	 * kernels built with IBT, on the ftrace call site) */
	if (ember_module_attach_kprobe(m, "at_off", "do_sys_openat2", 0,
				       &entry))
		fail_msg("attach at entry: %s", ember_errmsg());
	if (!kprobe_list_line(" do_sys_openat2+0x", line, sizeof(line)))
		fail_msg("no do_sys_openat2 in %s", KPROBE_LIST);
	ember_link_detach(entry);
	plus = strstr(line, "do_sys_openat2+0x");
	assert_int_equal(sscanf(plus, "do_sys_openat2+0x%x", &entry_off), 1);
	if (!strstr(line, "[FTRACE]"))
		fail_msg("the entry kprobe is not on an ftrace call site, so "
			 "the next instruction's offset is unknown: %s",
			 line);

	/* inside the 5-byte call instruction: refused, nothing attached */
	o.offset = entry_off + 1;
	err = ember_module_attach_kprobe_opts(m, "at_off", "do_sys_openat2", &o,
					      NULL);
	assert_int_equal(err, -EILSEQ);
	message_has("not the start of an instruction", "do_sys_openat2");
	assert_int_equal(ember_module_link_cnt(m), 0);

	o.offset = entry_off + 5;
	err = ember_module_attach_kprobe_opts(m, "at_off", "do_sys_openat2", &o,
					      &entry);
	if (err)
		fail_msg("attach at +%u: %s", entry_off + 5, ember_errmsg());
	snprintf(at, sizeof(at), " do_sys_openat2+0x%x ", entry_off + 5);
	if (!kprobe_list_line(at, line, sizeof(line)))
		fail_msg("no '%s' in %s", at, KPROBE_LIST);
	snprintf(want, sizeof(want), "kprobe do_sys_openat2+0x%x → at_off",
		 entry_off + 5);
	assert_string_equal(ember_link_description(entry), want);
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)getpid());
	assert_true(open_close(path) >= 0);
	snprintf(want, sizeof(want), "kp-off %s", path);
	assert_true(test_wait_trace_line(tp, getpid(), want, &f));
	ember_trace_pipe_free(tp);
	ember_module_free(m);
	assert_true(kprobe_list_gone(at));
}

/* Threads that sleep at once in hrtimer_nanosleep (clock_nanosleep). */
#define SLEEPERS 4

static pthread_barrier_t sleepers_go;

static void *sleeper(void *arg)
{
	struct timespec ts = { .tv_sec = 1 };

	(void)arg;
	pthread_barrier_wait(&sleepers_go);
	nanosleep(&ts, NULL);
	return NULL;
}

static void sleep_together(void)
{
	pthread_t t[SLEEPERS];

	assert_int_equal(pthread_barrier_init(&sleepers_go, NULL, SLEEPERS), 0);
	for (int i = 0; i < SLEEPERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, sleeper, NULL), 0);
	for (int i = 0; i < SLEEPERS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&sleepers_go);
}

/*
 * Event name (ember/<name>) of the kprobe_events line of this process that
 * starts with kind ("r1:") and probes fn, into name; false if none.
 */
static bool my_kprobe_event(const char *kind, const char *fn, int pid,
			    char *name, size_t size)
{
	char *text = test_read_file(KPROBE_EVENTS, NULL), *line, *save = NULL;
	char mine[64];
	bool found = false;

	/* "r1:ember/hrtimer_nanosleep_147_1 hrtimer_nanosleep" */
	snprintf(mine, sizeof(mine), "_%d_", pid);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *n = strstr(line, ":ember/"), *probe;

		probe = strchr(line, ' ');
		if (strncmp(line, kind, strlen(kind)) || !n || !probe ||
		    !strstr(line, mine) || strncmp(probe + 1, fn, strlen(fn)) ||
		    !strchr("+ ", probe[1 + strlen(fn)])) /* or the end */
			continue;
		n += strlen(":ember/");
		snprintf(name, size, "%.*s", (int)strcspn(n, " "), n);
		found = true;
	}
	free(text);
	return found;
}

/* Hits and misses of event ember/name in kprobe_profile; false if absent. */
static bool kprobe_profile(const char *name, unsigned long *hits,
			   unsigned long *misses)
{
	char *text = test_read_file(KPROBE_PROFILE, NULL), *p, want[96];
	bool found = false;

	snprintf(want, sizeof(want), " %s ", name);
	/* "  ember/NAME    hits    misses" (or without the group) */
	for (p = text; p && (p = strstr(p, name)); p++) {
		char *end = p + strlen(name);

		if ((p > text && p[-1] != ' ' && p[-1] != '/') || (*end != ' '))
			continue;
		found = sscanf(end, " %lu %lu", hits, misses) == 2;
		break;
	}
	free(text);
	return found;
}

/* Runs of fn's program the kernel skipped because another BPF program
 * was running on that CPU (bpf_prog_info.recursion_misses, 5.12+). */
static unsigned long long skipped_runs(const struct ember_module *m,
				       const char *fn)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = ember_module_prog_fd(m, fn);

	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.recursion_misses;
}

/*
 * BCC's maxactive: with room for one call under way at a time, one of four
 * threads sleeping at once has its return seen and the kernel counts the
 * other three as missed; with room for eight, all four are seen. The probe
 * is a tracefs event, gone after detaching, after an error and (at the next
 * such attach) after a process killed while attached.
 */
static void kretprobe_maxactive(void **state)
{
	struct ember_kprobe_opts o = { .sz = sizeof(o),
				       .retprobe = true,
				       .maxactive = 1 };
	struct ember_module *m;
	struct ember_link *l;
	char name[64], want[96], syscall_fn[64];
	unsigned long hits, misses;
	int err, pid, status;

	(void)state;
	m = load("kretprobe_maxactive.c",
		 "BPF_ARRAY(returns, u64, 1);\n"
		 "int ret(struct pt_regs *ctx)\n"
		 "{\n"
		 "\tif ((bpf_get_current_pid_tgid() >> 32) == ME)\n"
		 "\t\treturns.increment(0);\n"
		 "\treturn 0;\n"
		 "}\n");
	if (!ember_kernel_has_kprobes()) {
		err = ember_module_attach_kprobe_opts(
			m, "ret", "hrtimer_nanosleep", &o, NULL);
		assert_int_equal(err, -EOPNOTSUPP);
		message_has("no kprobes", "kretprobe on hrtimer_nanosleep");
		assert_int_equal(ember_module_link_cnt(m), 0);
		/* a system call's exit tracepoint stands in: it sees every
		 * return */
		assert_int_equal(ember_syscall_fnname("clock_nanosleep",
						      syscall_fn,
						      sizeof(syscall_fn)),
				 0);
		err = ember_module_attach_kprobe_opts(m, "ret", syscall_fn, &o,
						      NULL);
		if (err)
			fail_msg("stand-in: %s", ember_errmsg());
		sleep_together();
		assert_int_equal(table_u64(m, "returns", 0), SLEEPERS);
		ember_module_free(m);
		return;
	}
	/* a function that does not exist: an error, and no event */
	err = ember_module_attach_kprobe_opts(m, "ret", "ember_no_such_fn", &o,
					      NULL);
	assert_int_equal(err, -ENOENT);
	message_has("no kernel function ember_no_such_fn", NULL);
	assert_false(my_kprobe_event("r", "ember_no_such_fn", getpid(), name,
				     sizeof(name)));

	err = ember_module_attach_kprobe_opts(m, "ret", "hrtimer_nanosleep", &o,
					      &l);
	if (err)
		fail_msg("attach maxactive 1: %s", ember_errmsg());
	assert_string_equal(ember_link_description(l),
			    "kretprobe hrtimer_nanosleep (maxactive 1) → ret");
	if (!my_kprobe_event("r1:", "hrtimer_nanosleep", getpid(), name,
			     sizeof(name)))
		fail_msg("no r1: event of this process in %s",
			 test_read_file(KPROBE_EVENTS, NULL));
	sleep_together();
	assert_true(kprobe_profile(name, &hits, &misses));
	if (table_u64(m, "returns", 0) != 1 || misses < SLEEPERS - 1)
		fail_msg("maxactive 1: %llu returns seen (want 1), %lu "
			 "missed (want >= %d)",
			 (unsigned long long)table_u64(m, "returns", 0), misses,
			 SLEEPERS - 1);
	assert_int_equal(ember_link_detach(l), 0);
	assert_false(my_kprobe_event("r", "hrtimer_nanosleep", getpid(), name,
				     sizeof(name)));

	o.maxactive = 2 * SLEEPERS;
	{
		struct ember_table *t;
		uint32_t zero = 0;
		uint64_t none = 0;

		assert_int_equal(ember_module_table(m, "returns", &t), 0);
		assert_int_equal(ember_table_update(t, &zero, &none, 0), 0);
	}
	err = ember_module_attach_kprobe_opts(m, "ret", "hrtimer_nanosleep", &o,
					      NULL);
	if (err)
		fail_msg("attach maxactive 8: %s", ember_errmsg());
	snprintf(want, sizeof(want), "r%d:", 2 * SLEEPERS);
	assert_true(my_kprobe_event(want, "hrtimer_nanosleep", getpid(), name,
				    sizeof(name)));
	sleep_together();
	assert_true(kprobe_profile(name, &hits, &misses));
	/* every return caught (the kernel's count); each ran the program
	 * unless the kernel skipped it for a BPF program already running
	 * on that CPU (seen once on 6.12 under emulation) */
	if (misses != 0 ||
	    table_u64(m, "returns", 0) + skipped_runs(m, "ret") != SLEEPERS)
		fail_msg("maxactive %d: %llu returns seen + %llu skipped runs "
			 "(want %d), kernel: %lu hits, %lu missed (want 0)",
			 2 * SLEEPERS,
			 (unsigned long long)table_u64(m, "returns", 0),
			 skipped_runs(m, "ret"), SLEEPERS, hits, misses);

	/* a process killed while attached leaves its event; the next
	 * maxactive attach removes it */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (ember_module_attach_kprobe_opts(m, "ret", "vfs_fsync", &o,
						    NULL))
			_exit(1);
		raise(SIGKILL);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_true(my_kprobe_event("r", "vfs_fsync", pid, name, sizeof(name)));
	ember_module_free(m);
	assert_false(my_kprobe_event("r", "hrtimer_nanosleep", getpid(), name,
				     sizeof(name)));
	m = load("kretprobe_stale.c", "int ret(struct pt_regs *ctx)\n"
				      "{ return 0; }\n");
	o.maxactive = 1;
	err = ember_module_attach_kprobe_opts(m, "ret", "vfs_fsync", &o, NULL);
	if (err)
		fail_msg("attach after the kill: %s", ember_errmsg());
	assert_false(
		my_kprobe_event("r", "vfs_fsync", pid, name, sizeof(name)));
	ember_module_free(m);
	assert_false(my_kprobe_event("r", "vfs_fsync", getpid(), name,
				     sizeof(name)));
}

/* 1,000 attach/detach cycles: no kprobe, kprobe event or descriptor stays
 * behind (on a kernel without kprobes: no tracepoint link either). */
static void kprobe_cycles_leave_nothing(void **state)
{
	const char *list = "/sys/kernel/debug/kprobes/list";
	struct ember_module *m;
	char fn[64];
	int before_fds, before_probes, before_events, cycles;

	(void)state;
	/* two functions: where a syscall tracepoint stands in for the
	 * kprobes, one program reads entry or exit arguments, not both */
	m = load("kprobe_cycles.c", "int hit(struct pt_regs *ctx)\n"
				    "{ return 0; }\n"
				    "int hit_ret(struct pt_regs *ctx)\n"
				    "{ return 0; }\n");
	assert_int_equal(ember_syscall_fnname("sync", fn, sizeof(fn)), 0);
	/* warm up: each program loads on its first attach */
	assert_int_equal(ember_module_attach_kprobe(m, "hit", fn, 0, NULL), 0);
	assert_int_equal(ember_module_attach_kprobe(m, "hit_ret", fn, 1, NULL),
			 0);
	while (ember_module_next_link(m, NULL))
		ember_link_detach(ember_module_next_link(m, NULL));
	/* without kprobes these are tracepoint links, whose 1,000 cycles
	 * test_attach_leaks runs: a few here */
	cycles = ember_kernel_has_kprobes() ? 1000 : 50;
	before_fds = test_count_fds();
	before_probes = lines_with(list, fn);
	before_events = lines_with("/sys/kernel/tracing/kprobe_events", fn);
	for (int i = 0; i < cycles; i++) {
		struct ember_link *l = NULL;

		if (ember_module_attach_kprobe(m, i & 1 ? "hit_ret" : "hit", fn,
					       i & 1, &l))
			fail_msg("cycle %d: %s", i, ember_errmsg());
		assert_int_equal(ember_link_detach(l), 0);
	}
	assert_int_equal(ember_module_link_cnt(m), 0);
	assert_int_equal(test_count_fds(), before_fds);
	assert_int_equal(lines_with(list, fn), before_probes);
	assert_int_equal(lines_with("/sys/kernel/tracing/kprobe_events", fn),
			 before_events);
	ember_module_free(m);
	if (ember_kernel_has_kprobes())
		assert_int_equal(lines_with(list, fn), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kprobe_typed_arguments_and_return),
		cmocka_unit_test(kprobe_regex_each_function),
		cmocka_unit_test(kprobe_opts_errors),
		cmocka_unit_test(kprobe_at_offset),
		cmocka_unit_test(kretprobe_maxactive),
		cmocka_unit_test(kprobe_module_function),
		cmocka_unit_test(kfunc_typed_arguments_and_return),
		cmocka_unit_test(kmod_ret_changes_return),
		cmocka_unit_test(lsm_probe_refuses_open),
		cmocka_unit_test(kprobe_cycles_leave_nothing),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
