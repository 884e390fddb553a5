BPF_HASH(t, u32, u64, 10, 20, 30);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return 0;
}
