TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	if (args->filename {
		return 1;
	}
	return 0;
}
