// SPDX-License-Identifier: MIT
/*
 * Kernel feature checks that really try: a probe program of the kind in
 * question is loaded and, where the attach step is what fails on some
 * kernels, attached for a moment (always to something harmless, with a
 * program that does nothing). Each answer comes with a sentence that says
 * what was tried and what the kernel said.
 */
#include "kernel/features.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "error.h"
#include "kernel/tracefs.h"
#include "kernel/tracepoint_format.h"

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46 /* linux 6.6 */
#endif

struct answer {
	bool known;
	int yes;
	char why[640];
};

static struct answer answers[EMBER_FEATURE__CNT];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const names[EMBER_FEATURE__CNT] = {
	[EMBER_FEATURE_KPROBES] = "kprobes",
	[EMBER_FEATURE_UPROBES] = "uprobes",
	[EMBER_FEATURE_TRACEPOINTS] = "tracepoints",
	[EMBER_FEATURE_RAW_TRACEPOINTS] = "raw tracepoints",
	[EMBER_FEATURE_FENTRY] = "fentry/fexit",
	[EMBER_FEATURE_LSM] = "LSM",
	[EMBER_FEATURE_ITERATORS] = "BPF iterators",
	[EMBER_FEATURE_PERF_EVENTS] = "perf event programs",
	[EMBER_FEATURE_RINGBUF] = "ring buffers",
	[EMBER_FEATURE_BATCH_OPS] = "batch table operations",
	[EMBER_FEATURE_TCX] = "tcx links",
	[EMBER_FEATURE_BPF_COOKIE] = "BPF cookies",
};

static void say(struct answer *a, int yes, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct answer *a, int yes, const char *fmt, ...)
{
	va_list ap;
	int n;

	a->yes = yes;
	n = snprintf(a->why, sizeof(a->why), "%s: %s", names[a - answers],
		     yes ? "yes" : "no");
	if (!fmt || n < 0 || (size_t)n >= sizeof(a->why) - 2)
		return;
	a->why[n++] = ':';
	a->why[n++] = ' ';
	va_start(ap, fmt);
	vsnprintf(a->why + n, sizeof(a->why) - n, fmt, ap);
	va_end(ap);
}

/* Old kernels check a kprobe program's kern_version against their own. */
static unsigned int kernel_version(void)
{
	unsigned int a = 0, b = 0, c = 0;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u.%u", &a, &b, &c) < 2)
		return 0;
	return (a << 16) + (b << 8) + (c > 255 ? 255 : c);
}

struct probe_prog {
	enum bpf_prog_type type;
	enum bpf_attach_type attach_type;
	int btf_id;
	int ret; /* what the program returns */
	bool cookie; /* call bpf_get_attach_cookie() first */
};

/* Load "r0 = ret; exit" (after the cookie call if asked); fd or -errno. */
static int load(const struct probe_prog *pp, char *log, size_t log_size)
{
	struct bpf_insn insns[3] = { 0 };
	int n = 0, fd;
	LIBBPF_OPTS(bpf_prog_load_opts, o,
		    .expected_attach_type = pp->attach_type,
		    .attach_btf_id = pp->btf_id, .log_buf = log,
		    .log_size = log ? log_size : 0,
		    .kern_version = kernel_version());

	if (log)
		log[0] = 0;
	if (pp->cookie) {
		insns[n].code = BPF_JMP | BPF_CALL;
		insns[n++].imm = BPF_FUNC_get_attach_cookie;
	}
	insns[n].code = BPF_ALU64 | BPF_MOV | BPF_K;
	insns[n++].imm = pp->ret;
	insns[n++].code = BPF_JMP | BPF_EXIT;
	fd = bpf_prog_load(pp->type, "ember_probe", "GPL", insns, n, &o);
	return fd < 0 ? -errno : fd;
}

