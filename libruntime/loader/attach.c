// SPDX-License-Identifier: MIT
/*
 * Attaching loaded programs. Every attachment is a bpf_link (fd-based), so a
 * closed module or a killed process leaves nothing attached.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "kernel/tracefs.h"
#include "kernel/tracepoint_format.h"
#include "loader/attach.h"
#include "loader/libbpf_log.h"
#include "loader/module.h"

int ember__attach_lookup(struct ember_module *m, const char *fn_name,
			 struct ember_prog **p)
{
	int err = ember__module_prog(m, fn_name, p);

	if (!err && !m->loaded)
		err = ember__error(EINVAL, "%s: load the module first",
				   m->name);
	return err;
}

/* A tracepoint's perf event, as libbpf would open it; fd or -1 with errno. */
static int open_tracepoint_event(int id)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT,
					.size = sizeof(attr),
					.config = (__u64)id,
					.sample_period = 1,
					.wakeup_events = 1 };

	return (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1,
			    PERF_FLAG_FD_CLOEXEC);
}

/* The perf event type of PMU pmu ("kprobe", "uprobe") and the config bit
 * that makes its events return probes; false when the kernel has none. */
static bool probe_pmu(const char *pmu, int *type, int *retbit)
{
	char path[128];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type",
		 pmu);
	f = fopen(path, "re");
	ok = f && fscanf(f, "%d", type) == 1;
	if (f)
		fclose(f);
	snprintf(path, sizeof(path),
		 "/sys/bus/event_source/devices/%s/format/retprobe", pmu);
	f = fopen(path, "re");
	ok = ok && f && fscanf(f, "config:%d", retbit) == 1 && *retbit >= 0 &&
	     *retbit < 64;
	if (f)
		fclose(f);
	return ok;
}

int ember__open_probe_event(const char *pmu, bool retprobe, const char *target,
			    uint64_t offset, int pid)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	int type, retbit;

	if (!probe_pmu(pmu, &type, &retbit)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	attr.type = (__u32)type;
	attr.config = retprobe ? 1ULL << retbit : 0;
	attr.config1 = (__u64)(uintptr_t)target;
	attr.config2 = offset;
	/* as libbpf: every process means CPU 0's event, where a program on
	 * a probe runs whichever CPU hits it */
	return (int)syscall(__NR_perf_event_open, &attr, pid > 0 ? pid : -1,
			    pid > 0 ? -1 : 0, -1, PERF_FLAG_FD_CLOEXEC);
}

int ember__attach_perf_event_kept(struct ember_module *m, struct ember_prog *p,
				  int pfd, const char *what,
				  struct ember_link **out)
{
	struct ember_link *k;
	struct bpf_link *l = NULL;
	int err = errno, keep = -1;

	ember__libbpf_log_begin(m->log, m->log_ctx);
	if (pfd >= 0)
		keep = fcntl(pfd, F_DUPFD_CLOEXEC, 0);
	if (keep >= 0)
		l = bpf_program__attach_perf_event(p->prog, pfd);
	if (pfd >= 0)
		err = errno;
	if (!l && pfd >= 0)
		close(pfd);
	/* A second fd of the event lets the module's release detach the
	 * program (closing the BPF link) apart from releasing the event
	 * (release.c). Where the kernel has no perf-event BPF link (before
	 * 5.15) the link is the event itself, and only its release detaches
	 * the program: no second fd then. */
	if (keep >= 0 && (!l || bpf_link__fd(l) == pfd)) {
		close(keep);
		keep = -1;
	}
	errno = err;
	err = ember__attach_record(m, p, l, what, &k);
	if (err) {
		if (keep >= 0)
			close(keep);
		return err;
	}
	k->perf_fd = keep;
	if (out)
		*out = k;
	return 0;
}

int ember__attach_tracepoint(struct ember_module *m, struct ember_prog *p,
			     const char *category, const char *event,
			     int ctx_mode, struct ember_link **out)
{
	const char *root;
	char what[256];
	int err, id;

	/* Say plainly when tracefs or the tracepoint is missing. */
	err = ember__tracefs_root(&root);
	if (err)
		return err;
	id = ember__tracepoint_id(category, event);
	if (id < 0)
		return id;
	err = ember__module_load_prog(m, p, BPF_PROG_TYPE_TRACEPOINT, ctx_mode);
	if (err)
		return err;
	snprintf(what, sizeof(what), "tracepoint %s:%s", category, event);
	return ember__attach_perf_event_kept(m, p, open_tracepoint_event(id),
					     what, out);
}

