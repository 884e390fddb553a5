// SPDX-License-Identifier: MIT
/*
 * Hello world, as in the seed tutorials: a program prints "Hello World!"
 * each time a process calls execve(). BCC's version attaches a kprobe to the
 * execve syscall; this kernel has no kprobes, so the same function is
 * attached to the syscalls:sys_enter_execve tracepoint instead.
 *
 * The host starts /bin/true itself and prints the trace line that exec
 * produced, split into BCC's trace_fields: task, pid, cpu, flags, ts, msg.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ember/ember.h>

static const char program[] = "int hello(void *ctx) {\n"
			      "    bpf_trace_printk(\"Hello World!\");\n"
			      "    return 0;\n"
			      "}\n";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static pid_t run_true(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid;
}

int main(void)
{
	EMBER_OPTS(ember_module_opts, opts, .name = "hello_world.c");
	struct ember_trace_fields f;
	struct ember_trace_pipe *tp = NULL;
	struct ember_module *m = NULL;
	int rc = 1, err;
	double deadline;
	pid_t child;

	err = ember_module_new(program, &opts, &m);
	if (!err)
		err = ember_module_attach_tracepoint(
			m, "hello", "syscalls:sys_enter_execve", NULL);
	if (!err)
		err = ember_trace_pipe_open(&tp);
	if (err) {
		fprintf(stderr, "hello_world: %s\n", ember_errmsg());
		goto out;
	}
	child = run_true();
	if (child < 0) {
		perror("fork");
		goto out;
	}
	/* trace_pipe is shared by the whole system: wait for our line. */
	deadline = now() + 5;
	while (now() < deadline) {
		err = ember_trace_pipe_read_fields(tp, 250, &f);
		if (err < 0) {
			fprintf(stderr, "hello_world: %s\n", ember_errmsg());
			goto out;
		}
		if (err == 1 && f.pid == child &&
		    strstr(f.msg, "Hello World!")) {
			printf("task=%s pid=%d cpu=%d flags=%s ts=%.6f "
			       "msg=%s\n",
			       f.task, f.pid, f.cpu, f.flags, f.ts, f.msg);
			rc = 0;
			break;
		}
	}
	if (rc)
		fprintf(stderr, "hello_world: no trace line from pid %d\n",
			(int)child);
out:
	ember_trace_pipe_free(tp);
	ember_module_free(m);
	return rc;
}
