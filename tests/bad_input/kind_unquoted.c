BPF_TABLE(hash, u32, u64, t, 16);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u32 k = 0;
	t.lookup(&k);
	return 0;
}
