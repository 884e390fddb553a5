/* SPDX-License-Identifier: MIT */
/*
 * Tracepoint formats → the `args` struct of TRACEPOINT_PROBE programs, laid
 * out at exactly the offsets tracefs reports for the running kernel.
 */
#ifndef EMBER_KERNEL_TRACEPOINT_FORMAT_H
#define EMBER_KERNEL_TRACEPOINT_FORMAT_H

/*
 * Build `struct <struct_name> { ... };` from the text of a tracefs
 * events/CAT/EVENT/format file. Pure: no I/O. The common_* fields and holes
 * become `char __pad_<offset>[n]`; scalars become __u8..__s64 by size and
 * signedness; `__data_loc T[] x` becomes `__u32 data_loc_x`; pointers keep
 * their type only when it is built from plain C types or struct/union/enum
 * tags (else `void *`). The __u8..__s64 typedefs must be in scope where the
 * text is compiled. *c_text is malloc'd; the caller frees it.
 * Returns 0, -EINVAL (malformed format, with a message) or -ENOMEM.
 */
int ember__tracepoint_struct_from_format(const char *format_text,
					 const char *struct_name,
					 char **c_text);

/*
 * Read events/<category>/<event>/format from tracefs and build the struct.
 * -ENOENT when the tracepoint does not exist.
 */
int ember__tracepoint_struct(const char *category, const char *event,
			     const char *struct_name, char **c_text);

/*
 * The text of events/<category>/<event>/format (*format malloc'd), or when
 * tracefs is root's, the same written from the kernel's BTF: 0 or -errno
 * with ember_errmsg(); -ENOENT when the tracepoint does not exist.
 */
int ember__tracepoint_format(const char *category, const char *event,
			     char **format);

/* ember__tracepoint_struct_from_format of category:event's format, its
 * error said of the tracepoint. */
int ember__tracepoint_struct_of(const char *category, const char *event,
				const char *format, const char *struct_name,
				char **c_text);

/* The tracepoint's id (events/<category>/<event>/id, > 0) or -errno. */
int ember__tracepoint_id(const char *category, const char *event);

#endif
