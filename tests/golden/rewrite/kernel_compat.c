/* BCC programs written against the kernel's headers: field aliases read
 * through the kernel (sk_state, inet_dport, s6_addr), kernel macros and
 * inlines, constants, and a static helper inlined. TCP_SKB_CB() takes an
 * address in its own text: the read of its field is the user's. */
#include <net/sock.h>
#include <net/inet_sock.h>
#include <linux/dcache.h>
#include <net/tcp.h>

static u32 port_of(struct inet_sock *inet)
{
	return ntohs(inet->inet_dport);
}

int kprobe__tcp_rcv_established(struct pt_regs *ctx, struct sock *sk)
{
	struct inet_sock *inet = (struct inet_sock *)sk;
	char name[DNAME_INLINE_LEN];
	u32 v = port_of(inet) + min_t(u32, inet->inet_daddr, 7) + sk->sk_state;

	if (unlikely(sk->__sk_common.skc_v6_daddr.s6_addr[0] == TASK_RUNNING))
		v++;
	if (S_ISSOCK(v) || v > NSEC_PER_MSEC || (v & FMODE_CREATED))
		v = div_u64(v, 3);
	return v + name[0] + sk->sk_family;
}

int kprobe__tcp_v4_do_rcv(struct pt_regs *ctx, struct sock *sk,
			  struct sk_buff *skb)
{
	struct sockaddr_storage ss = {};

	return TCP_SKB_CB(skb)->seq + TCP_SKB_CB(skb)->tcp_flags + ss.ss_family;
}
