/* SPDX-License-Identifier: MIT */
/*
 * Part of ember's public API; included by <ember/ember.h>.
 *
 * Attach kinds beyond tracepoints and kprobes: uprobes, USDT probes, perf
 * events, XDP, tc, socket filters, cgroup programs, fentry/fexit and LSM;
 * what a module has attached; and checks of what the running kernel can do.
 *
 * Every attach function loads the function fn_name with the program type the
 * attachment needs (unless it is loaded already), attaches it, and returns 0
 * or a negative errno with ember_errmsg() saying why. *link (optional)
 * receives a handle borrowed from the module: ember_link_detach() detaches
 * it alone, ember_module_free() detaches whatever is left. Attachments are
 * file-descriptor based wherever the kernel allows, so an exiting process
 * leaves nothing attached (the exceptions are documented per function).
 */
#ifndef EMBER_ATTACH_H
#define EMBER_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ember/common.h>

EMBER_BEGIN_DECLS

struct ember_module;
struct ember_link;
struct perf_event_attr;

/* ------------------------------------------------------------------ */
/* kprobes with options                                                */

/* The most calls a kretprobe can follow at once (the kernel's limit). */
#define EMBER_KRETPROBE_MAXACTIVE_MAX 4096

struct ember_kprobe_opts {
	size_t sz; /* sizeof(struct ember_kprobe_opts) */
	/* Fire on return from the function (a kretprobe). */
	bool retprobe;
	/*
	 * kprobes only: bytes into the function (BCC's event_off; default 0,
	 * its entry). It must be where an instruction starts.
	 */
	uint64_t offset;
	/*
	 * kretprobes only: how many calls of the function, in all threads,
	 * can be under way at once with their return still seen (BCC's
	 * maxactive); returns beyond that are missed (tracefs kprobe_profile
	 * counts them). 0: the kernel's default, max(10, 2 x CPUs); at most
	 * EMBER_KRETPROBE_MAXACTIVE_MAX. The kernel takes it only through
	 * tracefs kprobe_events: the probe is then a tracefs event
	 * (ember/<fn>_<pid>_<n>), removed on detach or on error; one left by a
	 * process killed while attached is removed by the next such attach.
	 */
	int maxactive;
};

/*
 * ember_module_attach_kprobe() with options (NULL: a kprobe at the entry).
 * Without kprobes in the kernel, only a probe at a system call's entry
 * point (offset 0) has a tracepoint to stand in for it; a stand-in sees
 * every return, whatever maxactive says. Errors: those of
 * ember_module_attach_kprobe(), and -EINVAL (an offset on a kretprobe,
 * maxactive on a kprobe or out of range, opts->sz not set), -EILSEQ (the
 * offset is not where an instruction starts), -EOPNOTSUPP (no kprobes: an
 * offset has no stand-in).
 */
EMBER_API int ember_module_attach_kprobe_opts(
	struct ember_module *m, const char *fn_name, const char *kernel_fn,
	const struct ember_kprobe_opts *opts, struct ember_link **link);

/* ------------------------------------------------------------------ */
/* uprobes and USDT probes                                             */

struct ember_uprobe_opts {
	size_t sz; /* sizeof(struct ember_uprobe_opts) */
	/* Only in this process (> 0); 0: in every process (default). */
	int pid;
	/* Fire on return from the function (a uretprobe). */
	bool retprobe;
	/*
	 * With a symbol: bytes into the function (default 0, its entry).
	 * Without a symbol: the probe's address, as a virtual address of the
	 * binary (what nm and objdump print), mapped to a file offset by its
	 * program headers.
	 */
	uint64_t offset;
};

/*
 * Attach fn_name as a uprobe (or uretprobe, see opts) on symbol (a function
 * name, or NULL to use opts->offset as an address) of binary: a path, a
 * program name found in PATH, or a library's short name ("c" for libc,
 * "pthread", "libssl.so.3"), found through /etc/ld.so.cache and the usual
 * library directories, or in the memory map of opts->pid when set.
 * PT_REGS_PARM1..6(ctx) read the arguments, PT_REGS_RC(ctx) the return value.
 * Errors: -ENOENT (no such binary, library or symbol), -EINVAL (no symbol
 * and no address; function loaded with another type), -EPERM.
 */
