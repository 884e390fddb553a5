// SPDX-License-Identifier: MIT
/*
 * cgroup programs on a cgroup v2 directory the test creates: cgroup/skb
 * egress counts a child's UDP packets and drops one payload, cgroup/sock
 * counts its sockets, a SEC("cgroup/connect4") function its connects; and
 * the errors (not cgroup v2, a kind that needs its section).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

/* A free UDP port, picked at setup (the programs get it as -DPORT=). */
static int port;
#define PORT port

/* Slots: 0 egress packets, 1 dropped, 2 sockets, 3 connects */
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
	"/* cgroup/skb sees the packet from its IP header on */\n"
	"int egress(struct __sk_buff *skb)\n"
	"{\n"
	"	u8 ip[20] = {}, u[12] = {};\n"
	"	if (bpf_skb_load_bytes(skb, 0, ip, 20) || ip[9] != 17)\n"
	"		return 1;\n"
	"	if (bpf_skb_load_bytes(skb, (ip[0] & 0xf) * 4, u, 12) ||\n"
	"	    u[2] != (PORT >> 8) || u[3] != (PORT & 0xff))\n"
	"		return 1;\n"
	"	count(0);\n"
	"	if (u[8] == 'D' && u[9] == 'R' && u[10] == 'O' && u[11] == "
	"'P') "
	"{\n"
	"		count(1);\n"
	"		return 0;\n"
	"	}\n"
	"	return 1;\n"
	"}\n"
	"int on_socket(struct bpf_sock *sk)\n"
	"{\n"
	"	count(2);\n"
	"	return 1;\n"
	"}\n"
	"SEC(\"cgroup/connect4\") int on_connect(struct bpf_sock_addr *ctx)\n"
	"{\n"
	"	count(3);\n"
	"	return 1;\n"
	"}\n";

static char cgroup[PATH_MAX];

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

/* A fresh directory in the cgroup v2 hierarchy, wherever it is mounted. */
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
	FILE *f = fopen("/proc/self/mounts", "re");
	char dev[256], dir[PATH_MAX], type[64];
	bool found = false;

	(void)state;
	pick_port();
	assert_non_null(f);
	while (!found &&
	       fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
		found = !strcmp(type, "cgroup2");
	fclose(f);
	if (!found)
		test_skip("no cgroup v2 hierarchy is mounted");
	snprintf(cgroup, sizeof(cgroup), "%.3000s/ember_test_%d", dir,
		 getpid());
	assert_int_equal(mkdir(cgroup, 0755), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rmdir(cgroup);
	return 0;
}

static int udp_socket(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(PORT),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_usec = 300000 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* A child in the cgroup opens one socket, connects it and sends KEEP,
 * DROP, KEEP to PORT on loopback. */
static void child_sends(void)
{
	char procs[PATH_MAX + 16];
	pid_t pid;
	int status;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
	pid = fork();
	if (pid == 0) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons(PORT),
					 .sin_addr.s_addr =
						 htonl(INADDR_LOOPBACK) };
		FILE *f = fopen(procs, "w");
		int fd;

		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
			_exit(2);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
			_exit(3);
		if (send(fd, "KEEP", 4, 0) < 0)
			_exit(4);
		send(fd, "DROP", 4, 0); /* may fail: the program drops it */
		if (send(fd, "KEEP", 4, 0) < 0)
			_exit(5);
		_exit(0);
	}
	assert_true(waitpid(pid, &status, 0) == pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int receive(int fd, bool *saw_drop)
{
	char buf[16];
	ssize_t n;
	int keeps = 0;

	*saw_drop = false;
	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = 0;
		keeps += !strcmp(buf, "KEEP");
		*saw_drop |= !strcmp(buf, "DROP");
	}
	return keeps;
}

static void skb_sock_and_connect(void **state)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "cgroup.c" };
	const char *flags[] = { port_flag };
	struct ember_module *m = NULL;
	struct ember_link *l;
	char want[PATH_MAX + 64];
	int rx = udp_socket();
	bool drop;

	(void)state;
	o.cflags = flags;
	o.cflags_cnt = 1;
	if (ember_module_new(prog_text, &o, &m))
		fail_msg("load failed: %s", ember_errmsg());
	if (ember_module_attach_cgroup(m, "egress", cgroup,
				       EMBER_CGROUP_INET_EGRESS, &l) ||
	    ember_module_attach_cgroup(m, "on_socket", cgroup,
				       EMBER_CGROUP_SOCK_CREATE, NULL) ||
	    ember_module_attach_cgroup(m, "on_connect", cgroup,
				       EMBER_CGROUP_INET4_CONNECT, NULL))
		fail_msg("%s", ember_errmsg());
	snprintf(want, sizeof(want), "cgroup_skb/egress %s → egress", cgroup);
	assert_string_equal(ember_link_description(l), want);
	child_sends();
	assert_int_equal(receive(rx, &drop), 2);
	assert_false(drop);
	assert_int_equal(val(m, 0), 3);
	assert_int_equal(val(m, 1), 1);
	assert_true(val(m, 2) >= 1);
	assert_int_equal(val(m, 3), 1);

	/* this process is not in the cgroup: its packets pass untouched */
	{
		int tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons(PORT),
					 .sin_addr.s_addr =
						 htonl(INADDR_LOOPBACK) };

		sendto(tx, "DROP", 4, 0, (struct sockaddr *)&a, sizeof(a));
		assert_int_equal(receive(rx, &drop), 0);
		assert_true(drop);
		close(tx);
	}
	ember_module_free(m);
	/* detached with the module: the child's DROP gets through */
	child_sends();
	assert_int_equal(receive(rx, &drop), 2);
	assert_true(drop);
	close(rx);
}

static void cgroup_errors(void **state)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "cgroup.c" };
	const char *flags[] = { port_flag };
	struct ember_module *m = NULL;

	(void)state;
	o.cflags = flags;
	o.cflags_cnt = 1;
	assert_int_equal(ember_module_new(prog_text, &o, &m), 0);
	assert_int_equal(ember_module_attach_cgroup(m, "egress", "/tmp",
						    EMBER_CGROUP_INET_EGRESS,
						    NULL),
			 -EINVAL);
	assert_non_null(strstr(ember_errmsg(), "not a cgroup v2 directory"));
	assert_int_equal(
		ember_module_attach_cgroup(m, "egress", "/no/such/cgroup",
					   EMBER_CGROUP_INET_EGRESS, NULL),
		-ENOENT);
	/* connect programs are loaded knowing it: a plain function cannot */
	assert_int_equal(ember_module_attach_cgroup(m, "on_socket", cgroup,
						    EMBER_CGROUP_INET6_CONNECT,
						    NULL),
			 -EINVAL);
	assert_non_null(strstr(ember_errmsg(), "SEC(\"cgroup/connect6\")"));
	assert_int_equal(
		ember_module_attach_cgroup(m, "egress", cgroup,
					   (enum ember_cgroup_attach)99, NULL),
		-EINVAL);
	assert_int_equal(ember_module_link_cnt(m), 0);
	ember_module_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(skb_sock_and_connect),
		cmocka_unit_test(cgroup_errors),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, setup, teardown);
}
