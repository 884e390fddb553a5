BPF_RINGBUF_OUTPUT(rb, 8);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	rb.increment(1);
	return 0;
}
