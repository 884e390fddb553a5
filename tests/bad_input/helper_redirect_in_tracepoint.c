TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return bpf_redirect(1, 0);
}
