#include <uapi/linux/ptrace.h>
/* every table macro form and method the seeds use */

BPF_HASH(counter_table);
BPF_HASH(by_uid, u32, u64, 1024);
BPF_ARRAY(arr, u32, 16);
BPF_HISTOGRAM(dist);
BPF_PERF_OUTPUT(output);
BPF_RINGBUF_OUTPUT(rb, 8);
BPF_PROG_ARRAY(progs, 300);
BPF_STACK_TRACE(stacks, 1000);

struct data_t {
	int pid;
	int uid;
	char command[16];
	char message[12];
};

int hello(void *ctx)
{
	u64 uid;
	u64 counter = 0;
	u64 *p;

	uid = bpf_get_current_uid_gid() & 0xFFFFFFFF;
	p = counter_table.lookup(&uid);
	if (p != 0) {
		counter = *p;
	}
	counter++;
	counter_table.update(&uid, &counter);
	by_uid.increment((u32)uid);
	by_uid.atomic_increment((u32)uid, 5);
	dist.increment(bpf_log2l(counter));
	struct data_t data = {};
	data.pid = bpf_get_current_pid_tgid() >> 32;
	output.perf_submit(ctx, &data, sizeof(data));
	struct data_t *r = rb.ringbuf_reserve(sizeof(struct data_t));
	if (r) {
		r->pid = 1;
		rb.ringbuf_submit(r, 0);
	}
	u32 k = 3;
	u32 *v = arr.lookup_or_try_init(&k, &k);
	if (v)
		*v += 1;
	int sid = stacks.get_stackid(ctx, 0);
	progs.call(ctx, 2);
	return sid;
}

BPF_PERCPU_ARRAY(pc, u64, 4);
BPF_LRU_HASH(lru, u32);
BPF_TABLE("percpu_hash", u32, u64, ph, 128);
BPF_F_TABLE("lpm_trie", u64, u32, trie, 64, BPF_F_NO_PREALLOC);
BPF_QUEUE(q, u32, 16);
BPF_HISTOGRAM(lat, u64,
	      32);

int more(struct bpf_raw_tracepoint_args *ctx)
{
	u32 v = 1, k = 0;
	u64 zero = 0, *p;

	q.push(&v, 0);
	q.pop(&v);
	lru.insert(&k, &zero);
	p = ph.lookup_or_init(&k, &zero);
	(*p)++;
	lat.atomic_increment(bpf_log2l(v));
	pc.delete(&k);
	return 0;
}
