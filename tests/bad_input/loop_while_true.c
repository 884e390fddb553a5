TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	volatile int i = 0;
	while (1)
		i++;
	return 0;
}
