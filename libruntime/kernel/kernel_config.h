/* SPDX-License-Identifier: MIT */
/*
 * The running kernel's version and build configuration as the C macros BCC
 * programs test: LINUX_VERSION_CODE from uname's release, and CONFIG_* as the
 * kernel's generated autoconf.h spells them (=y -> 1, =m -> CONFIG_X_MODULE 1,
 * strings and numbers as they are), read from the places libbpf's __kconfig
 * reads: /boot/config-$(uname -r), then /proc/config.gz.
 */
#ifndef EMBER_KERNEL_CONFIG_H
#define EMBER_KERNEL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The header text (ember/kernel_config.h), generated on first use and kept
 * for the life of the process (shared, read-only; do not free). *found says
 * whether a kernel config was read; without one the text has
 * LINUX_VERSION_CODE and no CONFIG_*. *source names where the config came
 * from (or the places tried). Returns 0 or -ENOMEM.
 */
int ember__kernel_config_header(const char **text, size_t *len, bool *found,
				const char **source);

/*
 * The identity of the header, without generating it: the SHA-256 of what
 * it is generated from (the release, the page size, and the bytes of the
 * config files it reads, as stored: /proc/config.gz is not inflated), for
 * cache keys. Computed once per process. Returns 0.
 */
struct ember_digest;
int ember__kernel_config_digest(struct ember_digest *out);

/*
 * The same of given files (for the above and for tests): boot is read
 * first, as the header does; proc's bytes count too unless boot is a plain
 * file below the size bound (a damaged .gz there makes the header fall
 * through to proc).
 */
void ember__kernel_config_files_digest(const char *boot, const char *proc,
				       const char *release,
				       unsigned long page_size,
				       struct ember_digest *out);

/*
 * Generate the header from a config file's text (NULL: none) and a kernel
 * release string ("6.1.0-18-amd64") and the kernel's page size (0: unknown,
 * no PAGE_SIZE); for the above and for tests. Lines that are not
 * well-formed CONFIG_NAME=VALUE lines are skipped. *out is the caller's to
 * free. Returns 0 or -ENOMEM.
 */
int ember__kernel_config_text(const char *config, size_t config_len,
			      const char *release, unsigned long page_size,
			      char **out, size_t *out_len);

#endif
