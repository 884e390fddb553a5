/* SPDX-License-Identifier: MIT */
/*
 * What a compile produces: the BPF object, the plain C it was built from,
 * and what the host needs to know about its programs and tables. Packed
 * into bytes to cross a process boundary (the isolated compile), to be
 * kept in the object cache, or in a prebuilt object's .ember section
 * (loader/object_file.c: a change of these bytes bumps its META_VERSION).
 */
#ifndef EMBER_COMPILED_H
#define EMBER_COMPILED_H

#include <stddef.h>
#include <stdio.h>

#include "ember/ember.h"

/* A function of the text that becomes a BPF program. */
struct ember_program_info {
	char *name;
	char *section; /* ELF section: "tracepoint/C/E", "ember/NAME", ... */
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

void ember__compiled_free(struct ember_compiled *c);

/* Each line of warnings (as in ember_compiled) to log at EMBER_LOG_WARN,
 * as clang prints them; nothing without log. */
void ember__compiled_log_warnings(const char *warnings, ember_log_fn log,
				  void *log_ctx);

/* Append c to f; the caller checks f's error state (fclose). */
void ember__compiled_pack(const struct ember_compiled *c, FILE *f);

/*
 * Fill out from buf[0, len) as written by ember__compiled_pack. Returns 0,
 * or -EINVAL (out left empty) when the bytes are truncated or malformed:
 * they are checked as untrusted input.
 */
int ember__compiled_unpack(const char *buf, size_t len,
			   struct ember_compiled *out);

#endif
