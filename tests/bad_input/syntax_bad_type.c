TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	unknown_t x = 0;
	return 0;
}
