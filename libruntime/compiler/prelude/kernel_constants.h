/* SPDX-License-Identifier: MIT */
/*
 * Kernel constants BPF programs use that BTF cannot carry: BTF has enums but
 * no #defines. Enum constants the kernel's BTF already has (REQ_OP_*,
 * __REQ_* bits, IPPROTO_TCP, BPF_F_CURRENT_CPU, TASK_COMM_LEN, XDP_*) are
 * not repeated here: they come from ember/kernel_types.h with the running
 * kernel's values. What is built on them (the REQ_* flags) is defined from
 * them, so it follows the running kernel too; the rest are #defines of the
 * kernel's headers, given with the values of current kernels (uapi values
 * never change; the PF_* task flags are internal and have moved a few
 * times: these are Linux 6.x's).
 *
 * This header is parsed after the kernel types, so a name that some kernel
 * has as an enum constant would only shadow it here, never clash.
 *
 * With the kernel_headers option (no __EMBER_KERNEL_TYPES__) the kernel's
 * own headers define the internal ones (REQ_* in linux/blk_types.h, PF_* in
 * linux/sched.h) for the kernel they describe: those are left to them. The
 * uapi values below are the headers' own, so a program that includes the
 * header as well gets the same definition twice, which C allows.
 */
#ifndef __EMBER_KERNEL_CONSTANTS_H
#define __EMBER_KERNEL_CONSTANTS_H

/* ---- error numbers (asm-generic/errno-base.h, errno.h): what LSM_PROBE and
 * KMOD_RET programs return, negated ------------------------------------- */

#ifndef EPERM
#define EPERM 1
#endif
#ifndef ENOENT
#define ENOENT 2
#endif
#ifndef ESRCH
#define ESRCH 3
#endif
#ifndef EINTR
#define EINTR 4
#endif
#ifndef EIO
#define EIO 5
#endif
#ifndef ENXIO
#define ENXIO 6
#endif
#ifndef E2BIG
#define E2BIG 7
#endif
#ifndef ENOEXEC
#define ENOEXEC 8
#endif
#ifndef EBADF
#define EBADF 9
#endif
#ifndef ECHILD
#define ECHILD 10
#endif
#ifndef EAGAIN
#define EAGAIN 11
#endif
#ifndef ENOMEM
#define ENOMEM 12
#endif
#ifndef EACCES
#define EACCES 13
#endif
#ifndef EFAULT
#define EFAULT 14
#endif
#ifndef EBUSY
#define EBUSY 16
#endif
#ifndef EEXIST
#define EEXIST 17
#endif
#ifndef EXDEV
#define EXDEV 18
#endif
#ifndef ENODEV
#define ENODEV 19
#endif
#ifndef ENOTDIR
#define ENOTDIR 20
#endif
#ifndef EISDIR
#define EISDIR 21
#endif
#ifndef EINVAL
#define EINVAL 22
#endif
#ifndef ENFILE
#define ENFILE 23
#endif
#ifndef EMFILE
#define EMFILE 24
#endif
#ifndef ENOTTY
#define ENOTTY 25
#endif
#ifndef EFBIG
#define EFBIG 27
#endif
#ifndef ENOSPC
#define ENOSPC 28
#endif
#ifndef ESPIPE
#define ESPIPE 29
#endif
#ifndef EROFS
#define EROFS 30
#endif
#ifndef EMLINK
#define EMLINK 31
#endif
#ifndef EPIPE
#define EPIPE 32
#endif
#ifndef EDOM
#define EDOM 33
#endif
#ifndef ERANGE
#define ERANGE 34
#endif
#ifndef ENOSYS
#define ENOSYS 38
#endif
#ifndef EOPNOTSUPP
#define EOPNOTSUPP 95
#endif
#ifndef EADDRINUSE
#define EADDRINUSE 98
#endif
#ifndef ECONNREFUSED
#define ECONNREFUSED 111
#endif
#ifndef ETIMEDOUT
#define ETIMEDOUT 110
#endif

/* ---- block layer: request operation and flags (linux/blk_types.h) ------ */

#ifdef __EMBER_KERNEL_TYPES__
/* cmd_flags = operation (low REQ_OP_BITS bits) | flags. */
#define REQ_OP_BITS 8
#define REQ_OP_MASK ((1U << REQ_OP_BITS) - 1)
/* Before 4.8 REQ_WRITE was flag bit 0; since, an odd operation writes
 * (op_is_write()). Either way cmd_flags & REQ_WRITE says "write". */
