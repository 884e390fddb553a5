// SPDX-License-Identifier: MIT
#include "compiler/btf_records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kernel/btf_header.h"

#define MAGIC "EMBREC01"
#define PREFIX "btf-records-"
#define SUFFIX ".sum"
#define KEEP 4
#define RECORDS_MAX (1ul << 26)

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

int ember__btf_records_load(const struct ember_cache *cache,
			    const struct ember_digest *prelude,
			    struct ember_btf_records *r)
{
	char hex[EMBER_DIGEST_HEX_LEN];
	char name[sizeof(PREFIX) + EMBER_DIGEST_HEX_LEN + sizeof(SUFFIX)];
	void *payload = NULL;
	size_t len = 0;
	int err;

	memset(r, 0, sizeof(*r));
	ember__digest_hex(prelude, hex);
	snprintf(name, sizeof(name), PREFIX "%s" SUFFIX, hex);
	err = ember__cache_entry_read(cache, name, MAGIC, prelude, RECORDS_MAX,
				      &payload, &len);
	if (!err) {
		err = index_names(payload, len, r);
		if (!err)
			return 0;
		ember__btf_records_free(r);
		free(payload);
		if (err == -ENOMEM)
			return ember__error(ENOMEM, "out of memory");
		ember__error(EBADMSG, "%s/%s does not hold sorted names",
			     cache->path, name);
	}
	if (err != -ENOENT)
		ember__cache_refused(cache);
	err = ember__btf_record_names((char **)&payload, &len);
	if (err)
		return err;
	err = index_names(payload, len, r);
	if (err) {
		ember__btf_records_free(r);
		free(payload);
		return ember__error(ENOMEM, "out of memory");
	}
	/* not written: the next process parses the BTF again */
	if (!ember__cache_entry_write(cache, name, MAGIC, prelude, payload,
				      len))
		ember__cache_prune(cache, PREFIX, SUFFIX, KEEP);
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
