/* SPDX-License-Identifier: MIT */
/*
 * A token-level look at the program text before it is parsed: what the
 * parse itself needs to exist up front (tracepoint argument structs, the
 * headers the text includes). Comments, strings and character literals are
 * skipped, so names inside them do not count.
 */
#ifndef EMBER_SOURCE_SCAN_H
#define EMBER_SOURCE_SCAN_H

#include <stdbool.h>
#include <stddef.h>

struct ember_source_scan {
	/* "category/event" pairs named by TRACEPOINT_PROBE(c, e) or a
	 * tracepoint__c__e identifier; unique, malloc'd. */
	char **tracepoints;
	size_t *tracepoint_offsets; /* where each is first named */
	size_t tracepoints_cnt;
	/* Header names of #include <...> and #include "..." lines, unique,
	 * and where each is first named (the offset of its '<' or '"'). */
	char **includes;
	size_t *include_offsets;
	size_t includes_cnt;
	/* The text declares its own bpf_trace_printk pointer, as in
	 * "static int (*bpf_trace_printk)(const char *fmt, int size, ...)". */
	bool declares_trace_printk;
	/* The text reads USDT arguments (bpf_usdt_readarg, bpf_usdt_arg, ...):
	 * the program needs libbpf's USDT support (ember/usdt.h). */
	bool uses_usdt;
	/* Names of the structs and unions the text defines ("struct NAME {"),
	 * unique, malloc'd. */
	char **records;
	size_t records_cnt;
	/* Names of every struct and union the text names ("struct NAME"),
	 * defined there or not; unique, malloc'd. */
	char **record_refs;
	size_t record_refs_cnt;
};

/* Returns 0 or -ENOMEM. */
int ember__source_scan(const char *text, size_t len,
		       struct ember_source_scan *out);
void ember__source_scan_free(struct ember_source_scan *s);

#endif