static int perf_event_open(struct perf_event_attr *attr, int pid, int cpu)
{
	int fd = (int)syscall(__NR_perf_event_open, attr, pid, cpu, -1,
			      PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Give prog to perf event pfd, then undo both. 0 or -errno. */
static int perf_attach(int pfd, int prog)
{
	int err = ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) ? -errno : 0;

	close(pfd);
	close(prog);
	return err;
}

static int read_int(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Contents of a small file, "" when it cannot be read. */
static void read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
}

static void check_kprobes(struct answer *a)
{
	struct probe_prog pp = { .type = BPF_PROG_TYPE_KPROBE };
	struct perf_event_attr attr = { .size = sizeof(attr) };
	char fn[64], path[512];
	int type, prog, pfd, err;

	type = read_int("/sys/bus/event_source/devices/kprobe/type");
	if (type < 0) {
		if (!ember__tracefs_path(path, sizeof(path), "kprobe_events") &&
		    !access(path, F_OK))
			return say(a, 1,
				   "through tracefs kprobe_events (the "
				   "kernel has no kprobe perf PMU)");
		return say(a, 0,
			   "the kernel has no kprobe perf PMU and no "
			   "kprobe_events in tracefs (CONFIG_KPROBES is "
			   "off); use tracepoints or raw tracepoints");
	}
	if (ember_syscall_fnname("getpid", fn, sizeof(fn)))
		snprintf(fn, sizeof(fn), "sys_getpid");
	prog = load(&pp, NULL, 0);
	if (prog < 0)
		return say(a, 0, "the kernel refused a kprobe program (%s)",
			   strerror(-prog));
	attr.type = (__u32)type;
	attr.config1 = (__u64)(uintptr_t)fn;
	pfd = perf_event_open(&attr, -1, 0);
	if (pfd < 0) {
		close(prog);
		return say(a, 0, "placing a kprobe on %s failed (%s)", fn,
			   strerror(-pfd));
	}
	err = perf_attach(pfd, prog);
	if (err)
		return say(a, 0, "attaching a kprobe program on %s failed (%s)",
			   fn, strerror(-err));
	say(a, 1, NULL);
}

/* The file and file offset of this function's own code: a place every
 * process using ember has, for a uprobe. */
static int own_code(char *path, size_t size, uint64_t *off)
{
	uintptr_t addr = (uintptr_t)&own_code;
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4096 + 128];
	int found = -ENOENT;

	if (!f)
		return -errno;
	while (found && fgets(line, sizeof(line), f)) {
		unsigned long start, end, pgoff;
		char perm[5];
		int pos = 0;

		if (sscanf(line, "%lx-%lx %4s %lx %*s %*s %n", &start, &end,
			   perm, &pgoff, &pos) < 4 ||
		    !pos || addr < start || addr >= end || line[pos] != '/')
			continue;
		line[strcspn(line, "\n")] = 0;
		if (strlen(line + pos) >= size)
			break;
		strcpy(path, line + pos);
		*off = addr - start + pgoff;
		found = 0;
	}
	fclose(f);
	return found;
}

static void check_uprobes(struct answer *a)
{
	struct probe_prog pp = { .type = BPF_PROG_TYPE_KPROBE };
	struct perf_event_attr attr = { .size = sizeof(attr) };
	char path[4096];
	uint64_t off;
	int type, prog, pfd, err;

	type = read_int("/sys/bus/event_source/devices/uprobe/type");
	if (type < 0)
		return say(a, 0,
			   "the kernel has no uprobe perf PMU (CONFIG_UPROBES "
			   "is off, or the kernel is older than 4.17)");
	err = own_code(path, sizeof(path), &off);
	if (err)
		return say(a, 0, "cannot find ember's own code to probe (%s)",
			   strerror(-err));
	prog = load(&pp, NULL, 0);
	if (prog < 0)
		return say(a, 0, "the kernel refused a uprobe program (%s)",
			   strerror(-prog));
	attr.type = (__u32)type;
	attr.config1 = (__u64)(uintptr_t)path;
	attr.config2 = off;
	pfd = perf_event_open(&attr, -1, 0);
	if (pfd < 0) {
		close(prog);
		return say(a, 0, "placing a uprobe failed (%s)",
			   strerror(-pfd));
	}
	err = perf_attach(pfd, prog);
	if (err)
		return say(a, 0, "attaching a uprobe program failed (%s)",
			   strerror(-err));
	say(a, 1, NULL);
}

