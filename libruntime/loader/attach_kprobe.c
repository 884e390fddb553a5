// SPDX-License-Identifier: MIT
/*
 * kprobes and kretprobes, and what to do on a kernel that has none: a probe
 * on a system call entry point becomes a program on the system call's
 * tracepoint (the host is told through the log); anything else fails with a
 * message that names the kernel's lack and a tracepoint to use instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "kernel/kallsyms.h"
#include "kernel/kprobe_events.h"
#include "kernel/kprobes.h"
#include "kernel/tracepoint_format.h"
#include "loader/attach.h"
#include "loader/libbpf_log.h"

/* BCC caps regex attaches too: each kprobe costs the kernel. */
#define EMBER_KPROBE_REGEX_MAX 1000

/* Kernel functions BCC programs probe that have a tracepoint twin. */
static const struct {
	const char *fn, *tracepoint;
} known_alternatives[] = {
	{ "blk_start_request", "block:block_rq_issue" },
	{ "blk_mq_start_request", "block:block_rq_issue" },
	{ "blk_account_io_start", "block:block_io_start" },
	{ "blk_account_io_done", "block:block_rq_complete" },
	{ "blk_account_io_completion", "block:block_rq_complete" },
	{ "__blk_account_io_done", "block:block_rq_complete" },
	{ "do_sys_open", "syscalls:sys_enter_openat" },
	{ "do_sys_openat2", "syscalls:sys_enter_openat" },
	{ "vfs_read", "syscalls:sys_enter_read" },
	{ "vfs_write", "syscalls:sys_enter_write" },
	{ "tcp_v4_connect", "sock:inet_sock_set_state" },
	{ "tcp_set_state", "sock:inet_sock_set_state" },
	{ "finish_task_switch", "sched:sched_switch" },
	{ "wake_up_new_task", "sched:sched_wakeup_new" },
	{ "do_exit", "sched:sched_process_exit" },
	{ "kfree_skb", "skb:kfree_skb" },
};

const char *ember__kprobe_alternative(const char *fn)
{
	for (size_t i = 0;
	     i < sizeof(known_alternatives) / sizeof(*known_alternatives); i++)
		if (!strcmp(known_alternatives[i].fn, fn))
			return known_alternatives[i].tracepoint;
	return NULL;
}

/* "do_sys_openat2", "do_sys_openat2+0x9" */
static void probe_point(char *buf, size_t size, const char *fn, uint64_t offset)
{
	if (offset)
		snprintf(buf, size, "%s+0x%" PRIx64, fn, offset);
	else
		snprintf(buf, size, "%s", fn);
}

static int no_kprobes(struct ember_prog *p, const char *fn,
		      const struct ember_kprobe_opts *o)
{
	const char *alt = ember__kprobe_alternative(fn);
	char at[192];

	probe_point(at, sizeof(at), fn, o->offset);
	return ember__error(
		EOPNOTSUPP,
		"cannot attach '%s' as a %s on %s: this kernel has no kprobes "
		"(CONFIG_KPROBES is off). %s%s%s",
		p->name, o->retprobe ? "kretprobe" : "kprobe", at,
		alt ? "Use the tracepoint "
		    : "Use a tracepoint instead "
		      "(TRACEPOINT_PROBE(category, "
		      "event)) or a raw tracepoint "
		      "(RAW_TRACEPOINT_PROBE(event))",
		alt ? alt : "", alt ? " instead (TRACEPOINT_PROBE)." : ".");
}

/* A tracefs kprobe event and the perf event link on it. */
struct event_probe {
	struct bpf_link *link;
	char name[64];
};

static void detach_event_probe(void *data)
{
	struct event_probe *ep = data;

	/* the event cannot go while the link's perf event holds it */
	bpf_link__destroy(ep->link);
	ember__kprobe_event_remove(ep->name);
	free(ep);
}

