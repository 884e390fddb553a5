// SPDX-License-Identifier: MIT
/*
 * Network attach kinds on a veth pair between two network namespaces the
 * test creates (iproute2): XDP in native and generic mode and
 * tc ingress/egress as tcx links and as clsact filters count UDP packets and
 * drop the one whose payload says DROP. Socket filters drop a known UDP
 * payload on loopback; a raw socket on lo sees only what its filter keeps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

#define HOST_IP "10.201.0.1"
#define PEER_IP "10.201.0.2"
/* A free UDP port, picked at setup (the programs get it as -DPORT=). */
static int port;
#define PORT port

/* Slots: 0 all packets, 1 UDP packets to PORT, 2 dropped. */
static const char prog_text[] =
	"struct {\n"
	"	__uint(type, BPF_MAP_TYPE_ARRAY);\n"
	"	__type(key, u32);\n"
	"	__type(value, u64);\n"
	"	__uint(max_entries, 4);\n"
	"} vals SEC(\".maps\");\n"
	"static __always_inline void count(u32 k)\n"
	"{\n"
	"	u64 *p = bpf_map_lookup_elem(&vals, &k);\n"
	"	if (p)\n"
	"		__sync_fetch_and_add(p, 1);\n"
	"}\n"
	"/* UDP to PORT over IPv4 behind an Ethernet header: 1, DROP: 2 */\n"
	"static __always_inline int classify(const u8 *p, const u8 *end)\n"
	"{\n"
	"	const u8 *udp;\n"
	"	if (p + 34 > end || p[12] != 0x08 || p[13] != 0 || p[23] != "
	"17)\n"
	"		return 0;\n"
	"	udp = p + 14 + (p[14] & 0xf) * 4;\n"
	"	if (udp + 12 > end || udp[2] != (PORT >> 8) ||\n"
	"	    udp[3] != (PORT & 0xff))\n"
	"		return 0;\n"
	"	return udp[8] == 'D' && udp[9] == 'R' && udp[10] == 'O' &&\n"
	"	       udp[11] == 'P' ? 2 : 1;\n"
	"}\n"
	"int xdp_filter(struct xdp_md *ctx)\n"
	"{\n"
	"	int c = classify((void *)(long)ctx->data,\n"
	"			 (void *)(long)ctx->data_end);\n"
	"	count(0);\n"
	"	if (c)\n"
	"		count(1);\n"
	"	if (c == 2) {\n"
	"		count(2);\n"
	"		return XDP_DROP;\n"
	"	}\n"
	"	return XDP_PASS;\n"
	"}\n"
	"/* tc and raw socket filters copy the bytes out of the skb */\n"
	"static __always_inline int classify_skb(struct __sk_buff *skb)\n"
	"{\n"
	"	u8 h[24] = {}, u[12] = {};\n"
	"	if (bpf_skb_load_bytes(skb, 0, h, 24) || h[12] != 0x08 ||\n"
	"	    h[13] != 0 || h[23] != 17)\n"
	"		return 0;\n"
	"	if (bpf_skb_load_bytes(skb, 14 + (h[14] & 0xf) * 4, u, 12) ||\n"
	"	    u[2] != (PORT >> 8) || u[3] != (PORT & 0xff))\n"
	"		return 0;\n"
	"	return u[8] == 'D' && u[9] == 'R' && u[10] == 'O' &&\n"
	"	       u[11] == 'P' ? 2 : 1;\n"
	"}\n"
	"int tc_filter(struct __sk_buff *skb)\n"
	"{\n"
	"	int c = classify_skb(skb);\n"
	"	count(0);\n"
	"	if (c)\n"
	"		count(1);\n"
	"	if (c == 2) {\n"
	"		count(2);\n"
	"		return 2; /* TC_ACT_SHOT */\n"
	"	}\n"
	"	return 0; /* TC_ACT_OK */\n"
	"}\n"
	"/* On a UDP socket the data starts at the UDP header. */\n"
	"int sock_filter(struct __sk_buff *skb)\n"
	"{\n"
	"	char b[4] = {};\n"
	"	count(0);\n"
	"	if (bpf_skb_load_bytes(skb, 8, b, 4))\n"
	"		return skb->len;\n"
	"	if (b[0] == 'D' && b[1] == 'R' && b[2] == 'O' && b[3] == 'P') "
	"{\n"
	"		count(2);\n"
	"		return 0;\n"
	"	}\n"
	"	return skb->len;\n"
	"}\n"
	"/* A raw socket on lo: keep UDP to PORT, nothing else. */\n"
	"int raw_filter(struct __sk_buff *skb)\n"
	"{\n"
	"	int c = classify_skb(skb);\n"
	"	count(0);\n"
	"	if (!c)\n"
	"		return 0;\n"
	"	count(1);\n"
	"	return skb->len;\n"
	"}\n";

