// SPDX-License-Identifier: MIT
#include "compiler/clang_args.h"

#include <string.h>

#include "compiler/virtual_files.h"

#ifndef EMBER_CLANG_RESOURCE_DIR
#error "EMBER_CLANG_RESOURCE_DIR must name clang's resource directory"
#endif

#if defined(__x86_64__)
#define TARGET_ARCH "-D__TARGET_ARCH_x86"
#elif defined(__aarch64__)
#define TARGET_ARCH "-D__TARGET_ARCH_arm64"
#elif defined(__s390x__)
#define TARGET_ARCH "-D__TARGET_ARCH_s390"
#elif defined(__powerpc64__)
#define TARGET_ARCH "-D__TARGET_ARCH_powerpc"
#elif defined(__riscv)
#define TARGET_ARCH "-D__TARGET_ARCH_riscv"
#else
#error "unsupported host architecture"
#endif

/* What the parse and the code generation must agree on. */
#define BPF_TRIPLE "bpf"
#define BPF_CPU "v3"
#define LANGUAGE "-std=gnu11"
#define OPTIMISE "-O2"
/* -g as `clang -g` gives it: BTF and line info come from it */
#define DEBUG_INFO "-debug-info-kind=constructor", "-dwarf-version=4"
#define STACK_SIZE "-mllvm", "-bpf-stack-size=512"
#define CLANG_INCLUDE EMBER_CLANG_RESOURCE_DIR "/include"

/* BPF C idioms trip these warnings without being wrong. */
const char *const ember__clang_common_args[] = {
	"-I",
	EMBER_VIRTUAL_INCLUDE_DIR,
	TARGET_ARCH,
	"-D__BPF_TRACING__",
	"-D__EMBER__",
	"-Wno-unused-value",
	"-Wno-pointer-sign",
	"-Wno-compare-distinct-pointer-types",
	"-Wno-gnu-variable-sized-type-not-at-end",
	"-Wno-address-of-packed-member",
	"-Wno-tautological-compare",
	"-Wno-unknown-warning-option",
	"-Wno-unused-function",
	/* an undeclared function cannot be called from BPF: say so early */
	"-Werror=implicit-function-declaration",
	/* A read of a local never written: root's verifier may let a stack
	 * read pass and print garbage; clang names the variable and line.
	 * Written on some paths only: a warning, as BCC's own tools
	 * (sslsniff, nflatency) do that and run. */
	"-Werror=uninitialized",
	"-Wno-error=sometimes-uninitialized",
};
const size_t ember__clang_common_args_cnt =
	sizeof(ember__clang_common_args) / sizeof(ember__clang_common_args[0]);

static size_t put(const char **args, size_t n, const char *const *add,
		  size_t add_cnt)
{
	for (size_t i = 0; i < add_cnt; i++)
		args[n++] = add[i];
	return n;
}

#define PUT(args, n, ...)                                  \
	put(args, n, (const char *const[]){ __VA_ARGS__ }, \
	    sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))

size_t ember__clang_parse_args(const char **args, const char *host_triple)
{
	size_t n =
		PUT(args, 0, "-target", host_triple ? host_triple : BPF_TRIPLE,
		    LANGUAGE, OPTIMISE);

	if (!host_triple)
		n = PUT(args, n, "-mcpu=" BPF_CPU);
	return PUT(args, n, "-nostdinc", "-isystem", CLANG_INCLUDE);
}

size_t ember__clang_cc1_args(const char **args, const char *triple)
{
	/* what `clang -target bpf -O2 -g -c` passes, minus the host's system
	 * headers (kernel types come from the virtual tree) */
	size_t n = PUT(args, 0, "-triple", triple, OPTIMISE, DEBUG_INFO,
		       LANGUAGE, "-nostdsysteminc", "-nobuiltininc",
		       "-resource-dir", EMBER_CLANG_RESOURCE_DIR,
		       "-internal-isystem", CLANG_INCLUDE, "-fno-common",
		       "-fmessage-length=0", "-ferror-limit", "20", STACK_SIZE);

	if (!strcmp(triple, BPF_TRIPLE))
		return PUT(args, n, "-target-cpu", BPF_CPU);
	/* host parse: IR only, optimised later for bpf */
	return PUT(args, n, "-disable-llvm-passes");
}

size_t ember__clang_cc1_backend_args(const char **args)
{
	return PUT(args, 0, "-triple", BPF_TRIPLE, "-target-cpu", BPF_CPU,
		   OPTIMISE, DEBUG_INFO, STACK_SIZE);
}

size_t ember__clang_pch_args(const char **args, const char *path, bool driver)
{
	size_t n = PUT(args, 0, "-include-pch", path);

	if (driver)
		n = PUT(args, n, "-Xclang");
	return PUT(args, n, "-fno-validate-pch");
}
