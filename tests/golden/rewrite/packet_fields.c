/* BCC's packet walk: header fields through cursor_advance() pointers
 * become packet loads (reads) and stores (writes), bit-exact; a field's
 * address stays an offset; checksum updates get the packet and the size of
 * the new value as written. */
#include <bcc/proto.h>

struct vlan_tag_t {
	u16 pri : 3;
	u16 cfi : 1;
	u16 id : 12;
} BPF_PACKET_HEADER;

int filter(struct __sk_buff *skb)
{
	u8 *cursor = 0;
	struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));

	if (ethernet->type == 0x8100) {
		struct vlan_tag_t *tag = cursor_advance(cursor, sizeof(*tag));

		if (tag->id == 7)
			tag->pri = 3;
		cursor_advance(cursor, 2);
	}
	struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
	struct tcp_t *tcp = cursor_advance(cursor, ip->hlen * 4 - sizeof(*ip) + sizeof(*tcp));

	ethernet->src = ethernet->dst;
	u32 old = ip->dst;
	ip->dst = 0x0a000001;
	incr_cksum_l3(&ip->hchecksum, old, ip->dst);
	incr_cksum_l4(&tcp->cksum, old, ip->dst, 1);
	incr_cksum_l4((u64)&tcp->cksum, tcp->dst_port, (u16)80, 0);
	return ip->ver == 4 && tcp->flag_syn && !tcp->flag_ack ? -1 : 0;
}
