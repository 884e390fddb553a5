TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	volatile int i = 0;
again:
	i++;
	goto again;
	return 0;
}