/* A kretprobe with maxactive: only tracefs kprobe_events takes it. */
static int attach_kprobe_event(struct ember_module *m, struct ember_prog *p,
			       const char *fn,
			       const struct ember_kprobe_opts *o,
			       const char *what, struct ember_link **out)
{
	struct event_probe *ep = calloc(1, sizeof(*ep));
	int err;

	if (!ep)
		return ember__error(ENOMEM, "out of memory");
	err = ember__kprobe_event_add(fn, o->retprobe, o->offset, o->maxactive,
				      ep->name, sizeof(ep->name));
	if (err) {
		free(ep);
		return ember__error_prefix(-err, "cannot attach '%s' to %s",
					   p->name, what);
	}
	ember__libbpf_log_begin(m->log, m->log_ctx);
	ep->link = bpf_program__attach_tracepoint(
		p->prog, EMBER_KPROBE_EVENT_GROUP, ep->name);
	if (!ep->link) {
		err = errno ? errno : EINVAL;
		ember__kprobe_event_remove(ep->name);
		free(ep);
		errno = err;
		return ember__attach_record(m, p, NULL, what, out);
	}
	ember__libbpf_log_end();
	ember__module_logf(m, EMBER_LOG_DEBUG,
			   "attached '%s' to %s (tracefs event %s/%s)", p->name,
			   what, EMBER_KPROBE_EVENT_GROUP, ep->name);
	return ember__module_add_attachment(m, NULL, detach_event_probe, ep,
					    what, p->name, out);
}

int ember__attach_kprobe(struct ember_module *m, struct ember_prog *p,
			 const char *fn, const struct ember_kprobe_opts *o,
			 struct ember_link **out)
{
	char syscall[128], event[160], what[256], at[192];
	int err, pfd;

	if (o->retprobe && o->offset)
		return ember__error(EINVAL,
				    "cannot attach '%s' as a kretprobe at "
				    "%s+%" PRIu64 ": a kretprobe fires where "
				    "the function returns and takes no offset",
				    p->name, fn, o->offset);
	if (!o->retprobe && o->maxactive)
		return ember__error(EINVAL,
				    "cannot attach '%s' as a kprobe on %s: "
				    "maxactive is for kretprobes",
				    p->name, fn);
	if (o->maxactive < 0 || o->maxactive > EMBER_KRETPROBE_MAXACTIVE_MAX)
		return ember__error(EINVAL,
				    "cannot attach '%s' as a kretprobe on %s: "
				    "maxactive %d is not in 0..%d",
				    p->name, fn, o->maxactive,
				    EMBER_KRETPROBE_MAXACTIVE_MAX);

	if (ember__kernel_has_kprobes()) {
		char arch_fn[160];

		/* BCC's kprobe__sys_X means the arch's syscall entry point */
		if (!strncmp(fn, "sys_", 4) &&
		    !ember_syscall_fnname(fn + 4, arch_fn, sizeof(arch_fn)))
			fn = arch_fn;
		err = ember__module_load_prog(m, p, BPF_PROG_TYPE_KPROBE,
					      EMBER_CTX_PT_REGS);
		if (err)
			return err;
		probe_point(at, sizeof(at), fn, o->offset);
		if (o->maxactive)
			snprintf(what, sizeof(what),
				 "kretprobe %s (maxactive %d)", at,
				 o->maxactive);
		else
			snprintf(what, sizeof(what), "%s %s",
				 o->retprobe ? "kretprobe" : "kprobe", at);
		if (o->maxactive)
			return attach_kprobe_event(m, p, fn, o, what, out);
		/* The perf event of the kprobe PMU, as libbpf would open it,
		 * kept apart from the BPF link (release.c). */
		pfd = ember__open_probe_event("kprobe", o->retprobe, fn,
					      o->offset, -1);
		if (pfd < 0 && errno == EILSEQ)
			return ember__error(EILSEQ,
					    "cannot attach '%s' to %s: offset "
					    "%" PRIu64 " into %s is not the "
					    "start of an instruction",
					    p->name, what, o->offset, fn);
		if (pfd < 0 && errno == ENOENT && !ember__kallsyms_has(fn))
			return ember__error(
				ENOENT,
				"cannot attach '%s' to %s: no kernel "
				"function %s to probe (it is not in "
				"/proc/kallsyms, or its module is not "
				"loaded)",
				p->name, what, fn);
		return ember__attach_perf_event_kept(m, p, pfd, what, out);
	}

	/* nothing stands in for a point inside a function */
	if (o->offset ||
	    !ember__syscall_of_function(fn, syscall, sizeof(syscall)))
		return no_kprobes(p, fn, o);
	snprintf(event, sizeof(event), "sys_%s_%s",
		 o->retprobe ? "exit" : "enter", syscall);
	if (ember__tracepoint_id("syscalls", event) < 0)
		return no_kprobes(p, fn, o);
	ember__module_logf(m, EMBER_LOG_INFO,
			   "%s: no kprobes on this kernel; %s on %s runs on "
			   "tracepoint syscalls:%s instead",
			   p->name, o->retprobe ? "kretprobe" : "kprobe", fn,
			   event);
	return ember__attach_tracepoint(
		m, p, "syscalls", event,
		o->retprobe ? EMBER_CTX_SYS_EXIT : EMBER_CTX_SYS_ENTER, out);
}

