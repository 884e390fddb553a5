/* SPDX-License-Identifier: MIT */
/*
 * Part of ember's public API; included by <ember/ember.h>.
 *
 * Tables: the maps of a loaded module (BCC's b["name"]), read and written
 * from the host; their keys and values formatted from BTF; histograms in
 * BCC's layout; stack traces and symbols.
 *
 * Ownership: a struct ember_table is borrowed from its module. It stays valid
 * until ember_module_free() and must not be freed by the caller. Buffers are
 * always the caller's. Like its module, a table must not be used from two
 * threads at once.
 *
 * Sizes: a key buffer holds ember_table_key_size() bytes. A value buffer
 * holds ember_table_value_buf_size() bytes: the value size for ordinary
 * tables, and for per-CPU tables one value per possible CPU, each at a
 * stride of ember_table_percpu_stride() (the value size rounded up to 8, as
 * the kernel lays them out).
 */
#ifndef EMBER_TABLE_H
#define EMBER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ember/common.h>

EMBER_BEGIN_DECLS

struct ember_module;
struct ember_table;
struct btf; /* libbpf's BTF handle (<bpf/btf.h>) */

/* Map types: the kernel's numbers (enum bpf_map_type in <linux/bpf.h>). */
enum ember_map_type {
	EMBER_MAP_UNSPEC = 0,
	EMBER_MAP_HASH = 1,
	EMBER_MAP_ARRAY = 2,
	EMBER_MAP_PROG_ARRAY = 3,
	EMBER_MAP_PERF_EVENT_ARRAY = 4,
	EMBER_MAP_PERCPU_HASH = 5,
	EMBER_MAP_PERCPU_ARRAY = 6,
	EMBER_MAP_STACK_TRACE = 7,
	EMBER_MAP_CGROUP_ARRAY = 8,
	EMBER_MAP_LRU_HASH = 9,
	EMBER_MAP_LRU_PERCPU_HASH = 10,
	EMBER_MAP_LPM_TRIE = 11,
	EMBER_MAP_ARRAY_OF_MAPS = 12,
	EMBER_MAP_HASH_OF_MAPS = 13,
	EMBER_MAP_DEVMAP = 14,
	EMBER_MAP_SOCKMAP = 15,
	EMBER_MAP_CPUMAP = 16,
	EMBER_MAP_XSKMAP = 17,
	EMBER_MAP_SOCKHASH = 18,
	EMBER_MAP_CGROUP_STORAGE = 19,
	EMBER_MAP_REUSEPORT_SOCKARRAY = 20,
	EMBER_MAP_PERCPU_CGROUP_STORAGE = 21,
	EMBER_MAP_QUEUE = 22,
	EMBER_MAP_STACK = 23,
	EMBER_MAP_SK_STORAGE = 24,
	EMBER_MAP_DEVMAP_HASH = 25,
	EMBER_MAP_STRUCT_OPS = 26,
	EMBER_MAP_RINGBUF = 27,
	EMBER_MAP_INODE_STORAGE = 28,
	EMBER_MAP_TASK_STORAGE = 29,
	EMBER_MAP_BLOOM_FILTER = 30,
	EMBER_MAP_USER_RINGBUF = 31,
	EMBER_MAP_CGRP_STORAGE = 32,
};

/* ------------------------------------------------------------------ */
/* Finding tables                                                      */

/*
 * The table called name in a loaded module. *out receives a handle borrowed
 * from the module. Errors: -EINVAL (NULL argument), -ENODEV (module not
 * loaded yet), -ENOENT (no such table; the message lists the tables there
 * are), -ENOMEM.
 */
EMBER_API int ember_module_table(struct ember_module *m, const char *name,
				 struct ember_table **out);

/*
 * Number of tables of a loaded module (0 before loading). Tables are the
 * maps the program declared; libbpf's internal maps (.rodata, .bss, ...) and
 * ember's own bookkeeping maps are not listed.
 */
EMBER_API size_t ember_module_table_cnt(struct ember_module *m);

/* Table number i (0 <= i < ember_module_table_cnt()) in declaration order,
 * or NULL. */
