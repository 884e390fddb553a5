// SPDX-License-Identifier: MIT
/*
 * fentry/fexit (BCC's KFUNC_PROBE, KRETFUNC_PROBE) and LSM programs
 * (LSM_PROBE). Both run through BPF trampolines, which some kernels refuse
 * (this one: EPERM at load). BCC's support_kfunc() guesses from kallsyms and
 * says yes there, and the load then fails with "Need super-user
 * privileges"; ember asks the kernel first (kernel/features.c) and, when it
 * says no, fails with the reason and what to use instead.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "kernel/features.h"
#include "kernel/kprobes.h"
#include "loader/attach.h"
#include "loader/libbpf_log.h"

/* LSM hooks and a tracepoint that sees the same operation. */
static const struct {
	const char *hook, *tracepoint;
} lsm_alternatives[] = {
	{ "file_open", "syscalls:sys_enter_openat" },
	{ "bprm_check_security", "sched:sched_process_exec" },
	{ "bprm_committed_creds", "sched:sched_process_exec" },
	{ "task_alloc", "sched:sched_process_fork" },
	{ "task_free", "sched:sched_process_free" },
	{ "socket_create", "syscalls:sys_enter_socket" },
	{ "socket_connect", "syscalls:sys_enter_connect" },
	{ "socket_bind", "syscalls:sys_enter_bind" },
	{ "path_unlink", "syscalls:sys_enter_unlinkat" },
	{ "path_mkdir", "syscalls:sys_enter_mkdirat" },
	{ "bpf", "syscalls:sys_enter_bpf" },
};

/* "Use the tracepoint X instead" or the general advice, into buf. */
static void alternative(const char *fn, bool ret, bool lsm, char *buf,
			size_t size)
{
	const char *tp = NULL;
	char sys[128], ev[192];

	if (lsm) {
		for (size_t i = 0;
		     i < sizeof(lsm_alternatives) / sizeof(lsm_alternatives[0]);
		     i++)
			if (!strcmp(lsm_alternatives[i].hook, fn))
				tp = lsm_alternatives[i].tracepoint;
	} else if (ember__syscall_of_function(fn, sys, sizeof(sys))) {
		snprintf(ev, sizeof(ev), "syscalls:sys_%s_%s",
			 ret ? "exit" : "enter", sys);
		tp = ev;
	} else {
		tp = ember__kprobe_alternative(fn);
	}
	if (tp)
		snprintf(buf, size,
			 "Use the tracepoint %s instead (TRACEPOINT_PROBE)%s",
			 tp, lsm ? " to observe the operation" : "");
	else
		snprintf(buf, size,
			 "Use a tracepoint (TRACEPOINT_PROBE(category, event)) "
			 "or a raw tracepoint (RAW_TRACEPOINT_PROBE(event)) "
			 "instead%s",
			 lsm ? " to observe the operation" : "");
}

int ember__attach_trampoline(struct ember_module *m, struct ember_prog *p,
			     const struct ember_section_def *def,
			     const char *target, struct ember_link **out)
{
	bool lsm = def->prog_type == BPF_PROG_TYPE_LSM;
	enum ember_feature f = lsm ? EMBER_FEATURE_LSM : EMBER_FEATURE_FENTRY;
	const struct ember_section_def *have = ember__section_def(p->section);
	const char *why;
	char what[256], alt[512];
	struct bpf_link *l;
	int ok, err;

	snprintf(what, sizeof(what), "%s %s", def->kind, target);
	ok = ember__feature(f, &why);
	if (ok < 0)
		return ok;
	if (!ok) {
		alternative(target, def->flags & EMBER_SEC_RETURN, lsm, alt,
			    sizeof(alt));
		return ember__error(EOPNOTSUPP,
				    "cannot attach '%s' as %s on %s (%s): "
				    "this kernel does not run %s programs. "
				    "%s.\n(%s)",
				    p->name, def->kind, target, def->bcc_macro,
				    ember_feature_name(f), alt, why);
	}
	if (have != def || strcmp(p->section + strlen(def->prefix), target))
		return ember__error(EINVAL,
				    "cannot attach '%s' to %s: the function "
				    "must be declared for it, with "
				    "SEC(\"%s%s\") (as %s does)",
				    p->name, what, def->prefix, target,
				    def->bcc_macro);
	err = ember__module_load_prog(m, p, def->prog_type, EMBER_CTX_PT_REGS);
	if (err)
		return err;
	ember__libbpf_log_begin(m->log, m->log_ctx);
	l = lsm ? bpf_program__attach_lsm(p->prog)
		: bpf_program__attach_trace(p->prog);
	return ember__attach_record(m, p, l, what, out);
}

int ember_module_attach_kfunc(struct ember_module *m, const char *fn_name,
			      const char *kernel_fn, bool retfunc,
			      struct ember_link **link)
{
	struct ember_prog *p;
	int err;

	if (!kernel_fn || !*kernel_fn)
		return ember__error(EINVAL, "kernel function name needed");
	err = ember__attach_lookup(m, fn_name, &p);
	if (err)
		return err;
	return ember__attach_trampoline(
		m, p, ember__section_def_of(retfunc ? "fexit/" : "fentry/"),
		kernel_fn, link);
}

int ember_module_attach_lsm(struct ember_module *m, const char *fn_name,
			    const char *hook, struct ember_link **link)
{
	struct ember_prog *p;
	int err;

	if (!hook || !*hook)
		return ember__error(EINVAL, "LSM hook name needed");
	err = ember__attach_lookup(m, fn_name, &p);
	if (err)
		return err;
	return ember__attach_trampoline(m, p, ember__section_def_of("lsm/"),
					hook, link);
}
