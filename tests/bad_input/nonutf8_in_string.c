TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	bpf_trace_printk("Ã( %d\n", undefined_x);
	return 0;
}
