/* a helper through BCC's pointer style, called with six arguments */
static long (*my_probe_read)(void *dst, u32 size, const void *src, u64 a,
			     u64 b, u64 c) = (void *)113;

TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u64 v = 0;

	return my_probe_read(&v, sizeof(v), args->filename, 1, 2, 3);
}