int ember_module_attach_kprobe_opts(struct ember_module *m, const char *fn_name,
				    const char *kernel_fn,
				    const struct ember_kprobe_opts *opts,
				    struct ember_link **link)
{
	struct ember_kprobe_opts o;
	struct ember_prog *p;
	int err;

	err = EMBER_OPTS_COPY(o, opts, "ember_kprobe_opts");
	if (err)
		return err;
	if (!kernel_fn || !*kernel_fn)
		return ember__error(EINVAL, "kernel function name needed");
	err = ember__attach_lookup(m, fn_name, &p);
	return err ? err : ember__attach_kprobe(m, p, kernel_fn, &o, link);
}

int ember_module_attach_kprobe(struct ember_module *m, const char *fn_name,
			       const char *kernel_fn, bool retprobe,
			       struct ember_link **link)
{
	struct ember_kprobe_opts o = { .sz = sizeof(o), .retprobe = retprobe };

	return ember_module_attach_kprobe_opts(m, fn_name, kernel_fn, &o, link);
}

bool ember_kernel_has_kprobes(void)
{
	return ember__kernel_has_kprobes();
}

struct regex_attach {
	const regex_t *re;
	struct ember_module *m;
	struct ember_prog *p;
	struct ember_kprobe_opts opts;
	int count;
	int err; /* the last attach's, with its message */
	char syscalls[64][64]; /* syscalls attached through their tracepoint */
	int syscalls_cnt;
};

/* Each text symbol of /proc/kallsyms that matches the pattern. */
static int attach_one(const struct ember__kallsym *s, void *ctx)
{
	struct regex_attach *ra = ctx;
	const char *name = s->name;
	char sc[64];
	int err;

	if ((s->type != 't' && s->type != 'T') || strchr(name, '.') ||
	    regexec(ra->re, name, 0, NULL, 0))
		return 0;
	/* __x64_sys_X and __ia32_sys_X are one tracepoint when kprobes are
	 * missing: attach it once */
	if (!ember__kernel_has_kprobes() &&
	    ember__syscall_of_function(name, sc, sizeof(sc))) {
		for (int i = 0; i < ra->syscalls_cnt; i++)
			if (!strcmp(ra->syscalls[i], sc))
				return 0;
		if (ra->syscalls_cnt < 64)
			strcpy(ra->syscalls[ra->syscalls_cnt++], sc);
	}
	if (ra->count >= EMBER_KPROBE_REGEX_MAX)
		err = ember__error(E2BIG,
				   "more than %d kernel functions match; "
				   "narrow the pattern",
				   EMBER_KPROBE_REGEX_MAX);
	else
		err = ember__attach_kprobe(ra->m, ra->p, name, &ra->opts, NULL);
	if (!err)
		ra->count++;
	return ra->err = err;
}

int ember_module_attach_kprobe_regex(struct ember_module *m,
				     const char *fn_name, const char *pattern,
				     bool retprobe)
{
	struct regex_attach ra = {
		.m = m,
		.opts = { .sz = sizeof(ra.opts), .retprobe = retprobe },
	};
	struct ember_link *before;
	regex_t re;
	int err;

	if (!pattern)
		return ember__error(EINVAL, "pattern needed");
	err = ember__attach_lookup(m, fn_name, &ra.p);
	if (err)
		return err;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB))
		return ember__error(EINVAL, "bad regular expression '%s'",
				    pattern);
	before = m->links;
	ra.re = &re;
	err = ember__kallsyms_each(NULL, attach_one, &ra);
	if (err && err != ra.err)
		err = ember__error(-err, "cannot read /proc/kallsyms: %s",
				   strerror(-err));
	regfree(&re);
	if (!err && !ra.count)
		err = ember__error(ENOENT, "no kernel function matches '%s'",
				   pattern);
	if (err) {
		/* all or nothing */
		while (m->links != before)
			ember_link_detach(m->links);
		return err;
	}
	return ra.count;
}

int ember__attach_kprobe_section(struct ember_module *m, struct ember_prog *p,
				 const struct ember_section_def *def,
				 const char *target, struct ember_link **out)
{
	struct ember_kprobe_opts o = {
		.sz = sizeof(o),
		.retprobe = def->flags & EMBER_SEC_RETURN,
	};

	return ember__attach_kprobe(m, p, target, &o, out);
}
