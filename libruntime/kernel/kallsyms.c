// SPDX-License-Identifier: MIT
/*
 * /proc/kallsyms, line by line: the kernel symbolizer's table, kprobe
 * patterns and the system call entry point names all read it here.
 */
#include "kernel/kallsyms.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "ffffffff81000000 T name" or "... t name\t[module]"; modifies line. */
static bool parse(char *line, struct ember__kallsym *s)
{
	char *end, *tab, *close;

	line[strcspn(line, "\n")] = '\0';
	s->addr = strtoull(line, &end, 16);
	if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
		return false;
	s->type = end[1];
	s->name = end + 3;
	s->module = NULL;
	tab = strchr(end + 3, '\t');
	if (tab) {
		*tab = '\0';
		close = tab[1] == '[' ? strchr(tab + 2, ']') : NULL;
		if (close) {
			/* "[]" names no module: not the documented form, skip */
			if (close == tab + 2)
				return false;
			*close = '\0';
			s->module = tab + 2;
		}
	}
	return *s->name != '\0';
}

int ember__kallsyms_each(const char *path,
			 int (*fn)(const struct ember__kallsym *s, void *ctx),
			 void *ctx)
{
	FILE *f = fopen(path ? path : "/proc/kallsyms", "re");
	struct ember__kallsym s;
	char *line = NULL;
	size_t cap = 0;
	int err = 0;

	if (!f)
		return -errno;
	/* proc files are made per read: fewer, larger reads */
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	while (!err && getline(&line, &cap, f) >= 0)
		if (parse(line, &s))
			err = fn(&s, ctx);
	if (!err && ferror(f))
		err = -EIO;
	free(line);
	fclose(f);
	return err;
}

static int is_named(const struct ember__kallsym *s, void *name)
{
	return !strcmp(s->name, name);
}

bool ember__kallsyms_has(const char *name)
{
	return ember__kallsyms_each(NULL, is_named, (void *)name) == 1;
}
