BPF_ARRAY(a, u64, 4);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	a.call(args, 0);
	return 0;
}
