/* SPDX-License-Identifier: MIT */
/*
 * Symbol tables behind struct ember_symbolizer: the kernel's (kallsyms) and
 * those of ELF files (user space).
 */
#ifndef EMBER_SYMBOLS_H
#define EMBER_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "ember/ember.h"

/* ---- kernel: /proc/kallsyms ---- */

struct ember__ksym {
	uint64_t addr;
	const char *name;
	const char *module; /* NULL for the kernel image */
};

struct ember__ksyms {
	char *text; /* the file; names point into it */
	struct ember__ksym *syms; /* by address */
	size_t count;
};

/*
 * Read a kallsyms-format file. Returns 0, -EACCES when every address reads
 * as zero (kptr_restrict), or -errno.
 */
int ember__ksyms_load(const char *path, struct ember__ksyms *out);
void ember__ksyms_free(struct ember__ksyms *k);
/* The symbol at or below addr, or NULL. */
const struct ember__ksym *ember__ksyms_find(const struct ember__ksyms *k,
					    uint64_t addr);
/* The first symbol named name, or NULL. */
const struct ember__ksym *ember__ksyms_by_name(const struct ember__ksyms *k,
					       const char *name);

/*
 * In syms, count elements of size bytes sorted by address, each starting
 * with its uint64_t address: the index of the first of the run of elements
 * at the greatest address <= addr (a run's first is its preferred name), or
 * count when every element is above addr.
 */
static inline size_t ember__syms_at(const void *syms, size_t count, size_t size,
				    uint64_t addr)
{
	const char *base = syms;
	size_t lo = 0, hi = count;
	uint64_t at;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		memcpy(&at, base + mid * size, sizeof(at));
		if (at <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return count;
	memcpy(&at, base + --lo * size, sizeof(at));
	while (lo && !memcmp(base + (lo - 1) * size, &at, sizeof(at)))
		lo--;
	return lo;
}

/* ---- user space: ELF symbol tables ---- */

struct ember__elf_sym {
	uint64_t addr;
	uint64_t size;
	const char *name;
};

/* A loadable segment: file offsets [off, off + filesz) sit at vaddr. */
struct ember__elf_seg {
	uint64_t off, filesz, vaddr;
};

struct ember__elf {
	char *path; /* as the process maps it */
	uint64_t dev, ino; /* identity, from /proc/PID/maps */
	int err; /* loading failed with this (kept to not try again) */
	struct ember__elf_sym *syms; /* by address */
	size_t count;
	char *names; /* storage of the names */
	struct ember__elf_seg *segs;
	size_t nsegs;
	struct ember__elf *next;
};

/*
 * Load the function symbols of the ELF file open as fd (.symtab, or the
 * .symtab of its separate debug file found by build id or debuglink, else
 * .dynsym) and its loadable segments into e (path, dev, ino already set).
 * Returns 0 or a negative errno (also left in e->err).
 */
int ember__elf_load(struct ember__elf *e, int fd);
void ember__elf_free(struct ember__elf *e);
/* File offset → ELF virtual address; false when no segment holds it. */
bool ember__elf_vaddr(const struct ember__elf *e, uint64_t off,
		      uint64_t *vaddr);
/* The function covering vaddr (or the nearest below when sizes are 0). */
const struct ember__elf_sym *ember__elf_find(const struct ember__elf *e,
					     uint64_t vaddr);

#endif
