/* SPDX-License-Identifier: MIT */
/*
 * The compiler stage as a whole: BCC-style text in, BPF ELF object out.
 *   scan → virtual headers (kernel types, tracepoint args) → parse (libclang)
 *   → rewriters → edits applied → codegen (clang) → object
 */
#ifndef EMBER_COMPILE_H
#define EMBER_COMPILE_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler/rewriter.h"
#include "ember/ember.h"

struct ember_compile_opts {
	const char *name; /* file name shown in diagnostics */
	const char *const *cflags;
	size_t cflags_cnt;
	const char *kernel_headers;
	ember_log_fn log;
	void *log_ctx;
};

/*
 * A table the program declared with a BCC macro (BPF_HASH, BPF_PERF_OUTPUT,
 * ...), as the compiler saw it. The map itself is an ordinary BTF-defined
 * map of the same name in the object.
 */
struct ember_table_decl {
	char *name;
	char *kind; /* BCC's type string: "hash", "array", "perf_output", ... */
	/* Type spelling of what perf_submit / ringbuf_output / ringbuf_reserve
	 * sent through this table ("struct data_t"), NULL when nothing was. */
	char *event_type;
	/* Ring buffers: slot in the per-CPU __ember_ringbuf_drops array where
	 * the program counts events the ring had no room for; -1 otherwise. */
	int drop_slot;
	/* BPF_TABLE_PINNED: the bpffs path to reuse or pin the map at. */
	char *pin_path;
	/* BPF_TABLE_PUBLIC / _SHARED export the table to other modules of
	 * the process by name; BPF_TABLE("extern", ...) imports one. */
	enum ember_table_sharing {
		EMBER_TABLE_PRIVATE = 0,
		EMBER_TABLE_EXPORTED = 1,
		EMBER_TABLE_IMPORTED = 2,
	} sharing;
};

/* Per-CPU u64 array: index = ember_table_decl.drop_slot. */
#define EMBER_RINGBUF_DROPS_MAP "__ember_ringbuf_drops"

struct ember_compiled {
	void *obj; /* BPF ELF */
	size_t obj_len;
	/* "NAME:L:C: warning: ..." lines against the caller's text, or NULL;
	 * also given to the log callback on every compile, cached or not */
	char *warnings;
	char *rewritten; /* the plain eBPF C that was compiled */
	size_t rewritten_len;
	struct ember_program_info *progs;
	size_t progs_cnt;
	struct ember_table_decl *tables;
	size_t tables_cnt;
};

/*
 * Compile text. On failure returns a negative errno and ember_errmsg() holds
 * the diagnostics ("NAME:L:C: error: ..." against the caller's text).
 */
int ember__compile(const char *text, const struct ember_compile_opts *opts,
		   struct ember_compiled *out);
void ember__compiled_free(struct ember_compiled *c);

#endif
