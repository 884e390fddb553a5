/* SPDX-License-Identifier: MIT */
/* Attachment pieces shared by the attach_*.c files of the loader. */
#ifndef EMBER_LOADER_ATTACH_H
#define EMBER_LOADER_ATTACH_H

#include <stdbool.h>

#include "loader/module.h"

/* The program function fn_name of a loaded module, or -errno. */
int ember__attach_lookup(struct ember_module *m, const char *fn_name,
			 struct ember_prog **p);
/* Record link l (NULL: attach failed, errno says why) as "what". Ends the
 * libbpf log capture begun before the attach call. */
int ember__finish_link(struct ember_module *m, struct bpf_link *l,
		       const char *what, const char *fn_name,
		       struct ember_link **out);
int ember__attach_tracepoint(struct ember_module *m, struct ember_prog *p,
			     const char *category, const char *event,
			     int ctx_mode, struct ember_link **out);
/* A kprobe or kretprobe on kernel function fn; on a kernel without kprobes
 * a system call's entry/exit tracepoint stands in for it. */
int ember__attach_kprobe(struct ember_module *m, struct ember_prog *p,
			 const char *fn, bool retprobe,
			 struct ember_link **out);
/* A tracepoint ("category:event") that sees what kernel function fn does,
 * for error messages; NULL when none is known. */
const char *ember__kprobe_alternative(const char *fn);

#endif
