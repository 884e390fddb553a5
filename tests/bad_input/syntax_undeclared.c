TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return nope;
}
