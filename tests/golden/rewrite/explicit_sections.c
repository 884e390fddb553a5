/* Sections the text gives itself are kept, whatever form they take. */
SEC("fentry/do_nanosleep")
int BPF_PROG(nano, void *a)
{
	return 0;
}

__attribute__((section("xdp"))) int pass(struct xdp_md *c)
{
	return 2;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int bpf_prog(void *ctx)
{
	return 0;
}

int plain(void *ctx)
{
	return 0;
}
