// SPDX-License-Identifier: MIT
#include "compiler/object_cache.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Small files, but many programs: keep the most recent ones. */
#define OBJECTS_KEEP 256
#define MAGIC "EMBOBJ04"
#define NO_STRING UINT32_MAX
/* Far above any object (a 10 MB program text gives a ~20 MB entry). */
#define ENTRY_MAX (256u << 20)
#define NAME_LEN (sizeof("obj-.bin") + 2 * EMBER_DIGEST_LEN)

static void entry_name(const struct ember_digest *key, char name[NAME_LEN])
{
	char hex[EMBER_DIGEST_HEX_LEN];

	ember__digest_hex(key, hex);
	snprintf(name, NAME_LEN, "obj-%s.bin", hex);
}

/* ---- writing ---- */

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
	fwrite(data, 1, len, f);
}

void ember__object_cache_store(const struct ember_cache *cache,
			       const struct ember_digest *key,
			       const struct ember_compiled *c)
{
	char name[NAME_LEN], *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	if (cache->dirfd < 0 || !c->rewritten)
		return;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
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
	if (fclose(f) == 0) {
		entry_name(key, name);
		if (!ember__cache_entry_write(cache, name, MAGIC, key, buf,
					      len))
			ember__cache_prune(cache, "obj-", ".bin", OBJECTS_KEEP);
	}
	free(buf);
}

/* ---- reading ---- */

struct reader {
	const char *p, *end;
	bool bad;
};

static uint32_t get_u32(struct reader *r)
{
	uint32_t v = 0;

	if (r->end - r->p < (ptrdiff_t)sizeof(v)) {
		r->bad = true;
		return 0;
	}
	memcpy(&v, r->p, sizeof(v));
	r->p += sizeof(v);
	return v;
}

static char *get_str(struct reader *r)
{
	uint32_t n = get_u32(r);
	char *s;

	if (r->bad || n == NO_STRING)
		return NULL;
	if (r->end - r->p < (ptrdiff_t)n) {
		r->bad = true;
		return NULL;
	}
	s = strndup(r->p, n);
	r->bad |= !s;
	r->p += n;
	return s;
}

static void *get_blob(struct reader *r, size_t *len, bool nul)
{
	uint64_t n = 0;
	char *b;

	if (r->end - r->p < (ptrdiff_t)sizeof(n)) {
		r->bad = true;
		return NULL;
	}
	memcpy(&n, r->p, sizeof(n));
	r->p += sizeof(n);
	if ((uint64_t)(r->end - r->p) < n || !(b = malloc(n + 1))) {
		r->bad = true;
		return NULL;
	}
	memcpy(b, r->p, n);
	if (nul)
		b[n] = 0;
	r->p += n;
	*len = n;
	return b;
}

/* The payload, parsed strictly: every byte accounted for. */
static int parse(const char *buf, size_t len, struct ember_compiled *out)
{
	struct reader r = { buf, buf + len, false };
	size_t i;

	out->progs_cnt = get_u32(&r);
	r.bad |= out->progs_cnt > 4096;
	out->progs =
		r.bad ? NULL : calloc(out->progs_cnt + 1, sizeof(*out->progs));
	for (i = 0; out->progs && i < out->progs_cnt && !r.bad; i++) {
		out->progs[i].name = get_str(&r);
		out->progs[i].section = get_str(&r);
	}
	out->tables_cnt = r.bad ? 0 : get_u32(&r);
	r.bad |= !out->progs || out->tables_cnt > 4096;
	out->tables = r.bad ? NULL
			    : calloc(out->tables_cnt + 1, sizeof(*out->tables));
	for (i = 0; out->tables && i < out->tables_cnt && !r.bad; i++) {
		out->tables[i].name = get_str(&r);
		out->tables[i].kind = get_str(&r);
		out->tables[i].event_type = get_str(&r);
		out->tables[i].drop_slot = (int)get_u32(&r);
		out->tables[i].pin_path = get_str(&r);
		out->tables[i].sharing = get_u32(&r);
	}
	if (!r.bad && out->tables)
		out->warnings = get_str(&r); /* replayed on every compile */
	if (!r.bad && out->tables)
		out->rewritten = get_blob(&r, &out->rewritten_len, true);
	if (!r.bad && out->rewritten)
		out->obj = get_blob(&r, &out->obj_len, false);
	if (!r.bad && out->obj && r.p == r.end)
		return 0;
	if (!out->progs)
		out->progs_cnt = 0;
	if (!out->tables)
		out->tables_cnt = 0;
	ember__compiled_free(out);
	return -EBADMSG;
}

int ember__object_cache_load(const struct ember_cache *cache,
			     const struct ember_digest *key,
			     struct ember_compiled *out)
{
	char name[NAME_LEN];
	void *buf;
	size_t len;
	int err;

	memset(out, 0, sizeof(*out));
	if (cache->dirfd < 0)
		return -ENOENT;
	entry_name(key, name);
	err = ember__cache_entry_read(cache, name, MAGIC, key, ENTRY_MAX, &buf,
				      &len);
	if (!err) {
		err = parse(buf, len, out);
		if (err)
			ember__error(EBADMSG, "%s/%s does not parse",
				     cache->path, name);
		free(buf);
	}
	if (err && err != -ENOENT) {
		ember__cache_refused(cache);
		err = -ENOENT;
	}
	return err;
}
