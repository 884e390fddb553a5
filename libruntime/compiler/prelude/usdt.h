/* SPDX-License-Identifier: MIT */
/*
 * BCC's USDT argument readers, on top of libbpf's USDT support. The readers
 * are declared for every program (so any text parses); libbpf's
 * implementation, bpf/usdt.bpf.h, with the tables libbpf fills in when it
 * attaches a USDT probe, comes in only for programs that use them: the
 * compiler then defines __EMBER_USDT_IMPL and includes this header again.
 * Other programs get no extra tables.
 */
#ifndef __EMBER_USDT_H
#define __EMBER_USDT_H

/* libbpf's readers (bpf/usdt.bpf.h); argument numbers count from 0. */
int bpf_usdt_arg_cnt(struct pt_regs *ctx);
int bpf_usdt_arg(struct pt_regs *ctx, __u64 arg_num, long *res);
long bpf_usdt_cookie(struct pt_regs *ctx);

/*
 * BCC: bpf_usdt_readarg(n, ctx, &v) stores argument n (from 1) of the USDT
 * probe into v, converted to v's type. 0, or a negative error (v is 0 then).
 */
#define bpf_usdt_readarg(n, ctx, addr)                                         \
	({                                                                     \
		long __ember_arg;                                              \
		int __ember_err = bpf_usdt_arg((struct pt_regs *)(ctx), (n)-1, \
					       &__ember_arg);                  \
		*(addr) = (__typeof__(*(addr)))__ember_arg;                    \
		__ember_err;                                                   \
	})

/*
 * BCC: bpf_usdt_readarg_p(n, ctx, buf, len) copies len bytes from the user
 * memory argument n points to into buf (as BCC, a fixed-size read).
 */
#define bpf_usdt_readarg_p(n, ctx, buf, len)                                   \
	({                                                                     \
		long __ember_ptr;                                              \
		int __ember_err = bpf_usdt_arg((struct pt_regs *)(ctx), (n)-1, \
					       &__ember_ptr);                  \
		if (!__ember_err)                                              \
			__ember_err = bpf_probe_read_user(                     \
				(buf), (len), (const void *)__ember_ptr);      \
		__ember_err;                                                   \
	})

#endif /* __EMBER_USDT_H */

#if defined(__EMBER_USDT_IMPL) && !defined(__EMBER_USDT_IMPL_DONE)
#define __EMBER_USDT_IMPL_DONE
/* The error numbers usdt.bpf.h returns (BTF carries no macros). */
#ifndef ESRCH
#define ESRCH 3
#endif
#ifndef ENOENT
#define ENOENT 2
#endif
#ifndef EINVAL
#define EINVAL 22
#endif
#include <bpf/usdt.bpf.h>
#endif
