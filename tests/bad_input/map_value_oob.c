BPF_ARRAY(a, u64, 4);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	int k = 0;
	u64 *v = a.lookup(&k);
	if (v)
		return v[100];
	return 0;
}
