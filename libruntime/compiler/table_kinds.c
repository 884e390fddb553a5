// SPDX-License-Identifier: MIT
#include "compiler/table_kinds.h"

#include <stddef.h>
#include <string.h>

/* Rows leave trailing fields out: they are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define MAP_METHODS (EMBER_M_MAP | EMBER_M_LOOKUP)

static const struct ember_table_kind kinds[] = {
	{ "hash", "BPF_MAP_TYPE_HASH", 0, MAP_METHODS, 10240, NULL, "__u64" },
	{ "array", "BPF_MAP_TYPE_ARRAY", 0, MAP_METHODS, 10240, NULL, "int" },
	{ "percpu_hash", "BPF_MAP_TYPE_PERCPU_HASH", 0, MAP_METHODS, 10240,
	  NULL, "__u64" },
	{ "percpu_array", "BPF_MAP_TYPE_PERCPU_ARRAY", 0, MAP_METHODS, 10240,
	  NULL, "int" },
	{ "lru_hash", "BPF_MAP_TYPE_LRU_HASH", 0, MAP_METHODS, 10240, NULL,
	  "__u64" },
	{ "lru_percpu_hash", "BPF_MAP_TYPE_LRU_PERCPU_HASH", 0, MAP_METHODS,
	  10240, NULL, "__u64" },
	{ "lpm_trie", "BPF_MAP_TYPE_LPM_TRIE", 0, MAP_METHODS, 10240,
	  "BPF_F_NO_PREALLOC", "__u64" },
	{ "histogram", "BPF_MAP_TYPE_ARRAY", 0, MAP_METHODS, 64, NULL, "int" },
	{ "stacktrace", "BPF_MAP_TYPE_STACK_TRACE", EMBER_TABLE_STACKS,
	  EMBER_M_STACKS | EMBER_M_LOOKUP, 0, NULL, "int" },
	{ "stacktrace_buildid", "BPF_MAP_TYPE_STACK_TRACE",
	  EMBER_TABLE_STACKS | EMBER_TABLE_BUILDID,
	  EMBER_M_STACKS | EMBER_M_LOOKUP, 0, "BPF_F_STACK_BUILD_ID", "int" },
	{ "perf_output", "BPF_MAP_TYPE_PERF_EVENT_ARRAY", EMBER_TABLE_FD_VALUES,
	  EMBER_M_PERF_OUTPUT, 0, NULL, "int" },
	{ "perf_array", "BPF_MAP_TYPE_PERF_EVENT_ARRAY", EMBER_TABLE_FD_VALUES,
	  EMBER_M_PERF_ARRAY, 0, NULL, "int" },
	{ "ringbuf", "BPF_MAP_TYPE_RINGBUF", EMBER_TABLE_RINGBUF,
	  EMBER_M_RINGBUF, 0, NULL, NULL },
	{ "prog", "BPF_MAP_TYPE_PROG_ARRAY", EMBER_TABLE_FD_VALUES,
	  EMBER_M_PROG, 0, NULL, "int" },
	{ "queue", "BPF_MAP_TYPE_QUEUE", EMBER_TABLE_NO_KEY, EMBER_M_QUEUE, 0,
	  NULL, NULL },
	{ "stack", "BPF_MAP_TYPE_STACK", EMBER_TABLE_NO_KEY, EMBER_M_QUEUE, 0,
	  NULL, NULL },
	{ "cgroup_array", "BPF_MAP_TYPE_CGROUP_ARRAY", EMBER_TABLE_FD_VALUES,
	  EMBER_M_CGROUP_ARRAY, 0, NULL, "int" },
	{ "devmap", "BPF_MAP_TYPE_DEVMAP", EMBER_TABLE_FD_VALUES,
	  EMBER_M_REDIRECT | EMBER_M_LOOKUP, 0, NULL, "int" },
	{ "cpumap", "BPF_MAP_TYPE_CPUMAP", EMBER_TABLE_FD_VALUES,
	  EMBER_M_REDIRECT | EMBER_M_LOOKUP, 0, NULL, "int" },
	{ "xskmap", "BPF_MAP_TYPE_XSKMAP", EMBER_TABLE_FD_VALUES,
	  EMBER_M_REDIRECT | EMBER_M_LOOKUP, 0, NULL, "int" },
	{ "sockmap", "BPF_MAP_TYPE_SOCKMAP", EMBER_TABLE_FD_VALUES,
	  EMBER_M_SOCKMAP | EMBER_M_LOOKUP, 0, NULL, "int" },
	{ "sockhash", "BPF_MAP_TYPE_SOCKHASH", EMBER_TABLE_FD_VALUES,
	  EMBER_M_SOCKHASH | EMBER_M_LOOKUP, 10240, NULL, "__u32" },
	{ "array_of_maps", "BPF_MAP_TYPE_ARRAY_OF_MAPS", EMBER_TABLE_FD_VALUES,
	  EMBER_M_LOOKUP, 0, NULL, "int" },
	{ "hash_of_maps", "BPF_MAP_TYPE_HASH_OF_MAPS", EMBER_TABLE_FD_VALUES,
	  EMBER_M_LOOKUP, 10240, NULL, "int" },
	{ "sk_storage", "BPF_MAP_TYPE_SK_STORAGE", EMBER_TABLE_STORAGE,
	  EMBER_M_SK_STORAGE, 0, "BPF_F_NO_PREALLOC", "int" },
	{ "inode_storage", "BPF_MAP_TYPE_INODE_STORAGE", EMBER_TABLE_STORAGE,
	  EMBER_M_INODE_STORAGE, 0, "BPF_F_NO_PREALLOC", "int" },
	{ "task_storage", "BPF_MAP_TYPE_TASK_STORAGE", EMBER_TABLE_STORAGE,
	  EMBER_M_TASK_STORAGE, 0, "BPF_F_NO_PREALLOC", "int" },
	{ "cgroup_storage", "BPF_MAP_TYPE_CGROUP_STORAGE", 0,
	  EMBER_M_CGROUP_STORAGE, 0, NULL, "struct bpf_cgroup_storage_key" },
	/* BPF_TABLE("extern", ...): the real table comes from the module
	 * that exports it; any method may apply. */
	{ "extern", "BPF_MAP_TYPE_HASH", 0, ~0u, 1, NULL, "__u64" },
	{ "percpu_cgroup_storage", "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE", 0,
	  EMBER_M_CGROUP_STORAGE, 0, NULL, "struct bpf_cgroup_storage_key" },
};

