/* method arguments with commas of their own, and arguments other rewriters
 * wrap (kernel reads): the helper's own text stays outside */
#include <linux/sched.h>

typedef struct {
	u32 a;
	u32 b;
} pair_t;

BPF_HASH(pairs, pair_t);
BPF_HASH(pids, u32);
BPF_HISTOGRAM(hist, pair_t);

int probe(struct pt_regs *ctx, struct task_struct *t)
{
	pairs.increment((pair_t){ 1, 2 });
	pairs.atomic_increment((pair_t){ t->pid, t->tgid }, t->prio);
	hist.increment((pair_t){ .a = 3, .b = bpf_log2l(t->pid) });
	pids.increment(t->pid);
	pids.increment(t->real_parent->tgid, t->pid);
	pids.update(&(u32){ 1 }, &(u64){ 2 });
	return 0;
}
