TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	int x = 1 @ 2;
	return x;
}
