// SPDX-License-Identifier: MIT
/*
 * BCC's packet walk with <bcc/proto.h>: a raw socket filter on lo, in a
 * network namespace of the test's own, reads the Ethernet, IPv4 and UDP
 * header fields of real packets through cursor_advance() pointers (rewritten
 * into packet loads) and stores what it read; the test compares them with
 * the packet it sent (its TTL, ports, addresses). And BCC's checksum
 * updates (incr_cksum_l3/l4) in a tc program run on a packet the test
 * builds (BPF_PROG_TEST_RUN): the checksums it leaves are those the test
 * computes from scratch for the rewritten packet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

#define PORT 47123
#define TTL 42

/* Slot k of fields: what the filter read from the last UDP packet to
 * PORT (0: ethertype, 1: version, 2: header length, 3: TTL, 4: protocol,
 * 5: source address, 6: destination address, 7: source port, 8:
 * destination port, 9: UDP length, 10: packets seen). */
static const char prog_text[] =
	"#include <bcc/proto.h>\n"
	"BPF_ARRAY(fields, u64, 16);\n"
	"static void put(int k, u64 v) { fields.update(&k, &v); }\n"
	"int udp_fields(struct __sk_buff *skb)\n"
	"{\n"
	"	u8 *cursor = 0;\n"
	"	struct ethernet_t *ethernet = cursor_advance(cursor, "
	"sizeof(*ethernet));\n"
	"	if (ethernet->type != ETH_P_IP)\n"
	"		return 0;\n"
	"	struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));\n"
	"	if (ip->nextp != IPPROTO_UDP || ip->hlen != 5)\n"
	"		return 0;\n"
	"	struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));\n"
	"	if (udp->dport != 47123)\n"
	"		return 0;\n"
	"	put(0, ethernet->type);\n"
	"	put(1, ip->ver);\n"
	"	put(2, ip->hlen);\n"
	"	put(3, ip->ttl);\n"
	"	put(4, ip->nextp);\n"
	"	put(5, ip->src);\n"
	"	put(6, ip->dst);\n"
	"	put(7, udp->sport);\n"
	"	put(8, udp->dport);\n"
	"	put(9, udp->length);\n"
	"	int k = 10;\n"
	"	fields.increment(k);\n"
	"	return -1;\n"
	"}\n";

static uint64_t field(struct ember_module *m, uint32_t key)
{
	union bpf_attr attr;
	uint64_t v = 0;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)test_table_fd(m, "fields");
	attr.key = (uint64_t)(uintptr_t)&key;
	attr.value = (uint64_t)(uintptr_t)&v;
	assert_int_equal(
		syscall(__NR_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr)), 0);
	return v;
}

static void reads_header_fields(void **state)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "proto.c" };
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(PORT) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	socklen_t from_len = sizeof(from);
	struct ember_module *m = NULL;
	struct ember_link *l;
	int raw = -1, ttl = TTL, tx;
	static const char payload[] = "ember packet fields";

	(void)state;
	if (ember_module_new(prog_text, &o, &m))
		fail_msg("%s", ember_errmsg());
	if (ember_module_attach_raw_socket(m, "udp_fields", "lo", &raw, &l))
		fail_msg("%s", ember_errmsg());
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(tx >= 0);
	inet_pton(AF_INET, "127.0.0.1", &from.sin_addr);
	assert_int_equal(bind(tx, (struct sockaddr *)&from, sizeof(from)), 0);
	assert_int_equal(getsockname(tx, (struct sockaddr *)&from, &from_len),
			 0);
	assert_int_equal(setsockopt(tx, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)),
			 0);
	inet_pton(AF_INET, "127.0.0.2", &to.sin_addr);
	assert_int_equal(sendto(tx, payload, sizeof(payload), 0,
				(struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)sizeof(payload));
	usleep(100000);
	assert_true(field(m, 10) >= 1);
	assert_int_equal(field(m, 0), 0x0800);
	assert_int_equal(field(m, 1), 4);
	assert_int_equal(field(m, 2), 5);
	assert_int_equal(field(m, 3), TTL);
	assert_int_equal(field(m, 4), IPPROTO_UDP);
	assert_int_equal(field(m, 5), 0x7f000001);
	assert_int_equal(field(m, 6), 0x7f000002);
	assert_int_equal(field(m, 7), ntohs(from.sin_port));
	assert_int_equal(field(m, 8), PORT);
	assert_int_equal(field(m, 9), 8 + sizeof(payload));
	close(tx);
	ember_module_free(m);
}

#define NEW_DST 0x0a010203 /* 10.1.2.3 */
#define NEW_PORT 5353

/* Rewrites the destination address and port of an IPv4 UDP packet and
 * updates both checksums incrementally; returns 0 when it did. */
static const char nat_text[] =
	"#include <bcc/proto.h>\n"
	"int nat(struct __sk_buff *skb)\n"
	"{\n"
	"	u8 *cursor = 0;\n"
	"	struct ethernet_t *ethernet = cursor_advance(cursor, "
	"sizeof(*ethernet));\n"
	"	if (ethernet->type != ETH_P_IP)\n"
	"		return 1;\n"
	"	struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));\n"
	"	if (ip->nextp != IPPROTO_UDP)\n"
	"		return 2;\n"
	"	struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));\n"
	"	u32 old_dst = ip->dst;\n"
	"	u16 old_port = udp->dport;\n"
	"	ip->dst = 0x0a010203;\n"
	"	incr_cksum_l3(&ip->hchecksum, old_dst, ip->dst);\n"
	"	incr_cksum_l4(&udp->crc, old_dst, ip->dst, 1);\n"
	"	udp->dport = 5353;\n"
	"	incr_cksum_l4(&udp->crc, old_port, udp->dport, 0);\n"
	"	return 0;\n"
	"}\n";

