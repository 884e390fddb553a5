/* SPDX-License-Identifier: MIT */
/*
 * The kernel's function-like macros and small static inlines that BCC
 * programs call as if they had the kernel's headers (BCC compiles against
 * them; ember serves the types from BTF, which has no macros and no
 * inlines). Written by ember from what each one is documented to do, with
 * kernel-field reads through CO-RE like the rest of ember.
 *
 * Where the values come from, by family:
 *  - byte order, min/max, bits, 64-bit division, READ_ONCE, likely: pure C
 *    semantics, the same on every kernel;
 *  - S_IF* / S_IS*, O_*, errno, NAME_MAX, NSEC_PER_*, SCM_RIGHTS: uapi
 *    numbers, fixed by the kernel's ABI (x86/arm64/generic values; the few
 *    architectures that differ are noted);
 *  - task states below 0x1000: unchanged since Linux 4.14, older than the
 *    first kernel with BTF, so the same on every kernel ember can run on;
 *  - FMODE_* (internal to linux/fs.h, in neither BTF nor the config):
 *    only those whose bit has not moved since before BTF (Linux 5.2) up
 *    to 6.18: READ, WRITE, EXEC and CREATED (1 << 20 since it appeared
 *    in 4.19); the others were renumbered and are not defined;
 *  - array lengths the kernel fixes by #define (DNAME_INLINE_LEN,
 *    DISK_NAME_LEN, IFNAMSIZ): generated from the running kernel's BTF
 *    into ember/kernel_types.h, as the length of the member they size;
 *  - LINUX_VERSION_CODE, CONFIG_*, PAGE_SIZE/PAGE_SHIFT: generated from the
 *    running kernel (ember/kernel_config.h).
 *
 * Only with kernel types from BTF: with the kernel_headers option the
 * kernel's own headers define all of this for the kernel they describe.
 */
#ifndef __EMBER_KERNEL_COMPAT_H
#define __EMBER_KERNEL_COMPAT_H

#ifdef __EMBER_KERNEL_TYPES__

/* ---- IS_ENABLED() and friends over the CONFIG_* of kernel_config.h ----
 * CONFIG_X is 1 when built in, CONFIG_X_MODULE 1 when a module. A macro
 * that expands to 1 turns into "__ember_kc_1" below, which expands to a
 * comma: the second argument picked is then 1, else it is 0. */
#define __ember_kc_1 ,
#define __ember_kc_second(_ignored, val, ...) val
#define __ember_kc_pick(junk_or_comma) __ember_kc_second(junk_or_comma 1, 0)
#define __ember_kc_paste(val) __ember_kc_pick(__ember_kc_##val)
#define __ember_kc_is_one(x) __ember_kc_paste(x)
#ifndef IS_BUILTIN
#define IS_BUILTIN(option) __ember_kc_is_one(option)
#define IS_MODULE(option) __ember_kc_is_one(option##_MODULE)
#define IS_ENABLED(option) (IS_BUILTIN(option) || IS_MODULE(option))
#define IS_REACHABLE(option) IS_ENABLED(option)
#endif

/* ---- compiler helpers (linux/compiler.h) ------------------------------ */
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif
#ifndef READ_ONCE
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val) (*(volatile __typeof__(x) *)&(x) = (val))
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))
#endif
#ifndef __maybe_unused
#define __maybe_unused __attribute__((unused))
#endif
#ifndef __packed
#define __packed __attribute__((packed))
#endif
#ifndef __aligned
#define __aligned(x) __attribute__((aligned(x)))
#endif
/* __noinline only: a "noinline" macro would break the common
 * __attribute__((noinline)) spelling */
#ifndef __noinline
#define __noinline __attribute__((__noinline__))
#endif

/* ---- byte order (linux/byteorder/generic.h; BPF targets are LE or BE
 * as the host) ---------------------------------------------------------- */
