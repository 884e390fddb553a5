/* SPDX-License-Identifier: MIT */
/*
 * Kernel types without kernel headers: the running kernel's BTF
 * (/sys/kernel/btf/vmlinux) dumped as one C header, every record marked
 * preserve_access_index so field accesses carry CO-RE relocations.
 */
#ifndef EMBER_BTF_HEADER_H
#define EMBER_BTF_HEADER_H

#include <stdbool.h>
#include <stddef.h>

/* Where the running kernel publishes its BTF. */
#define EMBER_VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/*
 * The kernel types header text (with a NUL after its len bytes), generated
 * on first use and kept for the life of the process (shared, read-only; do
 * not free). Returns 0, -ENOENT when
 * the kernel has no BTF, -ENOMEM.
 */
int ember__btf_header(const char **text, size_t *len);

/* Whether the running kernel's BTF has a struct or union of this name. */
bool ember__btf_has_record(const char *name);

/* The names of the running kernel's structs and unions, sorted, each once,
 * each followed by a NUL: *names (malloc'd) of *len bytes. 0, or -errno
 * with ember_errmsg(). */
int ember__btf_record_names(char **names, size_t *len);

/* Where the kernel publishes the BTF of each loaded module (split on
 * vmlinux's). */
#define EMBER_MODULE_BTF_DIR "/sys/kernel/btf"

/*
 * The types of the loaded kernel modules that define a struct or union of
 * one of names (cnt of them; names vmlinux has are never found there), as
 * C to follow ember/kernel_types.h: each such module's own types, records
 * marked preserve_access_index as there. A name two modules define comes
 * from the first one read. *text (malloc'd, the caller frees; empty when
 * no module has any of names) and *len. Returns 0, or -ENOMEM/-EINVAL
 * with ember_errmsg() set.
 */
int ember__btf_module_types(char *const *names, size_t cnt, char **text,
			    size_t *len);

/*
 * ember/sock_aliases.h: the field names the kernel's net/sock.h,
 * net/inet_sock.h, inet_timewait_sock.h and linux/in6.h define as macros
 * (sk_state -> __sk_common.skc_state, inet_dport, s6_addr, ...), for the
 * fields the running kernel has. Kept for the life of the process (do not
 * free). Returns 0 or -ENOMEM.
 */
int ember__btf_sock_aliases(const char **text, size_t *len);

/*
 * Whether name (len bytes, not NUL-terminated) is one of those aliases and
 * its member path ends with member (inet_dport, "skc_dport": yes).
 */
bool ember__btf_field_alias(const char *name, size_t len, const char *member);

/* Generate the header from a BTF file (used by the above and by tests). */
int ember__btf_header_from_file(const char *path, char **text, size_t *len);

/* The running kernel's BTF, parsed once and kept (thread-safe); NULL when
 * the kernel has none. Owned by ember: not to be freed. */
struct btf;
const struct btf *ember__vmlinux_btf(void);

#endif
