BPF_HASH(h, u32, s64);
int kprobe__do_sys_openat2(struct pt_regs *ctx)
{
	s64 a = bpf_ktime_get_ns(), b = bpf_get_prandom_u32();
	s64 c = a / b;
	u32 k = 0;
	h.update(&k, &c);
	return 0;
}
