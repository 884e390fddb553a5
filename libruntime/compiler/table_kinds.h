/* SPDX-License-Identifier: MIT */
/*
 * The facts behind BCC's tables: each kind's BPF map type and defaults, and
 * each method's helper and argument shape. Data, not code, so that adding a
 * table kind or a method is one line.
 */
#ifndef EMBER_TABLE_KINDS_H
#define EMBER_TABLE_KINDS_H

#include <stdbool.h>

enum ember_table_flags {
	EMBER_TABLE_FD_VALUES = 1 << 0, /* values are fds/indexes (4 bytes) */
	EMBER_TABLE_STACKS = 1 << 1, /* stack trace: 127 frames per value */
	EMBER_TABLE_BUILDID = 1 << 2,
	EMBER_TABLE_NO_KEY = 1 << 3, /* queue/stack */
	EMBER_TABLE_RINGBUF = 1 << 4, /* size in pages, no key/value */
	EMBER_TABLE_STORAGE = 1 << 5, /* local storage: int key */
};

/* Method groups a kind offers. */
enum ember_method_group {
	EMBER_M_MAP = 1 << 0, /* lookup update insert delete increment ... */
	EMBER_M_PERF_OUTPUT = 1 << 1,
	EMBER_M_PERF_ARRAY = 1 << 2,
	EMBER_M_RINGBUF = 1 << 3,
	EMBER_M_PROG = 1 << 4,
	EMBER_M_STACKS = 1 << 5,
	EMBER_M_REDIRECT = 1 << 6,
	EMBER_M_CGROUP_ARRAY = 1 << 7,
	EMBER_M_QUEUE = 1 << 8,
	EMBER_M_SOCKMAP = 1 << 9,
	EMBER_M_SOCKHASH = 1 << 10,
	EMBER_M_SK_STORAGE = 1 << 11,
	EMBER_M_INODE_STORAGE = 1 << 12,
	EMBER_M_TASK_STORAGE = 1 << 13,
	EMBER_M_CGROUP_STORAGE = 1 << 14,
	EMBER_M_LOOKUP = 1 << 15, /* lookup (and delete) only */
};

struct ember_table_kind {
	const char *bcc_name; /* "hash", as in BPF_TABLE("hash", ...) */
	const char *map_type; /* "BPF_MAP_TYPE_HASH" */
	unsigned int flags; /* enum ember_table_flags */
	unsigned int methods; /* enum ember_method_group */
	int default_max; /* 0: none (libbpf or the kernel decides) */
	const char *map_flags; /* always set, e.g. BPF_F_NO_PREALLOC */
	const char *default_key; /* when the macro gives none */
};

enum ember_method_flags {
	EMBER_METHOD_RECORDS_EVENT = 1 << 0, /* event_arg points at the event */
	EMBER_METHOD_RESERVES = 1 << 1, /* event type from the assignment */
	EMBER_METHOD_DROP_SLOT = 1 << 2, /* helper takes (&t, slot, ...) */
};

struct ember_table_method {
	const char *name;
	unsigned int group;
	const char *helper;
	/* where &table goes: 0 first, N after argument N-1, -1 nowhere */
	int table_arg;
	const char *after_table; /* text after ", &t" at table_arg > 0 */
	int min_args, max_args;
	const char *default_last; /* appended when the last arg is omitted */
	const char *append; /* always appended before ')' */
	bool skb_len; /* perf_submit_skb: arg 1 goes into the flags */
	int event_arg;
	unsigned int flags;
};

/* The kind named bcc_name ("hash"), or NULL. */
const struct ember_table_kind *ember__table_kind(const char *bcc_name);

/* Method name of kind, or NULL if the kind lacks it; kind NULL: any kind. */
const struct ember_table_method *
ember__table_method(const struct ember_table_kind *kind, const char *name);

#endif
