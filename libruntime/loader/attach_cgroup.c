// SPDX-License-Identifier: MIT
/*
 * cgroup programs (packets in and out, socket creation, connect, bind,
 * sysctl, devices, ...) on a cgroup v2 directory, as bpf_links: several
 * programs may share a cgroup, and each goes away with its process.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "error.h"
#include "loader/attach.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const struct cgroup_kind {
	enum ember_cgroup_attach where;
	enum bpf_prog_type type;
	const char *name; /* as libbpf's section names */
	/* The program must be loaded knowing where it attaches: only a
	 * function with this section can be. */
	bool needs_section;
} kinds[] = {
	{ EMBER_CGROUP_INET_INGRESS, BPF_PROG_TYPE_CGROUP_SKB,
	  "cgroup_skb/ingress", false },
	{ EMBER_CGROUP_INET_EGRESS, BPF_PROG_TYPE_CGROUP_SKB,
	  "cgroup_skb/egress", false },
	{ EMBER_CGROUP_SOCK_CREATE, BPF_PROG_TYPE_CGROUP_SOCK,
	  "cgroup/sock_create", false },
	{ EMBER_CGROUP_SOCK_OPS, BPF_PROG_TYPE_SOCK_OPS, "sockops", false },
	{ EMBER_CGROUP_DEVICE, BPF_PROG_TYPE_CGROUP_DEVICE, "cgroup/dev",
	  false },
	{ EMBER_CGROUP_SYSCTL, BPF_PROG_TYPE_CGROUP_SYSCTL, "cgroup/sysctl",
	  false },
	{ EMBER_CGROUP_INET4_BIND, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  "cgroup/bind4", true },
	{ EMBER_CGROUP_INET6_BIND, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  "cgroup/bind6", true },
	{ EMBER_CGROUP_INET4_CONNECT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  "cgroup/connect4", true },
	{ EMBER_CGROUP_INET6_CONNECT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  "cgroup/connect6", true },
	{ EMBER_CGROUP_INET4_POST_BIND, BPF_PROG_TYPE_CGROUP_SOCK,
	  "cgroup/post_bind4", true },
	{ EMBER_CGROUP_INET6_POST_BIND, BPF_PROG_TYPE_CGROUP_SOCK,
	  "cgroup/post_bind6", true },
	{ EMBER_CGROUP_UDP4_SENDMSG, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  "cgroup/sendmsg4", true },
	{ EMBER_CGROUP_UDP6_SENDMSG, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  "cgroup/sendmsg6", true },
	{ EMBER_CGROUP_UDP4_RECVMSG, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  "cgroup/recvmsg4", true },
	{ EMBER_CGROUP_UDP6_RECVMSG, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	  "cgroup/recvmsg6", true },
	{ EMBER_CGROUP_GETSOCKOPT, BPF_PROG_TYPE_CGROUP_SOCKOPT,
	  "cgroup/getsockopt", true },
	{ EMBER_CGROUP_SETSOCKOPT, BPF_PROG_TYPE_CGROUP_SOCKOPT,
	  "cgroup/setsockopt", true },
	{ EMBER_CGROUP_SOCK_RELEASE, BPF_PROG_TYPE_CGROUP_SOCK,
	  "cgroup/sock_release", true },
};

/* Where the cgroup v2 hierarchy is mounted, for the error message. */
static void cgroup2_mount(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char dev[256], dir[PATH_MAX], type[64];

	snprintf(buf, size, "(none mounted)");
	if (!f)
		return;
	while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, size, "%.200s", dir);
			break;
		}
	fclose(f);
}

static int open_cgroup(const char *path)
{
	struct statfs sf;
	char v2[256];
	int fd, err;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		return ember__error(err, "cannot open cgroup %s: %s", path,
				    strerror(err));
	}
	if (fstatfs(fd, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
		close(fd);
		cgroup2_mount(v2, sizeof(v2));
		return ember__error(EINVAL,
				    "%s is not a cgroup v2 directory (BPF "
				    "programs attach to the v2 hierarchy "
				    "only; it is mounted at %s)",
				    path, v2);
	}
	return fd;
}

int ember_module_attach_cgroup(struct ember_module *m, const char *fn_name,
			       const char *cgroup_path,
			       enum ember_cgroup_attach where,
			       struct ember_link **link)
{
	const struct cgroup_kind *k = NULL;
	struct ember_prog *p;
	char what[PATH_MAX + 64];
	int cg, fd, err;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].where == where)
			k = &kinds[i];
	if (!k)
		return ember__error(EINVAL, "unknown cgroup attach point %d",
				    (int)where);
	if (!cgroup_path || !*cgroup_path)
		return ember__error(EINVAL, "cgroup path needed");
	snprintf(what, sizeof(what), "%s %s", k->name, cgroup_path);
	err = ember__attach_lookup(m, fn_name, &p);
	if (err)
		return err;
	if (k->needs_section &&
	    !(p->prog && bpf_program__type(p->prog) == k->type &&
	      bpf_program__expected_attach_type(p->prog) ==
		      (enum bpf_attach_type)where))
		return ember__error(EINVAL,
				    "cannot attach '%s' to %s: such programs "
				    "are loaded knowing where they attach; "
				    "declare the function with "
				    "SEC(\"%s\")",
				    fn_name, what, k->name);
	err = ember__attach_prepare(m, fn_name, k->type, what, &p);
	if (err)
		return err;
	cg = open_cgroup(cgroup_path);
	if (cg < 0)
		return cg;
	fd = bpf_link_create(bpf_program__fd(p->prog), cg,
			     (enum bpf_attach_type)where, NULL);
	close(cg);
	if (fd < 0)
		return ember__error(-fd, "cannot attach '%s' to %s: %s",
				    fn_name, what, strerror(-fd));
	return ember__attach_record_fd(m, p, fd, what, link);
}
