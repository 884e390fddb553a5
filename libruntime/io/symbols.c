// SPDX-License-Identifier: MIT
/*
 * struct ember_symbolizer: kernel symbols (loaded on first use) and user
 * symbols per process: /proc/PID/maps says which file and offset an address
 * falls in, the file's ELF symbols (cached per file, shared between
 * processes) say which function.
 */
#include "io/symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "opts.h"

struct mapping {
	uint64_t start, end, pgoff;
	struct ember__elf *elf; /* owned by the symbolizer's file cache */
};

struct proc {
	int pid;
	struct mapping *maps;
	size_t count;
	struct proc *next;
};

struct ember_symbolizer {
	char *kallsyms_path;
	struct ember__ksyms ksyms;
	int ksyms_err; /* 0 until loaded; then 1 (ok) or -errno */
	struct proc *procs;
	struct ember__elf *files;
};

int ember_symbolizer_new(const struct ember_symbolizer_opts *opts,
			 struct ember_symbolizer **out)
{
	struct ember_symbolizer_opts o;
	struct ember_symbolizer *s;
	int err;

	if (!out)
		return ember__error(EINVAL, "symbolizer: out is NULL");
	*out = NULL;
	err = EMBER_OPTS_COPY(o, opts, "ember_symbolizer_opts");
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s ||
	    !(s->kallsyms_path = strdup(o.kallsyms_path ? o.kallsyms_path
							: "/proc/kallsyms"))) {
		free(s);
		return ember__error(ENOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

static void proc_free(struct proc *p)
{
	free(p->maps);
	free(p);
}

void ember_symbolizer_free(struct ember_symbolizer *s)
{
	struct ember__elf *e;
	struct proc *p;

	if (!s)
		return;
	while ((p = s->procs)) {
		s->procs = p->next;
		proc_free(p);
	}
	while ((e = s->files)) {
		s->files = e->next;
		ember__elf_free(e);
	}
	ember__ksyms_free(&s->ksyms);
	free(s->kallsyms_path);
	free(s);
}

/* ------------------------------------------------------------------ */
/* Kernel                                                              */

static int ksyms(struct ember_symbolizer *s)
{
	int err;

	if (!s->ksyms_err) {
		err = ember__ksyms_load(s->kallsyms_path, &s->ksyms);
		s->ksyms_err = err ? err : 1;
	}
	if (s->ksyms_err == -EACCES)
		return ember__error(EACCES,
				    "%s shows no addresses: kernel "
				    "symbols need root (or "
				    "kernel.kptr_restrict=0)",
				    s->kallsyms_path);
	if (s->ksyms_err < 0)
		return ember__error(-s->ksyms_err, "cannot read %s: %s",
				    s->kallsyms_path, strerror(-s->ksyms_err));
	return 0;
}

int ember_symbolize_kernel(struct ember_symbolizer *s, uint64_t addr,
			   struct ember_sym *sym)
{
	const struct ember__ksym *k;
	int err;

	if (!s || !sym)
		return ember__error(EINVAL, "symbolize: NULL argument");
	err = ksyms(s);
	if (err)
		return err;
	k = ember__ksyms_find(&s->ksyms, addr);
	if (!k)
		return ember__error(ENOENT, "no kernel symbol at 0x%" PRIx64,
				    addr);
	sym->name = k->name;
	sym->module = k->module;
	sym->start = k->addr;
	sym->offset = addr - k->addr;
	return 0;
}

int ember_symbolizer_kernel_addr(struct ember_symbolizer *s, const char *name,
				 uint64_t *addr)
{
	const struct ember__ksym *k;
	int err;

	if (!s || !name || !addr)
		return ember__error(EINVAL, "kernel_addr: NULL argument");
	err = ksyms(s);
	if (err)
		return err;
	k = ember__ksyms_by_name(&s->ksyms, name);
	if (!k)
		return ember__error(ENOENT, "no kernel symbol '%s'", name);
	*addr = k->addr;
	return 0;
}

/* ------------------------------------------------------------------ */
/* User space                                                          */

/* Open the file of a mapping as the process sees it: through map_files
 * (also finds deleted files; needs privileges), else through its root. */
static int open_mapped(int pid, uint64_t start, uint64_t end, const char *path)
{
	char buf[4200];
	int fd;

	snprintf(buf, sizeof(buf), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 pid, start, end);
	fd = open(buf, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	snprintf(buf, sizeof(buf), "/proc/%d/root%s", pid, path);
	fd = open(buf, O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? fd : open(path, O_RDONLY | O_CLOEXEC);
}

/* The cached symbols of a file, loading them on first sight. */
static struct ember__elf *file_for(struct ember_symbolizer *s, int pid,
				   const struct mapping *m, const char *path,
				   uint64_t dev, uint64_t ino)
{
	struct ember__elf *e;
	int fd;

	for (e = s->files; e; e = e->next)
		if (e->dev == dev && e->ino == ino && !strcmp(e->path, path))
			return e;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->path = strdup(path))) {
		free(e);
		return NULL;
	}
	e->dev = dev;
	e->ino = ino;
	fd = open_mapped(pid, m->start, m->end, path);
	if (fd < 0)
		e->err = -errno;
	else
		ember__elf_load(e, fd);
	if (fd >= 0)
		close(fd);
	e->next = s->files;
	s->files = e;
	return e;
}

static int load_maps(struct ember_symbolizer *s, int pid, struct proc *p)
{
	char path[64], *line = NULL;
	size_t cap = 0, alloc = 0;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &cap, f) > 0) {
		unsigned long long start, end, off, ino;
		unsigned int maj, min;
		char perms[8];
		int name_at = 0;
		struct mapping m;
		char *file, *nl;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start,
			   &end, perms, &off, &maj, &min, &ino, &name_at) < 7 ||
		    !strchr(perms, 'x') || !name_at)
			continue;
		file = line + name_at;
		nl = strchr(file, '\n');
		if (nl)
			*nl = 0;
		if (file[0] != '/') /* [vdso], anonymous JIT code, ... */
			continue;
		m.start = start;
		m.end = end;
		m.pgoff = off;
		m.elf = file_for(s, pid, &m, file, ((uint64_t)maj << 32) | min,
				 ino);
		if (!m.elf) {
			err = -ENOMEM;
			break;
		}
		if (p->count == alloc) {
			size_t n = alloc ? alloc * 2 : 16;
			struct mapping *grown =
				realloc(p->maps, n * sizeof(*grown));

			if (!grown) {
				err = -ENOMEM;
				break;
			}
			p->maps = grown;
			alloc = n;
		}
		p->maps[p->count++] = m;
	}
	free(line);
	fclose(f);
	return err;
}