static char ns[32], host_if[16], peer_if[16];

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int runf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int runf(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return run(cmd);
}

/* Output of a command, into buf. */
static void capture(const char *cmd, char *buf, size_t size)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, size - 1, f);
		pclose(f);
	}
	buf[n] = 0;
}

static char port_flag[32];

static void pick_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	snprintf(port_flag, sizeof(port_flag), "-DPORT=%d", port);
}

static int setup(void **state)
{
	int pid = getpid();

	(void)state;
	if (run("ip -V >/dev/null 2>&1"))
		test_skip("iproute2 (ip) is needed for the network tests");
	/* Work in a network namespace of our own: nothing touches the host's,
	 * and our end of the veth pair dies with the process. */
	if (unshare(CLONE_NEWNET) || run("ip link set lo up"))
		fail_msg("cannot make a network namespace: %s",
			 strerror(errno));
	pick_port();
	snprintf(ns, sizeof(ns), "ember_t%d", pid);
	snprintf(host_if, sizeof(host_if), "emb%da", pid);
	snprintf(peer_if, sizeof(peer_if), "emb%db", pid);
	if (runf("ip netns add %s", ns) ||
	    runf("ip link add %s type veth peer name %s netns %s", host_if,
		 peer_if, ns) ||
	    runf("ip addr add " HOST_IP "/24 dev %s", host_if) ||
	    runf("ip link set %s up", host_if) ||
	    runf("ip -n %s addr add " PEER_IP "/24 dev %s", ns, peer_if) ||
	    runf("ip -n %s link set %s up", ns, peer_if) ||
	    runf("ip -n %s link set lo up", ns))
		fail_msg("could not set up the veth pair and namespace");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	runf("ip link del %s 2>/dev/null", host_if);
	runf("ip netns del %s 2>/dev/null", ns);
	return 0;
}

static uint64_t val(struct ember_module *m, uint32_t key)
{
	union bpf_attr attr;
	uint64_t v = 0;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)test_table_fd(m, "vals");
	attr.key = (uint64_t)(uintptr_t)&key;
	attr.value = (uint64_t)(uintptr_t)&v;
	assert_int_equal(
		syscall(__NR_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr)), 0);
	return v;
}

static struct ember_module *load(void)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "net.c" };
	const char *flags[] = { port_flag };
	struct ember_module *m = NULL;

	o.cflags = flags;
	o.cflags_cnt = 1;
	if (ember_module_new(prog_text, &o, &m))
		fail_msg("load failed: %s", ember_errmsg());
	return m;
}

static int udp_socket(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_usec = 300000 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, ip, &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void send_to(int fd, const char *ip, const char *payload)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(PORT) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	assert_true(sendto(fd, payload, strlen(payload), 0,
			   (struct sockaddr *)&a, sizeof(a)) > 0);
}

/* From inside the namespace: "KEEP0".."KEEPn-1" and one "DROP" to the
 * host end. */
static void send_from_peer(int keep)
{
	char path[64], msg[16];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	pid = fork();
	if (pid == 0) {
		int nsfd = open(path, O_RDONLY | O_CLOEXEC), fd;

		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET))
			_exit(2);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		for (int i = 0; i < keep; i++) {
			struct sockaddr_in a = { .sin_family = AF_INET,
						 .sin_port = htons(PORT) };

			inet_pton(AF_INET, HOST_IP, &a.sin_addr);
			snprintf(msg, sizeof(msg), "KEEP%d", i);
			sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&a,
			       sizeof(a));
			if (i == keep / 2)
				sendto(fd, "DROP", 4, 0, (struct sockaddr *)&a,
				       sizeof(a));
		}
		_exit(0);
	}
	assert_true(waitpid(pid, &status, 0) == pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Read datagrams until a timeout: how many KEEPs, and was a DROP seen. */
static int receive(int fd, bool *saw_drop)
{
	char buf[64];
	ssize_t n;
	int keeps = 0;

	*saw_drop = false;
	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = 0;
		if (!strncmp(buf, "KEEP", 4))
			keeps++;
		else if (!strcmp(buf, "DROP"))
			*saw_drop = true;
	}
	return keeps;
}

