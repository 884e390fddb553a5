/* SPDX-License-Identifier: MIT */
/*
 * The BCC vocabulary programs are written in. ember rewrites these forms
 * into plain eBPF C; the declarations here exist so the text parses and so
 * the rewritten text (which may still use some of them) compiles.
 */
#ifndef __EMBER_BCC_H
#define __EMBER_BCC_H

/* bpf_trace_printk is declared per program (compile.c, ember/program.h):
 * a program may declare its own, as libbpf-era samples do. */

/* Probe declarations; ember replaces each use with the expanded text plus
 * the ELF section that names its attach point. */
#define TRACEPOINT_PROBE(category, event)      \
	int tracepoint__##category##__##event( \
		struct tracepoint__##category##__##event *args)
#define RAW_TRACEPOINT_PROBE(event) \
	int raw_tracepoint__##event(struct bpf_raw_tracepoint_args *ctx)

/* Trampoline and LSM probes with typed arguments (libbpf's BPF_PROG); ember
 * gives each the section its name asks for (fentry/, fexit/, fmod_ret/,
 * lsm/). Names as in BCC. */
#define KFUNC_PROBE(event, args...) \
	int BPF_PROG(kfunc__vmlinux__##event, ##args)
#define KRETFUNC_PROBE(event, args...) \
	int BPF_PROG(kretfunc__vmlinux__##event, ##args)
#define KMOD_RET(event, args...) \
	int BPF_PROG(kmod_ret__vmlinux__##event, ##args)
#define LSM_PROBE(hook, args...) int BPF_PROG(lsm__##hook, ##args)

/* Reads of a __data_loc field of a TRACEPOINT_PROBE's args. */
#define TP_DATA_LOC_READ_CONST(dst, field, length)     \
	bpf_probe_read_kernel((void *)(dst), (length), \
			      (char *)args +           \
				      (args->data_loc_##field & 0xFFFF))
#define TP_DATA_LOC_READ(dst, field)                                         \
	bpf_probe_read_kernel((void *)(dst), (args->data_loc_##field >> 16), \
			      (char *)args +                                 \
				      (args->data_loc_##field & 0xFFFF))
#define TP_DATA_LOC_READ_STR(dst, field, length)           \
	bpf_probe_read_kernel_str((void *)(dst), (length), \
				  (char *)args +           \
					  (args->data_loc_##field & 0xFFFF))

/* The kernel's address-space annotation; kept as a BTF type tag so that
 * user pointers stay recognisable. */
#ifndef __user
#define __user __attribute__((btf_type_tag("user")))
#endif

/* Constants programs use that BTF cannot carry (BTF has no #defines). */
#ifndef TASK_COMM_LEN
#define TASK_COMM_LEN 16
#endif

/* Library functions BCC programs call without an #include, as clang's
 * builtins: with a constant size clang expands memset, memcpy and memmove
 * inline (BPF has no libc to call); memcmp it leaves a call, which ember
 * reports at the call (rewrite_calls.c). In parentheses: kernel headers may
 * define them as macros. */
void *(memset)(void *s, int c, unsigned long n);
void *(memcpy)(void *dst, const void *src, unsigned long n);
void *(memmove)(void *dst, const void *src, unsigned long n);
int(memcmp)(const void *a, const void *b, unsigned long n);

/* The license line ember appends stringizes BPF_LICENSE with these. */
#define __EMBER_STR_(x) #x
#define __EMBER_STR(x) __EMBER_STR_(x)

/* floor(log2(v)); 0 for 0 */
static __always_inline unsigned int __ember_floor_log2(unsigned long long v)
{
	unsigned int r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r;
}

/* As BCC: bpf_log2(v) is floor(log2(v)); bpf_log2l(v) is one more, the
 * slot of v in a log2 histogram (slot n holds 2^(n-1) .. 2^n - 1). */
static __always_inline unsigned int bpf_log2(unsigned int v)
{
	return __ember_floor_log2(v);
}

static __always_inline unsigned int bpf_log2l(unsigned long v)
{
	return __ember_floor_log2(v) + 1;
}

#define lock_xadd(ptr, val) ((void)__sync_fetch_and_add(ptr, val))

/*
 * Packet access for socket filters, as BCC: a packet is walked with a
 * cursor that starts at 0 and holds offsets into it, and the header structs
 * (bcc/proto.h, or the program's own marked BPF_PACKET_HEADER) are read
 * through it; ember rewrites those field accesses into the loads below
 * (rewrite_packet_fields.c).
 */
#define BPF_PACKET_HEADER \
	__attribute__((packed)) __attribute__((annotate("bcc_packet_header")))
#define cursor_advance(_cursor, _len)         \
	({                                    \
		void *__ember_at = (_cursor); \
		(_cursor) += (_len);          \
		__ember_at;                   \
	})

/* The classic BPF packet loads (BPF_LD_ABS/IND): bytes at off of the
 * packet, in network order, returned in host order. */
unsigned long long load_byte(void *skb,
			     unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb,
			     unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb,
			     unsigned long long off) asm("llvm.bpf.load.word");

#define __EMBER_BITS(n) ((n) >= 64 ? ~0ULL : (1ULL << (n)) - 1)

/* The bits [bofs, bofs + bsz) (from the most significant) of the packet
 * from byte off, as an integer. */
static __always_inline unsigned long long bpf_dext_pkt(void *pkt,
						       unsigned long long off,
						       unsigned long long bofs,
						       unsigned long long bsz)
{
	if (bofs + bsz <= 8)
		return (load_byte(pkt, off) >> (8 - bofs - bsz)) &
		       __EMBER_BITS(bsz);
	if (bofs + bsz <= 16)
		return (load_half(pkt, off) >> (16 - bofs - bsz)) &
		       __EMBER_BITS(bsz);
	if (bofs + bsz <= 32)
		return (load_word(pkt, off) >> (32 - bofs - bsz)) &
		       __EMBER_BITS(bsz);
	if (bofs + bsz <= 64)
		return ((load_word(pkt, off) << 32 | load_word(pkt, off + 4)) >>
			(64 - bofs - bsz)) &
		       __EMBER_BITS(bsz);
	return 0;
}

/* Store val into those bits: the bytes around them are read, changed and
 * written back in network order. */
static __always_inline void bpf_dins_pkt(void *pkt, unsigned long long off,
					 unsigned long long bofs,
					 unsigned long long bsz,
					 unsigned long long val)
{
	unsigned long long width = bofs + bsz <= 8    ? 8
				   : bofs + bsz <= 16 ? 16
				   : bofs + bsz <= 32 ? 32
						      : 64;
	unsigned long long shift = width - bofs - bsz;
	unsigned long long mask = __EMBER_BITS(bsz) << shift;
	unsigned long long v = bpf_dext_pkt(pkt, off, 0, width);
	unsigned char bytes[8];

	v = (v & ~mask) | ((val << shift) & mask);
	for (int i = (int)width / 8 - 1; i >= 0; i--) {
		bytes[i] = v & 0xff;
		v >>= 8;
	}
	bpf_skb_store_bytes(pkt, off, bytes, width / 8, 0);
}

/*
 * Incremental checksum updates after a header field changed from oldval to
 * newval (host order), as BCC: off is where the checksum is (an address
 * made with cursor_advance(), or an offset). l4 with pseudo set also folds
 * the change into the pseudo-header part (a changed IP address). ember
 * rewrites each call (rewrite_packet_fields.c) into __ember_incr_cksum_*
 * with the packet (the function's first parameter) and sizeof newval as
 * written, which picks the kernel's field size (2 or 4 bytes).
 */
int incr_cksum_l3(void *off, __u64 oldval, __u64 newval);
int incr_cksum_l4(void *off, __u64 oldval, __u64 newval, __u64 pseudo);

static __always_inline int __ember_csum_replace(void *skb, int layer, __u64 off,
						__u64 from, __u64 to,
						__u64 flags)
{
	/* the kernel takes the values as they are in the packet */
	switch (flags & BPF_F_HDR_FIELD_MASK) {
	case 2:
		from = bpf_htons(from);
		to = bpf_htons(to);
		break;
	case 4:
		from = bpf_htonl(from);
		to = bpf_htonl(to);
		break;
	case 8:
		from = bpf_cpu_to_be64(from);
		to = bpf_cpu_to_be64(to);
		break;
	}
	if (layer == 3)
		return bpf_l3_csum_replace(skb, off, from, to, flags);
	return bpf_l4_csum_replace(skb, off, from, to, flags);
}

#define __ember_incr_cksum_l3(skb, size, off, from, to) \
	__ember_csum_replace(skb, 3, (__u64)(off), from, to, size)
#define __ember_incr_cksum_l4(skb, size, off, from, to, pseudo) \
	__ember_csum_replace(skb, 4, (__u64)(off), from, to,    \
			     (((pseudo)&1) ? BPF_F_PSEUDO_HDR : 0) | (size))

/* ---- the rest of BCC's helpers.h vocabulary ---- */

/* perf_read(), perf_counter_value(): the counter of the running CPU */
#define CUR_CPU_IDENTIFIER BPF_F_CURRENT_CPU
#define BPF_MAX_STACK_DEPTH 127
#define MASK(_n) ((_n) < 64 ? (1ull << (_n)) - 1 : ((__u64)-1LL))
#define MASK128(_n)                                      \
	((_n) < 128 ? ((unsigned __int128)1 << (_n)) - 1 \
		    : ((unsigned __int128)-1))

/* bpf_ntohs/htons/ntohl/htonl come from libbpf's bpf_endian.h */
#define bpf_ntohll(x) bpf_be64_to_cpu(x)
#define bpf_htonll(x) bpf_cpu_to_be64(x)
static __always_inline unsigned __int128 bpf_ntoh128(unsigned __int128 v)
{
	return ((unsigned __int128)bpf_ntohll((__u64)v) << 64) |
	       bpf_ntohll((__u64)(v >> 64));
}
#define bpf_hton128(x) bpf_ntoh128(x)

/* BCC's stack id with the table first (BPF_STACK_TRACE's get_stackid()
 * is the usual way) */
static __always_inline int bcc_get_stackid(unsigned long map, void *ctx,
					   __u64 flags)
{
	return bpf_get_stackid(ctx, (void *)map, flags);
}

/* The number of online CPUs when the program was compiled, as BCC (ember
 * defines __EMBER_NUM_CPUS in ember/program.h for texts that use it). */
#define bpf_num_cpus() (__EMBER_NUM_CPUS)

#ifdef PT_REGS_PARM6
#define PT_REGS_PARM6_SYSCALL(ctx) PT_REGS_PARM6(ctx)
#endif

#endif
