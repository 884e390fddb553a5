// SPDX-License-Identifier: MIT
/*
 * BCC's packet walk with <bcc/proto.h>: a raw socket filter on lo, in a
 * network namespace of the test's own, reads the Ethernet, IPv4 and UDP
 * header fields of real packets through cursor_advance() pointers (rewritten
 * into packet loads) and stores what it read; the test compares them with
 * the packet it sent (its TTL, ports, addresses).
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_header_fields),
	};

	test_require_root();
	/* a namespace of the test's own: its lo carries only this traffic */
	if (unshare(CLONE_NEWNET) || system("ip link set lo up"))
		test_skip("cannot make a network namespace with lo up "
			  "(iproute2 and CAP_SYS_ADMIN are needed)");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
