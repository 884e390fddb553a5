// SPDX-License-Identifier: MIT
/*
 * Implicit kernel reads against the running kernel, each checked against a
 * truth from outside BPF: getppid(), the comm the process set, the path it
 * opened, and what stat() says of a file it read.
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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

#ifndef EMBER_TEST_GOLDEN_DIR
#error "EMBER_TEST_GOLDEN_DIR must name tests/golden"
#endif

/* The program text with "-DME=<pid>" so it only reports this test. */
static struct ember_module *load(const char *text, pid_t me)
{
	char me_flag[32];
	const char *cflags[] = { me_flag };
	struct ember_module_opts o = { .sz = sizeof(o),
				       .name = "kr.c",
				       .cflags = cflags,
				       .cflags_cnt = 1 };
	struct ember_module *m = NULL;

	snprintf(me_flag, sizeof(me_flag), "-DME=%d", (int)me);
	if (ember_module_new(text, &o, &m))
		fail_msg("load failed: %s", ember_errmsg());
	return m;
}

static const char task_prog[] =
	"#include <linux/sched.h>\n"
	"TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
	"{\n"
	"\tstruct task_struct *task = (struct task_struct *)"
	"bpf_get_current_task();\n"
	"\n"
	"\tif (task->real_parent->tgid != ME)\n"
	"\t\treturn 0;\n"
	"\tbpf_trace_printk(\"kr-task ppid=%d comm=%s pid=%d\\n\",\n"
	"\t\t\t task->real_parent->tgid, task->comm, task->tgid);\n"
	"\treturn 0;\n"
	"}\n";

/*
 * A child of this test names itself and calls getppid(): the program reads
 * task->real_parent->tgid, task->comm and task->tgid; the child's own
 * getppid() result, the name it set and its pid are the truth.
 */
