/* SPDX-License-Identifier: MIT */
#ifndef EMBER_KERNEL_TRACEPOINT_BTF_H
#define EMBER_KERNEL_TRACEPOINT_BTF_H

/*
 * The text of a tracefs format file for tracepoint category:event, written
 * from the running kernel's BTF (for when tracefs cannot be read: it is
 * root's). *format is malloc'd; the caller frees it. Returns 0, -ENOENT
 * (BTF has no record for the event, or no argument names for a system
 * call), -EINVAL (a record ember cannot describe) or -ENOMEM; sets no
 * error message.
 */
int ember__tracepoint_format_from_btf(const char *category, const char *event,
				      char **format);

#endif
