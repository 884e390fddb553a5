/* SPDX-License-Identifier: MIT */
/*
 * Part of ember's public API; included by <ember/ember.h>.
 *
 * What programs send to the host: perf buffers (BPF_PERF_OUTPUT), ring
 * buffers (BPF_RINGBUF_OUTPUT), and the decoding of one event by field name
 * from the program's BTF (BCC's b["events"].event(data)).
 *
 * Readers duplicate the file descriptors they need, so a reader may outlive
 * the module it was opened on (and keeps its tables alive until freed). One
 * reader must not be used from two threads at once; distinct readers may.
 */
#ifndef EMBER_OUTPUT_H
#define EMBER_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ember/common.h>

#include <ember/table.h> /* EMBER_FORMAT_JSON */

EMBER_BEGIN_DECLS

struct ember_module;

/* ------------------------------------------------------------------ */
/* Perf buffers: BPF_PERF_OUTPUT / BPF_MAP_TYPE_PERF_EVENT_ARRAY       */

struct ember_perf_reader;

/*
 * One event as the program submitted it with perf_submit(). data is valid
 * only during the call. size may exceed what the program sent by up to 7
 * bytes: the kernel pads perf samples to 8 bytes.
 */
typedef void (*ember_perf_sample_fn)(void *ctx, int cpu, const void *data,
				     uint32_t size);
/*
 * cnt events were lost on cpu because its buffer was full. The kernel
 * reports a loss in front of the next event that fits in that CPU's buffer,
 * so losses at the very end of a burst show up with the next event.
 */
typedef void (*ember_perf_lost_fn)(void *ctx, int cpu, uint64_t cnt);

struct ember_perf_reader_opts {
	size_t sz; /* sizeof(struct ember_perf_reader_opts) */
	/* Buffer size per CPU in pages, a power of two. 0: 64 (BCC's Python
	 * default is 8, which overflows at a few 100k events/s). */
	size_t page_cnt;
	/*
	 * When the kernel wakes the poller. 0 (the default): when a CPU's
	 * buffer is a quarter full; the reader's fd is also readable, and
	 * ember_perf_reader_poll() reads every buffer, at least every 10 ms,
	 * so an event waits at most ~10 ms (a poll with timeout -1 returns
	 * once events came; an idle reader wakes 100 times a second).
	 * 1: once per event, as BCC's Python module does by default; each
	 * wake-up costs the program an interrupt (measured here: 10-20 us,
	 * a producer held to 0.05-0.1M events/s). N > 1: once per N events,
	 * with the same 10 ms bound for those short of N.
	 */
	unsigned int wakeup_events;
};

/*
 * Open a perf buffer on every online CPU for the perf event array table of
 * a loaded module, with sample called for every event and lost for every
 * loss report (either NULL: only count them), both given ctx; callbacks are
 * arguments, as for ember_ring_reader_new() and libbpf's perf_buffer__new().
 * *out receives a reader freed with ember_perf_reader_free().
 * Errors: -EINVAL (bad arguments, table is not a perf event array, page_cnt
 * not a power of two, opts with fields this version does not know),
 * -ENOENT (no such table), -ENODEV (module not loaded), -ENOMEM, or what
 * perf_event_open()/mmap() failed with.
 */
EMBER_API int ember_perf_reader_new(struct ember_module *m, const char *table,
				    ember_perf_sample_fn sample,
				    ember_perf_lost_fn lost, void *ctx,
				    const struct ember_perf_reader_opts *opts,
				    struct ember_perf_reader **out);

/*
 * Wait up to timeout_ms (< 0: forever, 0: not at all) for events, then
 * deliver what the ready buffers hold. Returns the number of events
 * delivered (0 on timeout) or a negative errno (-EINTR when a signal
 * interrupted the wait).
 */
EMBER_API int ember_perf_reader_poll(struct ember_perf_reader *r,
				     int timeout_ms);

/* Deliver everything every buffer holds, without waiting. Returns the
 * number of events delivered or a negative errno. */
EMBER_API int ember_perf_reader_consume(struct ember_perf_reader *r);

/* An epoll file descriptor (owned by the reader) for the host's own event
 * loop: readable when events wait (with wakeup_events != 1, also every
 * 10 ms); call ember_perf_reader_consume() when it is. */
EMBER_API int ember_perf_reader_fd(const struct ember_perf_reader *r);

struct ember_perf_reader_stats {
	size_t sz; /* sizeof(struct ember_perf_reader_stats), set by the caller */
	uint64_t delivered; /* events passed to the sample callback */
	uint64_t lost; /* events the kernel reported lost (buffer full) */
};

/* Counters since the reader was opened, into the first st->sz bytes of st.
 * Returns 0 or -EINVAL. */
EMBER_API int ember_perf_reader_stats(const struct ember_perf_reader *r,
				      struct ember_perf_reader_stats *st);

