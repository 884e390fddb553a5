BPF_HASH(t, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u64 v = 0;
	t.perf_submit(args, &v, sizeof(v));
	return 0;
}
