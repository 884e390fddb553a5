#include <uapi/linux/ptrace.h>
#include <linux/sched.h>

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	bpf_trace_printk("open %s flags %d\n", args->filename, args->flags);
	return 0;
}

TRACEPOINT_PROBE(sched, sched_process_exec)
{
	char comm[TASK_COMM_LEN];
	bpf_get_current_comm(&comm, sizeof(comm));
	bpf_trace_printk("exec %s pid %d", comm, args->pid);
	return 0;
}
