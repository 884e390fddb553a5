TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	char a[300], b[300];
	bpf_probe_read_user(a, sizeof(a), args->filename);
	bpf_probe_read_user(b, sizeof(b), args->filename);
	return a[1] + b[2];
}
