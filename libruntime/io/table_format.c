// SPDX-License-Identifier: MIT
/*
 * Table keys and values as text or JSON: the public face of btf_value.c's
 * walker for tables, whose keys and values must hold their whole type.
 */
#include "io/table_impl.h"

#include <errno.h>
#include <stdlib.h>

#include "error.h"
#include "io/btf_value.h"

static int format(const struct btf *btf, uint32_t type_id, const void *data,
		  size_t data_size, size_t stride, size_t percpu, char *buf,
		  size_t size, unsigned int flags)
{
	long need;
	int n;

	if (size && buf)
		*buf = '\0';
	if (!data)
		return ember__error(EINVAL, "format: data is NULL");
	if (type_id && btf) {
		need = btf__resolve_size(btf, type_id);
		if (need < 0)
			return ember__error(EINVAL, "BTF type %u has no size",
					    type_id);
		if ((size_t)need > data_size)
			return ember__error(EINVAL,
					    "BTF type %u needs %ld bytes, %zu "
					    "given",
					    type_id, need, data_size);
	}
	n = ember__btf_snprint(buf, buf ? size : 0, btf, type_id, data,
			       data_size, stride, percpu,
			       flags & EMBER_FORMAT_JSON ? EMBER__SPELL_JSON
							 : EMBER__SPELL_C);
	if (n == -EINVAL)
		return ember__error(EINVAL,
				    "BTF type %u holds a type that cannot be "
				    "formatted",
				    type_id);
	if (n < 0)
		return ember__error(-n, "format: out of memory");
	return n;
}

int ember_btf_snprintf(const struct btf *btf, uint32_t type_id,
		       const void *data, size_t data_size, char *buf,
		       size_t size, unsigned int flags)
{
	return format(btf, type_id, data, data_size, 0, 0, buf, size, flags);
}

int ember_btf_asprintf(const struct btf *btf, uint32_t type_id,
		       const void *data, size_t data_size, char **out,
		       unsigned int flags)
{
	int n;

	if (!out)
		return ember__error(EINVAL, "format: out is NULL");
	*out = NULL;
	n = ember_btf_snprintf(btf, type_id, data, data_size, NULL, 0, flags);
	if (n < 0)
		return n;
	*out = malloc((size_t)n + 1);
	if (!*out)
		return ember__error(ENOMEM, "out of memory");
	return ember_btf_snprintf(btf, type_id, data, data_size, *out,
				  (size_t)n + 1, flags);
}

int ember_table_key_snprintf(const struct ember_table *t, const void *key,
			     char *buf, size_t size, unsigned int flags)
{
	if (!t)
		return ember__error(EINVAL, "format: table is NULL");
	return ember_btf_snprintf(t->btf, t->key_type_id, key, t->key_size, buf,
				  size, flags);
}

int ember_table_value_snprintf(const struct ember_table *t, const void *value,
			       char *buf, size_t size, unsigned int flags)
{
	if (!t)
		return ember__error(EINVAL, "format: table is NULL");
	return format(t->btf, t->value_type_id, value, t->value_size, t->stride,
		      ember_table_is_percpu(t) ? t->ncpus : 0, buf, size,
		      flags);
}