#define REC EMBER_METHOD_RECORDS_EVENT

static const struct ember_table_method methods[] = {
	{ "lookup", EMBER_M_LOOKUP, "bpf_map_lookup_elem", 0, NULL, 1, 1 },
	{ "delete", EMBER_M_LOOKUP, "bpf_map_delete_elem", 0, NULL, 1, 1 },
	{ "update", EMBER_M_MAP, "bpf_map_update_elem", 0, NULL, 2, 2, NULL,
	  ", BPF_ANY" },
	{ "insert", EMBER_M_MAP, "bpf_map_update_elem", 0, NULL, 2, 2, NULL,
	  ", BPF_NOEXIST" },
	{ "lookup_or_try_init", EMBER_M_MAP, "__ember_lookup_or_try_init", 0,
	  NULL, 2, 2 },
	{ "lookup_or_init", EMBER_M_MAP, "__ember_lookup_or_init", 0, NULL, 2,
	  2 },
	{ "increment", EMBER_M_MAP, "__ember_increment", 0, NULL, 1, 2, ", 1" },
	{ "atomic_increment", EMBER_M_MAP, "__ember_atomic_increment", 0, NULL,
	  1, 2, ", 1" },
	{ "perf_submit", EMBER_M_PERF_OUTPUT, "bpf_perf_event_output", 1,
	  ", BPF_F_CURRENT_CPU", 3, 3, NULL, NULL, false, 1, REC },
	{ "perf_submit_skb", EMBER_M_PERF_OUTPUT, "bpf_perf_event_output", 1,
	  NULL, 4, 4, NULL, NULL, true, 2, REC },
	{ "perf_read", EMBER_M_PERF_ARRAY, "bpf_perf_event_read", 0, NULL, 1,
	  1 },
	{ "perf_counter_value", EMBER_M_PERF_ARRAY, "bpf_perf_event_read_value",
	  0, NULL, 3, 3 },
	{ "ringbuf_output", EMBER_M_RINGBUF, "__ember_ringbuf_output", 0, NULL,
	  3, 3, NULL, NULL, false, 0, REC | EMBER_METHOD_DROP_SLOT },
	{ "ringbuf_reserve", EMBER_M_RINGBUF, "__ember_ringbuf_reserve", 0,
	  NULL, 1, 1, NULL, NULL, false, 0,
	  EMBER_METHOD_RESERVES | EMBER_METHOD_DROP_SLOT },
	{ "ringbuf_submit", EMBER_M_RINGBUF, "bpf_ringbuf_submit", -1, NULL, 2,
	  2 },
	{ "ringbuf_discard", EMBER_M_RINGBUF, "bpf_ringbuf_discard", -1, NULL,
	  2, 2 },
	{ "ringbuf_query", EMBER_M_RINGBUF, "bpf_ringbuf_query", 0, NULL, 1,
	  1 },
	{ "call", EMBER_M_PROG, "bpf_tail_call", 1, NULL, 2, 2 },
	{ "get_stackid", EMBER_M_STACKS, "bpf_get_stackid", 1, NULL, 2, 2 },
	{ "redirect_map", EMBER_M_REDIRECT, "bpf_redirect_map", 0, NULL, 2, 2 },
	{ "check_current_task", EMBER_M_CGROUP_ARRAY,
	  "bpf_current_task_under_cgroup", 0, NULL, 1, 1 },
	{ "push", EMBER_M_QUEUE, "bpf_map_push_elem", 0, NULL, 1, 2, ", 0" },
	{ "pop", EMBER_M_QUEUE, "bpf_map_pop_elem", 0, NULL, 1, 1 },
	{ "peek", EMBER_M_QUEUE, "bpf_map_peek_elem", 0, NULL, 1, 1 },
	{ "sock_map_update", EMBER_M_SOCKMAP, "bpf_sock_map_update", 1, NULL, 3,
	  3 },
	{ "msg_redirect_map", EMBER_M_SOCKMAP, "bpf_msg_redirect_map", 1, NULL,
	  3, 3 },
	{ "sk_redirect_map", EMBER_M_SOCKMAP, "bpf_sk_redirect_map", 1, NULL, 3,
	  3 },
	{ "sock_hash_update", EMBER_M_SOCKHASH, "bpf_sock_hash_update", 1, NULL,
	  3, 3 },
	{ "msg_redirect_hash", EMBER_M_SOCKHASH, "bpf_msg_redirect_hash", 1,
	  NULL, 3, 3 },
	{ "sk_redirect_hash", EMBER_M_SOCKHASH, "bpf_sk_redirect_hash", 1, NULL,
	  3, 3 },
	{ "sk_storage_get", EMBER_M_SK_STORAGE, "bpf_sk_storage_get", 0, NULL,
	  3, 3 },
	{ "sk_storage_delete", EMBER_M_SK_STORAGE, "bpf_sk_storage_delete", 0,
	  NULL, 1, 1 },
	{ "inode_storage_get", EMBER_M_INODE_STORAGE, "bpf_inode_storage_get",
	  0, NULL, 3, 3 },
	{ "inode_storage_delete", EMBER_M_INODE_STORAGE,
	  "bpf_inode_storage_delete", 0, NULL, 1, 1 },
	{ "task_storage_get", EMBER_M_TASK_STORAGE, "bpf_task_storage_get", 0,
	  NULL, 3, 3 },
	{ "task_storage_delete", EMBER_M_TASK_STORAGE,
	  "bpf_task_storage_delete", 0, NULL, 1, 1 },
	{ "get_local_storage", EMBER_M_CGROUP_STORAGE, "bpf_get_local_storage",
	  0, NULL, 1, 1 },
};

const struct ember_table_kind *ember__table_kind(const char *bcc_name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].bcc_name, bcc_name))
			return &kinds[i];
	return NULL;
}

const struct ember_table_method *
ember__table_method(const struct ember_table_kind *kind, const char *name)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(methods[i].name, name) &&
		    (!kind || kind->methods & methods[i].group))
			return &methods[i];
	return NULL;
}
