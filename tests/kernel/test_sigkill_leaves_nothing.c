// SPDX-License-Identifier: MIT
/*
 * SIGKILL of a host in the middle of a run leaves nothing attached. A child
 * host loads one module and attaches a program of every kind: tracepoint,
 * raw tracepoint, uprobe, USDT, perf event, XDP and tc (tcx, the default) on
 * a veth the test creates, cgroup/skb on a cgroup v2 directory it creates,
 * a socket filter; it says it is ready and keeps firing its probes. The test
 * sees all of it in the kernel (program ids by name, links, XDP on the
 * device, tcx and cgroup program queries), kills the child with SIGKILL,
 * and then finds none of it: no program or link of the child's, no XDP, tc
 * or cgroup program, tc filters and uprobe_events/dynamic_events as before.
 * (tc's clsact mode outlives its process by design, attach.h says so: on
 * kernels before 6.6, without tcx, the default falls back to it, and the
 * test checks that its filter stays. Before 5.15 perf events are attached
 * without a bpf_link, so fewer links are seen there.)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46 /* linux 6.6; older uapi headers lack it */
#endif

static const char prog_text[] =
	"int kf_tp(void *ctx) { return 0; }\n"
	"int kf_raw(struct bpf_raw_tracepoint_args *ctx) { return 0; }\n"
	"int kf_up(struct pt_regs *ctx) { return 0; }\n"
	"int kf_usdt(struct pt_regs *ctx)\n"
	"{\n"
	"	u64 a = 0;\n"
	"	bpf_usdt_readarg(1, ctx, &a);\n"
	"	return 0;\n"
	"}\n"
	"int kf_perf(struct bpf_perf_event_data *ctx) { return 0; }\n"
	"int kf_xdp(struct xdp_md *ctx) { return XDP_PASS; }\n"
	"int kf_tc(struct __sk_buff *skb) { return 0; }\n"
	"int kf_cg(struct __sk_buff *skb) { return 1; }\n"
	"int kf_sock(struct __sk_buff *skb) { return skb->len; }\n";

static const char *const names[] = { "kf_tp",	"kf_raw",  "kf_up",
				     "kf_usdt", "kf_perf", "kf_xdp",
				     "kf_tc",	"kf_cg",   "kf_sock" };
#define NAMES_CNT (sizeof(names) / sizeof(names[0]))

static char ifname[IFNAMSIZ], peer[IFNAMSIZ], cgroup[PATH_MAX], self[PATH_MAX];