EMBER_API int ember_module_attach_uprobe(struct ember_module *m,
					 const char *fn_name,
					 const char *binary, const char *symbol,
					 const struct ember_uprobe_opts *opts,
					 struct ember_link **link);

/*
 * Attach fn_name as a uprobe (or uretprobe) on every function of binary
 * (found as for ember_module_attach_uprobe()) whose name matches pattern, a
 * POSIX extended regular expression matched anywhere in the name (anchor it
 * with ^...$), as BCC's attach_uprobe(sym_re=). Functions are the binary's
 * function symbols (.symtab, that of its separate debug file, else
 * .dynsym); aliases of one address get one probe. opts->offset must be 0.
 * All or nothing: on failure no probe stays. Returns the number of probes,
 * or -ENOENT (no such binary, nothing matches), -EINVAL (bad pattern or
 * arguments), -E2BIG (over 1000 functions match), and the errors of
 * ember_module_attach_uprobe().
 */
EMBER_API int
ember_module_attach_uprobe_regex(struct ember_module *m, const char *fn_name,
				 const char *binary, const char *pattern,
				 const struct ember_uprobe_opts *opts);

/*
 * The path a binary name given to ember_module_attach_uprobe() stands for
 * (as above; pid 0: not looking at a process), into buf. BCC's
 * BPF.find_library / find_exe. Returns 0, -ENOENT or -ENAMETOOLONG.
 */
EMBER_API int ember_find_binary(const char *name, int pid, char *buf,
				size_t size);

struct ember_usdt_opts {
	size_t sz; /* sizeof(struct ember_usdt_opts) */
	/* Only in this process (> 0); 0: every process running binary. */
	int pid;
	/* Value the program reads with bpf_usdt_cookie(ctx). */
	uint64_t cookie;
};

/*
 * Attach fn_name to every site of the USDT probe provider:name in binary
 * (resolved as for uprobes; NULL with opts->pid set: the process's own
 * executable). Semaphores are set while attached. In the program,
 * bpf_usdt_readarg(n, ctx, &v) (1-based n, as in BCC) and
 * bpf_usdt_readarg_p(n, ctx, buf, size) read the probe's arguments.
 * Errors: -ENOENT (no binary or no such probe), -EINVAL, -EPERM.
 */
EMBER_API int ember_module_attach_usdt(struct ember_module *m,
				       const char *fn_name, const char *binary,
				       const char *provider, const char *name,
				       const struct ember_usdt_opts *opts,
				       struct ember_link **link);

/* ------------------------------------------------------------------ */
/* perf events                                                         */

/* perf_event_open(2)'s event types and the software and hardware event
 * numbers, for callers without <linux/perf_event.h>. */
enum ember_perf_type {
	EMBER_PERF_TYPE_HARDWARE = 0,
	EMBER_PERF_TYPE_SOFTWARE = 1,
	EMBER_PERF_TYPE_TRACEPOINT = 2,
	EMBER_PERF_TYPE_HW_CACHE = 3,
	EMBER_PERF_TYPE_RAW = 4,
	EMBER_PERF_TYPE_BREAKPOINT = 5,
};

enum ember_perf_sw_config {
	EMBER_PERF_COUNT_SW_CPU_CLOCK = 0,
	EMBER_PERF_COUNT_SW_TASK_CLOCK = 1,
	EMBER_PERF_COUNT_SW_PAGE_FAULTS = 2,
	EMBER_PERF_COUNT_SW_CONTEXT_SWITCHES = 3,
	EMBER_PERF_COUNT_SW_CPU_MIGRATIONS = 4,
};

enum ember_perf_hw_config {
	EMBER_PERF_COUNT_HW_CPU_CYCLES = 0,
	EMBER_PERF_COUNT_HW_INSTRUCTIONS = 1,
	EMBER_PERF_COUNT_HW_CACHE_REFERENCES = 2,
	EMBER_PERF_COUNT_HW_CACHE_MISSES = 3,
	EMBER_PERF_COUNT_HW_BRANCH_INSTRUCTIONS = 4,
	EMBER_PERF_COUNT_HW_BRANCH_MISSES = 5,
};

