struct big { char x[1024]; };
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	struct big b = {};
	bpf_probe_read_user(&b, sizeof(b), args->filename);
	return b.x[5];
}
