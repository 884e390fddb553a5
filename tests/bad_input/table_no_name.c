BPF_ARRAY();
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return 0;
}
