BPF_ARRAY(t, u64, 4000000000);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	int k = 0;
	u64 *v = t.lookup(&k);
	return v ? 1 : 0;
}
