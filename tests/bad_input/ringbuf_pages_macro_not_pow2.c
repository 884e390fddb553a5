#define PAGES (4 + 2)
BPF_RINGBUF_OUTPUT(buf, PAGES);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return 0;
}
