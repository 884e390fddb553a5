// SPDX-License-Identifier: MIT
#include "compiler/compile_job.h"

#include "compiler/byte_reader.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* "EMBK": the second layout (compiler_headers) */
#define JOB_MAGIC 0x4b424d45
#define NO_STRING UINT64_MAX
/* More than any compile has; a bound for counts read from bytes. */
#define ITEMS_MAX (1u << 20)

/* Strings go with their NUL, so the unpacked job can point at them. */
static void put_bytes(FILE *f, const char *s, size_t len)
{
	uint64_t n = s ? len : NO_STRING;

	fwrite(&n, sizeof(n), 1, f);
	if (s) {
		fwrite(s, 1, len, f);
		fputc(0, f);
	}
}

static void put_str(FILE *f, const char *s)
{
	put_bytes(f, s, s ? strlen(s) : 0);
}

static void put_u64(FILE *f, uint64_t v)
{
	fwrite(&v, sizeof(v), 1, f);
}

void ember__strings_pack(const char *const *s, size_t cnt, FILE *f)
{
	put_u64(f, cnt);
	for (size_t i = 0; i < cnt; i++)
		put_str(f, s[i]);
}

void ember__compile_job_pack(const struct ember_compile_job *job, FILE *f)
{
	uint32_t magic = JOB_MAGIC;

	fwrite(&magic, sizeof(magic), 1, f);
	put_str(f, job->name);
	put_bytes(f, job->text, job->len);
	ember__strings_pack(job->cflags, job->cflags_cnt, f);
	put_u64(f, job->headers);
	ember__strings_pack(job->kh_args, job->kh_args_cnt, f);
	put_str(f, job->host_triple);
	put_u64(f, job->compiler_headers);
	put_u64(f, job->files_cnt);
	for (size_t i = 0; i < job->files_cnt; i++) {
		put_str(f, job->files[i].path);
		put_bytes(f, job->files[i].text, job->files[i].len);
	}
}

/* NULL for an absent string (and on error: r->bad). */
static const char *get_bytes(struct ember_byte_reader *r, size_t *len)
{
	uint64_t n = ember__take_u64(r);
	const char *s;

	*len = 0;
	if (r->bad || n == NO_STRING)
		return NULL;
	s = n < UINT64_MAX - 1 ? ember__take(r, n + 1) : NULL;
	if (!s || s[n]) {
		r->bad = true;
		return NULL;
	}
	*len = n;
	return s;
}

static const char *get_str(struct ember_byte_reader *r)
{
	size_t len;
	const char *s = get_bytes(r, &len);

	if (s && strlen(s) != len)
		r->bad = true;
	return s;
}

static const char **get_strings(struct ember_byte_reader *r, size_t *cnt)
{
	uint64_t n = ember__take_u64(r);
	const char **s;

	*cnt = 0;
	if (r->bad || n > ITEMS_MAX) {
		r->bad = true;
		return NULL;
	}
	s = calloc(n + 1, sizeof(*s));
	if (!s) {
		r->bad = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		s[i] = get_str(r);
		r->bad |= !s[i];
	}
	*cnt = n;
	return s;
}

int ember__strings_unpack(const char *buf, size_t len, const char ***out,
			  size_t *cnt)
{
	struct ember_byte_reader r = { buf, buf + len, false };

	*out = get_strings(&r, cnt);
	if (!r.bad && r.p == r.end)
		return 0;
	free(*out);
	*out = NULL;
	return -EINVAL;
}

/* The embedded headers under the virtual include dir, as the host names
 * them (compile.c), into files[0, embedded_count()): 0 or -ENOMEM. */
static int add_embedded(struct ember_compile_job_store *store,
			struct ember_virtual_file *files)
{
	static const char dir[] = EMBER_VIRTUAL_INCLUDE_DIR "/";
	const struct ember_virtual_file *e;
	size_t size = 0;
	char *p;

	for (e = ember__embedded_headers; e->path; e++)
		size += sizeof(dir) + strlen(e->path);
	p = store->paths = malloc(size ? size : 1);
	if (!p)
		return -ENOMEM;
	for (e = ember__embedded_headers; e->path; e++) {
		*files++ = (struct ember_virtual_file){ p, e->text, e->len };
		p = stpcpy(stpcpy(p, dir), e->path) + 1;
	}
	return 0;
}

static size_t embedded_count(void)
{
	const struct ember_virtual_file *e;
	size_t cnt = 0;

	for (e = ember__embedded_headers; e->path; e++)
		cnt++;
	return cnt;
}

int ember__compile_job_unpack(const char *buf, size_t len,
			      struct ember_compile_job_store *store)
{
	struct ember_byte_reader r = { buf, buf + len, false };
	struct ember_compile_job *j = &store->job;
	const char **kh = NULL;
	size_t first = 0;
	bool own;
	uint64_t n;

	memset(store, 0, sizeof(*store));
	if (ember__take_u32(&r) != JOB_MAGIC)
		return -EINVAL;
	j->name = get_str(&r);
	j->text = get_bytes(&r, &j->len);
	store->strings = get_strings(&r, &j->cflags_cnt);
	j->cflags = store->strings;
	j->headers = ember__take_u64(&r) != 0;
	kh = get_strings(&r, &j->kh_args_cnt);
	j->kh_args = kh;
	j->host_triple = get_str(&r);
	own = ember__take_u64(&r) != 0;
	n = ember__take_u64(&r);
	if (own)
		first = embedded_count();
	if (!r.bad && n <= ITEMS_MAX)
		store->files = calloc(first + n + 1, sizeof(*store->files));
	if (store->files && own && add_embedded(store, store->files)) {
		free(store->files);
		store->files = NULL;
	}
	for (size_t i = first; store->files && i < first + n && !r.bad; i++) {
		struct ember_virtual_file *v = &store->files[i];

		v->path = get_str(&r);
		v->text = get_bytes(&r, &v->len);
		r.bad |= !v->path || !v->text;
		if (!r.bad && !strcmp(v->path, EMBER_VIRTUAL_INCLUDE_DIR
				      "/ember/program.h"))
			j->program_h = v->text;
	}
	j->files = store->files;
	j->files_cnt = first + n;
	if (r.bad || !store->files || r.p != r.end || !j->name || !j->text ||
	    !j->program_h) {
		free(kh);
		j->kh_args = NULL;
		ember__compile_job_release(store);
		return -EINVAL;
	}
	store->kh_strings = kh;
	return 0;
}

void ember__compile_job_release(struct ember_compile_job_store *store)
{
	free(store->strings);
	free(store->kh_strings);
	free(store->files);
	free(store->paths);
	memset(store, 0, sizeof(*store));
}
