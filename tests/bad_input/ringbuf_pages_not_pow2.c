BPF_RINGBUF_OUTPUT(buf, 3);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return 0;
}
