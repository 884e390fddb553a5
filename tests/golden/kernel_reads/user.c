#include <linux/sched.h>

/* User memory: __user pointers and the pointer arguments of system calls
 * are read with the _user helpers. */
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	const char *arg0 = args->argv[0];
	char first = *args->filename;

	bpf_trace_printk("%s %s %c\n", args->filename, arg0, first);
	return 0;
}

int syscall__openat(struct pt_regs *ctx, int dfd, const char __user *filename)
{
	return filename[0] == '/';
}

RAW_TRACEPOINT_PROBE(sys_enter)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	const char __user *path = (const char __user *)regs->si;
	char c = *path;

	return c + regs->di;
}