EMBER_API struct ember_table *ember_module_table_at(struct ember_module *m,
						    size_t i);

/* ------------------------------------------------------------------ */
/* What a table is                                                     */

/* Name as declared (owned by the table). */
EMBER_API const char *ember_table_name(const struct ember_table *t);
EMBER_API enum ember_map_type ember_table_type(const struct ember_table *t);
/*
 * BCC's kind string: what BPF_TABLE would call it ("hash", "array",
 * "histogram", "percpu_array", "stacktrace", "perf_output", ...). Tables
 * declared with a BCC macro report the macro's kind; tables declared in
 * libbpf's own SEC(".maps") form report the kind matching their map type.
 * Static storage or owned by the module.
 */
EMBER_API const char *ember_table_kind(const struct ember_table *t);
/* The map type as libbpf names it ("hash", "percpu_array", ...). */
EMBER_API const char *ember_map_type_name(enum ember_map_type type);
EMBER_API uint32_t ember_table_key_size(const struct ember_table *t);
/* Size of one value (for per-CPU tables: one CPU's value). */
EMBER_API uint32_t ember_table_value_size(const struct ember_table *t);
EMBER_API uint32_t ember_table_max_entries(const struct ember_table *t);
/* Map flags (BPF_F_NO_PREALLOC, ...). */
EMBER_API uint32_t ember_table_flags(const struct ember_table *t);
/* The map's file descriptor, owned by the module, for the bpf(2) map
 * commands (and libbpf's bpf_map_* calls). */
EMBER_API int ember_table_fd(const struct ember_table *t);
/* true for the per-CPU kinds (percpu_hash, percpu_array, lru_percpu_hash,
 * percpu_cgroup_storage). */
EMBER_API bool ember_table_is_percpu(const struct ember_table *t);
/* Number of values a lookup returns: the number of possible CPUs for per-CPU
 * tables, otherwise 1. */
EMBER_API uint32_t ember_table_ncpus(const struct ember_table *t);
/* Distance between two CPUs' values in a per-CPU value buffer. */
EMBER_API uint32_t ember_table_percpu_stride(const struct ember_table *t);
/* Bytes of one value buffer (see the top of this file). */
EMBER_API size_t ember_table_value_buf_size(const struct ember_table *t);
/*
 * The BTF describing keys and values (borrowed from the module; usable with
 * libbpf's btf__* API) and the type ids of key and value in it; a type id is
 * 0 when the program gave the table sizes but no type.
 */
EMBER_API const struct btf *ember_table_btf(const struct ember_table *t);
EMBER_API uint32_t ember_table_key_type_id(const struct ember_table *t);
EMBER_API uint32_t ember_table_value_type_id(const struct ember_table *t);

/* ------------------------------------------------------------------ */
/* Element operations                                                  */

/* Update flags: the kernel's BPF_ANY / BPF_NOEXIST / BPF_EXIST / BPF_F_LOCK. */
enum ember_update_flags {
	EMBER_ANY = 0, /* create or replace */
	EMBER_NOEXIST = 1, /* create only */
	EMBER_EXIST = 2, /* replace only */
	EMBER_F_LOCK = 4, /* take the value's bpf_spin_lock */
};

/*
 * Copy the value of key into value (a value buffer). Queue and stack tables
 * take key NULL and peek. Errors: -ENOENT (no such key / empty), -EINVAL,
 * other errors of the bpf() system call.
 */
EMBER_API int ember_table_lookup(struct ember_table *t, const void *key,
				 void *value);
/*
 * Set key's value (flags: enum ember_update_flags). Queue and stack tables
 * take key NULL and push. Errors: -EEXIST (EMBER_NOEXIST and present),
 * -ENOENT (EMBER_EXIST and absent), -E2BIG (table full), -EINVAL.
 */
EMBER_API int ember_table_update(struct ember_table *t, const void *key,
				 const void *value, uint64_t flags);
/*
 * Remove key. Arrays cannot lose elements: for array and percpu_array
 * tables the value is zeroed instead, as BCC does. Errors: -ENOENT, -EINVAL.
 */
