BPF_PERF_OUTPUT(events);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u32 k = 0;
	events.lookup(&k);
	return 0;
}
