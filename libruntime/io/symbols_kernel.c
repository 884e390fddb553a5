// SPDX-License-Identifier: MIT
/*
 * Kernel symbols from /proc/kallsyms: read once, sorted by address, found by
 * binary search. BCC's ksym()/ksymname() sit on a process-wide copy.
 */
#include "io/symbols.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kernel/kallsyms.h"

/* Sort key: address, then global symbols (T) before local (t) ones, then
 * file order, so that the name shown for an address is stable. Names are
 * offsets into the text until it stops growing. */
struct entry {
	struct ember__ksym sym;
	size_t name_off, module_off; /* module_off 0: none */
	uint32_t rank;
};

struct loading {
	struct entry *entries;
	size_t n, cap;
	char *text;
	size_t len, text_cap;
	bool any_addr;
};

static size_t keep(struct loading *l, const char *s)
{
	size_t n = strlen(s) + 1, off = l->len;
	char *grown;

	if (l->len + n > l->text_cap) {
		l->text_cap = (l->len + n) * 2;
		grown = realloc(l->text, l->text_cap);
		if (!grown)
			return 0;
		l->text = grown;
	}
	memcpy(l->text + off, s, n);
	l->len += n;
	return off;
}

static int add(const struct ember__kallsym *s, void *ctx)
{
	struct loading *l = ctx;
	struct entry *e;

	/* absolute symbols (per-CPU offsets and such) are not code */
	if (s->type == 'a' || s->type == 'A' || s->type == 'U')
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1 << 16;
		e = realloc(l->entries, l->cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		l->entries = e;
	}
	e = &l->entries[l->n];
	e->sym.addr = s->addr;
	e->rank = ((s->type >= 'a' && s->type <= 'z') ? 1u << 31 : 0) |
		  (uint32_t)l->n;
	e->name_off = keep(l, s->name);
	e->module_off = s->module ? keep(l, s->module) : 0;
	if (!e->name_off || (s->module && !e->module_off))
		return -ENOMEM;
	l->any_addr |= s->addr != 0;
	l->n++;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->sym.addr != y->sym.addr)
		return x->sym.addr < y->sym.addr ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

int ember__ksyms_load(const char *path, struct ember__ksyms *out)
{
	struct loading l = { 0 };
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	keep(&l, ""); /* offset 0: no module */
	err = l.text ? ember__kallsyms_each(path, add, &l) : -ENOMEM;
	if (!err && l.n && !l.any_addr)
		err = -EACCES;
	out->syms = err ? NULL : malloc((l.n ? l.n : 1) * sizeof(*out->syms));
	if (!err && !out->syms)
		err = -ENOMEM;
	if (err) {
		free(l.entries);
		free(l.text);
		return err;
	}
	if (l.n) /* l.entries is NULL for an empty file */
		qsort(l.entries, l.n, sizeof(*l.entries), cmp_entry);
	for (i = 0; i < l.n; i++) {
		out->syms[i] = l.entries[i].sym;
		out->syms[i].name = l.text + l.entries[i].name_off;
		out->syms[i].module = l.entries[i].module_off
					      ? l.text + l.entries[i].module_off
					      : NULL;
	}
	free(l.entries);
	out->count = l.n;
	out->text = l.text;
	return 0;
}

void ember__ksyms_free(struct ember__ksyms *k)
{
	free(k->syms);
	free(k->text);
	memset(k, 0, sizeof(*k));
}

const struct ember__ksym *ember__ksyms_find(const struct ember__ksyms *k,
					    uint64_t addr)
{
	size_t i = ember__syms_at(k->syms, k->count, sizeof(*k->syms), addr);

	return i < k->count ? &k->syms[i] : NULL;
}

const struct ember__ksym *ember__ksyms_by_name(const struct ember__ksyms *k,
					       const char *name)
{
	size_t i;

	for (i = 0; i < k->count; i++)
		if (!strcmp(k->syms[i].name, name))
			return &k->syms[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* BCC's ksym() / ksymname(): one process-wide table                   */

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ember_symbolizer *global;

static int with_global(uint64_t addr, const char *name, char *buf, size_t size,
		       unsigned int flags, uint64_t *out_addr)
{
	struct ember_sym sym;
	int err = 0;

	pthread_mutex_lock(&global_lock);
	if (!global)
		err = ember_symbolizer_new(NULL, &global);
	if (!err && name)
		err = ember_symbolizer_kernel_addr(global, name, out_addr);
	else if (!err)
		err = ember_symbolize_kernel(global, addr, &sym);
	if (!name && (!err || err == -ENOENT)) {
		int n = ember_sym_snprintf(err ? NULL : &sym, buf, size, flags);

		err = err ? err : n;
	}
	pthread_mutex_unlock(&global_lock);
	return err;
}

int ember_ksym(uint64_t addr, char *buf, size_t size, unsigned int flags)
{
	return with_global(addr, NULL, buf, size, flags, NULL);
}

int ember_ksymname(const char *name, uint64_t *addr)
{
	if (!name || !addr)
		return ember__error(EINVAL, "ksymname: NULL argument");
	return with_global(0, name, NULL, 0, 0, addr);
}
