/* SPDX-License-Identifier: MIT */
/*
 * Tables that outlive or cross modules, as BCC has them:
 *  - BPF_TABLE_PINNED(..., "/sys/fs/bpf/path"): reuse the map pinned at the
 *    path, or create it and pin it there (bpffs is mounted when missing);
 *  - BPF_TABLE_PUBLIC / BPF_TABLE_SHARED: other modules of this process may
 *    use the table by name ...
 *  - ... with BPF_TABLE("extern", K, V, name, max), which takes the exported
 *    table (an error when no loaded module exports that name).
 */
#ifndef EMBER_SHARED_TABLES_H
#define EMBER_SHARED_TABLES_H

#include "loader/module.h"

/* Before the module's object is loaded: pin paths and imported tables. */
int ember__shared_tables_prepare(struct ember_module *m);
/* After a successful load: export the module's public tables. */
int ember__shared_tables_publish(struct ember_module *m);
/* When the module goes: withdraw its exports (importers keep their fds). */
void ember__shared_tables_withdraw(const struct ember_module *m);

#endif