static int attach_raw_tracepoint(struct ember_module *m, struct ember_prog *p,
				 const char *tp, struct ember_link **out)
{
	struct bpf_link *l;
	char what[256];
	int err;

	err = ember__module_load_prog(m, p, BPF_PROG_TYPE_RAW_TRACEPOINT, 0);
	if (err)
		return err;
	snprintf(what, sizeof(what), "raw tracepoint %s", tp);
	ember__libbpf_log_begin(m->log, m->log_ctx);
	l = bpf_program__attach_raw_tracepoint(p->prog, tp);
	return ember__attach_record(m, p, l, what, out);
}

int ember_module_attach_tracepoint(struct ember_module *m, const char *fn_name,
				   const char *tracepoint,
				   struct ember_link **link)
{
	struct ember_prog *p;
	char category[128];
	const char *colon;
	int err;

	if (!tracepoint)
		return ember__error(EINVAL, "tracepoint name needed");
	err = ember__attach_lookup(m, fn_name, &p);
	if (err)
		return err;
	colon = strchr(tracepoint, ':');
	if (!colon || colon == tracepoint || !colon[1] ||
	    (size_t)(colon - tracepoint) >= sizeof(category))
		return ember__error(EINVAL,
				    "tracepoint '%s' should be written "
				    "CATEGORY:EVENT, as in "
				    "syscalls:sys_enter_execve",
				    tracepoint);
	snprintf(category, sizeof(category), "%.*s", (int)(colon - tracepoint),
		 tracepoint);
	return ember__attach_tracepoint(m, p, category, colon + 1, 0, link);
}

int ember_module_attach_raw_tracepoint(struct ember_module *m,
				       const char *fn_name, const char *tp,
				       struct ember_link **link)
{
	struct ember_prog *p;
	int err;

	if (!tp || !*tp)
		return ember__error(EINVAL, "raw tracepoint name needed");
	err = ember__attach_lookup(m, fn_name, &p);
	return err ? err : attach_raw_tracepoint(m, p, tp, link);
}

int ember__attach_tracepoint_section(struct ember_module *m,
				     struct ember_prog *p,
				     const struct ember_section_def *def,
				     const char *target,
				     struct ember_link **out)
{
	const char *slash = strchr(target, '/');
	char category[128];

	(void)def;
	if (!slash || (size_t)(slash - target) >= sizeof(category))
		return ember__error(EINVAL, "bad section '%s'", p->section);
	snprintf(category, sizeof(category), "%.*s", (int)(slash - target),
		 target);
	return ember__attach_tracepoint(m, p, category, slash + 1, 0, out);
}

int ember__attach_raw_tracepoint_section(struct ember_module *m,
					 struct ember_prog *p,
					 const struct ember_section_def *def,
					 const char *target,
					 struct ember_link **out)
{
	(void)def;
	return attach_raw_tracepoint(m, p, target, out);
}

/* 0 or -errno when p's section names what it attaches to, 1 when not. */
static int attach_by_section(struct ember_module *m, struct ember_prog *p)
{
	const struct ember_section_def *def = ember__section_def(p->section);

	if (!def || !def->attach)
		return 1;
	return def->attach(m, p, def, p->section + strlen(def->prefix), NULL);
}

int ember_module_attach_auto(struct ember_module *m)
{
	struct ember_link *before;
	size_t i;
	int err, n = 0;

	if (!m)
		return ember__error(EINVAL, "module is NULL");
	if (!m->loaded)
		return ember__error(EINVAL, "%s: load the module first",
				    m->name);
	before = m->links;
	for (i = 0; i < m->progs_cnt; i++) {
		err = attach_by_section(m, &m->progs[i]);
		if (err < 0) {
			/* Undo this call's attachments only. */
			while (m->links != before)
				ember_link_detach(m->links);
			return err;
		}
		n += err == 0;
	}
	return n;
}
