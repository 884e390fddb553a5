/* SPDX-License-Identifier: MIT */
/*
 * ember: compile BCC-style restricted C at run time, load it, attach it and
 * read what it produces.
 *
 * Conventions (as in libbpf):
 *  - Functions that can fail return 0 (or a count) on success and a negative
 *    errno on failure; ember_errmsg() then describes the failure in words
 *    (compiler diagnostics against the caller's own text, verifier excerpts).
 *  - Options structs start with their own size: declare them with
 *    EMBER_OPTS() (<ember/common.h>) or set .sz = sizeof(struct), so newer
 *    library versions can add fields. A NULL options pointer means defaults;
 *    a struct without .sz, or with non-zero bytes beyond the fields this
 *    version knows, is refused with -EINVAL.
 *  - Yes/no arguments are bool; counts are named _cnt.
 *  - Handles are opaque. Each constructor has exactly one destructor; tables
 *    and links are borrowed from their module unless documented otherwise.
 *  - Distinct modules may be used from distinct threads at the same time; one
 *    module must not be used from two threads at once.
 *  - The library never prints; it reports through the optional log callback.
 */
#ifndef EMBER_EMBER_H
#define EMBER_EMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ember/common.h>

EMBER_BEGIN_DECLS

#define EMBER_VERSION_MAJOR 0
#define EMBER_VERSION_MINOR 1
#define EMBER_VERSION_PATCH 0

/* Library version as "MAJOR.MINOR.PATCH"; static storage. */
EMBER_API const char *ember_version(void);

/*
 * Human-readable description of the last failure of an ember call on the
 * calling thread. The string stays valid until the next failing ember call on
 * the same thread. Never NULL.
 */
EMBER_API const char *ember_errmsg(void);

/* ------------------------------------------------------------------ */
/* Logging                                                             */

enum ember_log_level {
	EMBER_LOG_WARN = 0,
	EMBER_LOG_INFO = 1,
	EMBER_LOG_DEBUG = 2,
};

/* A log callback receives one complete message (no trailing newline). */
typedef void (*ember_log_fn)(enum ember_log_level level, const char *msg,
			     void *ctx);

/* ------------------------------------------------------------------ */
/* Modules: compile → load → attach                                    */

struct ember_module;
struct ember_link;

/* Debug flags for ember_module_opts.debug_flags. */
enum ember_debug_flags {
	/* Keep the rewritten plain-eBPF C (ember_module_rewritten_source). */
	EMBER_DEBUG_SOURCE = 1u << 0,
	/* Pass the full verifier log of every load to the log callback. */
	EMBER_DEBUG_VERIFIER = 1u << 1,
};

struct ember_module_opts {
	size_t sz; /* sizeof(struct ember_module_opts) */
	/* File name used in diagnostics ("FILE:LINE:COL: error: ..."). Default
	 * "<text>". */
	const char *name;
	/* Extra compiler flags (-DNAME=VALUE, -I dir, -Wno-...), cflags_cnt
	 * entries. */
	const char *const *cflags;
	size_t cflags_cnt;
	/* enum ember_debug_flags */
	unsigned int debug_flags;
	/* Optional log sink; the library prints nothing itself. */
	ember_log_fn log;
	void *log_ctx;
	/* Compile against a kernel header tree instead of the running
	 * kernel's BTF (NULL, the default: /sys/kernel/btf/vmlinux), as BCC
	 * does: a build directory (/usr/src/linux-headers-VERSION-amd64,
	 * whose Makefile names the -common source tree), a full source tree,
	 * or /lib/modules/VERSION (build/ and source/). Types and offsets are
	 * then the headers', not relocated: headers of another version or
	 * configuration than the running kernel (Debian's linux-headers-amd64
	 * on a newer kernel, say) compile and load but read fields at the
	 * wrong offsets. The program's #include <linux/...> lines read the
	 * tree; no precompiled prelude or object cache (slower, as BCC).
	 * x86_64 hosts (arm64 mapped, untested). -ENOENT when dir is no usable
	 * tree. */
	const char *kernel_headers;
	/* true: compile in a compiler process of this process's own, never
	 * the shared one (see ember_module_compile), as with
	 * EMBER_SHARED_COMPILER=0 in the environment. */
	bool private_compiler;
};

