/* SPDX-License-Identifier: MIT */
/*
 * <bcc/proto.h>: packet headers in BCC's layout, for socket filters that
 * walk a packet with cursor_advance(). Fields are listed in wire order and
 * bitfields from the most significant bit down, as the headers are on the
 * wire: ember rewrites a field read through a pointer to one of these into
 * bpf_dext_pkt(skb, offset, bit, bits) (a load in network byte order) and a
 * write into bpf_dins_pkt(), as BCC does (rewrite_packet_fields.c). The
 * layouts are those of the protocols (IEEE 802.3/802.1Q, RFC 826, 791, 792,
 * 8200, 768, 793 and 7348); the names are BCC's.
 */
#ifndef __EMBER_BCC_PROTO_H
#define __EMBER_BCC_PROTO_H

struct ethernet_t {
	unsigned long long dst : 48;
	unsigned long long src : 48;
	unsigned int type : 16;
} BPF_PACKET_HEADER;

struct dot1q_t {
	unsigned short pri : 3;
	unsigned short cfi : 1;
	unsigned short vlanid : 12;
	unsigned short type;
} BPF_PACKET_HEADER;

struct arp_t {
	unsigned short htype;
	unsigned short ptype;
	unsigned char hlen;
	unsigned char plen;
	unsigned short oper;
	unsigned long long sha : 48;
	unsigned long long spa : 32;
	unsigned long long tha : 48;
	unsigned int tpa;
} BPF_PACKET_HEADER;

struct ip_t {
	unsigned char ver : 4;
	unsigned char hlen : 4;
	unsigned char tos;
	unsigned short tlen;
	unsigned short identification;
	unsigned short ffo_unused : 1;
	unsigned short df : 1;
	unsigned short mf : 1;
	unsigned short foffset : 13;
	unsigned char ttl;
	unsigned char nextp;
	unsigned short hchecksum;
	unsigned int src;
	unsigned int dst;
} BPF_PACKET_HEADER;

struct icmp_t {
	unsigned char type;
	unsigned char code;
	unsigned short checksum;
} BPF_PACKET_HEADER;

struct ip6_t {
	unsigned int ver : 4;
	unsigned int priority : 8;
	unsigned int flow_label : 20;
	unsigned short payload_len;
	unsigned char next_header;
	unsigned char hop_limit;
	unsigned long long src_hi;
	unsigned long long src_lo;
	unsigned long long dst_hi;
	unsigned long long dst_lo;
} BPF_PACKET_HEADER;

struct ip6_opt_t {
	unsigned char next_header;
	unsigned char ext_len;
	unsigned char pad[6];
} BPF_PACKET_HEADER;

struct icmp6_t {
	unsigned char type;
	unsigned char code;
	unsigned short checksum;
} BPF_PACKET_HEADER;

struct udp_t {
	unsigned short sport;
	unsigned short dport;
	unsigned short length;
	unsigned short crc;
} BPF_PACKET_HEADER;

struct tcp_t {
	unsigned short src_port;
	unsigned short dst_port;
	unsigned int seq_num;
	unsigned int ack_num;
	unsigned char offset : 4;
	unsigned char reserved : 4;
	unsigned char flag_cwr : 1;
	unsigned char flag_ece : 1;
	unsigned char flag_urg : 1;
	unsigned char flag_ack : 1;
	unsigned char flag_psh : 1;
	unsigned char flag_rst : 1;
	unsigned char flag_syn : 1;
	unsigned char flag_fin : 1;
	unsigned short rcv_wnd;
	unsigned short cksum;
	unsigned short urg_ptr;
} BPF_PACKET_HEADER;

struct vxlan_t {
	unsigned int rsv1 : 4;
	unsigned int iflag : 1;
	unsigned int rsv2 : 3;
	unsigned int rsv3 : 24;
	unsigned int key : 24;
	unsigned int rsv4 : 8;
} BPF_PACKET_HEADER;

#endif