#define REQ_WRITE 1U

/* Flag bits: the __REQ_* enum of the running kernel says where they are.
 * A flag the kernel lacks fails to compile where it is used. */
#define REQ_FAILFAST_DEV (1ULL << __REQ_FAILFAST_DEV)
#define REQ_FAILFAST_TRANSPORT (1ULL << __REQ_FAILFAST_TRANSPORT)
#define REQ_FAILFAST_DRIVER (1ULL << __REQ_FAILFAST_DRIVER)
#define REQ_SYNC (1ULL << __REQ_SYNC)
#define REQ_META (1ULL << __REQ_META)
#define REQ_PRIO (1ULL << __REQ_PRIO)
#define REQ_NOMERGE (1ULL << __REQ_NOMERGE)
#define REQ_IDLE (1ULL << __REQ_IDLE)
#define REQ_INTEGRITY (1ULL << __REQ_INTEGRITY)
#define REQ_FUA (1ULL << __REQ_FUA)
#define REQ_PREFLUSH (1ULL << __REQ_PREFLUSH)
#define REQ_RAHEAD (1ULL << __REQ_RAHEAD)
#define REQ_BACKGROUND (1ULL << __REQ_BACKGROUND)
#define REQ_NOWAIT (1ULL << __REQ_NOWAIT)
#define REQ_POLLED (1ULL << __REQ_POLLED)
#define REQ_ALLOC_CACHE (1ULL << __REQ_ALLOC_CACHE)
#define REQ_SWAP (1ULL << __REQ_SWAP)
#define REQ_DRV (1ULL << __REQ_DRV)
#define REQ_FS_PRIVATE (1ULL << __REQ_FS_PRIVATE)
#define REQ_ATOMIC (1ULL << __REQ_ATOMIC)
#define REQ_NOUNMAP (1ULL << __REQ_NOUNMAP)
#define REQ_FAILFAST_MASK \
	(REQ_FAILFAST_DEV | REQ_FAILFAST_TRANSPORT | REQ_FAILFAST_DRIVER)
#endif /* __EMBER_KERNEL_TYPES__ */

/* ---- task flags: task_struct->flags (linux/sched.h, Linux 6.x) -------- */

#ifdef __EMBER_KERNEL_TYPES__
#define PF_VCPU 0x00000001
#define PF_IDLE 0x00000002
#define PF_EXITING 0x00000004
#define PF_POSTCOREDUMP 0x00000008
#define PF_IO_WORKER 0x00000010
#define PF_WQ_WORKER 0x00000020
#define PF_FORKNOEXEC 0x00000040
#define PF_MCE_PROCESS 0x00000080
#define PF_SUPERPRIV 0x00000100
#define PF_DUMPCORE 0x00000200
#define PF_SIGNALED 0x00000400
#define PF_MEMALLOC 0x00000800
#define PF_NPROC_EXCEEDED 0x00001000
#define PF_USED_MATH 0x00002000
#define PF_USER_WORKER 0x00004000
#define PF_NOFREEZE 0x00008000
#define PF_KSWAPD 0x00020000
#define PF_MEMALLOC_NOFS 0x00040000
#define PF_MEMALLOC_NOIO 0x00080000
#define PF_LOCAL_THROTTLE 0x00100000
#define PF_KTHREAD 0x00200000
#define PF_RANDOMIZE 0x00400000
#define PF_NO_SETAFFINITY 0x04000000
#define PF_MCE_EARLY 0x08000000
#define PF_MEMALLOC_PIN 0x10000000
#define PF_BLOCK_TS 0x20000000
#define PF_SUSPEND_TASK 0x80000000
#endif /* __EMBER_KERNEL_TYPES__ */

/* ---- address families (linux/socket.h) -------------------------------- */

#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_LOCAL 1
#define AF_INET 2
#define AF_AX25 3
#define AF_IPX 4
#define AF_APPLETALK 5
#define AF_BRIDGE 7
#define AF_X25 9
#define AF_INET6 10
#define AF_KEY 15
#define AF_NETLINK 16
#define AF_ROUTE AF_NETLINK
#define AF_PACKET 17
#define AF_RDS 21
#define AF_LLC 26
#define AF_IB 27
#define AF_MPLS 28
#define AF_CAN 29
#define AF_TIPC 30
#define AF_BLUETOOTH 31
#define AF_ALG 38
#define AF_VSOCK 40
#define AF_KCM 41
#define AF_QIPCRTR 42
#define AF_SMC 43
#define AF_XDP 44
#define AF_MCTP 45

