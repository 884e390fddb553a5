// SPDX-License-Identifier: MIT
/*
 * kprobes and kretprobes, and what to do on a kernel that has none: a probe
 * on a system call entry point becomes a program on the system call's
 * tracepoint (the host is told through the log); anything else fails with a
 * message that names the kernel's lack and a tracepoint to use instead.
 */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "kernel/kallsyms.h"
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

static int no_kprobes(struct ember_prog *p, const char *fn, bool retprobe)
{
	const char *alt = ember__kprobe_alternative(fn);

	return ember__error(
		EOPNOTSUPP,
		"cannot attach '%s' as a %s on %s: this kernel has no kprobes "
		"(CONFIG_KPROBES is off). %s%s%s",
		p->name, retprobe ? "kretprobe" : "kprobe", fn,
		alt ? "Use the tracepoint "
		    : "Use a tracepoint instead "
		      "(TRACEPOINT_PROBE(category, "
		      "event)) or a raw tracepoint "
		      "(RAW_TRACEPOINT_PROBE(event))",
		alt ? alt : "", alt ? " instead (TRACEPOINT_PROBE)." : ".");
}

int ember__attach_kprobe(struct ember_module *m, struct ember_prog *p,
			 const char *fn, bool retprobe, struct ember_link **out)
{
	char syscall[128], event[160], what[256];
	struct bpf_link *l;
	int err;

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
		snprintf(what, sizeof(what), "%s %s",
			 retprobe ? "kretprobe" : "kprobe", fn);
		ember__libbpf_log_begin(m->log, m->log_ctx);
		l = bpf_program__attach_kprobe(p->prog, retprobe, fn);
		return ember__attach_record(m, p, l, what, out);
	}

	if (!ember__syscall_of_function(fn, syscall, sizeof(syscall)))
		return no_kprobes(p, fn, retprobe);
	snprintf(event, sizeof(event), "sys_%s_%s", retprobe ? "exit" : "enter",
		 syscall);
	if (ember__tracepoint_id("syscalls", event) < 0)
		return no_kprobes(p, fn, retprobe);
	ember__module_logf(m, EMBER_LOG_INFO,
			   "%s: no kprobes on this kernel; %s on %s runs on "
			   "tracepoint syscalls:%s instead",
			   p->name, retprobe ? "kretprobe" : "kprobe", fn,
			   event);
	return ember__attach_tracepoint(
		m, p, "syscalls", event,
		retprobe ? EMBER_CTX_SYS_EXIT : EMBER_CTX_SYS_ENTER, out);
}

int ember_module_attach_kprobe(struct ember_module *m, const char *fn_name,
			       const char *kernel_fn, bool retprobe,
			       struct ember_link **link)
{
	struct ember_prog *p;
	int err;

	if (!kernel_fn || !*kernel_fn)
		return ember__error(EINVAL, "kernel function name needed");
	err = ember__attach_lookup(m, fn_name, &p);
	return err ? err
		   : ember__attach_kprobe(m, p, kernel_fn, retprobe, link);
}

bool ember_kernel_has_kprobes(void)
{
	return ember__kernel_has_kprobes();
}

struct regex_attach {
	const regex_t *re;
	struct ember_module *m;
	struct ember_prog *p;
	bool retprobe;
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
		err = ember__attach_kprobe(ra->m, ra->p, name, ra->retprobe,
					   NULL);
	if (!err)
		ra->count++;
	return ra->err = err;
}

int ember_module_attach_kprobe_regex(struct ember_module *m,
				     const char *fn_name, const char *pattern,
				     bool retprobe)
{
	struct regex_attach ra = { .m = m, .retprobe = retprobe };
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
	return ember__attach_kprobe(m, p, target, def->flags & EMBER_SEC_RETURN,
				    out);
}