static void check_tracepoints(struct answer *a)
{
	struct probe_prog pp = { .type = BPF_PROG_TYPE_TRACEPOINT };
	struct perf_event_attr attr = { .size = sizeof(attr) };
	int id, prog, pfd, err;

	id = ember__tracepoint_id("syscalls", "sys_enter_getpid");
	if (id < 0)
		id = ember__tracepoint_id("sched", "sched_process_exec");
	if (id < 0)
		return say(a, 0, "no tracepoint ids in tracefs (%s)",
			   strerror(-id));
	prog = load(&pp, NULL, 0);
	if (prog < 0)
		return say(a, 0, "the kernel refused a tracepoint program (%s)",
			   strerror(-prog));
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = (__u64)id;
	pfd = perf_event_open(&attr, -1, 0);
	if (pfd < 0) {
		close(prog);
		return say(a, 0, "opening a tracepoint event failed (%s)",
			   strerror(-pfd));
	}
	err = perf_attach(pfd, prog);
	if (err)
		return say(a, 0, "attaching a tracepoint program failed (%s)",
			   strerror(-err));
	say(a, 1, NULL);
}

static void check_raw_tracepoints(struct answer *a)
{
	struct probe_prog pp = { .type = BPF_PROG_TYPE_RAW_TRACEPOINT };
	int prog = load(&pp, NULL, 0), fd;

	if (prog < 0)
		return say(a, 0,
			   "the kernel refused a raw tracepoint program "
			   "(%s)",
			   strerror(-prog));
	fd = bpf_raw_tracepoint_open("sys_enter", prog);
	close(prog);
	if (fd < 0)
		return say(a, 0,
			   "attaching to raw tracepoint sys_enter failed "
			   "(%s)",
			   strerror(errno));
	close(fd);
	say(a, 1, NULL);
}

/* BTF id of the first of names that is a function in vmlinux BTF. */
static int vmlinux_func(const char *const *fns, const char **which)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id = -ENOENT;

	if (!btf)
		return -errno;
	for (; *fns && id < 0; fns++) {
		id = btf__find_by_name_kind(btf, *fns, BTF_KIND_FUNC);
		*which = *fns;
	}
	btf__free(btf);
	return id;
}

/* Why a program kind that has BTF targets was refused. */
static void refused(struct answer *a, const char *kind, const char *target,
		    int err, const char *log)
{
	char lockdown[128], extra[256] = "";

	read_text("/sys/kernel/security/lockdown", lockdown, sizeof(lockdown));
	if (strstr(lockdown, "[integrity]") ||
	    strstr(lockdown, "[confidentiality]"))
		snprintf(extra, sizeof(extra), "; kernel lockdown is on (%s)",
			 lockdown);
	if (err == -EPERM && !(log && *log))
		return say(a, 0,
			   "the kernel refused to load %s program on %s "
			   "with EPERM before verifying it, while other BPF "
			   "programs load, so missing privileges are not the "
			   "cause: this kernel does not allow %s programs "
			   "(kernel lockdown, or no BPF trampoline "
			   "support)%s",
			   kind, target, names[a - answers], extra);
	say(a, 0, "the kernel refused to load %s program on %s (%s)%s%.200s",
	    kind, target, strerror(-err), log && *log ? ": " : "",
	    log ? log : "");
}

