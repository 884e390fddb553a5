/* SPDX-License-Identifier: MIT */
/*
 * kprobes made through tracefs kprobe_events, for what the perf kprobe event
 * source cannot express (a kretprobe's maxactive). Such an event is not tied
 * to a file descriptor: ember names its events ember/<fn>_<pid>_<n> so that
 * the events of a process that died before removing them can be found and
 * removed.
 */
#ifndef EMBER_KERNEL_KPROBE_EVENTS_H
#define EMBER_KERNEL_KPROBE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tracefs event group of ember's kprobe events. */
#define EMBER_KPROBE_EVENT_GROUP "ember"

/*
 * Add a kprobe (retprobe false; at offset bytes into fn) or a kretprobe
 * (keeping maxactive calls in flight, 0: the kernel's default) on kernel
 * function fn as event EMBER_KPROBE_EVENT_GROUP/<name>, the name written to
 * name (size >= 64). Removes the events of dead processes first. Returns 0
 * or -errno with a message (-ENOENT: no such function; -EILSEQ: offset is
 * not the start of an instruction; -EINVAL).
 */
int ember__kprobe_event_add(const char *fn, bool retprobe, uint64_t offset,
			    int maxactive, char *name, size_t size);

/* Remove event EMBER_KPROBE_EVENT_GROUP/name. Returns 0 or -errno. */
int ember__kprobe_event_remove(const char *name);

#endif
