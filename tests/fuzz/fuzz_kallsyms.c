// SPDX-License-Identifier: MIT
/*
 * /proc/kallsyms text -> the one reader (kernel/kallsyms.c) and the
 * symbolizer's table built on it (io/symbols_kernel.c): load, look up by
 * address and by name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_support.h"
#include "io/symbols.h"
#include "kernel/kallsyms.h"

static int count(const struct ember__kallsym *s, void *ctx)
{
	if (!s->name || !s->name[0] || (s->module && !s->module[0]))
		abort();
	++*(size_t *)ctx;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ember__ksyms k = { 0 };
	char path[32];
	size_t n = 0, i;
	int fd = ember_fuzz_file(data, size, path);

	if (fd < 0)
		return 0;
	ember__kallsyms_each(path, count, &n);
	if (!ember__ksyms_load(path, &k)) {
		/* addresses taken from the input itself, and around them */
		for (i = 0; i + 8 <= size && i < 64; i += 8) {
			uint64_t a;

			memcpy(&a, data + i, sizeof(a));
			ember__ksyms_find(&k, a);
		}
		for (i = 0; i < k.count && i < 16; i++) {
			const struct ember__ksym *s = &k.syms[i];

			if (ember__ksyms_find(&k, s->addr) == NULL)
				abort();
			ember__ksyms_by_name(&k, s->name);
		}
		ember__ksyms_free(&k);
	}
	close(fd);
	return 0;
}