/* ember_perf_event_opts.cpu for CPU n alone. */
#define EMBER_PERF_CPU(n) ((n) + 1)

struct ember_perf_event_opts {
	size_t sz; /* sizeof(struct ember_perf_event_opts) */
	/* Run the program every sample_period events, or sample_freq times
	 * a second; exactly one of them must be set. */
	uint64_t sample_period;
	uint64_t sample_freq;
	/* Only events of this process (> 0); 0: every process (default). */
	int pid;
	/* EMBER_PERF_CPU(n): CPU n only; 0: every CPU (the default; with a
	 * pid, wherever the process runs). */
	int cpu;
};

/*
 * Attach fn_name to a perf event of type and config (ember_perf_type and the
 * config enums above, or any of perf_event_open(2)'s), one event per online
 * CPU unless opts narrows it; the whole set is one link. The program gets a
 * struct bpf_perf_event_data * (the sampled registers).
 * Errors: -EINVAL (no period or frequency), -ENOENT/-EOPNOTSUPP (the event
 * does not exist here: hardware counters in virtual machines), -EPERM.
 */
EMBER_API int
ember_module_attach_perf_event(struct ember_module *m, const char *fn_name,
			       uint32_t type, uint64_t config,
			       const struct ember_perf_event_opts *opts,
			       struct ember_link **link);

/*
 * As ember_module_attach_perf_event() with a whole struct perf_event_attr
 * (from <linux/perf_event.h>; attr->size must be set), pid (0: every
 * process) and cpu (-1: every CPU; else that CPU). BCC's
 * attach_perf_event_raw.
 */
EMBER_API int
ember_module_attach_perf_event_raw(struct ember_module *m, const char *fn_name,
				   const struct perf_event_attr *attr, int pid,
				   int cpu, struct ember_link **link);

/* ------------------------------------------------------------------ */
/* networking: XDP, tc, sockets                                        */

/* XDP attach modes: the kernel's XDP_FLAGS_* values. */
enum ember_xdp_flags {
	EMBER_XDP_SKB_MODE = 1u << 1, /* generic XDP, any driver */
	EMBER_XDP_DRV_MODE = 1u << 2, /* in the driver (native) */
	EMBER_XDP_HW_MODE = 1u << 3, /* offloaded to the NIC */
};

/*
 * Attach fn_name as an XDP program to interface ifname (flags: one
 * ember_xdp_flags mode, or 0 to let the kernel choose: native where the
 * driver supports it). A bpf_link: detached when the module or the process
 * goes. Errors: -ENODEV (no such interface), -EBUSY (the interface has an XDP
 * program attached by other means, e.g. ip link), -EOPNOTSUPP (mode not
 * supported by the driver), -EINVAL.
 */
EMBER_API int ember_module_attach_xdp(struct ember_module *m,
				      const char *fn_name, const char *ifname,
				      unsigned int flags,
				      struct ember_link **link);

enum ember_tc_direction {
	EMBER_TC_INGRESS = 1,
	EMBER_TC_EGRESS = 2,
};

enum ember_tc_mode {
	/* A tcx link where the kernel has them (6.6+), else clsact. */
	EMBER_TC_AUTO = 0,
	/* A tcx bpf_link: fd-based, detached when the process exits. */
	EMBER_TC_LINK = 1,
	/* A direct-action filter on a clsact qdisc (created if missing), as
	 * tc(8) and BCC make. It outlives a crashed process; the qdisc stays
	 * after detaching. */
	EMBER_TC_CLSACT = 2,
};

struct ember_tc_opts {
	size_t sz; /* sizeof(struct ember_tc_opts) */
	enum ember_tc_mode mode;
	/* clsact filter priority and handle (0: 1 each, as tc(8) would
	 * pick for the first filter). */
	uint32_t priority;
	uint32_t handle;
};

