/* SPDX-License-Identifier: MIT */
/*
 * Tracepoint formats kept in the cache for the boot. Reading an event's
 * tracefs format file takes the kernel's event_mutex, which a process
 * releasing a perf event of a tracepoint holds for RCU grace periods
 * (27-160 ms, measured while tracepoint programs were detached): every
 * compile of a TRACEPOINT_PROBE, cached or not, waited for it. The event's
 * id file and its directory's inode do not take that mutex; an entry
 * (tracepoint-<digest>.sum, an entry as cache.h says) is keyed by the boot,
 * the event's name, its id and its directory's inode. An event the kernel
 * registers again (a module reloaded, a kprobe event made again) gets a
 * directory of its own, another inode, even where its id is reused: its
 * format is read again. Where tracefs is root's, the format is written from
 * the kernel's BTF (10-30 ms): that one is keyed by the prelude's digest
 * (the BTF's, this library's build) and the event's name.
 */
#ifndef EMBER_TRACEPOINT_RECORD_H
#define EMBER_TRACEPOINT_RECORD_H

#include "compiler/cache.h"
#include "compiler/digest.h"

/*
 * The format text of category:event (*format malloc'd): from the entry in
 * cache when the running kernel's event is the one recorded, else as
 * ember__tracepoint_format reads it (then recorded when tracefs is mounted
 * and its files can be read, or, with prelude, when tracefs is root's and
 * the format came from the BTF). 0 or -errno with ember_errmsg(). A
 * damaged entry is reported through the cache's log and read again.
 */
int ember__tracepoint_format_cached(const struct ember_cache *cache,
				    const struct ember_digest *prelude,
				    const char *category, const char *event,
				    char **format);

#endif
