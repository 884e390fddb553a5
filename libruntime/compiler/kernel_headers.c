// SPDX-License-Identifier: MIT
#include "compiler/kernel_headers.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"

#if defined(__x86_64__)
#define KH_ARCH "x86"
#define KH_TRIPLE "x86_64-unknown-linux-gnu"
#elif defined(__aarch64__)
#define KH_ARCH "arm64"
#define KH_TRIPLE "aarch64-unknown-linux-gnu"
#endif

/*
 * ember/kernel_types.h of this mode. It does not define
 * __EMBER_KERNEL_TYPES__: the prelude headers test that macro to tell BTF
 * types (with their enums for REQ_* bits, trace_event_raw_* records) from
 * header types.
 */
static const char prelude[] =
	"/* served by ember: kernel types from a kernel header tree "
	"(the kernel_headers option) */\n"
	"#ifndef __EMBER_KERNEL_HEADER_TYPES__\n"
	"#define __EMBER_KERNEL_HEADER_TYPES__\n"
	/* linux/types.h brings compiler_types.h, which defines the macros
	 * clang cannot take as the kernel's compiler does. */
	"#include <linux/types.h>\n"
	/* asm goto cannot become BPF: fail only where a program uses it */
	"#ifdef asm_volatile_goto\n"
	"#undef asm_volatile_goto\n"
	"#endif\n"
	"#define asm_volatile_goto(x...) "
	"asm volatile(\"asm goto has no BPF translation\")\n"
	/* `asm __inline` (CONFIG_CC_HAS_ASM_INLINE) is gcc's */
	"#ifdef asm_inline\n"
	"#undef asm_inline\n"
	"#define asm_inline asm\n"
	"#endif\n"
	/* kbuild passes -DCC_USING_FENTRY with the function tracer; some
	 * layouts depend on it */
	"#if defined(CONFIG_FUNCTION_TRACER) && !defined(CC_USING_FENTRY)\n"
	"#define CC_USING_FENTRY\n"
	"#endif\n"
	/* What BCC programs use without including it: the BPF uapi, pt_regs,
	 * the version, and task_struct (whose TASK_COMM_LEN is an enum in
	 * newer kernels: it must be declared before anyone #defines it). */
	"#include <uapi/linux/bpf.h>\n"
	"#include <linux/version.h>\n"
	"#include <linux/ptrace.h>\n"
	"#include <linux/sched.h>\n"
	"#endif\n";

/* Flags as kbuild and BCC's frontend give them; the include dirs follow. */
static const char *const fixed_args[] = {
	"-D__KERNEL__",
	/* compiler-clang.h defines these empty: same definition, no warning */
	"-D__HAVE_BUILTIN_BSWAP16__=",
	"-D__HAVE_BUILTIN_BSWAP32__=",
	"-D__HAVE_BUILTIN_BSWAP64__=",
	"-DKBUILD_MODNAME=\"ember\"",
#if defined(__aarch64__)
	/* arm64's sysreg.h is assembler macros clang refuses */
	"-D__ASM_SYSREG_H",
#endif
	/* what kernel headers trip in clang without being wrong */
	"-Wno-deprecated-declarations",
	"-Wno-pragma-once-outside-header",
	"-Wno-duplicate-decl-specifier",
	"-Wno-array-bounds",
	"-Wno-incompatible-library-redeclaration",
	"-Wno-macro-redefined",
	"-Wno-frame-address",
};

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static bool has(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	if (snprintf(p, sizeof(p), "%s/%s", dir, rel) >= (int)sizeof(p))
		return false;
	return !stat(p, &st);
}

static char *join(const char *dir, const char *rel)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, rel) < 0)
		return NULL;
	return p;
}

/* realpath, or NULL (errno set) */
static char *real(const char *path)
{
	return realpath(path, NULL);
}

/*
 * The source directory a build directory's Makefile points to. Debian's
 * and kbuild's out-of-tree Makefiles are one line: "include SRC/Makefile".
 */
static char *source_from_makefile(const char *build)
{
	char *mk = join(build, "Makefile"), line[PATH_MAX + 32], *src = NULL;
	FILE *f = mk ? fopen(mk, "r") : NULL;

	free(mk);
	if (!f)
		return NULL;
	while (!src && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n");
		const char *tail = "/Makefile";
		size_t tl = strlen(tail);
		char *p = line;

		line[n] = 0;
		if (strncmp(p, "include ", 8))
			continue;
		p += 8;
		while (*p == ' ' || *p == '\t')
			p++;
		n = strlen(p);
		if (n <= tl || strcmp(p + n - tl, tail))
			continue;
		p[n - tl] = 0;
		if (has(p, "include/linux/kconfig.h"))
			src = real(p);
	}
	fclose(f);
	return src;
}