EMBER_API int ember_table_delete(struct ember_table *t, const void *key);
/*
 * Copy key's value into value (may be NULL) and remove it in one step. Queue
 * and stack tables take key NULL and pop. On kernels before 5.14, hash
 * tables do it as a lookup then a delete (an update between the two is
 * lost). Errors: -ENOENT, -EOPNOTSUPP (the kernel cannot do this for the
 * table's type).
 */
EMBER_API int ember_table_lookup_and_delete(struct ember_table *t,
					    const void *key, void *value);
/*
 * The key after key (key NULL: the first key) into next_key. Returns 0, or
 * -ENOENT after the last key.
 */
EMBER_API int ember_table_next_key(struct ember_table *t, const void *key,
				   void *next_key);

/*
 * Called once per entry by ember_table_foreach(). key and value point into
 * ember's buffers and are valid during the call only. Return 0 to go on,
 * non-zero to stop (a negative value is returned by foreach as its error).
 */
typedef int (*ember_table_entry_fn)(const void *key, const void *value,
				    void *ctx);

struct ember_table_iter_opts {
	size_t sz; /* sizeof(struct ember_table_iter_opts) */
	/* Entries fetched per batch system call (0: a default). */
	uint32_t batch_size;
	/* Walk with one next-key and one lookup call per entry even where the
	 * kernel has batch operations. */
	bool no_batch;
};

/*
 * Call fn for every entry of the table. Entries are fetched in batches
 * (bpf_map_lookup_batch) where the kernel supports it for the table's type,
 * else one next-key and lookup per entry; entries the program adds or
 * removes meanwhile may or may not be seen. Arrays visit every index.
 * Returns the number of entries visited, or a negative errno (the value fn
 * returned when it stopped with one; -EOPNOTSUPP for queues, stacks and
 * ring buffers, which have no keys).
 */
EMBER_API int ember_table_foreach(struct ember_table *t,
				  ember_table_entry_fn fn, void *ctx,
				  const struct ember_table_iter_opts *opts);

/*
 * Empty the table: delete every entry; for arrays (which cannot delete) set
 * every value to zero; for queues and stacks pop everything. Errors:
 * -EOPNOTSUPP (ring buffers and other tables without elements), bpf()
 * errors.
 */
EMBER_API int ember_table_clear(struct ember_table *t);
/*
 * Set the value of every present key to zero (BCC's zero()); arrays: as
 * ember_table_clear(). Errors: -EOPNOTSUPP (tables whose values the host
 * cannot write: stack traces, fd-valued and storage tables), bpf() errors.
 */
EMBER_API int ember_table_zero(struct ember_table *t);

/* ------------------------------------------------------------------ */
/* Batch operations                                                    */

/*
 * keys and values are arrays of *count elements of ember_table_key_size()
 * and ember_table_value_buf_size() bytes. The kernel's batch commands are
 * used (one system call per chunk). Where the kernel has no batch command
 * for the table's type (it answers -EINVAL, -ENOTSUPP (524) or -EOPNOTSUPP
 * before doing anything: stack traces, lookup-and-delete on LPM tries,
 * kernels before 5.6) the same work is done with one call per key, with the
 * same results; after -ENOTSUPP/-EOPNOTSUPP the table remembers and does
 * not ask the kernel again. .no_batch forces the per-key path.
 */
struct ember_batch_opts {
	size_t sz; /* sizeof(struct ember_batch_opts) */
	/* update: EMBER_ANY, EMBER_NOEXIST, EMBER_EXIST, | EMBER_F_LOCK.
	 * The kernel's batch update takes only EMBER_F_LOCK: other flags use
	 * the per-key path. lookup: EMBER_F_LOCK. */
	uint64_t elem_flags;
	/* Use one system call per key even where batch commands exist. */
	bool no_batch;
};

/*
 * Copy entries into keys[] and values[]; on entry *count is their capacity
 * (in elements), on return the number copied. A capacity of
 * ember_table_max_entries() always suffices. Returns 0 when the whole table
 * was read, -ENOSPC when entries remain that did not fit (those that fit
 * are copied: the kernel hands out hash tables a bucket at a time, so this
 * may be a few less than the capacity), or another negative errno.
 */
