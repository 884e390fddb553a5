BPF_HASH(t, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u32 k = 0;
	t.update(&k);
	return 0;
}