/* ---- IP protocols: IPv4 ones are a BTF enum; IPv6 headers are #defines
 * (linux/in6.h) -------------------------------------------------------- */

#define IPPROTO_HOPOPTS 0
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_ICMPV6 58
#define IPPROTO_NONE 59
#define IPPROTO_DSTOPTS 60
#define IPPROTO_MH 135

/* ---- Ethernet (linux/if_ether.h) --------------------------------------- */

#define ETH_ALEN 6
#define ETH_TLEN 2
#define ETH_HLEN 14
#define ETH_ZLEN 60
#define ETH_DATA_LEN 1500
#define ETH_FRAME_LEN 1514
#define ETH_FCS_LEN 4

#define ETH_P_802_3 0x0001
#define ETH_P_ALL 0x0003
#define ETH_P_802_2 0x0004
#define ETH_P_LOOP 0x0060
#define ETH_P_802_3_MIN 0x0600
#define ETH_P_IP 0x0800
#define ETH_P_X25 0x0805
#define ETH_P_ARP 0x0806
#define ETH_P_ERSPAN2 0x22EB
#define ETH_P_TEB 0x6558
#define ETH_P_RARP 0x8035
#define ETH_P_8021Q 0x8100
#define ETH_P_IPX 0x8137
#define ETH_P_IPV6 0x86DD
#define ETH_P_PAUSE 0x8808
#define ETH_P_SLOW 0x8809
#define ETH_P_MPLS_UC 0x8847
#define ETH_P_MPLS_MC 0x8848
#define ETH_P_PPP_DISC 0x8863
#define ETH_P_PPP_SES 0x8864
#define ETH_P_PAE 0x888E
#define ETH_P_8021AD 0x88A8
#define ETH_P_ERSPAN 0x88BE
#define ETH_P_TIPC 0x88CA
#define ETH_P_LLDP 0x88CC
#define ETH_P_MACSEC 0x88E5
#define ETH_P_8021AH 0x88E7
#define ETH_P_1588 0x88F7
#define ETH_P_FCOE 0x8906
#define ETH_P_HSR 0x892F
#define ETH_P_NSH 0x894F
#define ETH_P_QINQ1 0x9100
#define ETH_P_QINQ2 0x9200
#define ETH_P_QINQ3 0x9300
#define ETH_P_EDSA 0xDADA

/* ---- traffic control actions (linux/pkt_cls.h) ------------------------- */

#define TC_ACT_UNSPEC (-1)
#define TC_ACT_OK 0
#define TC_ACT_RECLASSIFY 1
#define TC_ACT_SHOT 2
#define TC_ACT_PIPE 3
#define TC_ACT_STOLEN 4
#define TC_ACT_QUEUED 5
#define TC_ACT_REPEAT 6
#define TC_ACT_REDIRECT 7
#define TC_ACT_TRAP 8

/*
 * ---- BPF flags that are #defines in linux/bpf.h -------------------------
 * (the helper flags, BPF_F_CURRENT_CPU, BPF_F_NO_PREALLOC, ... are enums
 * in BTF). These are for the bpf() system call; programs name them in map
 * definitions and program attributes.
 */
#define BPF_F_ALLOW_OVERRIDE (1U << 0)
#define BPF_F_ALLOW_MULTI (1U << 1)
#define BPF_F_REPLACE (1U << 2)
#define BPF_F_STRICT_ALIGNMENT (1U << 0)
#define BPF_F_ANY_ALIGNMENT (1U << 1)
#define BPF_F_TEST_RND_HI32 (1U << 2)
#define BPF_F_TEST_STATE_FREQ (1U << 3)
#define BPF_F_SLEEPABLE (1U << 4)
#define BPF_F_XDP_HAS_FRAGS (1U << 5)
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#define BPF_F_QUERY_EFFECTIVE (1U << 0)
#define BPF_F_TEST_RUN_ON_CPU (1U << 0)
#define BPF_F_TEST_XDP_LIVE_FRAMES (1U << 1)

#endif