/*
 * Compile program text (BCC's restricted C) into a module, without loading it.
 * text: NUL-terminated, copied. *out receives a module the caller frees with
 * ember_module_free().
 * Errors: -EINVAL (bad arguments or a compile error: ember_errmsg() carries
 * the diagnostics as "NAME:LINE:COL: error: ..." lines against text),
 * -ENOENT (kernel BTF or a tracepoint it names missing), -ENOMEM.
 *
 * New text is compiled in ember-compiler, a process the library starts on
 * the first compile. By default processes of one user, credentials and
 * namespaces share one (the shared compiler), found in or started in the
 * cache directory as ember-compiler-BUILDID.sock: a later process saves the
 * compiler's start (about 20 ms and 70 MB). It is no child of the caller
 * (no SIGCHLD, nothing for wait()), holds none of its descriptors, runs in
 * its own session in /, and leaves 30 s after the last compile of any
 * process. Where it cannot be used (another user or world, a cache
 * directory that cannot be used or holds no sockets), the process starts
 * a compiler of its own, as with EMBER_SHARED_COMPILER=0 in the
 * environment or opts->private_compiler: that one is the caller's child
 * (it sends no SIGCHLD either), stops with the caller's process or 30 s
 * after its last compile, and the library keeps two descriptors for it
 * (close-on-exec).
 */
EMBER_API int ember_module_compile(const char *text,
				   const struct ember_module_opts *opts,
				   struct ember_module **out);

/*
 * Load a compiled module into the kernel: create its tables and load every
 * function whose name says what it attaches to (TRACEPOINT_PROBE,
 * RAW_TRACEPOINT_PROBE, tracepoint__CAT__EVENT, raw_tracepoint__EVENT).
 * Other functions are loaded when first attached.
 * Errors: -EPERM/-EACCES (privileges; the message says which capability),
 * -EINVAL (verifier rejection: the message names the source line and quotes
 * the verifier's last lines), -EALREADY if already loaded.
 */
EMBER_API int ember_module_load(struct ember_module *m);

/* ember_module_compile() then ember_module_load(); frees on failure. */
EMBER_API int ember_module_new(const char *text,
			       const struct ember_module_opts *opts,
			       struct ember_module **out);

/*
 * Prebuilt objects ("ember build"): a compiled module written as a standard
 * BPF ELF object (CO-RE relocations kept for libbpf to apply at load; libbpf,
 * bpftool and llvm-objdump read it as any other) with ember's own metadata
 * (programs, table kinds, event types, pins, the program text for verifier
 * messages) in an extra, non-loaded section ".ember". Opening one needs no
 * compiler: the module then behaves as if compiled from its text.
 */
struct ember_object_opts {
	size_t sz; /* sizeof(struct ember_object_opts) */
	/* Name in diagnostics and libbpf's object name. Default: the path
	 * (ember_module_open_object), "<object>" (_mem). */
	const char *name;
	/* enum ember_debug_flags: EMBER_DEBUG_VERIFIER applies;
	 * EMBER_DEBUG_SOURCE has nothing to keep (an object carries no
	 * rewritten text). */
	unsigned int debug_flags;
	ember_log_fn log;
	void *log_ctx;
};

/*
 * Write module m (compiled or opened from an object, loaded or not) to path
 * as a prebuilt object. The file is written beside path under a temporary
 * name and renamed over it: path is either the whole object or untouched.
 * Errors: -EINVAL (NULL arguments), -errno of the file system (the message
 * names the path), -ENOMEM.
 */
EMBER_API int ember_module_write_object(const struct ember_module *m,
					const char *path);

/*
 * Open a prebuilt object written by ember_module_write_object() (or
 * "ember build") into a module, without loading it: then as after
 * ember_module_compile() (ember_module_load(), attach, tables, ...; free with
 * ember_module_free()). The file is read whole and checked as untrusted
 * input (a regular file of at most 256 MiB).
 * Errors: -EINVAL (not an ELF BPF object, no or a malformed ".ember"
 * section, metadata that does not match the object: the message says
 * which), -EPROTONOSUPPORT (metadata of another ember format version),
 * -errno of opening or reading path, -ENOMEM.
 */
EMBER_API int ember_module_open_object(const char *path,
				       const struct ember_object_opts *opts,
				       struct ember_module **out);

/* ember_module_open_object() from len bytes at data (copied: the caller
 * keeps ownership of data). */
EMBER_API int ember_module_open_object_mem(const void *data, size_t len,
					   const struct ember_object_opts *opts,
					   struct ember_module **out);