/* The Internet checksum (RFC 1071) of parts laid end to end. */
static uint16_t inet_csum(const uint8_t *const *part, const size_t *len,
			  size_t parts)
{
	uint32_t sum = 0;

	for (size_t p = 0; p < parts; p++)
		for (size_t i = 0; i < len[p]; i += 2)
			sum += (uint32_t)part[p][i] << 8 |
			       (i + 1 < len[p] ? part[p][i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Fill in the IPv4 header and UDP checksums of pkt (Ethernet at 0). */
static void set_checksums(uint8_t *pkt, size_t len)
{
	uint8_t *ip = pkt + 14, *udp = ip + 20, pseudo[12];
	size_t udp_len = len - 34, l;
	const uint8_t *parts[2];
	size_t lens[2];
	uint16_t c;

	ip[10] = ip[11] = 0;
	parts[0] = ip;
	lens[0] = 20;
	c = inet_csum(parts, lens, 1);
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	pseudo[10] = udp_len >> 8;
	pseudo[11] = udp_len & 0xff;
	udp[6] = udp[7] = 0;
	parts[0] = pseudo;
	lens[0] = sizeof(pseudo);
	parts[1] = udp;
	lens[1] = udp_len;
	l = 2;
	c = inet_csum(parts, lens, l);
	udp[6] = c >> 8;
	udp[7] = c & 0xff;
}

static void updates_checksums(void **state)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "nat.c" };
	static const char payload[] = "ember checksum";
	uint8_t in[14 + 20 + 8 + sizeof(payload)], out[sizeof(in) + 64],
		want[sizeof(in)];
	struct ember_module *m = NULL;
	union bpf_attr attr;
	int fd;

	(void)state;
	memset(in, 0, sizeof(in));
	memcpy(in, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\0", 14);
	memcpy(in + 14,
	       "\x45\0\0\0\x12\x34\x40\0\x40\x11\0\0"
	       "\xc0\xa8\x01\x01\xc0\xa8\x01\x02",
	       20);
	in[16] = (sizeof(in) - 14) >> 8;
	in[17] = (sizeof(in) - 14) & 0xff;
	memcpy(in + 34, "\x04\xd2\0\x35", 4); /* 1234 -> 53 */
	in[38] = (sizeof(in) - 34) >> 8;
	in[39] = (sizeof(in) - 34) & 0xff;
	memcpy(in + 42, payload, sizeof(payload));
	set_checksums(in, sizeof(in));

	/* what the program must leave: the new address and port, and the
	 * checksums computed from scratch */
	memcpy(want, in, sizeof(in));
	want[30] = NEW_DST >> 24;
	want[31] = (NEW_DST >> 16) & 0xff;
	want[32] = (NEW_DST >> 8) & 0xff;
	want[33] = NEW_DST & 0xff;
	want[36] = NEW_PORT >> 8;
	want[37] = NEW_PORT & 0xff;
	set_checksums(want, sizeof(want));

	if (ember_module_new(nat_text, &o, &m))
		fail_msg("%s", ember_errmsg());
	fd = ember_module_load_func(m, "nat", EMBER_PROG_SCHED_CLS);
	if (fd < 0)
		fail_msg("%s", ember_errmsg());
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)fd;
	attr.test.data_in = (uint64_t)(uintptr_t)in;
	attr.test.data_size_in = sizeof(in);
	attr.test.data_out = (uint64_t)(uintptr_t)out;
	attr.test.data_size_out = sizeof(out);
	attr.test.repeat = 1;
	assert_int_equal(
		syscall(__NR_bpf, BPF_PROG_TEST_RUN, &attr, sizeof(attr)), 0);
	assert_int_equal(attr.test.retval, 0);
	assert_int_equal(attr.test.data_size_out, sizeof(in));
	/* header checksum, UDP checksum, then the whole packet */
	assert_int_equal(out[24] << 8 | out[25], want[24] << 8 | want[25]);
	assert_int_equal(out[40] << 8 | out[41], want[40] << 8 | want[41]);
	assert_memory_equal(out, want, sizeof(want));
	ember_module_free(m);
}

/* Outside a function with the packet as its first parameter, the user is
 * told why at the call. */
static void checksum_needs_packet(void **state)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "nopkt.c" };
	struct ember_module *m = NULL;

	(void)state;
	assert_int_not_equal(
		ember_module_new("int f(void)\n"
				 "{\n"
				 "	return incr_cksum_l3(0, 1, 2);\n"
				 "}\n",
				 &o, &m),
		0);
	assert_non_null(strstr(ember_errmsg(),
			       "nopkt.c:3:9: error: incr_cksum_l3() updates "
			       "the checksum of the packet"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_header_fields),
		cmocka_unit_test(updates_checksums),
		cmocka_unit_test(checksum_needs_packet),
	};

	test_require_root();
	/* a namespace of the test's own: its lo carries only this traffic */
	if (unshare(CLONE_NEWNET) || system("ip link set lo up"))
		test_skip("cannot make a network namespace with lo up "
			  "(iproute2 and CAP_SYS_ADMIN are needed)");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
