/* SPDX-License-Identifier: MIT */
/*
 * The one check of the public *_opts and *_stats structs (libbpf's
 * OPTS_VALID): every struct starts with size_t sz, the size the caller's
 * struct has. A caller built against an older ember passes a smaller struct
 * (the fields it lacks read as zero); one built against a newer ember passes
 * a larger one, accepted only when the bytes this version does not know are
 * zero, since a set field there asks for something it cannot do.
 */
#ifndef EMBER_OPTS_H
#define EMBER_OPTS_H

#include <stddef.h>

/*
 * Copy the caller's opts (NULL: defaults) into our struct at dst of dst_size
 * bytes, zeroing what the caller's struct does not have; dst->sz is then the
 * caller's size. -EINVAL with a message naming type_name when sz is not set
 * or a field unknown here is set.
 */
int ember__opts_copy(void *dst, size_t dst_size, const void *opts,
		     const char *type_name);

/*
 * Give a stats struct back: copy our src of src_size bytes into the caller's
 * st (whose own sz says how much fits, and stays as it was), zeroing the
 * caller's fields this version does not know. -EINVAL when st is NULL or
 * its sz is not set.
 */
int ember__opts_out(void *st, const void *src, size_t src_size,
		    const char *type_name);

/* ember__opts_copy() into the struct variable dst. */
#define EMBER_OPTS_COPY(dst, opts, type_name) \
	ember__opts_copy(&(dst), sizeof(dst), (opts), (type_name))

#endif
