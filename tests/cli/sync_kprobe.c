/* A kprobe on a system call (the syscall tracepoint stands in where the
 * kernel has no kprobes), from a prebuilt object. */
int kprobe__sys_sync(struct pt_regs *ctx)
{
	bpf_trace_printk("cli-object-sync\n");
	return 0;
}