static int add_arg(struct ember_kernel_headers *kh, char *s)
{
	char **a;

	if (!s)
		return -ENOMEM;
	a = realloc(kh->args, (kh->args_cnt + 1) * sizeof(*a));
	if (!a) {
		free(s);
		return -ENOMEM;
	}
	kh->args = a;
	a[kh->args_cnt++] = s;
	return 0;
}

static int add_include(struct ember_kernel_headers *kh, const char *dir,
		       const char *rel)
{
	char *p = NULL;

	if (asprintf(&p, "-I%s/%s", dir, rel) < 0)
		return -ENOMEM;
	return add_arg(kh, p);
}

static int resolve(const char *dir, struct ember_kernel_headers *kh)
{
	char *top = real(dir);

	if (!top)
		return ember__error(ENOENT, "kernel_headers %s: %s", dir,
				    strerror(errno));
	/* /lib/modules/VERSION: build/ and source/ */
	if (!has(top, "include") && has(top, "build")) {
		char *b = join(top, "build"), *s = join(top, "source");

		kh->build = b ? real(b) : NULL;
		kh->source = s && has(top, "source") ? real(s) : NULL;
		free(b);
		free(s);
		free(top);
		if (!kh->build)
			return ember__error(ENOENT,
					    "kernel_headers %s: build/ is "
					    "missing or dangling",
					    dir);
	} else {
		kh->build = top;
	}
	if (!kh->source && has(kh->build, "include/linux/kconfig.h"))
		kh->source = strdup(kh->build);
	if (!kh->source) {
		char *s = join(kh->build, "source");

		if (s && has(kh->build, "source/include/linux/kconfig.h"))
			kh->source = real(s);
		free(s);
	}
	if (!kh->source)
		kh->source = source_from_makefile(kh->build);
	if (!kh->source || !has(kh->source, "include/linux/kconfig.h"))
		return ember__error(
			ENOENT,
			"kernel_headers %s: no include/linux/kconfig.h here, "
			"nor in a source tree its Makefile or source/ names "
			"(give the build directory, e.g. "
			"/usr/src/linux-headers-VERSION-amd64, or "
			"/lib/modules/VERSION)",
			dir);
	if (!has(kh->build, "include/generated/autoconf.h"))
		return ember__error(ENOENT,
				    "kernel_headers %s: %s has no "
				    "include/generated/autoconf.h (not a "
				    "configured kernel build directory)",
				    dir, kh->build);
	if (!is_dir(kh->source) || !has(kh->source, "arch/" KH_ARCH "/include"))
		return ember__error(ENOENT,
				    "kernel_headers %s: %s has no "
				    "arch/" KH_ARCH "/include",
				    dir, kh->source);
	return 0;
}

int ember__kernel_headers_open(const char *dir, struct ember_kernel_headers *kh)
{
#ifndef KH_ARCH
	memset(kh, 0, sizeof(*kh));
	return ember__error(ENOTSUP,
			    "the kernel_headers option is not supported on "
			    "this architecture");
#else
	const char *b, *s;
	size_t i;
	int err;

	memset(kh, 0, sizeof(*kh));
	kh->prelude = prelude;
	kh->host_triple = KH_TRIPLE;
	err = resolve(dir, kh);
	if (err)
		goto fail;
	b = kh->build;
	s = kh->source;
	/* kbuild's order (LINUXINCLUDE): arch, generated, include, uapi */
	err = add_include(kh, s, "arch/" KH_ARCH "/include");
	if (!err)
		err = add_include(kh, b, "arch/" KH_ARCH "/include/generated");
	if (!err)
		err = add_include(kh, s, "include");
	if (!err && strcmp(b, s)) /* generated/autoconf.h, config/ */
		err = add_include(kh, b, "include");
	if (!err)
		err = add_include(kh, s, "arch/" KH_ARCH "/include/uapi");
	if (!err)
		err = add_include(kh, b,
				  "arch/" KH_ARCH "/include/generated/uapi");
	if (!err)
		err = add_include(kh, s, "include/uapi");
	if (!err)
		err = add_include(kh, b, "include/generated/uapi");
	if (!err)
		err = add_arg(kh, strdup("-include"));
	if (!err)
		err = add_arg(kh, join(s, "include/linux/kconfig.h"));
	for (i = 0; !err && i < sizeof(fixed_args) / sizeof(fixed_args[0]); i++)
		err = add_arg(kh, strdup(fixed_args[i]));
	if (err == -ENOMEM)
		ember__error(ENOMEM, "out of memory");
	if (!err)
		return 0;
fail:
	ember__kernel_headers_free(kh);
	return err;
#endif
}

void ember__kernel_headers_free(struct ember_kernel_headers *kh)
{
	size_t i;

	for (i = 0; i < kh->args_cnt; i++)
		free(kh->args[i]);
	free(kh->args);
	free(kh->build);
	free(kh->source);
	memset(kh, 0, sizeof(*kh));
}
