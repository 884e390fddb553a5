BPF_PERF_OUTPUT(events, 1, 2);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return 0;
}
