/* SPDX-License-Identifier: MIT */
/*
 * Kernel types without kernel headers: the running kernel's BTF
 * (/sys/kernel/btf/vmlinux) dumped as one C header, every record marked
 * preserve_access_index so field accesses carry CO-RE relocations.
 */
#ifndef EMBER_BTF_HEADER_H
#define EMBER_BTF_HEADER_H

#include <stddef.h>

/* Where the running kernel publishes its BTF. */
#define EMBER_VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/*
 * The kernel types header text, generated on first use and kept for the life
 * of the process (shared, read-only; do not free). Returns 0, -ENOENT when
 * the kernel has no BTF, -ENOMEM.
 */
int ember__btf_header(const char **text, size_t *len);

/* Generate the header from a BTF file (used by the above and by tests). */
int ember__btf_header_from_file(const char *path, char **text, size_t *len);

#endif
