// SPDX-License-Identifier: MIT
#include "compiler/compiled.h"

#include "compiler/byte_reader.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NO_STRING UINT32_MAX
/* More than any program has; a bound for counts read from bytes. */
#define ITEMS_MAX 65536

void ember__compiled_free(struct ember_compiled *c)
{
	size_t i;

	free(c->obj);
	free(c->warnings);
	free(c->rewritten);
	for (i = 0; c->progs && i < c->progs_cnt; i++) {
		free(c->progs[i].name);
		free(c->progs[i].section);
	}
	free(c->progs);
	for (i = 0; c->tables && i < c->tables_cnt; i++) {
		free(c->tables[i].name);
		free(c->tables[i].kind);
		free(c->tables[i].event_type);
		free(c->tables[i].pin_path);
	}
	free(c->tables);
	memset(c, 0, sizeof(*c));
}

void ember__compiled_log_warnings(const char *warnings, ember_log_fn log,
				  void *log_ctx)
{
	while (log && warnings && *warnings) {
		const char *eol = strchr(warnings, '\n');
		size_t n = eol ? (size_t)(eol - warnings) : strlen(warnings);
		char *line = strndup(warnings, n);

		if (line)
			log(EMBER_LOG_WARN, line, log_ctx);
		free(line);
		warnings += n + (eol ? 1 : 0);
	}
}

/* ---- packing ---- */

static void put_u32(FILE *f, uint32_t v)
{
	fwrite(&v, sizeof(v), 1, f);
}

static void put_str(FILE *f, const char *s)
{
	if (!s) {
		put_u32(f, NO_STRING);
		return;
	}
	put_u32(f, (uint32_t)strlen(s));
	fputs(s, f);
}

static void put_blob(FILE *f, const void *data, size_t len)
{
	uint64_t l = len;

	fwrite(&l, sizeof(l), 1, f);
	if (len) /* data may be NULL then */
		fwrite(data, 1, len, f);
}

void ember__compiled_pack(const struct ember_compiled *c, FILE *f)
{
	size_t i;

	put_u32(f, (uint32_t)c->progs_cnt);
	for (i = 0; i < c->progs_cnt; i++) {
		put_str(f, c->progs[i].name);
		put_str(f, c->progs[i].section);
	}
	put_u32(f, (uint32_t)c->tables_cnt);
	for (i = 0; i < c->tables_cnt; i++) {
		put_str(f, c->tables[i].name);
		put_str(f, c->tables[i].kind);
		put_str(f, c->tables[i].event_type);
		put_u32(f, (uint32_t)c->tables[i].drop_slot);
		put_str(f, c->tables[i].pin_path);
		put_u32(f, (uint32_t)c->tables[i].sharing);
	}
	put_str(f, c->warnings);
	put_blob(f, c->rewritten, c->rewritten_len);
	put_blob(f, c->obj, c->obj_len);
}

/* ---- unpacking ---- */

static char *get_str(struct ember_byte_reader *r)
{
	uint32_t n = ember__take_u32(r);
	const char *at;
	char *s;

	if (r->bad || n == NO_STRING || !(at = ember__take(r, n)))
		return NULL;
	s = strndup(at, n);
	r->bad |= !s;
	return s;
}

static void *get_blob(struct ember_byte_reader *r, size_t *len)
{
	uint64_t n = ember__take_u64(r);
	const char *at = ember__take(r, n);
	char *b;

	if (!at || !(b = malloc(n + 1))) {
		r->bad = true;
		return NULL;
	}
	memcpy(b, at, n);
	b[n] = 0; /* the rewritten text is a string */
	*len = n;
	return b;
}

int ember__compiled_unpack(const char *buf, size_t len,
			   struct ember_compiled *out)
{
	struct ember_byte_reader r = { buf, buf + len, false };
	size_t i;

	memset(out, 0, sizeof(*out));
	out->progs_cnt = ember__take_u32(&r);
	r.bad |= out->progs_cnt > ITEMS_MAX;
	out->progs =
		r.bad ? NULL : calloc(out->progs_cnt + 1, sizeof(*out->progs));
	r.bad |= !out->progs;
	for (i = 0; !r.bad && i < out->progs_cnt; i++) {
		out->progs[i].name = get_str(&r);
		out->progs[i].section = get_str(&r);
		r.bad |= !out->progs[i].name || !out->progs[i].section;
	}
	out->tables_cnt = ember__take_u32(&r);
	r.bad |= out->tables_cnt > ITEMS_MAX;
	out->tables = r.bad ? NULL
			    : calloc(out->tables_cnt + 1, sizeof(*out->tables));
	r.bad |= !out->tables;
	for (i = 0; !r.bad && i < out->tables_cnt; i++) {
		out->tables[i].name = get_str(&r);
		out->tables[i].kind = get_str(&r);
		out->tables[i].event_type = get_str(&r);
		out->tables[i].drop_slot = (int)ember__take_u32(&r);
		out->tables[i].pin_path = get_str(&r);
		out->tables[i].sharing = ember__take_u32(&r);
		r.bad |= !out->tables[i].name || !out->tables[i].kind;
	}
	out->warnings = get_str(&r);
	out->rewritten = get_blob(&r, &out->rewritten_len);
	out->obj = get_blob(&r, &out->obj_len);
	if (r.bad || r.p != r.end) {
		ember__compiled_free(out);
		return -EINVAL;
	}
	return 0;
}
