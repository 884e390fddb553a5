TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u64 when;
	bpf_trace_printk("at %llu\n", when);
	return 0;
}
