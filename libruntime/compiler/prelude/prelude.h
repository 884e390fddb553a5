/* SPDX-License-Identifier: MIT */
/*
 * ember's prelude: included ahead of every program text, both when ember
 * parses the text with BCC's conveniences and when it compiles the rewritten
 * plain eBPF C. Kernel types first (from BTF), then libbpf's BPF-side headers,
 * then the BCC vocabulary.
 */
#ifndef __EMBER_PRELUDE_H
#define __EMBER_PRELUDE_H

#include <ember/kernel_types.h>
/* The running kernel's version and CONFIG_* (generated; with the
 * kernel_headers option the tree's own linux/kconfig.h is included). */
#ifdef __EMBER_KERNEL_TYPES__
#include <ember/kernel_config.h>
#endif

/* BCC's bpf_trace_printk takes the format alone; libbpf's pointer of the same
 * name wants (fmt, size, ...). Keep libbpf's under another name. */
#define bpf_trace_printk __ember_libbpf_trace_printk
#include <bpf/bpf_helpers.h>
#undef bpf_trace_printk
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <ember/syscall_ctx.h>

#include <ember/bcc.h>
#include <ember/kernel_reads.h>
#include <ember/kernel_constants.h>
#include <ember/kernel_compat.h>
#include <ember/bcc_tables.h>
#include <ember/usdt.h>

#endif
