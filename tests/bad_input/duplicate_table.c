BPF_HASH(t, u32, u64);
BPF_HASH(t, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return 0;
}
