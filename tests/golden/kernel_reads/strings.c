#include <linux/sched.h>

/* Strings from kernel and user memory into printk %s go through a bounded
 * buffer on the stack; kernel memory handed to a map helper is copied to
 * the stack first. */
struct key_t {
	char comm[16];
};

BPF_HASH(by_pid, int, u64);
BPF_PERF_OUTPUT(events);
BPF_RINGBUF_OUTPUT(ring, 1);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct key_t);
	__type(value, u64);
	__uint(max_entries, 64);
} by_comm SEC(".maps");

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	const char *parent = task->real_parent->comm;
	char local[16];
	struct key_t key = {};
	u64 one = 1;

	bpf_get_current_comm(local, sizeof(local));
	bpf_trace_printk("%s opens %s\n", task->comm, args->filename);
	bpf_trace_printk("parent %s, local %s\n", parent, local);
	bpf_map_update_elem(&by_comm, task->comm, &one, BPF_ANY);
	by_pid.update(&task->pid, &one);
	__builtin_memcpy(key.comm, task->comm, sizeof(key.comm));
	bpf_map_update_elem(&by_comm, &key, &one, BPF_ANY);
	events.perf_submit(args, task->comm, sizeof(task->comm));
	ring.ringbuf_output(&task->real_parent->pid, sizeof(int), 0);
	return 0;
}
