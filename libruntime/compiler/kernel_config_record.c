// SPDX-License-Identifier: MIT
#include "compiler/kernel_config_record.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kernel/kernel_config.h"

static const struct ember_cache_record_kind kind = {
	.prefix = "kernel-config-",
	.magic = "EMBKCF01",
	/* a config is at most 16 MB (kernel_config.c); its header is no
	 * larger than twice that */
	.max = 32ul << 20,
	.keep = 4,
	.what = "a kernel config header",
};
/* The source is a path of /boot or /proc (kernel_config.c: 300 bytes). */
#define SOURCE_MAX 512

/*
 * The payload: a byte 0 or 1 (found), the source and its NUL, the text and
 * its NUL. Point r into buf (len bytes): 0, or -EBADMSG when it is not so
 * made.
 */
static int parse(char *buf, size_t len, struct ember_kernel_config_record *r)
{
	const char *source_end;

	if (len < 3 || buf[len - 1] || (buf[0] != 0 && buf[0] != 1))
		return -EBADMSG;
	source_end =
		memchr(buf + 1, 0, len - 1 < SOURCE_MAX ? len - 1 : SOURCE_MAX);
	if (!source_end || source_end + 1 >= buf + len)
		return -EBADMSG;
	r->text = source_end + 1;
	r->len = (size_t)(buf + len - 1 - r->text);
	/* clang reads it as a C string too */
	if (memchr(r->text, 0, r->len))
		return -EBADMSG;
	r->buf = buf;
	r->found = buf[0];
	r->source = buf + 1;
	return 0;
}

/* The header of this process (generated), as a payload. */
static int generate(char **buf, size_t *len)
{
	const char *text, *source;
	size_t text_len, source_len;
	bool found;
	int err =
		ember__kernel_config_header(&text, &text_len, &found, &source);

	if (err)
		return err;
	source_len = strnlen(source, SOURCE_MAX - 1);
	*len = 1 + source_len + 1 + text_len + 1;
	*buf = malloc(*len);
	if (!*buf)
		return -ENOMEM;
	(*buf)[0] = found;
	memcpy(*buf + 1, source, source_len);
	(*buf)[1 + source_len] = 0;
	memcpy(*buf + 2 + source_len, text, text_len);
	(*buf)[*len - 1] = 0;
	return 0;
}

static int accept_header(void *payload, size_t len, void *r)
{
	return parse(payload, len, r);
}

int ember__kernel_config_record_load(const struct ember_cache *cache,
				     const struct ember_digest *prelude,
				     struct ember_kernel_config_record *r)
{
	void *payload;
	size_t len;
	int err;

	memset(r, 0, sizeof(*r));
	if (!ember__cache_record_read(cache, &kind, prelude, accept_header, r,
				      &payload, &len))
		return 0;
	err = generate((char **)&payload, &len);
	if (!err)
		err = parse(payload, len, r);
	if (err) {
		free(payload);
		memset(r, 0, sizeof(*r));
		return ember__error(ENOMEM, "out of memory");
	}
	/* not written: the next compile generates it again */
	ember__cache_record_write(cache, &kind, prelude, payload, len);
	return 0;
}

void ember__kernel_config_record_free(struct ember_kernel_config_record *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}
