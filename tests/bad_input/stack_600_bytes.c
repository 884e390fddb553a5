TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	char buf[600];
	bpf_probe_read_user(buf, sizeof(buf), args->filename);
	bpf_trace_printk("%s\n", buf);
	return 0;
}
