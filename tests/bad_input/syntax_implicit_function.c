TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	do_something(1);
	return 0;
}