EMBER_API int ember_table_lookup_batch(struct ember_table *t, void *keys,
				       void *values, size_t *count,
				       const struct ember_batch_opts *opts);
/*
 * As ember_table_lookup_batch(), removing what was copied. After -ENOSPC the
 * copied entries are gone from the table; call again for the rest. Not for
 * arrays (-EOPNOTSUPP: use ember_table_clear()).
 */
EMBER_API int
ember_table_lookup_and_delete_batch(struct ember_table *t, void *keys,
				    void *values, size_t *count,
				    const struct ember_batch_opts *opts);
/*
 * Set *count entries from keys[] and values[]. On failure *count is the
 * number of entries written before the one that failed.
 */
EMBER_API int ember_table_update_batch(struct ember_table *t, const void *keys,
				       const void *values, size_t *count,
				       const struct ember_batch_opts *opts);
/*
 * Delete the *count keys of keys[]. A missing key fails with -ENOENT; *count
 * is then the number deleted before it. Arrays: -EOPNOTSUPP.
 */
EMBER_API int ember_table_delete_batch(struct ember_table *t, const void *keys,
				       size_t *count,
				       const struct ember_batch_opts *opts);

/* ------------------------------------------------------------------ */
/* Per-CPU values                                                      */

/*
 * Sum / maximum over CPUs of an integer per-CPU value buffer (as filled by
 * lookup on a per-CPU table; on other tables the one value itself). Values
 * of 1, 2, 4 or 8 bytes are read as unsigned. Errors: -EINVAL (value is not
 * an integer of those sizes).
 */
EMBER_API int ember_table_percpu_sum(const struct ember_table *t,
				     const void *values, uint64_t *sum);
EMBER_API int ember_table_percpu_max(const struct ember_table *t,
				     const void *values, uint64_t *max);

/* ------------------------------------------------------------------ */
/* Formatting keys and values from BTF                                 */

enum ember_format_flags {
	/* JSON instead of C-like text. */
	EMBER_FORMAT_JSON = 1u << 0,
};

/*
 * Format data of BTF type type_id as text into buf (snprintf semantics: at
 * most size bytes with the NUL; returns the length the whole text needs,
 * excluding the NUL, so a return >= size means it was cut).
 *
 * Text: integers in decimal, bool as true/false, char arrays as C strings
 * ("bash", escaped, up to the first NUL), other arrays as [ 1, 2 ], structs
 * and unions as { .a = 1, .b = "x" } (bitfields included), enums by
 * enumerator name (the number when none matches), pointers as 0x... in hex,
 * floating point as the shortest decimal that reads back as the same value
 * (0.1, 1e+100).
 * JSON (EMBER_FORMAT_JSON): objects, arrays, numbers, strings, laid out as
 * Python's json.dumps() does ({"a": 1, "b": [1, 2]}); enums as their name
 * string; pointers as "0x..." strings; members of anonymous structs and
 * unions merged into the enclosing object; infinities and NaN as null.
 * data_size is the bytes available at data. type_id 0 (no type): integers
 * of 1, 2, 4 or 8 bytes in decimal, other sizes as a hex string.
 * Errors: -EINVAL (a type ember cannot format, data_size smaller than the
 * type, NULL argument).
 */
EMBER_API int ember_btf_snprintf(const struct btf *btf, uint32_t type_id,
				 const void *data, size_t data_size, char *buf,
				 size_t size, unsigned int flags);
/* As ember_btf_snprintf(), into a malloc'd string the caller frees. */
EMBER_API int ember_btf_asprintf(const struct btf *btf, uint32_t type_id,
				 const void *data, size_t data_size, char **out,
				 unsigned int flags);
/* Format a key of table t (snprintf semantics). */
EMBER_API int ember_table_key_snprintf(const struct ember_table *t,
				       const void *key, char *buf, size_t size,
				       unsigned int flags);
/*
 * Format a value buffer of table t (snprintf semantics). Per-CPU values come
 * out as a list with one element per possible CPU: [ 1, 0, 3 ].
 */
