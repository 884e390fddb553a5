#include <linux/sched.h>
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	t->pid = 0;
	return 0;
}
