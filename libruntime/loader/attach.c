// SPDX-License-Identifier: MIT
/*
 * Attaching loaded programs. Every attachment is a bpf_link (fd-based), so a
 * closed module or a killed process leaves nothing attached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int ember__attach_tracepoint(struct ember_module *m, struct ember_prog *p,
			     const char *category, const char *event,
			     int ctx_mode, struct ember_link **out)
{
	struct bpf_link *l;
	const char *root;
	char what[256];
	int err;

	/* libbpf finds the event id through tracefs: make sure it is there,
	 * and say plainly when the tracepoint does not exist. */
	err = ember__tracefs_root(&root);
	if (err)
		return err;
	err = ember__tracepoint_id(category, event);
	if (err < 0)
		return err;
	err = ember__module_load_prog(m, p, BPF_PROG_TYPE_TRACEPOINT, ctx_mode);
	if (err)
		return err;
	snprintf(what, sizeof(what), "tracepoint %s:%s", category, event);
	ember__libbpf_log_begin(m->log, m->log_ctx);
	l = bpf_program__attach_tracepoint(p->prog, category, event);
	return ember__attach_record(m, p, l, what, out);
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
