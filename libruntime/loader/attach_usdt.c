// SPDX-License-Identifier: MIT
/*
 * USDT probes (the .note.stapsdt sites of sys/sdt.h), through libbpf: it
 * finds every site of provider:name, sets the semaphores, places one uprobe
 * per site and records how each argument is read where the program's
 * bpf_usdt_readarg() (prelude/usdt.h over libbpf's usdt.bpf.h) looks.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "kernel/features.h"
#include "loader/attach.h"
#include "loader/libbpf_log.h"

/* libbpf keeps the argument specs in these tables of the program's object;
 * the compiler adds them to programs that read USDT arguments. */
static bool has_usdt_tables(const struct ember_module *m,
			    const struct ember_prog *p)
{
	const struct bpf_object *obj = p->own_obj ? p->own_obj : m->obj;

	return bpf_object__find_map_by_name(obj, "__bpf_usdt_specs") &&
	       bpf_object__find_map_by_name(obj, "__bpf_usdt_ip_to_spec_id");
}

int ember_module_attach_usdt(struct ember_module *m, const char *fn_name,
			     const char *binary, const char *provider,
			     const char *name,
			     const struct ember_usdt_opts *opts,
			     struct ember_link **link)
{
	LIBBPF_OPTS(bpf_usdt_opts, uo);
	struct ember_usdt_opts o;
	const char *why;
	char path[PATH_MAX], exe[64], what[PATH_MAX + 300], pid_part[32] = "";
	struct ember_prog *p;
	struct bpf_link *l;
	int err;

	err = EMBER_OPTS_COPY(o, opts, "ember_usdt_opts");
	if (err)
		return err;
	if (!provider || !*provider || !name || !*name)
		return ember__error(EINVAL, "USDT probe: provider and name "
					    "needed");
	if (!binary && o.pid <= 0)
		return ember__error(EINVAL,
				    "USDT probe %s:%s: give a binary or "
				    "a pid",
				    provider, name);
	if (!binary) {
		snprintf(exe, sizeof(exe), "/proc/%d/exe", o.pid);
		binary = exe;
	}
	err = ember_find_binary(binary, o.pid, path, sizeof(path));
	if (err)
		return err;
	if (o.pid > 0)
		snprintf(pid_part, sizeof(pid_part), " (pid %d)", o.pid);
	snprintf(what, sizeof(what), "usdt %s:%s:%s%s", path, provider, name,
		 pid_part);
	err = ember__attach_prepare(m, fn_name, BPF_PROG_TYPE_KPROBE, what, &p);
	if (err)
		return err;
	if (!has_usdt_tables(m, p))
		return ember__error(
			EINVAL,
			"cannot attach '%s' to %s: the program was built "
			"without USDT support, which ember adds to programs "
			"that read USDT arguments (bpf_usdt_readarg, "
			"bpf_usdt_readarg_p, bpf_usdt_arg_cnt, "
			"bpf_usdt_cookie); use one of them in the text",
			fn_name, what);
	uo.usdt_cookie = o.cookie;
	ember__libbpf_log_begin(m->log, m->log_ctx);
	l = bpf_program__attach_usdt(p->prog, o.pid > 0 ? o.pid : -1, path,
				     provider, name, &uo);
	if (!l && errno == ENOENT)
		return ember__error(ENOENT,
				    "cannot attach '%s' to %s: %s has no USDT "
				    "probe %s:%s\n%s",
				    fn_name, what, path, provider, name,
				    ember__libbpf_log_end());
	if (!l && errno == EOPNOTSUPP && o.pid <= 0 &&
	    ember__feature(EMBER_FEATURE_BPF_COOKIE, &why) == 0)
		/* libbpf tells the sites of a position-independent binary
		 * apart by BPF cookie in every process */
		return ember__error(
			EOPNOTSUPP,
			"cannot attach '%s' to %s in every process: %s is "
			"position-independent (a shared library or PIE "
			"executable), which needs BPF cookies (Linux 5.15) "
			"and this kernel has none; give the pid of one "
			"process (ember_usdt_opts.pid)\n%s",
			fn_name, what, path, ember__libbpf_log_end());
	return ember__attach_record(m, p, l, what, link);
}
