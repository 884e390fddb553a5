/* SPDX-License-Identifier: MIT */
/*
 * ember_table internals shared by io/table*.c.
 *
 * A module's tables are built on first use (from the loaded libbpf object)
 * into a set the module holds and frees.
 */
#ifndef EMBER_TABLE_IMPL_H
#define EMBER_TABLE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ember/ember.h"

/* Batch commands, as bits of ember_table.no_batch. */
enum ember__batch_op {
	EMBER__BATCH_LOOKUP = 1 << 0,
	EMBER__BATCH_LOOKUP_AND_DELETE = 1 << 1,
	EMBER__BATCH_UPDATE = 1 << 2,
	EMBER__BATCH_DELETE = 1 << 3,
};

struct ember_table {
	struct ember_module *module;
	struct bpf_map *map;
	const struct btf *btf;
	const char *name;
	const char *kind;
	enum bpf_map_type type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;
	uint32_t key_type_id;
	uint32_t value_type_id;
	uint32_t ncpus; /* 1 unless per-CPU */
	uint32_t stride; /* per-CPU: value_size rounded up to 8 */
	size_t value_buf_size;
	int fd;
	/* enum ember__batch_op: commands the kernel said it lacks for this
	 * map type; they are not tried again. */
	unsigned int no_batch;
};

/* A module's tables: ember_module.tables, one allocation. */
struct ember__table_set {
	size_t count;
	struct ember_table tables[];
};

/* Array-like: every index in [0, max_entries) exists and cannot go. */
bool ember__table_is_array(const struct ember_table *t);
/* Keyless queue or stack. */
bool ember__table_is_queue(const struct ember_table *t);

/* True when err is the kernel saying "no batch command for this map". */
bool ember__batch_unsupported(int err);

#endif
