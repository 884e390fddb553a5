/* BCC programs written against the kernel's headers: field aliases read
 * through the kernel (sk_state, inet_dport, s6_addr), kernel macros and
 * inlines, constants, and a static helper inlined. */
#include <net/sock.h>
#include <net/inet_sock.h>
#include <linux/dcache.h>

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
	if (S_ISSOCK(v) || v > NSEC_PER_MSEC)
		v = div_u64(v, 3);
	return v + name[0] + sk->sk_family;
}
