#include <linux/sched.h>

/* Reads inside macro arguments are rewritten in the argument's text. */
#define TWICE(x) ((x) + (x))
#define SELF(x) (x)

RAW_TRACEPOINT_PROBE(sched_switch)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	bpf_printk("pid %d tgid %d\n", task->pid, task->tgid);
	return TWICE(task->pid) + SELF(task)->tgid;
}