#define ntohs(x) bpf_ntohs(x)
#define htons(x) bpf_htons(x)
#define ntohl(x) bpf_ntohl(x)
#define htonl(x) bpf_htonl(x)
#define swab16(x) ((__u16)__builtin_bswap16((__u16)(x)))
#define swab32(x) ((__u32)__builtin_bswap32((__u32)(x)))
#define swab64(x) ((__u64)__builtin_bswap64((__u64)(x)))
#define be16_to_cpu(x) bpf_ntohs(x)
#define be32_to_cpu(x) bpf_ntohl(x)
#define be64_to_cpu(x) bpf_be64_to_cpu(x)
#define cpu_to_be16(x) bpf_htons(x)
#define cpu_to_be32(x) bpf_htonl(x)
#define cpu_to_be64(x) bpf_cpu_to_be64(x)
#define __be16_to_cpu(x) be16_to_cpu(x)
#define __be32_to_cpu(x) be32_to_cpu(x)
#define __be64_to_cpu(x) be64_to_cpu(x)
#define __cpu_to_be16(x) cpu_to_be16(x)
#define __cpu_to_be32(x) cpu_to_be32(x)
#define __cpu_to_be64(x) cpu_to_be64(x)
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define le16_to_cpu(x) ((__u16)(x))
#define le32_to_cpu(x) ((__u32)(x))
#define le64_to_cpu(x) ((__u64)(x))
#else
#define le16_to_cpu(x) swab16(x)
#define le32_to_cpu(x) swab32(x)
#define le64_to_cpu(x) swab64(x)
#endif
#define cpu_to_le16(x) le16_to_cpu(x)
#define cpu_to_le32(x) le32_to_cpu(x)
#define cpu_to_le64(x) le64_to_cpu(x)
#define __le16_to_cpu(x) le16_to_cpu(x)
#define __le32_to_cpu(x) le32_to_cpu(x)
#define __le64_to_cpu(x) le64_to_cpu(x)

/* ---- min/max (linux/minmax.h): each argument evaluated once ----------- */
#define min(x, y)                                              \
	({                                                     \
		__auto_type __ember_x = (x);                   \
		__auto_type __ember_y = (y);                   \
		__ember_x < __ember_y ? __ember_x : __ember_y; \
	})
#define max(x, y)                                              \
	({                                                     \
		__auto_type __ember_x = (x);                   \
		__auto_type __ember_y = (y);                   \
		__ember_x > __ember_y ? __ember_x : __ember_y; \
	})
#define min_t(type, x, y)                                      \
	({                                                     \
		type __ember_x = (x);                          \
		type __ember_y = (y);                          \
		__ember_x < __ember_y ? __ember_x : __ember_y; \
	})
#define max_t(type, x, y)                                      \
	({                                                     \
		type __ember_x = (x);                          \
		type __ember_y = (y);                          \
		__ember_x > __ember_y ? __ember_x : __ember_y; \
	})
#define min3(x, y, z) min((__typeof__(x))min(x, y), z)
#define max3(x, y, z) max((__typeof__(x))max(x, y), z)
#define clamp(val, lo, hi) min((__typeof__(val))max(val, lo), hi)
#define clamp_t(type, val, lo, hi) min_t(type, max_t(type, val, lo), hi)
#define clamp_val(val, lo, hi) clamp_t(__typeof__(val), val, lo, hi)
#define swap(a, b)                             \
	do {                                   \
		__typeof__(a) __ember_t = (a); \
		(a) = (b);                     \
		(b) = __ember_t;               \
	} while (0)

