// SPDX-License-Identifier: MIT
#include "compiler/btf_records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kernel/btf_header.h"

static const struct ember_cache_record_kind kind = {
	.prefix = "btf-records-",
	.magic = "EMBREC01",
	.max = 1ul << 26,
	.keep = 4,
	.what = "a list of sorted names",
};

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Index buf (len bytes of NUL-terminated names): -EBADMSG unless it ends
 * with a NUL and is sorted without repeats. */
static int index_names(char *buf, size_t len, struct ember_btf_records *r)
{
	size_t cnt = 0, i, at;

	if (len && buf[len - 1])
		return -EBADMSG;
	for (i = 0; i < len; i++)
		cnt += !buf[i];
	r->names = calloc(cnt ? cnt : 1, sizeof(*r->names));
	if (!r->names)
		return -ENOMEM;
	for (i = 0, at = 0; at < len; i++) {
		r->names[i] = buf + at;
		at += strlen(buf + at) + 1;
		if (i && strcmp(r->names[i - 1], r->names[i]) >= 0)
			return -EBADMSG;
	}
	r->buf = buf;
	r->cnt = cnt;
	return 0;
}

/* A record's payload made r's, or -EBADMSG / -ENOMEM with r empty. */
static int accept_names(void *payload, size_t len, void *r)
{
	int err = index_names(payload, len, r);

	if (err)
		ember__btf_records_free(r);
	return err;
}

int ember__btf_records_load(const struct ember_cache *cache,
			    const struct ember_digest *prelude,
			    struct ember_btf_records *r)
{
	void *payload;
	size_t len;
	int err;

	memset(r, 0, sizeof(*r));
	err = ember__cache_record_read(cache, &kind, prelude, accept_names, r,
				       &payload, &len);
	if (err != -ENOENT)
		return err ? ember__error(-err, "out of memory") : 0;
	err = ember__btf_record_names((char **)&payload, &len);
	if (err)
		return err;
	err = accept_names(payload, len, r);
	if (err) {
		free(payload);
		return ember__error(ENOMEM, "out of memory");
	}
	/* not written: the next process parses the BTF again */
	ember__cache_record_write(cache, &kind, prelude, payload, len);
	return 0;
}

bool ember__btf_records_has(const struct ember_btf_records *r, const char *name)
{
	if (!r || !r->names)
		return ember__btf_has_record(name);
	return bsearch(&name, r->names, r->cnt, sizeof(*r->names),
		       compare_names) != NULL;
}

void ember__btf_records_free(struct ember_btf_records *r)
{
	free(r->names);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}
