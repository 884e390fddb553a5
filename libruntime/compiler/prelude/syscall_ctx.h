/* SPDX-License-Identifier: MIT */
/*
 * What a kprobe function's ctx really is. On a kernel without kprobes, ember
 * runs a kprobe on a system call (kprobe__sys_clone, attach_kprobe on
 * get_syscall_fnname("sync")) as a program on the syscalls:sys_enter_NAME /
 * sys_exit_NAME tracepoint instead, and tells the program so through this
 * read-only variable (each such program is loaded with its own copy). The
 * argument macros read the tracepoint's record then; the verifier knows the
 * value and drops the other branch.
 */
#ifndef __EMBER_SYSCALL_CTX_H
#define __EMBER_SYSCALL_CTX_H

#define EMBER_CTX_PT_REGS 0
#define EMBER_CTX_SYS_ENTER 1
#define EMBER_CTX_SYS_EXIT 2

const volatile int __ember_ctx_mode = EMBER_CTX_PT_REGS;

/*
 * The records of the syscalls:sys_enter_* / sys_exit_* tracepoints. BTF has
 * them as trace_event_raw_sys_enter/_exit; kernel headers (the kernel_headers
 * option) do not declare them, so they are spelled out there: a common
 * trace_entry header (type, flags, preempt_count, pid), the syscall number,
 * then the arguments or the return value (include/trace/events/syscalls.h).
 */
#ifdef __EMBER_KERNEL_TYPES__
#define __EMBER_SYS_ENTER_RECORD struct trace_event_raw_sys_enter
#define __EMBER_SYS_EXIT_RECORD struct trace_event_raw_sys_exit
#else
struct __ember_sys_enter_record {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
	long id;
	unsigned long args[6];
};
struct __ember_sys_exit_record {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
	long id;
	long ret;
};
#define __EMBER_SYS_ENTER_RECORD struct __ember_sys_enter_record
#define __EMBER_SYS_EXIT_RECORD struct __ember_sys_exit_record
#endif

/*
 * The tracepoint branch reads through a helper: were both branches plain
 * ctx loads, clang would merge them into one load at a computed ctx offset,
 * which the verifier refuses.
 */
#define __EMBER_TP_FIELD(x, type, field)                      \
	({                                                    \
		unsigned long __v = 0;                        \
		bpf_probe_read_kernel(&__v, sizeof(__v),      \
				      &((type *)(x))->field); \
		__v;                                          \
	})
#define __EMBER_SYSCALL_ARG(x, n, reg)                                    \
	(__ember_ctx_mode == EMBER_CTX_SYS_ENTER                          \
		 ? __EMBER_TP_FIELD(x, __EMBER_SYS_ENTER_RECORD, args[n]) \
		 : (unsigned long)(__PT_REGS_CAST(x)->reg))

#undef PT_REGS_PARM1
#undef PT_REGS_PARM2
#undef PT_REGS_PARM3
#undef PT_REGS_PARM4
#undef PT_REGS_PARM5
#undef PT_REGS_RC
#define PT_REGS_PARM1(x) __EMBER_SYSCALL_ARG(x, 0, __PT_PARM1_REG)
#define PT_REGS_PARM2(x) __EMBER_SYSCALL_ARG(x, 1, __PT_PARM2_REG)
#define PT_REGS_PARM3(x) __EMBER_SYSCALL_ARG(x, 2, __PT_PARM3_REG)
#define PT_REGS_PARM4(x) __EMBER_SYSCALL_ARG(x, 3, __PT_PARM4_REG)
#define PT_REGS_PARM5(x) __EMBER_SYSCALL_ARG(x, 4, __PT_PARM5_REG)
#if defined(__TARGET_ARCH_x86)
#undef PT_REGS_PARM6
#define PT_REGS_PARM6(x) __EMBER_SYSCALL_ARG(x, 5, r9)
#endif
#define PT_REGS_RC(x)                                                \
	(__ember_ctx_mode == EMBER_CTX_SYS_EXIT                      \
		 ? __EMBER_TP_FIELD(x, __EMBER_SYS_EXIT_RECORD, ret) \
		 : (unsigned long)(__PT_REGS_CAST(x)->__PT_RC_REG))

/*
 * Argument n (1-based) of the system call a syscall probe sits on: from the
 * tracepoint record, or from the pt_regs the syscall wrapper was given.
 */
#define __EMBER_SYSCALL_PARM(x, n)                                            \
	(__ember_ctx_mode == EMBER_CTX_SYS_ENTER                              \
		 ? __EMBER_TP_FIELD(x, __EMBER_SYS_ENTER_RECORD, args[(n)-1]) \
		 : (unsigned long)PT_REGS_PARM##n##_CORE_SYSCALL(             \
			   (struct pt_regs *)PT_REGS_SYSCALL_REGS(x)))

#endif