/*
 * Attach every loaded function that names its attach point. Returns the
 * number of attachments made (>= 0) or a negative errno; on failure nothing
 * this call attached stays attached.
 */
EMBER_API int ember_module_attach_auto(struct ember_module *m);

/*
 * Attach function fn_name to tracepoint "category:event" (as in
 * syscalls:sys_enter_execve). The function is loaded as a tracepoint program
 * if it is not loaded yet. *link (optional) receives a handle borrowed from
 * the module. Errors: -ENOENT (no such function or tracepoint), -EINVAL
 * (function loaded with another program type, verifier rejection).
 */
EMBER_API int ember_module_attach_tracepoint(struct ember_module *m,
					     const char *fn_name,
					     const char *tracepoint,
					     struct ember_link **link);

/* Attach fn_name to the raw tracepoint tp (as in "sys_enter"). */
EMBER_API int ember_module_attach_raw_tracepoint(struct ember_module *m,
						 const char *fn_name,
						 const char *tp,
						 struct ember_link **link);

/*
 * Attach fn_name as a kprobe (retprobe false) or kretprobe (true) on kernel function
 * kernel_fn (see ember_syscall_fnname() for system calls). On a kernel
 * without kprobes, a probe on a system call entry point runs on the system
 * call's syscalls:sys_enter_NAME / sys_exit_NAME tracepoint instead, with
 * PT_REGS_PARMn(ctx) and PT_REGS_RC(ctx) reading the tracepoint's arguments
 * and return value; the log callback is told (EMBER_LOG_INFO).
 * Errors: -EOPNOTSUPP (no kprobes and no tracepoint to stand in; the message
 * names one to use instead), -ENOENT, -EINVAL as for tracepoints.
 */
EMBER_API int ember_module_attach_kprobe(struct ember_module *m,
					 const char *fn_name,
					 const char *kernel_fn, bool retprobe,
					 struct ember_link **link);

/*
 * Attach fn_name as a kprobe (retprobe false) or kretprobe on every kernel text
 * function whose name matches pattern (POSIX extended regex, as BCC's
 * event_re). All or nothing: on error no attachment of this call stays.
 * Returns the number of attachments, or -ENOENT (nothing matches), -E2BIG
 * (over 1000 matches), and the errors of ember_module_attach_kprobe().
 */
EMBER_API int ember_module_attach_kprobe_regex(struct ember_module *m,
					       const char *fn_name,
					       const char *pattern,
					       bool retprobe);

/* Program types for ember_module_load_func(): the kernel's numbers. */
enum ember_prog_type {
	EMBER_PROG_SOCKET_FILTER = 1,
	EMBER_PROG_KPROBE = 2,
	EMBER_PROG_SCHED_CLS = 3,
	EMBER_PROG_SCHED_ACT = 4,
	EMBER_PROG_TRACEPOINT = 5,
	EMBER_PROG_XDP = 6,
	EMBER_PROG_PERF_EVENT = 7,
	EMBER_PROG_CGROUP_SKB = 8,
	EMBER_PROG_CGROUP_SOCK = 9,
	EMBER_PROG_RAW_TRACEPOINT = 17,
};

/*
 * Load function fn_name as a program of the given type without attaching it
 * (BCC's load_func), e.g. to put it in a BPF_PROG_ARRAY for tail calls.
 * Returns the program's fd (owned by the module) or a negative errno
 * (-ENOENT: no such function; -EINVAL: verifier rejection or already loaded
 * with another type).
 */
EMBER_API int ember_module_load_func(struct ember_module *m,
				     const char *fn_name,
				     enum ember_prog_type type);

/*
 * The kernel function name of system call name ("clone" → "__x64_sys_clone"
 * on x86-64 kernels since 4.17, else "sys_clone"), into buf. BCC's
 * get_syscall_fnname. Returns 0, -EINVAL, -ENAMETOOLONG.
 */
EMBER_API int ember_syscall_fnname(const char *name, char *buf, size_t size);

/* Whether the running kernel can place kprobes. */
EMBER_API bool ember_kernel_has_kprobes(void);

/*
 * Detach one link now and free it; the module forgets it. Closing the module
 * detaches the rest.
 */
EMBER_API int ember_link_detach(struct ember_link *link);

/* Number of live attachments of the module. */
EMBER_API size_t ember_module_link_cnt(const struct ember_module *m);

