/* SPDX-License-Identifier: MIT */
/*
 * The kernel_headers option: compile against a real kernel header tree, as
 * BCC does, instead of the running kernel's BTF.
 *
 * A header tree is often split in two, as kbuild leaves it for out-of-tree
 * modules: the build directory holds the generated headers
 * (include/generated, arch/ARCH/include/generated) and the configuration;
 * the source directory holds include/, arch/ARCH/include and the uapi
 * headers. Debian ships them as linux-headers-VERSION-amd64 (build; its
 * Makefile includes the other) and linux-headers-VERSION-common (source);
 * /lib/modules/VERSION has them as build/ and source/.
 *
 * The kernel's headers only compile for the architecture they describe
 * (their inline asm names its registers), so in this mode the text is parsed
 * for the host's triple and its IR retargeted to bpf (codegen.h), as BCC
 * does. The types are then the headers', with their offsets: nothing is
 * relocated against the running kernel, which is why BTF is the default.
 */
#ifndef EMBER_KERNEL_HEADERS_H
#define EMBER_KERNEL_HEADERS_H

#include <stddef.h>

struct ember_kernel_headers {
	char *build; /* generated headers, autoconf.h */
	char *source; /* include/, arch/ARCH/include */
	/* Compiler arguments (-I, -include, -D, -W): args_cnt strings owned
	 * by this struct, for the parse and the code generation alike. */
	char **args;
	size_t args_cnt;
	/* Text of ember/kernel_types.h in this mode: the kernel headers a
	 * BCC program can count on, with clang's workarounds. Static. */
	const char *prelude;
	/* Triple to parse for (codegen.h: host_triple). Static. */
	const char *host_triple;
};

/*
 * Resolve dir (a build directory, a source tree holding both, or a
 * /lib/modules/VERSION directory) into the pair of directories and the
 * compiler arguments. Errors: -ENOENT (not a usable header tree; the message
 * says what is missing), -ENOTSUP (host architecture without a mapping),
 * -ENOMEM.
 */
int ember__kernel_headers_open(const char *dir,
			       struct ember_kernel_headers *kh);
void ember__kernel_headers_free(struct ember_kernel_headers *kh);

#endif
