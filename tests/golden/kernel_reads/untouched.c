#include <linux/sched.h>

/* Stack variables, map values, the program's own data and the context are
 * read directly; libbpf's CO-RE macros read for themselves. */
struct data_t {
	u32 pid;
	char comm[16];
};

u64 events_seen;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, struct data_t);
	__uint(max_entries, 1);
} scratch SEC(".maps");

RAW_TRACEPOINT_PROBE(sched_switch)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct data_t d = {}, *p = &d, *m;
	u32 zero = 0;

	d.pid = BPF_CORE_READ(task, real_parent, tgid);
	if (bpf_core_field_exists(task->pid))
		p->pid += ctx->args[1];
	m = bpf_map_lookup_elem(&scratch, &zero);
	if (!m)
		return 0;
	m->pid = p->pid;
	m->comm[0] = d.comm[0];
	events_seen++;
	return m->pid + events_seen;
}

int socket_filter(struct __sk_buff *skb)
{
	return skb->len;
}
