TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u64 n = bpf_get_current_pid_tgid();
	volatile u64 s = 0;
	for (u64 i = 0; i < n; i++)
		s += i;
	return s;
}
