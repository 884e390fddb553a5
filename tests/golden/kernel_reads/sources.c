#include <linux/sched.h>
#include <linux/blkdev.h>
#include <linux/skbuff.h>

/* Where kernel pointers come from, and where they go. */
struct stash {
	struct request *req;
	u64 ts;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u64);
	__type(value, struct stash);
	__uint(max_entries, 64);
} saved SEC(".maps");

BPF_HASH(socks, u32, struct sock *);

static u32 parent_of(struct task_struct *t)
{
	return t->real_parent->tgid;
}

static struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/* typed kprobe parameters and PT_REGS_PARMn(ctx) */
int kprobe__blk_account_io_done(struct pt_regs *ctx, struct request *req)
{
	struct request *again = (struct request *)PT_REGS_PARM1(ctx);
	unsigned long raw = PT_REGS_PARM1(ctx);

	return req->__data_len + again->__data_len +
	       ((struct request *)raw)->tag;
}

/* a pointer kept in a field of a map value, looked up again */
RAW_TRACEPOINT_PROBE(block_rq_complete)
{
	struct stash s = {};
	u64 k = 0;
	struct stash *sp;

	s.req = (struct request *)ctx->args[0];
	s.ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&saved, &k, &s, BPF_ANY);
	sp = bpf_map_lookup_elem(&saved, &k);
	if (!sp)
		return 0;
	return sp->req->cmd_flags + sp->ts;
}

/* a pointer field of a tracepoint's args; a table of kernel pointers;
 * static functions' parameters and returns */
TRACEPOINT_PROBE(net, netif_receive_skb)
{
	struct sk_buff *skb = args->skbaddr;
	struct sock *sk = skb->sk;
	u32 tid = 0;
	struct sock **skp;

	socks.update(&tid, &sk);
	skp = socks.lookup(&tid);
	if (skp)
		return (*skp)->__sk_common.skc_family + args->len;
	return parent_of(current_task());
}
