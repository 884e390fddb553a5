/* SPDX-License-Identifier: MIT */
/*
 * What ember's implicit kernel reads expand to (rewrite_kernel_reads.c).
 * BCC programs write task->real_parent->tgid; a BPF program may not load
 * from kernel memory directly, so ember wraps each such read:
 *   __ember_kread(__ember_kread(task->real_parent)->tgid)
 * The address is taken with &(x) on a type from BTF, which carries
 * preserve_access_index: clang records a CO-RE relocation for every field
 * on the way, so the offsets are the running kernel's, not the ones the
 * types were dumped with.
 */
#ifndef __EMBER_KERNEL_READS_H
#define __EMBER_KERNEL_READS_H

/* One read of lvalue x from kernel (user) memory; x is expanded once. The
 * helpers zero the destination when the read faults. */
#define __ember_read(fn, x)                                           \
	({                                                            \
		__auto_type __ember_p = &(x);                         \
		__typeof__(*__ember_p) __ember_v;                     \
		fn((void *)&__ember_v, sizeof(__ember_v), __ember_p); \
		__ember_v;                                            \
	})
#define __ember_kread(x) __ember_read(bpf_probe_read_kernel, x)
#define __ember_uread(x) __ember_read(bpf_probe_read_user, x)

/* A bitfield has no address: libbpf reads the bytes holding it with the
 * CO-RE byte offset and size, then shifts. */
#define __ember_kread_bitfield(s, field) BPF_CORE_READ_BITFIELD_PROBED(s, field)

/*
 * A string in kernel (user) memory, for a %s of bpf_trace_printk: read into
 * a buffer on the stack. The buffer is an array member of a struct value,
 * which lives until the end of the full expression (C11 6.2.4p8), that is
 * across the call it is an argument of. An array is read whole up to its
 * size; a char pointer up to __EMBER_STR_MAX bytes.
 */
#define __EMBER_STR_MAX 128
#define __ember_str_size(p)                                                \
	__builtin_choose_expr(__builtin_types_compatible_p(                \
				      __typeof__(p), __typeof__(&(p)[0])), \
			      __EMBER_STR_MAX, sizeof(p))
#define __ember_str(fn, p)                                  \
	(({                                                 \
		 struct {                                   \
			 char s[__ember_str_size(p)];       \
		 } __ember_t;                               \
		 fn(__ember_t.s, sizeof(__ember_t.s), (p)); \
		 __ember_t;                                 \
	 }).s)
#define __ember_kstr(p) __ember_str(bpf_probe_read_kernel_str, p)
#define __ember_ustr(p) __ember_str(bpf_probe_read_user_str, p)

/*
 * A key or value handed to a map helper, or data to a perf/ring buffer,
 * must be on the stack or in a map: a pointer into kernel memory is copied
 * to a zeroed stack temporary first (an array of chars as a string, so that
 * equal strings make equal keys).
 */
#define __ember_copy(fn, p)                                      \
	(({                                                      \
		 struct {                                        \
			 __typeof__(*(p)) v[1];                  \
		 } __ember_t = {};                               \
		 fn((void *)&__ember_t, sizeof(__ember_t), (p)); \
		 __ember_t;                                      \
	 }).v)
#define __ember_copy_array(fn, fn_str, a)                                    \
	(({                                                                  \
		 struct {                                                    \
			 __typeof__(a) v;                                    \
		 } __ember_t = {};                                           \
		 if (sizeof((a)[0]) == 1)                                    \
			 fn_str((void *)&__ember_t, sizeof(__ember_t), (a)); \
		 else                                                        \
			 fn((void *)&__ember_t, sizeof(__ember_t), (a));     \
		 __ember_t;                                                  \
	 }).v)
#define __ember_kcopy(p) __ember_copy(bpf_probe_read_kernel, p)
#define __ember_ucopy(p) __ember_copy(bpf_probe_read_user, p)
#define __ember_kcopy_array(a) \
	__ember_copy_array(bpf_probe_read_kernel, bpf_probe_read_kernel_str, a)
#define __ember_ucopy_array(a) \
	__ember_copy_array(bpf_probe_read_user, bpf_probe_read_user_str, a)

/* memcpy() from kernel (user) memory */
#define __ember_kmemcpy(dst, src, n) bpf_probe_read_kernel((dst), (n), (src))
#define __ember_umemcpy(dst, src, n) bpf_probe_read_user((dst), (n), (src))

#endif