static struct proc *proc_find(struct ember_symbolizer *s, int pid)
{
	struct proc *p;

	for (p = s->procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

void ember_symbolizer_forget_pid(struct ember_symbolizer *s, int pid)
{
	struct proc **pp, *p;

	if (!s)
		return;
	for (pp = &s->procs; (p = *pp); pp = &p->next)
		if (p->pid == pid) {
			*pp = p->next;
			proc_free(p);
			return;
		}
}

static const struct mapping *mapping_of(const struct proc *p, uint64_t addr)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		if (addr >= p->maps[i].start && addr < p->maps[i].end)
			return &p->maps[i];
	return NULL;
}

int ember_symbolize_user(struct ember_symbolizer *s, int pid, uint64_t addr,
			 struct ember_sym *sym)
{
	const struct ember__elf_sym *es;
	const struct mapping *m = NULL;
	struct proc *p;
	uint64_t vaddr;
	int err, tries;

	if (!s || !sym || pid <= 0)
		return ember__error(EINVAL, "symbolize: bad argument");
	/* a miss in cached maps may be new code: read the maps again once */
	for (tries = 0; tries < 2 && !m; tries++) {
		p = proc_find(s, pid);
		if (p && tries) {
			ember_symbolizer_forget_pid(s, pid);
			p = NULL;
		}
		if (!p) {
			p = calloc(1, sizeof(*p));
			if (!p)
				return ember__error(ENOMEM, "out of memory");
			p->pid = pid;
			err = load_maps(s, pid, p);
			if (err) {
				proc_free(p);
				return ember__error(-err,
						    "cannot read the maps "
						    "of process %d: %s",
						    pid, strerror(-err));
			}
			p->next = s->procs;
			s->procs = p;
		}
		m = mapping_of(p, addr);
	}
	if (!m)
		return ember__error(ENOENT,
				    "no code of process %d is mapped "
				    "at 0x%" PRIx64,
				    pid, addr);
	if (m->elf->err)
		return ember__error(-m->elf->err, "%s: cannot read symbols: %s",
				    m->elf->path, strerror(-m->elf->err));
	if (!ember__elf_vaddr(m->elf, addr - m->start + m->pgoff, &vaddr) ||
	    !(es = ember__elf_find(m->elf, vaddr)))
		return ember__error(ENOENT, "no symbol at 0x%" PRIx64 " in %s",
				    addr, m->elf->path);
	sym->name = es->name;
	sym->module = m->elf->path;
	sym->start = es->addr;
	sym->offset = vaddr - es->addr;
	return 0;
}

int ember_sym_snprintf(const struct ember_sym *sym, char *buf, size_t size,
		       unsigned int flags)
{
	char off[32] = "";
	const char *mod_open = "", *mod = "", *mod_close = "";

	if (!buf && size)
		return ember__error(EINVAL, "sym_snprintf: buf is NULL");
	if (!sym || !sym->name)
		return snprintf(buf, size, "[unknown]");
	if (flags & EMBER_SYM_OFFSET)
		snprintf(off, sizeof(off), "+0x%" PRIx64, sym->offset);
	if ((flags & EMBER_SYM_MODULE) && sym->module) {
		mod_open = " [";
		mod = sym->module;
		mod_close = "]";
	}
	return snprintf(buf, size, "%s%s%s%s%s", sym->name, off, mod_open, mod,
			mod_close);
}