/* Close the buffers and free the reader. NULL is a no-op. */
EMBER_API void ember_perf_reader_free(struct ember_perf_reader *r);

/* ------------------------------------------------------------------ */
/* Ring buffers: BPF_RINGBUF_OUTPUT / BPF_MAP_TYPE_RINGBUF              */

struct ember_ring_reader;

/*
 * One event as the program submitted it (ringbuf_output or
 * ringbuf_reserve + ringbuf_submit); data is valid only during the call.
 * Return 0 to go on; a negative errno stops the poll, which returns it.
 */
typedef int (*ember_ring_sample_fn)(void *ctx, const void *data, size_t size);

struct ember_ring_reader_opts {
	size_t sz; /* sizeof(struct ember_ring_reader_opts) */
	/*
	 * After a wake-up, let events gather this many microseconds before
	 * reading them (at most 1000000). The program wakes the reader for
	 * each event that finds the ring empty, and a wake-up costs it
	 * several microseconds on some machines (measured here: a producer
	 * slowed from 5.8M to 0.74M events/s); gathering spares the events
	 * that arrive meanwhile. 0: the default, 50; negative: read at once.
	 * A ring must hold what arrives in that time, or events are dropped
	 * (and counted).
	 */
	int batch_us;
};

/*
 * Open a reader on the ring buffer table of a loaded module, with cb (NULL:
 * count only) called for each of its events. More rings, of this module or
 * others, join the same poller with ember_ring_reader_add().
 * Errors: -EINVAL (bad arguments, table is not a ring buffer), -ENOENT (no
 * such table), -ENODEV (module not loaded), -ENOMEM.
 */
EMBER_API int ember_ring_reader_new(struct ember_module *m, const char *table,
				    ember_ring_sample_fn cb, void *ctx,
				    const struct ember_ring_reader_opts *opts,
				    struct ember_ring_reader **out);

/* Add the ring buffer table of module m to the reader. Errors as
 * ember_ring_reader_new(), and -EEXIST when that ring is already read. */
EMBER_API int ember_ring_reader_add(struct ember_ring_reader *r,
				    struct ember_module *m, const char *table,
				    ember_ring_sample_fn cb, void *ctx);

/*
 * Wait up to timeout_ms (< 0: forever, 0: not at all) for events on any
 * ring, then deliver what the rings hold. Returns the number of events
 * delivered (0 on timeout) or a negative errno (a callback's, or -EINTR).
 */
EMBER_API int ember_ring_reader_poll(struct ember_ring_reader *r,
				     int timeout_ms);

/* Deliver everything the rings hold, without waiting. Returns the number of
 * events delivered or a negative errno. */
EMBER_API int ember_ring_reader_consume(struct ember_ring_reader *r);

/* An epoll file descriptor readable when events wait (owned by the reader). */
EMBER_API int ember_ring_reader_fd(const struct ember_ring_reader *r);

struct ember_ring_reader_stats {
	size_t sz; /* sizeof(struct ember_ring_reader_stats), set by the caller */
	uint64_t delivered; /* events passed to the callback by this reader */
	/*
	 * Events the program could not put into the ring because it was full
	 * (ringbuf_output failed, ringbuf_reserve returned NULL), counted in
	 * the program since the module was loaded, summed over CPUs.
	 */
	uint64_t dropped;
	/* Rings whose program does not count its drops (a ring declared in
	 * libbpf's own form without ember's __ember_ringbuf_drops counter):
	 * their drops are unknown and not in dropped. */
	unsigned int uncounted;
};

/*
 * Counters of the ring buffer table (of any module read) named table, or of
 * all rings of the reader when table is NULL, into the first st->sz bytes
 * of st. Reads the program's drop counters now. Returns 0, -ENOENT (the
 * reader has no such ring) or the errno of reading the counters.
 */
EMBER_API int ember_ring_reader_stats(const struct ember_ring_reader *r,
				      const char *table,
				      struct ember_ring_reader_stats *st);

/* Unmap the rings and free the reader. NULL is a no-op. */
EMBER_API void ember_ring_reader_free(struct ember_ring_reader *r);

/* ------------------------------------------------------------------ */
/* Events by field name (BCC's b["events"].event(data))                */

struct ember_event_type;

/*
 * Describe the type of the events of a module's perf or ring table from the
 * module's BTF. type_name NULL: the type the program submitted through
 * table (recorded by the compiler for perf_submit, ringbuf_output,
 * ringbuf_reserve). Otherwise type_name names it ("struct data_t",
 * "union u", "enum e", a typedef, "u32", "char[16]"), and table may be
 * NULL; use this for tables declared in libbpf's form. The type holds its
 * own copy of the BTF it needs: it may outlive the module. Threads may share
 * a type for reading and formatting events; ember_event_type_field_by_name()
 * must not run on it at the same time as anything else.
 * Errors: -EINVAL (bad arguments), -ENOENT (no such table, nothing was
 * submitted through it, or no such type in the BTF), -ENODEV (module not
 * loaded), -ENOMEM.
 */