/*
 * Attach fn_name as a tc classifier (direct action: return TC_ACT_OK to
 * pass, TC_ACT_SHOT to drop) on ifname's ingress or egress. Errors: -ENODEV,
 * -EEXIST (a clsact filter with that priority and handle exists),
 * -EOPNOTSUPP (EMBER_TC_LINK on a kernel without tcx), -EINVAL.
 */
EMBER_API int ember_module_attach_tc(struct ember_module *m,
				     const char *fn_name, const char *ifname,
				     enum ember_tc_direction direction,
				     const struct ember_tc_opts *opts,
				     struct ember_link **link);

/*
 * Attach fn_name as a socket filter (SO_ATTACH_BPF) to the caller's socket
 * sock_fd: the program returns how many bytes of each packet to keep, 0 to
 * drop it. Detaching removes the filter if sock_fd is still that socket.
 * Errors: -EBADF/-ENOTSOCK, -EINVAL.
 */
EMBER_API int ember_module_attach_socket_filter(struct ember_module *m,
						const char *fn_name,
						int sock_fd,
						struct ember_link **link);

/*
 * BCC's attach_raw_socket: open a raw packet socket (AF_PACKET, all
 * protocols) bound to interface ifname, non-blocking, with fn_name attached
 * as its socket filter. *sock_fd receives the socket to read packets from;
 * the link owns it (closed on detach). Errors: -ENODEV, -EPERM, -EINVAL.
 */
EMBER_API int ember_module_attach_raw_socket(struct ember_module *m,
					     const char *fn_name,
					     const char *ifname, int *sock_fd,
					     struct ember_link **link);

/* ------------------------------------------------------------------ */
/* cgroups                                                             */

/* Where a cgroup program runs: the kernel's enum bpf_attach_type values. */
enum ember_cgroup_attach {
	EMBER_CGROUP_INET_INGRESS = 0, /* cgroup/skb: packets received */
	EMBER_CGROUP_INET_EGRESS = 1, /* cgroup/skb: packets sent */
	EMBER_CGROUP_SOCK_CREATE = 2, /* cgroup/sock: socket() */
	EMBER_CGROUP_SOCK_OPS = 3, /* sockops */
	EMBER_CGROUP_DEVICE = 6, /* cgroup/dev */
	EMBER_CGROUP_INET4_BIND = 8, /* cgroup/bind4 */
	EMBER_CGROUP_INET6_BIND = 9,
	EMBER_CGROUP_INET4_CONNECT = 10, /* cgroup/connect4 */
	EMBER_CGROUP_INET6_CONNECT = 11,
	EMBER_CGROUP_INET4_POST_BIND = 12,
	EMBER_CGROUP_INET6_POST_BIND = 13,
	EMBER_CGROUP_UDP4_SENDMSG = 14,
	EMBER_CGROUP_UDP6_SENDMSG = 15,
	EMBER_CGROUP_SYSCTL = 18,
	EMBER_CGROUP_UDP4_RECVMSG = 19,
	EMBER_CGROUP_UDP6_RECVMSG = 20,
	EMBER_CGROUP_GETSOCKOPT = 21,
	EMBER_CGROUP_SETSOCKOPT = 22,
	EMBER_CGROUP_SOCK_RELEASE = 34,
};

/*
 * Attach fn_name to the cgroup v2 directory cgroup_path (as in
 * /sys/fs/cgroup/unified/my.slice) at point where; the program runs for the
 * processes of that cgroup and its descendants, alongside other programs
 * there. Kinds whose program must be loaded knowing its attach point (bind,
 * connect, sendmsg, recvmsg, post_bind, release, sockopt) need the function
 * declared with its section, e.g. SEC("cgroup/connect4"). Errors: -ENOENT
 * (no such directory), -ENOTDIR, -EINVAL (not a cgroup v2 directory, wrong
 * program type), -EPERM.
 */
EMBER_API int ember_module_attach_cgroup(struct ember_module *m,
					 const char *fn_name,
					 const char *cgroup_path,
					 enum ember_cgroup_attach where,
					 struct ember_link **link);

/* ------------------------------------------------------------------ */
/* fentry/fexit (KFUNC_PROBE) and LSM (LSM_PROBE)                      */

