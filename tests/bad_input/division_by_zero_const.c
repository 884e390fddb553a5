TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	int z = 0;
	return 10 / z;
}
