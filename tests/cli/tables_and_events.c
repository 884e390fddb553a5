BPF_HASH(counts, u32, u64);
BPF_HISTOGRAM(dist);
BPF_PERF_OUTPUT(events);
struct ev_t { u32 pid; char comm[16]; };

TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	struct ev_t e = {};
	u32 uid = bpf_get_current_uid_gid();

	e.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	counts.increment(uid);
	dist.increment(bpf_log2l(e.pid));
	events.perf_submit(args, &e, sizeof(e));
	return 0;
}
