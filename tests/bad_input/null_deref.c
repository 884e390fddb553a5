TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	int *p = 0;
	return *p;
}
