// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "error.h"
#include "opts.h"

int ember__opts_copy(void *dst, size_t dst_size, const void *opts,
		     const char *type_name)
{
	size_t sz;

	memset(dst, 0, dst_size);
	if (!opts)
		return 0;
	sz = *(const size_t *)opts;
	if (sz < sizeof(size_t))
		return ember__error(EINVAL, "%s.sz is not set", type_name);
	for (size_t i = dst_size; i < sz; i++)
		if (((const char *)opts)[i])
			return ember__error(EINVAL,
					    "%s has fields this ember version "
					    "does not know",
					    type_name);
	memcpy(dst, opts, sz < dst_size ? sz : dst_size);
	return 0;
}

int ember__opts_out(void *st, const void *src, size_t src_size,
		    const char *type_name)
{
	size_t sz;

	if (!st || *(const size_t *)st < sizeof(size_t))
		return ember__error(EINVAL, "%s (with .sz set) is required",
				    type_name);
	sz = *(const size_t *)st;
	/* Everything after sz: the caller's own sz stays. */
	if (sz > src_size)
		memset((char *)st + src_size, 0, sz - src_size);
	memcpy((char *)st + sizeof(size_t), (const char *)src + sizeof(size_t),
	       (sz < src_size ? sz : src_size) - sizeof(size_t));
	return 0;
}
