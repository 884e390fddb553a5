TRACEPOINT_PROBE(syscalls, sys_enter_nonexistent)
{
	return 0;
}