EMBER_API int ember_table_value_snprintf(const struct ember_table *t,
					 const void *value, char *buf,
					 size_t size, unsigned int flags);

/* ------------------------------------------------------------------ */
/* Histograms in BCC's layout                                          */

/* Receives one output line, without its newline. */
typedef void (*ember_line_fn)(const char *line, void *ctx);

/*
 * Formats a two-level histogram's section key (the key struct's first
 * member) into buf, snprintf-style. data points at the member's bytes.
 */
typedef int (*ember_section_fn)(const void *data, size_t data_size, char *buf,
				size_t size, void *ctx);

enum ember_hist_flags {
	/* Skip the empty buckets below the first non-empty one (BCC's
	 * strip_leading_zero). */
	EMBER_HIST_STRIP_LEADING_ZERO = 1u << 0,
	/* Print sections in ascending order of their key (default: the order
	 * the table yields them, as BCC does). */
	EMBER_HIST_SORT_SECTIONS = 1u << 1,
	/* JSON histograms: leave out the "ts" member. */
	EMBER_HIST_NO_TIMESTAMP = 1u << 2,
};

struct ember_hist_opts {
	size_t sz; /* sizeof(struct ember_hist_opts) */
	/* Column header (BCC's val_type). Default "value". */
	const char *val_type;
	/* Label of a section (BCC's section_header). Default "Bucket ptr". */
	const char *section_header;
	unsigned int flags; /* enum ember_hist_flags */
	/* When set, lines go here instead of to the FILE*. */
	ember_line_fn line;
	void *line_ctx;
	/* When set, formats section keys (BCC's section_print_fn). Default:
	 * integers in decimal, char arrays as Python 3 prints bytes (b'bash'),
	 * other types as ember_btf_snprintf() text. */
	ember_section_fn section;
	void *section_ctx;
};

/*
 * Print table t as a log2 histogram, exactly as BCC's print_log2_hist()
 * does: "     value               : count     distribution" and one line per
 * bucket, "%10d -> %-10d : %-8d |stars|" with 40-wide star bars (64-bit
 * wide columns and 20 stars when a bucket above 2^32 is used); buckets from
 * slot 1 up to the last non-empty one. The table is a BPF_HISTOGRAM: keys
 * are slot numbers (0..64) with integer values, or, for a two-level
 * histogram, a struct whose first member is the section and whose second is
 * the slot; each section is then printed after a blank line and
 * "section_header = key". Per-CPU values are summed.
 * Output goes to opts->line when set, else to out.
 * Errors: -EINVAL (no output, key or value not integer-shaped), -ERANGE (a
 * non-empty slot beyond 64), -ENOMEM, lookup errors.
 */
EMBER_API int ember_table_print_log2_hist(struct ember_table *t, FILE *out,
					  const struct ember_hist_opts *opts);
/* As above, BCC's print_linear_hist(): "        %-10d : %-8d |stars|" from
 * slot 0 (slots up to 1024). */
EMBER_API int ember_table_print_linear_hist(struct ember_table *t, FILE *out,
					    const struct ember_hist_opts *opts);
/*
 * BCC's print_json_hist() as JSON, one object per line (per section):
 * {"ts": "YYYY-MM-DD HH:MM:SS", "val_type": "value", "data":
 * [{"interval-start": 0, "interval-end": 1, "count": 3}, ...]} plus
 * "section_header": key for two-level histograms.
 */
EMBER_API int ember_table_print_json_hist(struct ember_table *t, FILE *out,
					  const struct ember_hist_opts *opts);
/* The same layouts over a plain array of slot counts (vals[0..n-1]). */
EMBER_API int ember_print_log2_hist(const uint64_t *vals, size_t n, FILE *out,
				    const struct ember_hist_opts *opts);
EMBER_API int ember_print_linear_hist(const uint64_t *vals, size_t n, FILE *out,
				      const struct ember_hist_opts *opts);

/* ------------------------------------------------------------------ */
/* Stack traces and symbols                                            */

/* Frames a kernel stack trace map entry holds at most. */
#define EMBER_STACK_MAX_DEPTH 127

