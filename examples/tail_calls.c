// SPDX-License-Identifier: MIT
/*
 * The seed's tail-call dispatcher: hello() runs on every system call (raw
 * tracepoint sys_enter) and tail-calls through BPF_PROG_ARRAY(syscall, 300)
 * into a program per system call number: hello_exec for execve, hello_timer
 * for the timer_* calls, ignore_opcode for noisy ones. Others fall through
 * to "Another syscall: N". The host loads the three functions as programs
 * (BCC's load_func) and puts their fds into the array.
 *
 *   tail_calls           print trace lines until Ctrl-C
 *   tail_calls --self    exec /bin/true, create and delete a timer, print
 *                        the three lines that produced, exit
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ember/ember.h>

static const char program[] =
	"BPF_PROG_ARRAY(syscall, 300);\n"
	"\n"
	"int hello(struct bpf_raw_tracepoint_args *ctx) {\n"
	"    int opcode = ctx->args[1];\n"
	"    syscall.call(ctx, opcode);\n"
	"    bpf_trace_printk(\"Another syscall: %d\", opcode);\n"
	"    return 0;\n"
	"}\n"
	"\n"
	"int hello_exec(void *ctx) {\n"
	"    bpf_trace_printk(\"Executing a program\");\n"
	"    return 0;\n"
	"}\n"
	"\n"
	"int hello_timer(struct bpf_raw_tracepoint_args *ctx) {\n"
	"    int opcode = ctx->args[1];\n"
	"    switch (opcode) {\n"
	"        case 222:\n"
	"            bpf_trace_printk(\"Creating a timer\");\n"
	"            break;\n"
	"        case 226:\n"
	"            bpf_trace_printk(\"Deleting a timer\");\n"
	"            break;\n"
	"        default:\n"
	"            bpf_trace_printk(\"Some other timer operation\");\n"
	"            break;\n"
	"    }\n"
	"    return 0;\n"
	"}\n"
	"\n"
	"int ignore_opcode(void *ctx) {\n"
	"    return 0;\n"
	"}\n";

/* x86-64 system call numbers, as in the seed */
static const int exec_calls[] = { 59 };
static const int timer_calls[] = { 222, 223, 224, 225, 226 };
static const int ignored_calls[] = { 0,	  1,   3,   7,	 8,   9,   10, 11,
				     13,  14,  16,  17,	 21,  23,  39, 72,
				     202, 228, 232, 257, 262, 270, 281 };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int fill(struct ember_table *t, const int *calls, size_t n, int fd)
{
	for (size_t i = 0; i < n; i++) {
		int key = calls[i];
		int err = ember_table_update(t, &key, &fd, EMBER_ANY);

		if (err)
			return err;
	}
	return 0;
}

int main(int argc, char **argv)
{
	EMBER_OPTS(ember_module_opts, opts, .name = "tail_calls.c");
	int self = argc > 1 && !strcmp(argv[1], "--self");
	int exec_fd, timer_fd, ignore_fd, rc = 1, seen = 0;
	struct ember_trace_pipe *tp = NULL;
	struct ember_module *m = NULL;
	struct ember_trace_fields f;
	struct ember_table *t;

	signal(SIGINT, on_signal);
	if (ember_module_new(program, &opts, &m) ||
	    ember_module_attach_raw_tracepoint(m, "hello", "sys_enter", NULL))
		goto fail;
	ignore_fd = ember_module_load_func(m, "ignore_opcode",
					   EMBER_PROG_RAW_TRACEPOINT);
	exec_fd = ember_module_load_func(m, "hello_exec",
					 EMBER_PROG_RAW_TRACEPOINT);
	timer_fd = ember_module_load_func(m, "hello_timer",
					  EMBER_PROG_RAW_TRACEPOINT);
	if (ignore_fd < 0 || exec_fd < 0 || timer_fd < 0 ||
	    ember_module_table(m, "syscall", &t) ||
	    fill(t, exec_calls, 1, exec_fd) ||
	    fill(t, timer_calls, 5, timer_fd) ||
	    fill(t, ignored_calls,
		 sizeof(ignored_calls) / sizeof(ignored_calls[0]), ignore_fd) ||
	    ember_trace_pipe_open(&tp))
		goto fail;
	if (self) {
		timer_t timer;
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
		if (timer_create(CLOCK_MONOTONIC, NULL, &timer) == 0)
			timer_delete(timer);
	}
	while (!stop && !(self && seen == 7)) {
		int r = ember_trace_pipe_read_fields(tp, self ? 2000 : 500, &f);

		if (r < 0)
			goto fail;
		if (r == 0) {
			if (self)
				break;
			continue;
		}
		/* trace_pipe is shared by everyone: in --self mode show only the
		 * three lines this run causes */
		if (self && (f.pid == getpid() ? !strstr(f.msg, "timer")
					       : !strstr(f.msg, "Executing")))
			continue;
		printf("%s-%d: %s\n", f.task, f.pid, f.msg);
		fflush(stdout);
		if (strstr(f.msg, "Executing a program"))
			seen |= 1;
		else if (strstr(f.msg, "Creating a timer"))
			seen |= 2;
		else if (strstr(f.msg, "Deleting a timer"))
			seen |= 4;
	}
	rc = self && seen != 7;
	goto out;
fail:
	fprintf(stderr, "tail_calls: %s\n", ember_errmsg());
out:
	ember_trace_pipe_free(tp);
	ember_module_free(m);
	return rc;
}
