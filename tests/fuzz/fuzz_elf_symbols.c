// SPDX-License-Identifier: MIT
/*
 * An ELF file -> the symbolizer's reader (io/symbols_elf.c, over libelf):
 * function symbols and loadable segments, then address look-ups.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_support.h"
#include "io/symbols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ember__elf *e = calloc(1, sizeof(*e));
	char path[32];
	size_t i;
	int fd;

	if (!e)
		return 0;
	/* a debuglink is looked up beside this: nothing is there */
	e->path = strdup("/nonexistent/ember-fuzz/a.out");
	fd = ember_fuzz_file(data, size, path);
	if (fd >= 0 && e->path && !ember__elf_load(e, fd)) {
		for (i = 0; i < e->count && i < 32; i++) {
			const struct ember__elf_sym *s =
				ember__elf_find(e, e->syms[i].addr);

			if (!s || s->addr > e->syms[i].addr || !s->name)
				abort();
		}
		for (i = 0; i < e->nsegs && i < 8; i++) {
			uint64_t va;

			if (!ember__elf_vaddr(e, e->segs[i].off, &va) &&
			    e->segs[i].filesz)
				abort();
			ember__elf_find(e, va);
		}
	}
	if (fd >= 0)
		close(fd);
	ember__elf_free(e);
	return 0;
}
