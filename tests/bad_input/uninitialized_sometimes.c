TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u64 pid;
	if (args->filename)
		pid = bpf_get_current_pid_tgid() >> 32;
	bpf_trace_printk("%llu\n", pid);
	return 0;
}
