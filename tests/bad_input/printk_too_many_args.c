TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	bpf_trace_printk("%d %d %d %d\n", 1, 2, 3, 4);
	return 0;
}
