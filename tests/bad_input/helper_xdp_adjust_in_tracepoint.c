TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return bpf_xdp_adjust_head((void *)args, 4);
}
