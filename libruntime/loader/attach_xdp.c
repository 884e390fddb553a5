// SPDX-License-Identifier: MIT
/*
 * XDP as a bpf_link (not netlink, which BCC uses and which leaves the
 * program on the interface when the process dies). libbpf 1.1's
 * bpf_program__attach_xdp() cannot pass mode flags, so the link is made
 * with bpf_link_create() and kept as a file descriptor.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>

#include "error.h"
#include "loader/attach.h"

#define XDP_MODES (EMBER_XDP_SKB_MODE | EMBER_XDP_DRV_MODE | EMBER_XDP_HW_MODE)

static const char *mode_name(unsigned int flags)
{
	switch (flags) {
	case EMBER_XDP_SKB_MODE:
		return " (generic mode)";
	case EMBER_XDP_DRV_MODE:
		return " (native mode)";
	case EMBER_XDP_HW_MODE:
		return " (offloaded)";
	default:
		return "";
	}
}

int ember_module_attach_xdp(struct ember_module *m, const char *fn_name,
			    const char *ifname, unsigned int flags,
			    struct ember_link **link)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = flags);
	struct ember_prog *p;
	const char *hint = "";
	char what[128];
	int ifindex, fd, err;

	if ((flags & ~XDP_MODES) || (flags & (flags - 1)))
		return ember__error(EINVAL,
				    "XDP flags: give one mode "
				    "(EMBER_XDP_SKB_MODE, _DRV_MODE or "
				    "_HW_MODE) or 0, not 0x%x",
				    flags);
	ifindex = ember__attach_ifindex(ifname);
	if (ifindex < 0)
		return ifindex;
	snprintf(what, sizeof(what), "xdp %s%s", ifname, mode_name(flags));
	err = ember__attach_prepare(m, fn_name, BPF_PROG_TYPE_XDP, what, &p);
	if (err)
		return err;
	fd = bpf_link_create(bpf_program__fd(p->prog), ifindex, BPF_XDP, &lo);
	if (fd >= 0)
		return ember__attach_record_fd(m, p, fd, what, link);
	err = -fd;
	if (err == EBUSY || err == EEXIST)
		hint = ": the interface has an XDP program already (detach "
		       "that link first; one attached through netlink, as by "
		       "ip link or BCC, goes with 'ip link set dev IFNAME xdp "
		       "off')";
	else if (err == EOPNOTSUPP)
		hint = ": the driver cannot run XDP in this mode (generic "
		       "mode, "
		       "EMBER_XDP_SKB_MODE, works everywhere)";
	return ember__error(err, "cannot attach '%s' to %s: %s%s", fn_name,
			    what, strerror(err), hint);
}