/*
 * The instruction pointers of stack stack_id (from get_stackid) in stack
 * trace table t, innermost first, into ips[0..max-1]. Returns the number of
 * frames (the entry ends at the first zero). Errors: -EINVAL (not a stack
 * trace table, a build-id stack table, negative id: get_stackid failed in
 * the program), -ENOENT (no such stack, e.g. evicted or cleared).
 */
EMBER_API int ember_table_stack(struct ember_table *t, int64_t stack_id,
				uint64_t *ips, size_t max);

/* A symbol found for an address. Strings are owned by the symbolizer. */
struct ember_sym {
	const char *name; /* symbol name */
	/* Kernel: module name ("ext4"), NULL for the kernel image. User: path
	 * of the binary or library that holds the address. */
	const char *module;
	uint64_t start; /* the symbol's address (kernel) or ELF address */
	uint64_t offset; /* address - start */
};

/* Flags of ember_sym_snprintf() and ember_ksym(). */
enum ember_sym_flags {
	EMBER_SYM_OFFSET = 1u << 0, /* name+0x1f */
	EMBER_SYM_MODULE = 1u << 1, /* name [module] */
};

struct ember_symbolizer;

struct ember_symbolizer_opts {
	size_t sz; /* sizeof(struct ember_symbolizer_opts) */
	/* Read kernel symbols from this file instead of /proc/kallsyms. */
	const char *kallsyms_path;
};

/*
 * A symbol cache: kernel symbols (loaded on first use) and, per process,
 * the mappings and ELF symbol tables (.symtab, else .dynsym; a separate
 * debug file found by build id under /usr/lib/debug/.build-id is used when
 * the binary has no .symtab). Free with ember_symbolizer_free(). One
 * symbolizer must not be used from two threads at once. Errors: -ENOMEM.
 */
EMBER_API int ember_symbolizer_new(const struct ember_symbolizer_opts *opts,
				   struct ember_symbolizer **out);
EMBER_API void ember_symbolizer_free(struct ember_symbolizer *s);
/*
 * Kernel address → symbol (nearest symbol at or below addr). Errors:
 * -ENOENT (below the first symbol), -EACCES (kallsyms shows no addresses:
 * kptr_restrict, or not root), -errno reading kallsyms.
 */
EMBER_API int ember_symbolize_kernel(struct ember_symbolizer *s, uint64_t addr,
				     struct ember_sym *sym);
/*
 * User address of process pid → symbol, from /proc/PID/maps and the ELF
 * file of the mapping. Errors: -ESRCH (no such process), -ENOENT (no mapping
 * or no symbol covers addr), -errno opening files.
 */
EMBER_API int ember_symbolize_user(struct ember_symbolizer *s, int pid,
				   uint64_t addr, struct ember_sym *sym);
/* Forget what is cached about pid (it exec'd or mapped new code). */
EMBER_API void ember_symbolizer_forget_pid(struct ember_symbolizer *s, int pid);
/*
 * Kernel symbol name → address. Errors: -ENOENT, -EACCES as for
 * ember_symbolize_kernel().
 */
EMBER_API int ember_symbolizer_kernel_addr(struct ember_symbolizer *s,
					   const char *name, uint64_t *addr);
/*
 * Format sym as "name", "name+0x1f" (EMBER_SYM_OFFSET), with " [module]"
 * (EMBER_SYM_MODULE, when there is one); sym NULL gives "[unknown]".
 * snprintf semantics.
 */
EMBER_API int ember_sym_snprintf(const struct ember_sym *sym, char *buf,
				 size_t size, unsigned int flags);

/*
 * BCC's ksym(): kernel address → "name" (flags: enum ember_sym_flags) into
 * buf, from a process-wide symbolizer created on first use (thread-safe).
 * Returns the snprintf length, or -ENOENT with "[unknown]" in buf, or
 * -EACCES.
 */
EMBER_API int ember_ksym(uint64_t addr, char *buf, size_t size,
			 unsigned int flags);
/* BCC's ksymname(): kernel symbol name → address. -ENOENT, -EACCES. */
EMBER_API int ember_ksymname(const char *name, uint64_t *addr);

EMBER_END_DECLS

#endif
