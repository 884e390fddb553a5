/* declared, defined nowhere: the loader finds no BTF for the extern */
int lookup_elsewhere(u32 pid);

TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	u32 pid = bpf_get_current_pid_tgid();

	return lookup_elsewhere(pid);
}