/* What the uprobe and the USDT probe sit in: a function of this program. */
__attribute__((noinline, used)) int ember_kill_target(int x)
{
	DTRACE_PROBE1(ember_kill, tick, x);
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

static int shell(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Output lines of a command (tc filter show ...). */
static int command_lines(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	char line[512];
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n++;
	pclose(f);
	return n;
}

static int setup(void **state)
{
	FILE *f;
	char dev[256], dir[PATH_MAX], type[64];
	bool found = false;
	ssize_t n;

	(void)state;
	test_require_root();
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = 0;
	snprintf(ifname, sizeof(ifname), "ekill%da", getpid() % 100000);
	snprintf(peer, sizeof(peer), "ekill%db", getpid() % 100000);
	if (shell("ip link add %s type veth peer name %s && ip link set %s up "
		  "&& ip link set %s up",
		  ifname, peer, ifname, peer))
		test_skip("cannot create a veth pair (ip link add)");
	f = fopen("/proc/self/mounts", "re");
	assert_non_null(f);
	while (!found &&
	       fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
		found = !strcmp(type, "cgroup2");
	fclose(f);
	if (!found)
		test_skip("no cgroup v2 hierarchy is mounted");
	snprintf(cgroup, sizeof(cgroup), "%.3000s/ember_kill_%d", dir,
		 getpid());
	assert_int_equal(mkdir(cgroup, 0755), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	shell("ip link del %s 2>/dev/null", ifname);
	rmdir(cgroup);
	return 0;
}

/* The child host: attach everything, say so on ready_fd, run until killed. */
static void child_host(int ready_fd)
{
	EMBER_OPTS(ember_module_opts, o, .name = "kill.c");
	EMBER_OPTS(ember_uprobe_opts, uo);
	EMBER_OPTS(ember_usdt_opts, so);
	EMBER_OPTS(ember_perf_event_opts, po, .sample_freq = 10);
	EMBER_OPTS(ember_tc_opts, to);
	struct ember_module *m;
	char msg[512] = "r";
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	uo.pid = getpid();
	so.pid = getpid();
	if (ember_module_new(prog_text, &o, &m) ||
	    ember_module_attach_tracepoint(
		    m, "kf_tp", "syscalls:sys_enter_getppid", NULL) ||
	    ember_module_attach_raw_tracepoint(m, "kf_raw", "sys_enter",
					       NULL) ||
	    ember_module_attach_uprobe(m, "kf_up", self, "ember_kill_target",
				       &uo, NULL) ||
	    ember_module_attach_usdt(m, "kf_usdt", self, "ember_kill", "tick",
				     &so, NULL) ||
	    ember_module_attach_perf_event(
		    m, "kf_perf", EMBER_PERF_TYPE_SOFTWARE,
		    EMBER_PERF_COUNT_SW_CPU_CLOCK, &po, NULL) ||
	    ember_module_attach_xdp(m, "kf_xdp", ifname, 0, NULL) ||
	    ember_module_attach_tc(m, "kf_tc", ifname, EMBER_TC_INGRESS, &to,
				   NULL) ||
	    ember_module_attach_cgroup(m, "kf_cg", cgroup,
				       EMBER_CGROUP_INET_EGRESS, NULL) ||
	    ember_module_attach_socket_filter(m, "kf_sock", sock, NULL))
		snprintf(msg, sizeof(msg), "%s", ember_errmsg());
	if (write(ready_fd, msg, strlen(msg) + 1) < 0 || msg[0] != 'r' ||
	    msg[1])
		_exit(1);
	/* in the middle of a run: every probe keeps firing */
	for (int i = 0;; i++) {
		getppid();
		ember_kill_target(i);
		usleep(1000);
	}
}

/* Ids of programs named as the child's (names[]), in ids (NAMES_CNT). */
static size_t child_progs(uint32_t *ids)
{
	uint32_t id = 0;
	size_t n = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			for (size_t i = 0; i < NAMES_CNT; i++)
				if (!strcmp(info.name, names[i]) &&
				    n < NAMES_CNT)
					ids[n++] = id;
		close(fd);
	}
	return n;
}

static bool prog_exists(uint32_t id)
{
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

/* Links of the kernel that run one of ids[0..n). */
static size_t links_of(const uint32_t *ids, size_t n)
{
	uint32_t id = 0;
	size_t found = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = { 0 };
		uint32_t len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			for (size_t i = 0; i < n; i++)
				found += info.prog_id == ids[i];
		close(fd);
	}
	return found;
}

static uint32_t query_cnt(int target, int type)
{
	uint32_t ids[16], cnt = 16, flags = 0;

	if (bpf_prog_query(target, (enum bpf_attach_type)type, 0, &flags, ids,
			   &cnt))
		return 0;
	return cnt;
}

/* What the kernel holds on the veth and the cgroup. */
struct net_state {
	uint32_t xdp_id, tcx, cgroup;
	int tc_filters;
};

static void net_state(struct net_state *s)
{
	int ifindex = (int)if_nametoindex(ifname);
	int cg = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char cmd[128];

	assert_true(ifindex > 0);
	assert_true(cg >= 0);
	memset(s, 0, sizeof(*s));
	bpf_xdp_query_id(ifindex, 0, &s->xdp_id);
	s->tcx = query_cnt(ifindex, BPF_TCX_INGRESS);
	s->cgroup = query_cnt(cg, BPF_CGROUP_INET_EGRESS);
	snprintf(cmd, sizeof(cmd), "tc filter show dev %s ingress 2>/dev/null",
		 ifname);
	s->tc_filters = command_lines(cmd);
	close(cg);
}

/* Is the running kernel at least major.minor? */
static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	assert_int_equal(uname(&u), 0);
	assert_int_equal(sscanf(u.release, "%d.%d", &ma, &mi), 2);
	return ma > major || (ma == major && mi >= minor);
}

static void sigkill_leaves_nothing(void **state)
{
	/* tc falls back to clsact without tcx (6.6) */
	bool tcx = ember_feature(EMBER_FEATURE_TCX) == 1;
	/* tracepoint, uprobe, USDT and perf event links (5.15) */
	bool perf_links = kernel_at_least(5, 15);
	size_t min_links;
	int uprobes = test_tracefs_lines("uprobe_events");
	int dynamic = test_tracefs_lines("dynamic_events");
	uint32_t ids[NAMES_CNT];
	struct net_state before, live, after;
	char msg[512] = { 0 };
	size_t n, alive = 0, links;
	int fds[2], status;
	pid_t pid;
	double deadline;

	(void)state;
	net_state(&before);
	assert_int_equal(child_progs(ids), 0);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child_host(fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], msg, sizeof(msg) - 1) <= 0 || strcmp(msg, "r")) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("the child host did not attach: %s", msg);
	}
	close(fds[0]);

	/* While it runs, everything is visible. */
	n = child_progs(ids);
	net_state(&live);
	links = links_of(ids, n);
	print_message("child %d: %zu programs, %zu links, xdp id %u, tcx %u, "
		      "cgroup %u\n",
		      (int)pid, n, links, live.xdp_id, live.tcx, live.cgroup);
	assert_int_equal(n, NAMES_CNT);
	/* raw tracepoint, xdp, cgroup; tcx; the four perf-event kinds */
	min_links = 3 + tcx + (perf_links ? 4 : 0);
	if (links < min_links)
		fail_msg("%zu links, want at least %zu (tcx %s, perf-event "
			 "links %s)",
			 links, min_links, tcx ? "yes" : "no",
			 perf_links ? "yes" : "no");
	assert_true(live.xdp_id != 0);
	if (tcx) {
		assert_int_equal(live.tcx, before.tcx + 1);
	} else {
		assert_int_equal(live.tcx, before.tcx);
		assert_true(live.tc_filters > before.tc_filters);
	}
	assert_int_equal(live.cgroup, before.cgroup + 1);

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* The clsact filter stays, by design, holding its program: remove
	 * it as tc(8) would. */
	if (!tcx) {
		net_state(&after);
		assert_int_equal(after.tc_filters, live.tc_filters);
		assert_int_equal(shell("tc qdisc del dev %s clsact", ifname),
				 0);
	}

	/* Programs go once the kernel has dropped the last reference
	 * (deferred work): wait a little for that. */
	deadline = test_now() + 10;
	do {
		alive = 0;
		for (size_t i = 0; i < n; i++)
			alive += prog_exists(ids[i]);
		if (!alive)
			break;
		usleep(50000);
	} while (test_now() < deadline);
	for (size_t i = 0; i < n; i++)
		if (prog_exists(ids[i]))
			print_message("program id %u is still loaded\n",
				      ids[i]);
	assert_int_equal(alive, 0);
	assert_int_equal(links_of(ids, n), 0);
	net_state(&after);
	assert_int_equal(after.xdp_id, 0);
	assert_int_equal(after.tcx, before.tcx);
	assert_int_equal(after.cgroup, before.cgroup);
	assert_int_equal(after.tc_filters, before.tc_filters);
	assert_int_equal(test_tracefs_lines("uprobe_events"), uprobes);
	assert_int_equal(test_tracefs_lines("dynamic_events"), dynamic);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sigkill_leaves_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
