#include <linux/sched.h>
#include <linux/blkdev.h>

/* -> chains of any depth, *p, p[i], a->b.c->d; reads in declarations,
 * conditions, arguments and returns. &p->f, arrays (which decay to their
 * address) and sizeof read nothing. */
RAW_TRACEPOINT_PROBE(block_rq_issue)
{
	struct request *req = (struct request *)ctx->args[0];
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	u32 ppid = task->real_parent->tgid;
	u64 len = req->__data_len;
	struct bio *bio = req->bio;
	const char *name;
	char *comm = task->comm;
	int *tgidp = &task->tgid;
	int first = comm[0];
	unsigned long size = sizeof(task->pid);

	if (req->cmd_flags & 1 && task->pid != 0)
		bpf_trace_printk("w %d %u\n", *tgidp, bio->bi_iter.bi_size);
	name = task->mm->exe_file->f_path.dentry->d_name.name;
	bpf_trace_printk("%d %c %lu\n", len, first, size);
	bpf_probe_read_kernel(&len, sizeof(len), &task->se.sum_exec_runtime);
	len += task->sched_reset_on_fork;
	return ppid + (*task).pid + task->real_parent[0].pid +
	       (task->pid > 1 ? task->tgid : req->tag) + len + name[0];
}