/*
 * Attach fn_name as an fentry (retfunc false) or fexit (true) program on kernel
 * function kernel_fn: BCC's KFUNC_PROBE / KRETFUNC_PROBE. The function must
 * carry its section (SEC("fentry/FN"), SEC("fexit/FN"), as the KFUNC_PROBE
 * macros make). Errors: -EOPNOTSUPP when the kernel does not run fentry/fexit
 * programs (the message says why and names a tracepoint or raw tracepoint to
 * use instead), -EINVAL, -ENOENT.
 */
EMBER_API int ember_module_attach_kfunc(struct ember_module *m,
					const char *fn_name,
					const char *kernel_fn, bool retfunc,
					struct ember_link **link);

/*
 * Attach fn_name as a BPF LSM program on hook (as in "file_open"; BCC's
 * LSM_PROBE). The function must carry its section (SEC("lsm/HOOK")).
 * Errors: -EOPNOTSUPP when the kernel does not run LSM programs (the message
 * says why), -EINVAL, -ENOENT.
 */
EMBER_API int ember_module_attach_lsm(struct ember_module *m,
				      const char *fn_name, const char *hook,
				      struct ember_link **link);

/* ------------------------------------------------------------------ */
/* What a module has attached                                          */

/*
 * The module's attachments in the order they were made: prev NULL gives the
 * first, then each call the next; NULL after the last. Do not detach the
 * link passed as prev before asking for the next one.
 */
EMBER_API struct ember_link *
ember_module_next_link(const struct ember_module *m,
		       const struct ember_link *prev);

/*
 * What the link attached, as "tracepoint syscalls:sys_enter_execve → hello"
 * or "uprobe /usr/lib/x86_64-linux-gnu/libc.so.6:getpid → count" (owned by
 * the link).
 */
EMBER_API const char *ember_link_description(const struct ember_link *link);

/* ------------------------------------------------------------------ */
/* Kernel features                                                     */

enum ember_feature {
	EMBER_FEATURE_KPROBES = 0, /* kprobes and kretprobes */
	EMBER_FEATURE_UPROBES, /* uprobes through the perf uprobe PMU */
	EMBER_FEATURE_TRACEPOINTS,
	EMBER_FEATURE_RAW_TRACEPOINTS,
	EMBER_FEATURE_FENTRY, /* fentry/fexit: KFUNC_PROBE, KRETFUNC_PROBE */
	EMBER_FEATURE_LSM, /* BPF LSM programs: LSM_PROBE */
	EMBER_FEATURE_ITERATORS, /* BPF_ITER */
	EMBER_FEATURE_PERF_EVENTS, /* programs on software perf events */
	EMBER_FEATURE_RINGBUF, /* BPF_RINGBUF_OUTPUT */
	EMBER_FEATURE_BATCH_OPS, /* batch lookup/update/delete of tables */
	EMBER_FEATURE_TCX, /* tc programs as links (ember_tc_mode) */
	EMBER_FEATURE_BPF_COOKIE, /* bpf_get_attach_cookie() */
	EMBER_FEATURE__CNT
};

/*
 * Whether the running kernel can do f, found by really doing it once per
 * process (loading and, where it matters, attaching a tiny program) rather
 * than by guessing from kallsyms or the kernel version. Returns 1 (yes), 0
 * (no: ember_feature_describe() says why) or a negative errno when it cannot
 * tell (-EPERM: without privileges no BPF program loads at all; -EINVAL).
 * Thread-safe.
 */
EMBER_API int ember_feature(enum ember_feature f);

/* The feature's name ("fentry/fexit"); static storage, NULL if unknown. */
EMBER_API const char *ember_feature_name(enum ember_feature f);

/*
 * One sentence on the feature and why it is missing, as in "fentry/fexit:
 * no: the kernel refused to load an fentry program ... with EPERM ...". Runs
 * the check if it has not run. Static storage, except when the check cannot
 * tell (then it is ember_errmsg()); never NULL.
 */
EMBER_API const char *ember_feature_describe(enum ember_feature f);

EMBER_END_DECLS

#endif