/*
 * File descriptor of the loaded program for function fn_name (owned by the
 * module), or a negative errno (-ENOENT: no such function, -ENODEV: not
 * loaded yet).
 */
EMBER_API int ember_module_prog_fd(const struct ember_module *m,
				   const char *fn_name);

/*
 * The plain eBPF C the module's text was rewritten into (owned by the module;
 * NULL unless EMBER_DEBUG_SOURCE was set).
 */
EMBER_API const char *
ember_module_rewritten_source(const struct ember_module *m);

/*
 * Detach everything, close every fd, free the module. NULL is a no-op.
 *
 * When it returns, no program of the module is attached, no run of one is
 * left on any CPU (it waits for one kernel RCU grace period after the last
 * detach) and the module holds no fd. The kernel's release of the perf
 * event of a tracepoint, kprobe or uprobe waits again, event after event
 * under a global lock (40-110 ms each): on kernels with BPF perf links
 * (5.15 on), the releases of those already program-less events are left
 * to a short-lived process, a grandchild named "ember-release" that holds
 * no other fd of the host's and leaves the host's session and directory,
 * so that this call waits about once rather than once per event (not when
 * the caller is a PID namespace's init or a child subreaper, which would
 * inherit that process: then it waits once per event). For that it forks
 * the caller (the copy runs only system calls) and, with two or more such
 * events, detaches them in threads that block every signal. Until that
 * process has released them (it exits then, or dies: the kernel releases
 * them too), the events stay registered with perf, with no program: an
 * attach to one of those tracepoints meanwhile may wait for it. kprobe and
 * uprobe events are not in tracefs; a kretprobe with maxactive (a tracefs
 * event) and USDT probes are released by this call, one wait each.
 */
EMBER_API void ember_module_free(struct ember_module *m);

/* ------------------------------------------------------------------ */
/* trace_pipe: the output of bpf_trace_printk()                        */

struct ember_trace_pipe;

/*
 * One trace_pipe line split the way BCC's trace_fields() does. Strings point
 * into storage owned by whoever filled the struct (the trace pipe handle, or
 * the caller's buffer for ember_trace_parse()).
 */
struct ember_trace_fields {
	const char *task; /* command name, "<...>" when the kernel lost it */
	int pid;
	int cpu;
	const char *flags; /* irq/preempt flags column, as in "d..31" */
	double ts; /* seconds since boot */
	const char *msg; /* text after "bpf_trace_printk: " (or the event) */
};

/*
 * Open tracefs' trace_pipe, mounting tracefs at /sys/kernel/tracing when it
 * is not mounted and we may. Errors: -ENOENT (no tracefs and cannot mount),
 * -EACCES/-EPERM.
 */
EMBER_API int ember_trace_pipe_open(struct ember_trace_pipe **out);

/*
 * Read one line (without its newline) into an internal buffer and return it
 * through *line (valid until the next call). timeout_ms < 0 waits forever,
 * 0 does not wait. Returns 1 when a line was read, 0 on timeout, negative
 * errno on error.
 */
EMBER_API int ember_trace_pipe_read_line(struct ember_trace_pipe *tp,
					 int timeout_ms, const char **line);

/*
 * As ember_trace_pipe_read_line(), then parse. Lines that are not event
 * lines (the "CPU:N [LOST n EVENTS]" notices) are skipped. Returns 1, 0 on
 * timeout, or a negative errno.
 */
EMBER_API int ember_trace_pipe_read_fields(struct ember_trace_pipe *tp,
					   int timeout_ms,
					   struct ember_trace_fields *fields);

/* File descriptor to poll() for readability (owned by the handle). */
EMBER_API int ember_trace_pipe_fd(const struct ember_trace_pipe *tp);

EMBER_API void ember_trace_pipe_free(struct ember_trace_pipe *tp);

/*
 * Parse one trace_pipe line in place: line is modified (NULs inserted) and
 * the fields point into it. Returns 0 or -EINVAL when it is not an event
 * line.
 */
EMBER_API int ember_trace_parse(char *line, struct ember_trace_fields *fields);

EMBER_END_DECLS

#include <ember/table.h> /* tables: lookup, iterate, format, histograms */
#include <ember/output.h> /* perf and ring buffer readers */
#include <ember/attach.h> /* uprobes, USDT, perf events, XDP, tc, sockets */

#endif /* EMBER_EMBER_H */
