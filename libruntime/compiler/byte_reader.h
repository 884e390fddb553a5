/* SPDX-License-Identifier: MIT */
/*
 * Reading packed bytes that may be hostile or truncated (compiled.h,
 * compile_job.h): every read is bounded, and the first short one marks the
 * reader bad; later reads then give nothing.
 */
#ifndef EMBER_BYTE_READER_H
#define EMBER_BYTE_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct ember_byte_reader {
	const char *p, *end;
	bool bad;
};

/* The next n bytes, or NULL (and bad) when fewer are left. */
static inline const char *ember__take(struct ember_byte_reader *r, uint64_t n)
{
	const char *at = r->p;

	if (r->bad || (uint64_t)(r->end - r->p) < n) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	return at;
}

static inline uint32_t ember__take_u32(struct ember_byte_reader *r)
{
	const char *at = ember__take(r, sizeof(uint32_t));
	uint32_t v = 0;

	if (at)
		memcpy(&v, at, sizeof(v));
	return v;
}

static inline uint64_t ember__take_u64(struct ember_byte_reader *r)
{
	const char *at = ember__take(r, sizeof(uint64_t));
	uint64_t v = 0;

	if (at)
		memcpy(&v, at, sizeof(v));
	return v;
}

#endif
