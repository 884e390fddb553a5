/* SPDX-License-Identifier: MIT */
/*
 * Events by field name: a type description built from BTF (struct, union,
 * typedef or scalar) and typed field reads. Printing is btf_value.c's.
 */
#ifndef EMBER_EVENT_DECODE_H
#define EMBER_EVENT_DECODE_H

#include <bpf/btf.h>

#include "ember/ember.h"

struct ember__field {
	struct ember_event_field pub; /* first: handed out as its address */
	__u32 type_id; /* the member's type, qualifiers and typedefs kept */
};

struct ember_event_type {
	struct btf *btf; /* own copy: outlives the module */
	__u32 id;
	char *name;
	size_t size;
	struct ember__field *fields; /* top level, anonymous members inline */
	size_t fields_cnt;
	struct ember__field **named; /* "a.b" lookups handed out, kept */
	size_t named_cnt;
};

/*
 * Describe the type spelled type_name ("struct x", "union x", "enum x",
 * typedef, base type, any of these followed by "[N]" or "*") in btf, which is
 * copied. Returns 0 or a negative errno with the message set.
 */
int ember__event_type_from_btf(const struct btf *btf, const char *type_name,
			       struct ember_event_type **out);

#endif
