/* a BPF-to-BPF call passes at most five arguments, in r1-r5 */
static __attribute__((noinline)) u64 sum6(u64 a, u64 b, u64 c, u64 d, u64 e,
					  u64 f)
{
	return a + b + c + d + e + f;
}

TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u64 t = bpf_ktime_get_ns();

	return sum6(t, t + 1, t * 3, t ^ 5, t - 5, t >> 2) & 1;
}
