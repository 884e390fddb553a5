TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	char b[4];
	bpf_skb_load_bytes(args, 0, b, 4);
	return 0;
}