static void task_parent_and_comm(void **state)
{
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_module *m;
	int pipefd[2], status;
	long child_ppid = -1;
	char want[128];
	pid_t child;

	(void)state;
	m = load(task_prog, getpid());
	assert_int_equal(ember_module_attach_auto(m), 1);
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	assert_int_equal(pipe(pipefd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		long ppid;

		prctl(PR_SET_NAME, "kr-child", 0, 0, 0);
		ppid = syscall(SYS_getppid);
		if (write(pipefd[1], &ppid, sizeof(ppid)) != sizeof(ppid))
			_exit(2);
		_exit(0);
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &child_ppid, sizeof(child_ppid)),
			 sizeof(child_ppid));
	close(pipefd[0]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(child_ppid, getpid());
	snprintf(want, sizeof(want), "kr-task ppid=%ld comm=kr-child pid=%d",
		 child_ppid, (int)child);
	if (!test_wait_trace_line(tp, child, want, &f))
		fail_msg("no trace line \"%s\"", want);
	assert_string_equal(f.task, "kr-child");
	ember_trace_pipe_free(tp);
	ember_module_free(m);
}

static const char open_prog[] =
	"TRACEPOINT_PROBE(syscalls, sys_enter_openat)\n"
	"{\n"
	"\tchar first;\n"
	"\n"
	"\tif (bpf_get_current_pid_tgid() >> 32 != ME)\n"
	"\t\treturn 0;\n"
	"\tfirst = *args->filename;\n"
	/* %d, not %c: kernels before 5.13 print nothing for a %c */
	"\tbpf_trace_printk(\"kr-open %d %s\\n\", first, args->filename);\n"
	"\treturn 0;\n"
	"}\n";

/* args->filename is a user pointer: read with the _user helpers, it is
 * the path this process passed to openat(). */
static void openat_filename(void **state)
{
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_module *m;
	char path[128], want[160];
	int fd;

	(void)state;
	m = load(open_prog, getpid());
	assert_int_equal(ember_module_attach_auto(m), 1);
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	snprintf(path, sizeof(path), "/tmp/ember-kr-%d-no-such-file",
		 (int)getpid());
	fd = openat(AT_FDCWD, path, O_RDONLY);
	assert_int_equal(fd, -1);
	snprintf(want, sizeof(want), "kr-open %d %s", '/', path);
	if (!test_wait_trace_line(tp, getpid(), want, &f))
		fail_msg("no trace line \"%s\"", want);
	assert_string_equal(strstr(f.msg, "kr-open"), want);
	ember_trace_pipe_free(tp);
	ember_module_free(m);
}

static const char inode_prog[] =
	"#include <linux/sched.h>\n"
	"#include <linux/fs.h>\n"
	"#include <linux/fdtable.h>\n"
	"TRACEPOINT_PROBE(syscalls, sys_enter_read)\n"
	"{\n"
	"\tstruct task_struct *task;\n"
	"\tstruct file *file;\n"
	"\n"
	"\tif (bpf_get_current_pid_tgid() >> 32 != ME)\n"
	"\t\treturn 0;\n"
	"\ttask = (struct task_struct *)bpf_get_current_task();\n"
	"\tfile = task->files->fdt->fd[args->fd];\n"
	"\tbpf_trace_printk(\"kr-inode fd=%d ino=%lu\\n\", args->fd,\n"
	"\t\t\t file->f_inode->i_ino);\n"
	"\tbpf_trace_printk(\"kr-name fd=%d %s\\n\", args->fd,\n"
	"\t\t\t file->f_path.dentry->d_name.name);\n"
	"\treturn 0;\n"
	"}\n";

/* A struct file * found from the fd through task->files->fdt->fd[fd]: its
 * inode number is what stat() says, its dentry's name the file's name. */
static void file_inode_from_fd(void **state)
{
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_module *m;
	char path[] = "/tmp/ember-kr-inode-XXXXXX", want[160], c;
	struct stat st;
	int fd;

	(void)state;
	m = load(inode_prog, getpid());
	assert_int_equal(ember_module_attach_auto(m), 1);
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(read(fd, &c, 1), 1);
	snprintf(want, sizeof(want), "kr-inode fd=%d ino=%lu", fd,
		 (unsigned long)st.st_ino);
	if (!test_wait_trace_line(tp, getpid(), want, &f))
		fail_msg("no trace line \"%s\"", want);
	snprintf(want, sizeof(want), "kr-name fd=%d %s", fd,
		 strrchr(path, '/') + 1);
	if (!test_wait_trace_line(tp, getpid(), want, &f))
		fail_msg("no trace line \"%s\"", want);
	close(fd);
	unlink(path);
	ember_trace_pipe_free(tp);
	ember_module_free(m);
}

static const char key_prog[] =
	"#include <linux/sched.h>\n"
	"struct key_t {\n"
	"\tchar comm[16];\n"
	"};\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_HASH);\n"
	"\t__type(key, struct key_t);\n"
	"\t__type(value, u64);\n"
	"\t__uint(max_entries, 16);\n"
	"} by_comm SEC(\".maps\");\n"
	"TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
	"{\n"
	"\tstruct task_struct *task = (struct task_struct *)"
	"bpf_get_current_task();\n"
	"\tstruct key_t k = {};\n"
	"\tu64 seven = 7, *v;\n"
	"\n"
	"\tif (task->tgid != ME)\n"
	"\t\treturn 0;\n"
	"\tbpf_map_update_elem(&by_comm, task->comm, &seven, BPF_ANY);\n"
	"\tbpf_get_current_comm(&k.comm, sizeof(k.comm));\n"
	"\tv = bpf_map_lookup_elem(&by_comm, &k);\n"
	"\tbpf_trace_printk(\"kr-key %d\\n\", v ? *v : 0);\n"
	"\treturn 0;\n"
	"}\n";

/* task->comm handed to a map helper as a key is copied to the stack as a
 * zero-padded string: the same key bpf_get_current_comm() makes. */
static void comm_as_map_key(void **state)
{
	struct ember_trace_pipe *tp;
	struct ember_trace_fields f;
	struct ember_module *m;

	(void)state;
	m = load(key_prog, getpid());
	assert_int_equal(ember_module_attach_auto(m), 1);
	assert_int_equal(ember_trace_pipe_open(&tp), 0);
	syscall(SYS_getppid);
	if (!test_wait_trace_line(tp, getpid(), "kr-key 7", &f))
		fail_msg("no trace line \"kr-key 7\"");
	ember_trace_pipe_free(tp);
	ember_module_free(m);
}

/* The golden programs of the unit tests pass the verifier. */
static void golden_programs_load(void **state)
{
	static const char *const names[] = { "chains",	      "strings",
					     "user",	      "untouched",
					     "macro_args",    "sources",
					     "seed_disksnoop" };
	struct ember_module_opts o = { .sz = sizeof(o) };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[512], name[64];
		struct ember_module *m = NULL;
		char *src;

		snprintf(path, sizeof(path), "%s/kernel_reads/%s.c",
			 EMBER_TEST_GOLDEN_DIR, names[i]);
		snprintf(name, sizeof(name), "%s.c", names[i]);
		src = test_read_file(path, NULL);
		assert_non_null(src);
		o.name = name;
		if (ember_module_new(src, &o, &m))
			fail_msg("%s: %s", name, ember_errmsg());
		ember_module_free(m);
		free(src);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(task_parent_and_comm),
		cmocka_unit_test(openat_filename),
		cmocka_unit_test(file_inode_from_fd),
		cmocka_unit_test(comm_as_map_key),
		cmocka_unit_test(golden_programs_load),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
