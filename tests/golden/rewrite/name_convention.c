int tracepoint__syscalls__sys_enter_execve(struct tracepoint__syscalls__sys_enter_execve *args)
{
	bpf_trace_printk("execve %s", args->filename);
	return 0;
}

int raw_tracepoint__sched_switch(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

static int helper(int x)
{
	return x * 2;
}

int hello(void *ctx)
{
	bpf_trace_printk("Hello World! %d", helper(21));
	return 0;
}

char _license[] SEC("license") = "Dual BSD/GPL";
