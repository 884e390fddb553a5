TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	bpf_trace_printk("cli-hello %s\n", args->filename);
	return 0;
}