/* ---- bits and rounding (linux/bits.h, linux/math.h, linux/align.h) ---- */
#define BITS_PER_BYTE 8
#define BITS_PER_LONG (8 * (int)sizeof(long))
#define BITS_PER_LONG_LONG 64
#define BIT(nr) (1UL << (nr))
#define BIT_ULL(nr) (1ULL << (nr))
#define GENMASK(h, l) ((~0UL << (l)) & (~0UL >> (BITS_PER_LONG - 1 - (h))))
#define GENMASK_ULL(h, l) ((~0ULL << (l)) & (~0ULL >> (63 - (h))))
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))
#define DIV_ROUND_UP_ULL(n, d) DIV_ROUND_UP((unsigned long long)(n), (d))
#define roundup(x, y) ((((x) + ((y)-1)) / (y)) * (y))
#define rounddown(x, y) ((x) - ((x) % (y)))
#define round_up(x, y) ((((x)-1) | ((__typeof__(x))((y)-1))) + 1)
#define round_down(x, y) ((x) & ~((__typeof__(x))((y)-1)))
#define ALIGN(x, a) round_up(x, (__typeof__(x))(a))
#define ALIGN_DOWN(x, a) round_down(x, (__typeof__(x))(a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)
#define upper_32_bits(n) ((__u32)(((n) >> 16) >> 16))
#define lower_32_bits(n) ((__u32)((n)&0xffffffff))

/* ---- limits (linux/limits.h) ------------------------------------------ */
#define U8_MAX ((__u8)~0U)
#define S8_MAX ((__s8)(U8_MAX >> 1))
#define S8_MIN ((__s8)(-S8_MAX - 1))
#define U16_MAX ((__u16)~0U)
#define S16_MAX ((__s16)(U16_MAX >> 1))
#define S16_MIN ((__s16)(-S16_MAX - 1))
#define U32_MAX ((__u32)~0U)
#define S32_MAX ((__s32)(U32_MAX >> 1))
#define S32_MIN ((__s32)(-S32_MAX - 1))
#define U64_MAX ((__u64)~0ULL)
#define S64_MAX ((__s64)(U64_MAX >> 1))
#define S64_MIN ((__s64)(-S64_MAX - 1))
#ifndef INT_MAX
#define INT_MAX ((int)(~0U >> 1))
#define INT_MIN (-INT_MAX - 1)
#define UINT_MAX (~0U)
#define LONG_MAX ((long)(~0UL >> 1))
#define LONG_MIN (-LONG_MAX - 1)
#define ULONG_MAX (~0UL)
#define LLONG_MAX ((long long)(~0ULL >> 1))
#define LLONG_MIN (-LLONG_MAX - 1)
#define ULLONG_MAX (~0ULL)
#endif

/* ---- time (linux/time64.h, vdso/time64.h) ----------------------------- */
#define MSEC_PER_SEC 1000L
#define USEC_PER_MSEC 1000L
#define NSEC_PER_USEC 1000L
#define NSEC_PER_MSEC 1000000L
#define USEC_PER_SEC 1000000L
#define NSEC_PER_SEC 1000000000L

/* ---- 64-bit division (linux/math64.h): BPF divides 64 bits natively --- */
static __always_inline __u64 div_u64(__u64 dividend, __u32 divisor)
{
	return dividend / divisor;
}

static __always_inline __s64 div_s64(__s64 dividend, __s32 divisor)
{
	return dividend / divisor;
}

static __always_inline __u64 div64_u64(__u64 dividend, __u64 divisor)
{
	return dividend / divisor;
}

static __always_inline __s64 div64_s64(__s64 dividend, __s64 divisor)
{
	return dividend / divisor;
}

static __always_inline __u64 div_u64_rem(__u64 dividend, __u32 divisor,
					 __u32 *remainder)
{
	*remainder = dividend % divisor;
	return dividend / divisor;
}

/* do_div(n, base): n becomes n / base; the value is the remainder */
#define do_div(n, base)                                 \
	({                                              \
		__u32 __ember_base = (base);            \
		__u32 __ember_rem = (n) % __ember_base; \
		(n) = (n) / __ember_base;               \
		__ember_rem;                            \
	})

/* ---- file modes (uapi linux/stat.h) ----------------------------------- */
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISUID 0004000
#define S_ISGID 0002000
#define S_ISVTX 0001000
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISCHR(m) (((m)&S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m)&S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m)&S_IFMT) == S_IFIFO)
#define S_ISSOCK(m) (((m)&S_IFMT) == S_IFSOCK)
#define S_IRWXU 00700
#define S_IRUSR 00400
#define S_IWUSR 00200
#define S_IXUSR 00100
#define S_IRWXG 00070
#define S_IRGRP 00040
#define S_IWGRP 00020
#define S_IXGRP 00010
#define S_IRWXO 00007
#define S_IROTH 00004
#define S_IWOTH 00002
#define S_IXOTH 00001

