/* SPDX-License-Identifier: MIT */
/*
 * What the loader's attach_*.c files share: finding and loading the function
 * to attach, recording the attachment, and the table of program kinds by
 * ELF section (section_defs[] in sections.c).
 */
#ifndef EMBER_LOADER_ATTACH_H
#define EMBER_LOADER_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/module.h"
#include "opts.h"

/* ------------------------------------------------------------------ */
/* Program kinds by section (libbpf's section_defs[])                  */

struct ember_section_def;

/* Attach p to target, the part of p's section after the prefix. */
typedef int (*ember_section_attach_fn)(struct ember_module *m,
				       struct ember_prog *p,
				       const struct ember_section_def *def,
				       const char *target,
				       struct ember_link **out);

/* ember_section_def.flags */
enum ember_section_flags {
	/*
	 * Loaded when the host asks (attach or load_func), not with the
	 * module: its type is only known then (kprobes run as syscall
	 * tracepoints on kernels without kprobes), or some kernels refuse it
	 * (fentry, fexit, LSM: the rest of the module should still load and
	 * the attach say why).
	 */
	EMBER_SEC_ON_REQUEST = 1u << 0,
	/* The return flavour of its kind: kretprobe, fexit. */
	EMBER_SEC_RETURN = 1u << 1,
};

struct ember_section_def {
	/* "kprobe/": the section starts with it (the rest is the target) */
	const char *prefix;
	/* what the kind is called in messages ("kprobe", "fentry") */
	const char *kind;
	/* the program type it loads as; UNSPEC: the host says (load_func) */
	enum bpf_prog_type prog_type;
	unsigned int flags; /* enum ember_section_flags */
	/* what ember_module_attach_auto() does with it; NULL: nothing */
	ember_section_attach_fn attach;
	/* BCC's macro for the kind, named in messages ("KFUNC_PROBE") */
	const char *bcc_macro;
};

/*
 * The row of section (whose prefix it starts with), or NULL for a section
 * the table does not list (libbpf's own: "xdp", "uprobe/...", ...: loaded
 * with the module when libbpf knows their type, never auto-attached).
 */
const struct ember_section_def *ember__section_def(const char *section);
/* The row with exactly this prefix (for the attach calls of one kind). */
const struct ember_section_def *ember__section_def_of(const char *prefix);

/* The auto-attach functions of the rows (attach.c, attach_kprobe.c,
 * attach_kfunc.c). */
int ember__attach_tracepoint_section(struct ember_module *m,
				     struct ember_prog *p,
				     const struct ember_section_def *def,
				     const char *target,
				     struct ember_link **out);
int ember__attach_raw_tracepoint_section(struct ember_module *m,
					 struct ember_prog *p,
					 const struct ember_section_def *def,
					 const char *target,
					 struct ember_link **out);
int ember__attach_kprobe_section(struct ember_module *m, struct ember_prog *p,
				 const struct ember_section_def *def,
				 const char *target, struct ember_link **out);
int ember__attach_trampoline(struct ember_module *m, struct ember_prog *p,
			     const struct ember_section_def *def,
			     const char *target, struct ember_link **out);

/* ------------------------------------------------------------------ */
/* Attaching                                                           */

/* The program function fn_name of a loaded module, or -errno. */
int ember__attach_lookup(struct ember_module *m, const char *fn_name,
			 struct ember_prog **p);

/*
 * Look up fn_name in loaded module m and make sure it is loaded as type
 * (loading it on request), for an attachment described as what (used in
 * the error message). Returns 0 or -errno.
 */
int ember__attach_prepare(struct ember_module *m, const char *fn_name,
			  enum bpf_prog_type type, const char *what,
			  struct ember_prog **p);

/*
 * Record libbpf link l (NULL: the attach failed, errno says why) as
 * "what → p's name", ending the libbpf log capture begun before the attach
 * call; on failure the message quotes what libbpf said.
 */
int ember__attach_record(struct ember_module *m, struct ember_prog *p,
			 struct bpf_link *l, const char *what,
			 struct ember_link **out);

/*
 * Record an attachment that is a bare file descriptor (a bpf_link fd that
 * libbpf 1.1 cannot wrap, a socket): detaching closes fd. Owns fd from the
 * call on.
 */
int ember__attach_record_fd(struct ember_module *m, struct ember_prog *p,
			    int fd, const char *what, struct ember_link **out);

/*
 * Open a probe event of PMU pmu ("kprobe": target a kernel function;
 * "uprobe": target a file path) at offset into target, a return probe if
 * retprobe, for process pid (> 0) or every process. Returns the fd, or -1
 * with errno (EOPNOTSUPP: the kernel has no such PMU).
 */
int ember__open_probe_event(const char *pmu, bool retprobe, const char *target,
			    uint64_t offset, int pid);
/*
 * Attach p to perf event pfd (taken over; -1: its open failed, errno says
 * why) and record it as "what → p's name", with a second fd of the event
 * that lets the module's release detach programs apart from releasing
 * events (release.c).
 */
int ember__attach_perf_event_kept(struct ember_module *m, struct ember_prog *p,
				  int pfd, const char *what,
				  struct ember_link **out);
int ember__attach_tracepoint(struct ember_module *m, struct ember_prog *p,
			     const char *category, const char *event,
			     int ctx_mode, struct ember_link **out);
/* A kprobe or kretprobe on kernel function fn as o says (o->sz set); on a
 * kernel without kprobes a system call's entry/exit tracepoint stands in for
 * one at the entry point. */
int ember__attach_kprobe(struct ember_module *m, struct ember_prog *p,
			 const char *fn, const struct ember_kprobe_opts *o,
			 struct ember_link **out);
/* A tracepoint ("category:event") that sees what kernel function fn does,
 * for error messages; NULL when none is known. */
const char *ember__kprobe_alternative(const char *fn);

/* Index of network interface ifname, or -ENODEV with a message. */
int ember__attach_ifindex(const char *ifname);

#endif