static void xdp_in_mode(unsigned int mode, const char *mode_text)
{
	struct ember_module *m = load();
	struct ember_link *l;
	bool drop;
	int fd = udp_socket(HOST_IP, PORT);
	char want[128];

	if (ember_module_attach_xdp(m, "xdp_filter", host_if, mode, &l))
		fail_msg("%s", ember_errmsg());
	snprintf(want, sizeof(want), "xdp %s%s → xdp_filter", host_if,
		 mode_text);
	assert_string_equal(ember_link_description(l), want);
	send_from_peer(5);
	assert_int_equal(receive(fd, &drop), 5);
	assert_false(drop);
	assert_int_equal(val(m, 1), 6);
	assert_int_equal(val(m, 2), 1);
	assert_true(val(m, 0) >= 6);
	ember_module_free(m);

	/* detached with the module: DROP gets through */
	send_from_peer(1);
	assert_int_equal(receive(fd, &drop), 1);
	assert_true(drop);
	close(fd);
}

static void xdp_native_and_generic(void **state)
{
	(void)state;
	xdp_in_mode(EMBER_XDP_DRV_MODE, " (native mode)");
	xdp_in_mode(EMBER_XDP_SKB_MODE, " (generic mode)");
	xdp_in_mode(0, "");
}

static void xdp_errors(void **state)
{
	struct ember_module *m = load();
	int fd;

	(void)state;
	assert_int_equal(
		ember_module_attach_xdp(m, "xdp_filter", "nosuchif0", 0, NULL),
		-ENODEV);
	assert_non_null(strstr(ember_errmsg(), "nosuchif0"));
	assert_int_equal(ember_module_attach_xdp(
				 m, "xdp_filter", host_if,
				 EMBER_XDP_SKB_MODE | EMBER_XDP_DRV_MODE, NULL),
			 -EINVAL);
	/* loaded as XDP now: not usable as a socket filter */
	assert_int_equal(
		ember_module_attach_xdp(m, "xdp_filter", host_if, 0, NULL), 0);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(
		ember_module_attach_socket_filter(m, "xdp_filter", fd, NULL),
		-EINVAL);
	assert_non_null(strstr(ember_errmsg(), "xdp"));
	assert_int_equal(
		ember_module_attach_socket_filter(m, "xdp_filter", 0, NULL),
		-ENOTSOCK);
	/* a second XDP program on the same interface */
	assert_int_equal(
		ember_module_attach_xdp(m, "xdp_filter", host_if, 0, NULL),
		-EBUSY);
	print_message("%s\n", ember_errmsg());
	close(fd);
	ember_module_free(m);
}

static void tc_ingress(enum ember_tc_mode mode, const char *mode_text)
{
	struct ember_tc_opts o = { .sz = sizeof(o), .mode = mode };
	struct ember_module *m = load();
	struct ember_link *l;
	char cmd[128], out[4096];
	bool drop;
	int fd = udp_socket(HOST_IP, PORT);

	if (ember_module_attach_tc(m, "tc_filter", host_if, EMBER_TC_INGRESS,
				   &o, &l))
		fail_msg("%s", ember_errmsg());
	assert_non_null(strstr(ember_link_description(l), mode_text));
	snprintf(cmd, sizeof(cmd), "tc filter show dev %s ingress 2>&1",
		 host_if);
	capture(cmd, out, sizeof(out));
	if (mode == EMBER_TC_CLSACT)
		assert_non_null(strstr(out, "tc_filter"));
	send_from_peer(4);
	assert_int_equal(receive(fd, &drop), 4);
	assert_false(drop);
	assert_int_equal(val(m, 1), 5);
	assert_int_equal(val(m, 2), 1);
	assert_int_equal(ember_link_detach(l), 0);
	/* the clsact filter is gone with the link */
	capture(cmd, out, sizeof(out));
	assert_null(strstr(out, "tc_filter"));
	send_from_peer(1);
	assert_int_equal(receive(fd, &drop), 1);
	assert_true(drop);
	ember_module_free(m);
	close(fd);
}

static void tc_ingress_link_and_clsact(void **state)
{
	(void)state;
	if (ember_feature(EMBER_FEATURE_TCX) == 1)
		tc_ingress(EMBER_TC_LINK, "(tcx link)");
	tc_ingress(EMBER_TC_CLSACT, "(clsact filter");
	tc_ingress(EMBER_TC_AUTO, "tc ");
}

static int filters_shown(const char *cmd)
{
	char out[4096], *p = out;
	int n = 0;

	capture(cmd, out, sizeof(out));
	while ((p = strstr(p, "direct-action"))) {
		n++;
		p++;
	}
	return n;
}

