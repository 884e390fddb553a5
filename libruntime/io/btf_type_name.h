/* SPDX-License-Identifier: MIT */
/* BTF types and their C spellings, both ways (btf_type_name.c). */
#ifndef EMBER_BTF_TYPE_NAME_H
#define EMBER_BTF_TYPE_NAME_H

#include <bpf/btf.h>

/* The C spelling of BTF type id (malloc'ed), or NULL without memory. */
char *ember__btf_type_spelling(const struct btf *btf, __u32 id);

/*
 * The id of the type spelled name ("struct x", "union x", "enum x", a
 * typedef, a base type, any of these followed by "*" or "[N]") in btf,
 * adding pointer, array and base types it lacks. Returns the id, or a
 * negative errno with the message set (-EINVAL, -ENOENT, -ENOMEM).
 */
int ember__btf_type_by_spelling(struct btf *btf, const char *name);

#endif
