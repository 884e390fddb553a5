/* SPDX-License-Identifier: MIT */
/*
 * Pieces shared by the attach kinds of include/ember/attach.h (uprobes,
 * USDT, perf events, XDP, tc, sockets, cgroups, fentry/LSM).
 */
#ifndef EMBER_ATTACH_KINDS_H
#define EMBER_ATTACH_KINDS_H

#include <stdbool.h>
#include <stddef.h>

#include "loader/attach.h"
#include "loader/module.h"
#include "opts.h"

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
 * Auto-attach by section for the kinds here (fentry/FN, fexit/FN,
 * fmod_ret/FN, lsm/HOOK):
 * 0 or -errno when p's section is one of them, 1 when it is not.
 */
int ember__attach_section_kinds(struct ember_module *m, struct ember_prog *p);

/* Index of network interface ifname, or -ENODEV with a message. */
int ember__attach_ifindex(const char *ifname);

#endif
