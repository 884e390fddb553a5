BPF_HASH(t, void, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return 0;
}
