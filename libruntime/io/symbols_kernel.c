// SPDX-License-Identifier: MIT
/*
 * Kernel symbols from /proc/kallsyms: read once, sorted by address, found by
 * binary search. BCC's ksym()/ksymname() sit on a process-wide copy.
 */
#include "io/symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

/* Sort key: address, then global symbols (T) before local (t) ones, then
 * file order, so that the name shown for an address is stable. */
struct entry {
	struct ember__ksym sym;
	uint32_t rank;
};

static char *read_all(const char *path, size_t *len)
{
	size_t cap = 1 << 22, n = 0;
	char *buf = malloc(cap + 1), *grown;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf) {
		int err = fd < 0 ? errno : ENOMEM;

		if (fd >= 0)
			close(fd);
		free(buf);
		errno = err;
		return NULL;
	}
	/* proc files have no size: read until EOF, growing */
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap) {
			cap *= 2;
			grown = realloc(buf, cap + 1);
			if (!grown) {
				free(buf);
				close(fd);
				errno = ENOMEM;
				return NULL;
			}
			buf = grown;
		}
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->sym.addr != y->sym.addr)
		return x->sym.addr < y->sym.addr ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* "ffffffff81000000 T name" or "... t name\t[module]"; modifies line. */
static bool parse_line(char *line, struct entry *e, uint32_t order)
{
	char *end, *name, *tab;
	char type;

	e->sym.addr = strtoull(line, &end, 16);
	if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
		return false;
	type = end[1];
	/* absolute symbols (per-CPU offsets and such) are not code */
	if (type == 'a' || type == 'A' || type == 'U')
		return false;
	name = end + 3;
	e->sym.module = NULL;
	tab = strchr(name, '\t');
	if (tab) {
		*tab = 0;
		if (tab[1] == '[') {
			char *close = strchr(tab + 2, ']');

			if (close)
				*close = 0;
			e->sym.module = tab + 2;
		}
	}
	e->sym.name = name;
	e->rank = ((type >= 'a' && type <= 'z') ? 1u << 31 : 0) | order;
	return *name != 0;
}

int ember__ksyms_load(const char *path, struct ember__ksyms *out)
{
	struct entry *entries;
	size_t len, lines = 0, n = 0, i;
	bool any_addr = false;
	char *text, *p, *nl;

	memset(out, 0, sizeof(*out));
	text = read_all(path, &len);
	if (!text)
		return -errno;
	for (p = text; (p = memchr(p, '\n', len - (size_t)(p - text))); p++)
		lines++;
	entries = malloc((lines + 1) * sizeof(*entries));
	if (!entries) {
		free(text);
		return -ENOMEM;
	}
	for (p = text; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p) - 1;
		else
			*nl = 0;
		if (parse_line(p, &entries[n], (uint32_t)n)) {
			any_addr |= entries[n].sym.addr != 0;
			n++;
		}
		if (!nl[1])
			break;
	}
	if (n && !any_addr) {
		free(entries);
		free(text);
		return -EACCES;
	}
	qsort(entries, n, sizeof(*entries), cmp_entry);
	out->syms = malloc((n ? n : 1) * sizeof(*out->syms));
	if (!out->syms) {
		free(entries);
		free(text);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		out->syms[i] = entries[i].sym;
	free(entries);
	out->count = n;
	out->text = text;
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
	size_t lo = 0, hi = k->count;

	/* first symbol above addr, then step back to the start of its run of
	 * equal addresses (the preferred name comes first) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	lo--;
	while (lo && k->syms[lo - 1].addr == k->syms[lo].addr)
		lo--;
	return &k->syms[lo];
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
