TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return args->no_such_field;
}
