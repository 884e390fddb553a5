TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	bpf_trace_printk("%q\n");
	return 0;
}