/* ---- open flags (uapi asm-generic/fcntl.h; x86, arm64, riscv, s390
 * values; alpha, mips, parisc, sparc and powerpc differ in some) -------- */
#define O_ACCMODE 00000003
#define O_RDONLY 00000000
#define O_WRONLY 00000001
#define O_RDWR 00000002
#define O_CREAT 00000100
#define O_EXCL 00000200
#define O_NOCTTY 00000400
#define O_TRUNC 00001000
#define O_APPEND 00002000
#define O_NONBLOCK 00004000
#define O_DSYNC 00010000
#define FASYNC 00020000
#define O_DIRECT 00040000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW 00400000
#define O_NOATIME 01000000
#define O_CLOEXEC 02000000
#define __O_SYNC 04000000
#define O_SYNC (__O_SYNC | O_DSYNC)
#define O_PATH 010000000
#define __O_TMPFILE 020000000
#define O_TMPFILE (__O_TMPFILE | O_DIRECTORY)
#define O_NDELAY O_NONBLOCK

/* ---- struct file's f_mode bits that never moved (see the top) -------- */
#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define FMODE_EXEC 0x20
#define FMODE_CREATED 0x100000

/* ---- I/O direction (linux/kernel.h) ----------------------------------- */
#define READ 0
#define WRITE 1

/* ---- path and name lengths (uapi linux/limits.h) ----------------------- */
#define NAME_MAX 255
#define PATH_MAX 4096
#define XATTR_NAME_MAX 255
#define XATTR_SIZE_MAX 65536

/* ---- sockets (linux/socket.h) ----------------------------------------- */
#define SCM_RIGHTS 0x01
#define SCM_CREDENTIALS 0x02
#define SCM_SECURITY 0x03
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_RDM 4
#define SOCK_SEQPACKET 5
#define SOCK_DCCP 6
#define SOCK_PACKET 10

/* linux/socket.h: the kernel's name for the uapi struct */
#define sockaddr_storage __kernel_sockaddr_storage

/* ---- task states (linux/sched.h; these bits since Linux 4.14) --------- */
#define TASK_RUNNING 0x00000000
#define TASK_INTERRUPTIBLE 0x00000001
#define TASK_UNINTERRUPTIBLE 0x00000002
#define __TASK_STOPPED 0x00000004
#define __TASK_TRACED 0x00000008
#define EXIT_DEAD 0x00000010
#define EXIT_ZOMBIE 0x00000020
#define EXIT_TRACE (EXIT_ZOMBIE | EXIT_DEAD)
#define TASK_PARKED 0x00000040
#define TASK_DEAD 0x00000080
#define TASK_WAKEKILL 0x00000100
#define TASK_WAKING 0x00000200
#define TASK_NOLOAD 0x00000400
#define TASK_NEW 0x00000800
#define TASK_KILLABLE (TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define TASK_STOPPED (TASK_WAKEKILL | __TASK_STOPPED)
#define TASK_IDLE (TASK_UNINTERRUPTIBLE | TASK_NOLOAD)
#define TASK_NORMAL (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)

/* ---- errno (uapi asm-generic/errno-base.h, errno.h) -------------------
 * prelude/usdt.h may define a few of these first, with the same values. */