/* Load a BTF-targeted probe program and attach it for a moment. */
static void check_btf_prog(struct answer *a, const char *kind,
			   enum bpf_prog_type type,
			   enum bpf_attach_type attach_type,
			   const char *const *targets)
{
	struct probe_prog pp = { .type = type, .attach_type = attach_type };
	const char *target = targets[0];
	char log[1024];
	int prog, fd;

	pp.btf_id = vmlinux_func(targets, &target);
	if (pp.btf_id < 0)
		return say(a, 0, "kernel BTF has no target for %s program (%s)",
			   kind, strerror(-pp.btf_id));
	prog = load(&pp, log, sizeof(log));
	if (prog < 0)
		return refused(a, kind, target, prog, log);
	if (attach_type == BPF_TRACE_ITER)
		fd = bpf_link_create(prog, 0, BPF_TRACE_ITER, NULL);
	else
		fd = bpf_raw_tracepoint_open(NULL, prog);
	close(prog);
	if (fd < 0)
		return say(a, 0,
			   "loading %s program on %s worked, attaching "
			   "it failed (%s)",
			   kind, target, strerror(errno));
	close(fd);
	say(a, 1, NULL);
}

static void check_lsm(struct answer *a)
{
	static const char *const hooks[] = { "bpf_lsm_file_open", NULL };
	char lsms[256];

	/* Readable only where securityfs is mounted; when it is, it says. */
	read_text("/sys/kernel/security/lsm", lsms, sizeof(lsms));
	if (*lsms && !strstr(lsms, "bpf"))
		return say(a, 0,
			   "the BPF LSM is not active (active LSMs: %s); boot "
			   "with 'bpf' in the lsm= parameter",
			   lsms);
	check_btf_prog(a, "an LSM", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, hooks);
}

static void check_perf_events(struct answer *a)
{
	struct probe_prog pp = { .type = BPF_PROG_TYPE_PERF_EVENT };
	struct perf_event_attr attr = { .size = sizeof(attr) };
	int prog, pfd, err;

	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.sample_period = 1000000000;
	attr.disabled = 1;
	pfd = perf_event_open(&attr, -1, 0);
	if (pfd < 0)
		return say(a, 0,
			   "opening a software CPU clock event failed (%s)",
			   strerror(-pfd));
	prog = load(&pp, NULL, 0);
	if (prog < 0) {
		close(pfd);
		return say(a, 0, "the kernel refused a perf event program (%s)",
			   strerror(-prog));
	}
	err = perf_attach(pfd, prog);
	if (err)
		return say(a, 0, "attaching a perf event program failed (%s)",
			   strerror(-err));
	say(a, 1, NULL);
}

static void check_ringbuf(struct answer *a)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ember_probe", 0, 0,
				(__u32)sysconf(_SC_PAGESIZE), NULL);

	if (fd < 0)
		return say(a, 0,
			   "creating a ring buffer failed (%s); use "
			   "perf buffers (BPF_PERF_OUTPUT)",
			   strerror(errno));
	close(fd);
	say(a, 1, NULL);
}

static void check_batch_ops(struct answer *a)
{
	__u32 keys[1], values[1], count = 1, out;
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ember_probe", 4, 4, 1,
				NULL),
	    err;

	if (fd < 0)
		return say(a, 0, "creating a hash table failed (%s)",
			   strerror(errno));
	/* An empty table answers ENOENT ("done") where batches exist. */
	err = bpf_map_lookup_batch(fd, NULL, &out, keys, values, &count, NULL);
	err = err < 0 ? -errno : 0;
	close(fd);
	if (err && err != -ENOENT)
		return say(a, 0,
			   "batch lookup failed (%s); tables fall back to "
			   "one call per element",
			   strerror(-err));
	say(a, 1, NULL);
}

static void check_tcx(struct answer *a)
{
	__u32 flags = 0, cnt = 0;
	int ifindex = (int)if_nametoindex("lo");

	/* Asking what is attached is enough: kernels without tcx do not
	 * know the attach type. */
	if (!ifindex)
		return say(a, 0, "no loopback interface to ask");
	if (bpf_prog_query(ifindex, BPF_TCX_INGRESS, 0, &flags, NULL, &cnt))
		return say(a, 0,
			   "the kernel does not know tcx (%s; it needs "
			   "linux 6.6): tc programs go on a clsact qdisc",
			   strerror(errno));
	say(a, 1, NULL);
}

