// SPDX-License-Identifier: MIT
/*
 * tc classifiers on an interface's ingress or egress. Where the kernel has
 * tcx (6.6+) the program is a bpf_link, which goes away with the process;
 * elsewhere (or when asked) it is a direct-action filter on a clsact qdisc,
 * made through libbpf's netlink calls. Such a filter is not a link in
 * libbpf 1.1: the attachment remembers its handle and priority and removes
 * exactly that filter when detached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "error.h"
#include "kernel/features.h"
#include "loader/attach.h"

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46 /* linux 6.6 */
#define BPF_TCX_EGRESS 47
#endif

struct tc_filter {
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
};

static void remove_filter(void *data)
{
	struct tc_filter *t = data;

	/* libbpf finds the filter by handle and priority alone */
	t->opts.prog_fd = 0;
	t->opts.prog_id = 0;
	t->opts.flags = 0;
	bpf_tc_detach(&t->hook, &t->opts);
	free(t);
}

static int attach_clsact(struct ember_module *m, struct ember_prog *p,
			 int ifindex, enum ember_tc_direction dir,
			 const struct ember_tc_opts *o, const char *base_what,
			 struct ember_link **out)
{
	struct tc_filter *t = calloc(1, sizeof(*t));
	char what[192];
	int err;

	if (!t)
		return ember__error(ENOMEM, "out of memory");
	t->hook.sz = sizeof(t->hook);
	t->hook.ifindex = ifindex;
	t->hook.attach_point =
		dir == EMBER_TC_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS;
	t->opts.sz = sizeof(t->opts);
	t->opts.prog_fd = bpf_program__fd(p->prog);
	/* 0: the kernel picks a free handle and priority */
	t->opts.handle = o->handle;
	t->opts.priority = o->priority;
	/* An existing clsact qdisc is shared, not replaced. */
	err = bpf_tc_hook_create(&t->hook);
	if (err && err != -EEXIST) {
		free(t);
		return ember__error(-err,
				    "cannot attach '%s' to %s: adding a "
				    "clsact qdisc failed: %s",
				    p->name, base_what, strerror(-err));
	}
	err = bpf_tc_attach(&t->hook, &t->opts);
	if (err) {
		free(t);
		return ember__error(-err, "cannot attach '%s' to %s: %s%s",
				    p->name, base_what, strerror(-err),
				    err == -EEXIST ? " (a filter with that "
						     "priority and handle is "
						     "there already)"
						   : "");
	}
	snprintf(what, sizeof(what), "%s (clsact filter prio %u handle 0x%x)",
		 base_what, t->opts.priority, t->opts.handle);
	ember__module_logf(m, EMBER_LOG_DEBUG, "attached '%s' to %s", p->name,
			   what);
	return ember__module_add_attachment(m, NULL, remove_filter, t, what,
					    p->name, out);
}

int ember_module_attach_tc(struct ember_module *m, const char *fn_name,
			   const char *ifname,
			   enum ember_tc_direction direction,
			   const struct ember_tc_opts *opts,
			   struct ember_link **link)
{
	struct ember_tc_opts o;
	struct ember_prog *p;
	char what[128];
	int ifindex, err, tcx, fd;

	err = EMBER_OPTS_COPY(o, opts, "ember_tc_opts");
	if (err)
		return err;
	if (direction != EMBER_TC_INGRESS && direction != EMBER_TC_EGRESS)
		return ember__error(EINVAL, "tc: direction must be "
					    "EMBER_TC_INGRESS or "
					    "EMBER_TC_EGRESS");
	if (o.mode > EMBER_TC_CLSACT || o.priority > 0xffff)
		return ember__error(EINVAL, "tc: bad mode or priority");
	ifindex = ember__attach_ifindex(ifname);
	if (ifindex < 0)
		return ifindex;
	snprintf(what, sizeof(what), "tc %s %s", ifname,
		 direction == EMBER_TC_INGRESS ? "ingress" : "egress");
	tcx = o.mode == EMBER_TC_CLSACT
		      ? 0
		      : ember__feature(EMBER_FEATURE_TCX, NULL);
	if (o.mode == EMBER_TC_LINK && tcx != 1)
		return ember__error(
			EOPNOTSUPP,
			"cannot attach '%s' to %s as a tcx link: %s", fn_name,
			what, ember_feature_describe(EMBER_FEATURE_TCX));
	err = ember__attach_prepare(m, fn_name, BPF_PROG_TYPE_SCHED_CLS, what,
				    &p);
	if (err)
		return err;
	if (tcx != 1)
		return attach_clsact(m, p, ifindex, direction, &o, what, link);
	fd = bpf_link_create(bpf_program__fd(p->prog), ifindex,
			     direction == EMBER_TC_INGRESS ? BPF_TCX_INGRESS
							   : BPF_TCX_EGRESS,
			     NULL);
	if (fd < 0)
		return ember__error(-fd, "cannot attach '%s' to %s: %s",
				    fn_name, what, strerror(-fd));
	strcat(what, " (tcx link)");
	return ember__attach_record_fd(m, p, fd, what, link);
}