#ifndef EPERM
#define EPERM 1
#endif
#ifndef ENOENT
#define ENOENT 2
#endif
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define ENOTBLK 15
#define EBUSY 16
#define EEXIST 17
#define EXDEV 18
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#ifndef EINVAL
#define EINVAL 22
#endif
#define ENFILE 23
#define EMFILE 24
#define ENOTTY 25
#define ETXTBSY 26
#define EFBIG 27
#define ENOSPC 28
#define ESPIPE 29
#define EROFS 30
#define EMLINK 31
#define EPIPE 32
#define EDOM 33
#define ERANGE 34
#define EDEADLK 35
#define ENAMETOOLONG 36
#define ENOLCK 37
#define ENOSYS 38
#define ENOTEMPTY 39
#define ELOOP 40
#define EWOULDBLOCK EAGAIN
#define ENOMSG 42
#define EIDRM 43
#define ENODATA 61
#define ETIME 62
#define EOVERFLOW 75
#define EBADFD 77
#define EILSEQ 84
#define ENOTSOCK 88
#define EDESTADDRREQ 89
#define EMSGSIZE 90
#define EPROTOTYPE 91
#define ENOPROTOOPT 92
#define EPROTONOSUPPORT 93
#define ESOCKTNOSUPPORT 94
#define EOPNOTSUPP 95
#define ENOTSUP EOPNOTSUPP
#define EPFNOSUPPORT 96
#define EAFNOSUPPORT 97
#define EADDRINUSE 98
#define EADDRNOTAVAIL 99
#define ENETDOWN 100
#define ENETUNREACH 101
#define ENETRESET 102
#define ECONNABORTED 103
#define ECONNRESET 104
#define ENOBUFS 105
#define EISCONN 106
#define ENOTCONN 107
#define ESHUTDOWN 108
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define EHOSTDOWN 112
#define EHOSTUNREACH 113
#define EALREADY 114
#define EINPROGRESS 115
#define ESTALE 116
#define EDQUOT 122
#define ECANCELED 125
#define EOWNERDEAD 130
#define ENOTRECOVERABLE 131

/* ---- kernel helpers over kernel objects, read through CO-RE ----------- */

/* linux/scatterlist.h: the low bits of page_link mark a chain link and the
 * last entry. */
#define SG_CHAIN 0x01UL
#define SG_END 0x02UL
#define SG_PAGE_LINK_MASK (SG_CHAIN | SG_END)
static __always_inline int sg_is_chain(struct scatterlist *sg)
{
	return (BPF_CORE_READ(sg, page_link) & SG_CHAIN) != 0;
}

static __always_inline int sg_is_last(struct scatterlist *sg)
{
	return (BPF_CORE_READ(sg, page_link) & SG_END) != 0;
}

static __always_inline struct scatterlist *sg_chain_ptr(struct scatterlist *sg)
{
	return (struct scatterlist *)(BPF_CORE_READ(sg, page_link) &
				      ~SG_PAGE_LINK_MASK);
}

/* linux/skbuff.h: queue_mapping holds the receive queue plus one, 0 when
 * none was recorded. */
static __always_inline int skb_rx_queue_recorded(const struct sk_buff *skb)
{
	return BPF_CORE_READ(skb, queue_mapping) != 0;
}

static __always_inline __u16 skb_get_rx_queue(const struct sk_buff *skb)
{
	return BPF_CORE_READ(skb, queue_mapping) - 1;
}

static __always_inline __u16 skb_get_queue_mapping(const struct sk_buff *skb)
{
	return BPF_CORE_READ(skb, queue_mapping);
}

/* net/tcp.h: TCP keeps its per-packet state in the skb's control buffer
 * (an address, nothing is read; the kernel-read rewrite reads through it). */
#define TCP_SKB_CB(__skb) ((struct tcp_skb_cb *)&((__skb)->cb[0]))

/* linux/page-flags.h, mm.h: a folio starts with its head page; the n-th
 * page follows it in the memory map (an address, nothing is read). */
#define folio_page(folio, n) ((struct page *)(folio) + (n))

/* x86-64: where the direct map starts without memory-layout randomisation,
 * for 4- and 5-level page tables (Documentation/arch/x86/x86_64/mm.rst);
 * with it (CONFIG_RANDOMIZE_MEMORY) these are lower bounds. PAGE_OFFSET
 * itself is a kernel variable there and not defined. */
#if defined(__TARGET_ARCH_x86)
#define __PAGE_OFFSET_BASE_L4 0xffff888000000000UL
#define __PAGE_OFFSET_BASE_L5 0xff11000000000000UL
#endif

#endif /* __EMBER_KERNEL_TYPES__ */
#endif
