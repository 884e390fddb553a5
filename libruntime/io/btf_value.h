/* SPDX-License-Identifier: MIT */
/*
 * Values of a BTF type: read (scalars, for the event field getters) and
 * printed in one of three spellings by one walker (tables, events and the
 * histograms' JSON all print through it).
 */
#ifndef EMBER_BTF_VALUE_H
#define EMBER_BTF_VALUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <bpf/btf.h>

enum ember__spelling {
	/* C designated initialisers: { .pid = 1, .comm = "bash" } (tables) */
	EMBER__SPELL_C,
	/* pid=1 comm=bash, the top level without braces (events) */
	EMBER__SPELL_TEXT,
	/* {"pid": 1, "comm": "bash"}, Python's json.dumps() layout, as BCC's
	 * JSON histograms have it */
	EMBER__SPELL_JSON,
};

/*
 * Print the value of BTF type id at data, of which size bytes are there, in
 * spelling sp. id 0 or btf NULL: untyped bytes (an integer of 1, 2, 4 or 8
 * bytes, else the bytes in hex). What the data is too short to hold is left
 * out (members, the tail of an array). Returns 0, or -EINVAL when a part is
 * no printable value (a placeholder stands in its place); stream errors are
 * the stream's (ferror).
 */
int ember__btf_fprint(FILE *f, const struct btf *btf, uint32_t id,
		      const void *data, size_t size, enum ember__spelling sp);
/*
 * ember__btf_fprint() into buf with snprintf semantics (buf may be NULL when
 * bufsize is 0): the length of the whole text, or a negative errno (-ENOMEM;
 * -EINVAL as above, buf then empty). percpu > 0: that many values of size
 * bytes each, stride bytes apart, printed as one list.
 */
int ember__btf_snprint(char *buf, size_t bufsize, const struct btf *btf,
		       uint32_t id, const void *data, size_t size,
		       size_t stride, size_t percpu, enum ember__spelling sp);

/* An integer of 1, 2, 4 or 8 bytes at p (false for other sizes). */
bool ember__read_uint(const void *p, size_t size, uint64_t *out);

/* s as a JSON string, quotes included. */
void ember__json_string(FILE *f, const char *s);

/* The type id names with qualifiers (and typedefs when asked) skipped; *id
 * follows. NULL for a bad id. */
const struct btf_type *ember__btf_skip_mods(const struct btf *btf, uint32_t *id,
					    bool typedefs);
/* Whether the array type t holds text: elements of plain "char" (u8 and
 * signed or unsigned char arrays are numbers, as BCC's ctypes have them). */
bool ember__btf_is_string(const struct btf *btf, const struct btf_type *t);
/* Bytes a value occupies from its byte offset (a bit field, or a value that
 * starts inside a byte: every byte it touches). */
size_t ember__btf_span(const struct btf *btf, uint32_t id, unsigned int bit_off,
		       unsigned int bit_size);

struct ember__scalar {
	uint64_t u; /* sign-extended when is_signed */
	bool is_signed;
	bool is_bool;
	bool is_ptr;
	bool is_enum;
};

/*
 * The integer, enum, bool or pointer of type id at p (a bit field: bit_size
 * bits from bit bit_off of p). Returns 0, or -EINVAL when the type is none
 * of these or wider than 8 bytes.
 */
int ember__btf_scalar(const struct btf *btf, uint32_t id,
		      const unsigned char *p, unsigned int bit_off,
		      unsigned int bit_size, struct ember__scalar *s);

#endif