EMBER_API int ember_event_type_new(struct ember_module *m, const char *table,
				   const char *type_name,
				   struct ember_event_type **out);

EMBER_API void ember_event_type_free(struct ember_event_type *t);

/* The type's spelling ("struct data_t") and size in bytes. */
EMBER_API const char *ember_event_type_name(const struct ember_event_type *t);
EMBER_API size_t ember_event_type_size(const struct ember_event_type *t);

enum ember_field_kind {
	EMBER_FIELD_INT, /* integers, bool, single chars (see is_signed) */
	EMBER_FIELD_ENUM,
	EMBER_FIELD_FLOAT,
	EMBER_FIELD_POINTER,
	EMBER_FIELD_STRING, /* char array: text up to the first NUL */
	EMBER_FIELD_ARRAY, /* any other array */
	EMBER_FIELD_STRUCT, /* struct or union */
};

/* One field of an event type; owned by the type. */
struct ember_event_field {
	const char *name;
	const char *type_name; /* C spelling: "u32", "char[16]", "struct x" */
	enum ember_field_kind kind;
	size_t offset; /* bytes from the start of the event */
	size_t size; /* bytes (bitfields: 0) */
	unsigned int bit_offset; /* bitfields: bits after offset, else 0 */
	unsigned int bit_size; /* bitfields: width in bits, else 0 */
	bool is_signed; /* integers and enums */
	size_t elems; /* arrays and strings: number of elements */
};

/*
 * The fields of a struct or union event type in declaration order (members
 * of anonymous structs and unions inline). A type that is not a struct or
 * union has none.
 */
EMBER_API size_t ember_event_type_field_cnt(const struct ember_event_type *t);
/* Field i (< ember_event_type_field_cnt()), or NULL. */
EMBER_API const struct ember_event_field *
ember_event_type_field(const struct ember_event_type *t, size_t i);
/*
 * The field named name, where "a.b" reaches member b of the struct member
 * a; the returned description is owned by the type and stays valid until
 * it is freed. NULL when there is no such field (ember_errmsg() says why).
 */
EMBER_API const struct ember_event_field *
ember_event_type_field_by_name(struct ember_event_type *t, const char *name);

/* One event: a view over bytes the caller owns. */
struct ember_event {
	const struct ember_event_type *type;
	const void *data;
	size_t size;
};

/*
 * Typed getters. field names a field as ember_event_type_field_by_name()
 * does; NULL or "" means the whole event (when it is a scalar).
 * _u64: integers, enums, bool, pointers (zero- or sign-extended as their
 * type says, then as u64); _i64 the same, signed; _double also floats.
 * Errors: -ENOENT (no such field), -EINVAL (field is not of a fitting
 * kind), -ENODATA (the event is too short to hold the field).
 */
EMBER_API int ember_event_field_u64(const struct ember_event *ev,
				    const char *field, uint64_t *val);
EMBER_API int ember_event_field_i64(const struct ember_event *ev,
				    const char *field, int64_t *val);
EMBER_API int ember_event_field_double(const struct ember_event *ev,
				       const char *field, double *val);
/*
 * A char array field as a string: copied up to its first NUL into buf
 * (always NUL-terminated when size > 0). Returns the string's full length,
 * as snprintf() does (truncated when >= size), or a negative errno as above.
 */
EMBER_API int ember_event_field_str(const struct ember_event *ev,
				    const char *field, char *buf, size_t size);
/* Address of a field's bytes inside ev->data (its size in *size), or NULL. */
EMBER_API const void *ember_event_field_ptr(const struct ember_event *ev,
					    const char *field, size_t *size);

/*
 * Format a whole event as one line: "pid=1 uid=0 comm=bash" (char arrays as
 * text up to their NUL, nested structs as {a=1 b=2}, arrays as [1,2], enums
 * by name, pointers in hex, floats as ember_btf_snprintf() has them) or, with
 * EMBER_FORMAT_JSON (<ember/table.h>), as one JSON object in the conventions
 * of ember_btf_snprintf(). Fields the event is too short to hold are left
 * out. Writes at most size bytes
 * (NUL-terminated when size > 0) and returns the length of the whole text
 * as snprintf() does, or a negative errno.
 */
EMBER_API int ember_event_format(const struct ember_event *ev,
				 unsigned int flags, char *buf, size_t size);
/* The same, to a stream. Returns 0 or a negative errno (-EIO). */
EMBER_API int ember_event_fprint(const struct ember_event *ev,
				 unsigned int flags, FILE *f);

EMBER_END_DECLS

#endif