static void tc_egress(void **state)
{
	struct ember_tc_opts o = { .sz = sizeof(o), .mode = EMBER_TC_CLSACT };
	struct ember_module *m = load();
	struct ember_link *a, *b;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char want[128], cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "tc filter show dev %s egress 2>&1",
		 host_if);
	/* two filters on one clsact qdisc, each removed alone */
	if (ember_module_attach_tc(m, "tc_filter", host_if, EMBER_TC_EGRESS, &o,
				   &a) ||
	    ember_module_attach_tc(m, "tc_filter", host_if, EMBER_TC_EGRESS, &o,
				   &b))
		fail_msg("%s", ember_errmsg());
	snprintf(want, sizeof(want), "tc %s egress", host_if);
	assert_memory_equal(ember_link_description(a), want, strlen(want));
	assert_int_equal(filters_shown(cmd), 2);
	/* TC_ACT_OK and TC_ACT_SHOT are verdicts: one filter sees each */
	send_to(fd, PEER_IP, "KEEP");
	send_to(fd, PEER_IP, "DROP");
	usleep(100000);
	assert_true(val(m, 1) >= 2);
	assert_int_equal(val(m, 2), 1);
	assert_int_equal(ember_link_detach(a), 0);
	assert_int_equal(filters_shown(cmd), 1);
	send_to(fd, PEER_IP, "DROP");
	usleep(100000);
	assert_int_equal(val(m, 2), 2); /* the other one still drops */
	ember_module_free(m);
	assert_int_equal(filters_shown(cmd), 0);
	close(fd);
}

static void socket_filter_drops_payload(void **state)
{
	struct ember_module *m = load();
	struct ember_link *l;
	int rx = udp_socket("127.0.0.1", PORT), tx;
	bool drop;
	char want[64];

	(void)state;
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ember_module_attach_socket_filter(m, "sock_filter", rx, &l))
		fail_msg("%s", ember_errmsg());
	snprintf(want, sizeof(want), "socket filter on fd %d → sock_filter",
		 rx);
	assert_string_equal(ember_link_description(l), want);
	send_to(tx, "127.0.0.1", "KEEP1");
	send_to(tx, "127.0.0.1", "DROP");
	send_to(tx, "127.0.0.1", "KEEP2");
	assert_int_equal(receive(rx, &drop), 2);
	assert_false(drop);
	assert_int_equal(val(m, 0), 3);
	assert_int_equal(val(m, 2), 1);
	/* detached: the payload gets through */
	assert_int_equal(ember_link_detach(l), 0);
	send_to(tx, "127.0.0.1", "DROP");
	assert_int_equal(receive(rx, &drop), 0);
	assert_true(drop);
	/* a socket closed before the module is freed is no trouble */
	assert_int_equal(
		ember_module_attach_socket_filter(m, "sock_filter", rx, NULL),
		0);
	close(rx);
	ember_module_free(m);
	close(tx);
}

static void raw_socket_on_loopback(void **state)
{
	struct ember_module *m = load();
	struct ember_link *l;
	int raw = -1, tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rx = udp_socket("127.0.0.1", PORT), frames = 0;
	char buf[2048];
	ssize_t n;

	(void)state;
	if (ember_module_attach_raw_socket(m, "raw_filter", "lo", &raw, &l))
		fail_msg("%s", ember_errmsg());
	assert_true(raw >= 0);
	assert_string_equal(ember_link_description(l),
			    "raw socket on lo → raw_filter");
	send_to(tx, "127.0.0.1", "KEEP-RAW");
	usleep(100000);
	/* only UDP to PORT passed the filter (lo shows it going out and
	 * coming in) */
	while ((n = recv(raw, buf, sizeof(buf), 0)) > 0) {
		assert_non_null(memmem(buf, (size_t)n, "KEEP-RAW", 8));
		frames++;
	}
	assert_true(frames >= 1);
	assert_true(val(m, 0) >= val(m, 1));
	ember_module_free(m);
	/* the link owned the socket */
	assert_int_equal(fcntl(raw, F_GETFD), -1);
	close(rx);
	close(tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(xdp_native_and_generic),
		cmocka_unit_test(xdp_errors),
		cmocka_unit_test(tc_ingress_link_and_clsact),
		cmocka_unit_test(tc_egress),
		cmocka_unit_test(socket_filter_drops_payload),
		cmocka_unit_test(raw_socket_on_loopback),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, setup, teardown);
}
