/* the pointer is not known at compile time: an indirect call (callx) */
static int even(u64 v)
{
	return v * 2;
}

TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u64 t = bpf_ktime_get_ns();
	int (*f)(u64) = even;

	if (t & 1)
		f = (void *)args->filename;
	return f(t);
}
