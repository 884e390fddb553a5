struct v { char b[1 << 24]; };
BPF_HASH(t, u32, struct v, 16);
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u32 k = 0;
	return t.lookup(&k) ? 1 : 0;
}
