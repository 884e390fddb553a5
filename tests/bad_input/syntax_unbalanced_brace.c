TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	if (1) {
		return 0;
}
