/* SPDX-License-Identifier: MIT */
/*
 * The SHA-256 of the running kernel's BTF (/sys/kernel/btf/vmlinux, 5-6 MB:
 * about 10 ms to read and hash), remembered in the cache for the rest of
 * the boot.
 *
 * Why that may be trusted: the file is the kernel's own BTF, built into its
 * image; it cannot change while the kernel runs, and the kernel names each
 * boot with a random 128-bit boot_id. The remembered digest (cache entry
 * "vmlinux-btf.sum", whose inputs are the boot_id, the file's device,
 * inode, size and time and its first 4 KiB) is used only when the file is
 * on sysfs (a file mounted over it is hashed every time) and all of those
 * are the same; else the file is hashed and the entry written again.
 */
#ifndef EMBER_VMLINUX_DIGEST_H
#define EMBER_VMLINUX_DIGEST_H

#include "compiler/cache.h"
#include "compiler/digest.h"

/* 0, or -errno with the reason in ember_errmsg(). cache may be NULL or
 * closed (then the file is hashed). */
int ember__vmlinux_btf_digest(const struct ember_cache *cache,
			      struct ember_digest *out);

#endif