static void check_cookie(struct answer *a)
{
	struct probe_prog pp = { .type = BPF_PROG_TYPE_KPROBE, .cookie = true };
	int prog = load(&pp, NULL, 0);

	if (prog < 0)
		return say(a, 0,
			   "the kernel refused bpf_get_attach_cookie() (%s)",
			   strerror(-prog));
	close(prog);
	say(a, 1, NULL);
}

static void check(enum ember_feature f, struct answer *a)
{
	static const char *const fentry[] = { "bpf_fentry_test1",
					      "do_nanosleep", "vfs_read",
					      NULL };
	static const char *const iters[] = { "bpf_iter_task", NULL };

	switch (f) {
	case EMBER_FEATURE_KPROBES:
		return check_kprobes(a);
	case EMBER_FEATURE_UPROBES:
		return check_uprobes(a);
	case EMBER_FEATURE_TRACEPOINTS:
		return check_tracepoints(a);
	case EMBER_FEATURE_RAW_TRACEPOINTS:
		return check_raw_tracepoints(a);
	case EMBER_FEATURE_FENTRY:
		return check_btf_prog(a, "an fentry", BPF_PROG_TYPE_TRACING,
				      BPF_TRACE_FENTRY, fentry);
	case EMBER_FEATURE_LSM:
		return check_lsm(a);
	case EMBER_FEATURE_ITERATORS:
		return check_btf_prog(a, "an iterator", BPF_PROG_TYPE_TRACING,
				      BPF_TRACE_ITER, iters);
	case EMBER_FEATURE_PERF_EVENTS:
		return check_perf_events(a);
	case EMBER_FEATURE_RINGBUF:
		return check_ringbuf(a);
	case EMBER_FEATURE_BATCH_OPS:
		return check_batch_ops(a);
	case EMBER_FEATURE_TCX:
		return check_tcx(a);
	case EMBER_FEATURE_BPF_COOKIE:
		return check_cookie(a);
	case EMBER_FEATURE__CNT:
		break;
	}
}

/* Can BPF be used at all? A plain socket filter loads for anyone allowed
 * to load anything. */
static int baseline(void)
{
	struct probe_prog pp = { .type = BPF_PROG_TYPE_SOCKET_FILTER };
	int fd = load(&pp, NULL, 0);

	if (fd < 0)
		return ember__error(-fd,
				    "cannot tell what the kernel supports: it "
				    "refused even a plain socket filter "
				    "program (%s); loading BPF needs CAP_BPF "
				    "and CAP_PERFMON, or CAP_SYS_ADMIN",
				    strerror(-fd));
	close(fd);
	return 0;
}

int ember__feature(enum ember_feature f, const char **why)
{
	struct answer *a;
	int err = 0;

	if ((unsigned int)f >= EMBER_FEATURE__CNT)
		return ember__error(EINVAL, "unknown feature %d", (int)f);
	a = &answers[f];
	pthread_mutex_lock(&lock);
	if (!a->known) {
		err = baseline();
		if (!err) {
			check(f, a);
			a->known = true;
		}
	}
	pthread_mutex_unlock(&lock);
	if (why)
		*why = err ? ember_errmsg() : a->why;
	return err ? err : a->yes;
}

int ember_feature(enum ember_feature f)
{
	return ember__feature(f, NULL);
}

const char *ember_feature_name(enum ember_feature f)
{
	return (unsigned int)f < EMBER_FEATURE__CNT ? names[f] : NULL;
}

const char *ember_feature_describe(enum ember_feature f)
{
	const char *why = "unknown feature";

	ember__feature(f, &why);
	return why;
}
