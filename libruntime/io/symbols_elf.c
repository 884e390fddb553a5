// SPDX-License-Identifier: MIT
/*
 * Function symbols of an ELF file with libelf: .symtab when the file has
 * one, else that of its separate debug file (by build id under
 * /usr/lib/debug/.build-id, or by .gnu_debuglink), else .dynsym; and the
 * loadable segments that turn a file offset into an ELF address.
 */
#include "io/symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEBUG_ROOT "/usr/lib/debug"

static int cmp_sym(const void *a, const void *b)
{
	const struct ember__elf_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* sized symbols before their zero-sized aliases */
	return x->size > y->size ? -1 : x->size < y->size;
}

static Elf_Scn *find_section(Elf *elf, Elf64_Word type, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type)
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || (n && !strcmp(n, name)))
			return scn;
	}
	return NULL;
}

static bool wanted(const GElf_Sym *s)
{
	int type = GELF_ST_TYPE(s->st_info);

	return (type == STT_FUNC || type == STT_GNU_IFUNC) &&
	       s->st_shndx != SHN_UNDEF && s->st_value;
}

/* Append the function symbols of table scn to e (two passes: count and
 * size the name storage, then copy). */
static int read_symtab(struct ember__elf *e, Elf *elf, Elf_Scn *scn)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n, names_len = 0, used = 0;
	GElf_Shdr sh;
	GElf_Sym s;

	if (!data || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return -EINVAL;
	n = sh.sh_size / sh.sh_entsize;
	for (i = 0; i < n; i++) {
		const char *name;

		if (!gelf_getsym(data, (int)i, &s) || !wanted(&s))
			continue;
		name = elf_strptr(elf, sh.sh_link, s.st_name);
		if (name && *name) {
			names_len += strlen(name) + 1;
			used++;
		}
	}
	e->syms = calloc(used ? used : 1, sizeof(*e->syms));
	e->names = malloc(names_len ? names_len : 1);
	if (!e->syms || !e->names)
		return -ENOMEM;
	names_len = 0;
	for (i = 0; i < n && e->count < used; i++) {
		struct ember__elf_sym *out = &e->syms[e->count];
		const char *name;
		size_t len;

		if (!gelf_getsym(data, (int)i, &s) || !wanted(&s))
			continue;
		name = elf_strptr(elf, sh.sh_link, s.st_name);
		if (!name || !*name)
			continue;
		len = strlen(name) + 1;
		memcpy(e->names + names_len, name, len);
		out->name = e->names + names_len;
		out->addr = s.st_value;
		out->size = s.st_size;
		names_len += len;
		e->count++;
	}
	qsort(e->syms, e->count, sizeof(*e->syms), cmp_sym);
	return 0;
}

static int read_segments(struct ember__elf *e, Elf *elf)
{
	size_t n, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return -EINVAL;
	e->segs = calloc(n ? n : 1, sizeof(*e->segs));
	if (!e->segs)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD) {
			e->segs[e->nsegs].off = ph.p_offset;
			e->segs[e->nsegs].filesz = ph.p_filesz;
			e->segs[e->nsegs].vaddr = ph.p_vaddr;
			e->nsegs++;
		}
	return 0;
}

/* The GNU build id as hex, from the note sections. */
static bool build_id(Elf *elf, char *hex, size_t size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off, i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		while (data && (off = gelf_getnote(data, off, &nh, &name_off,
						   &desc_off)) > 0) {
			const unsigned char *d =
				(const unsigned char *)data->d_buf + desc_off;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)data->d_buf + name_off, "GNU", 4) ||
			    nh.n_descsz * 2 + 1 > size || nh.n_descsz < 2)
				continue;
			for (i = 0; i < nh.n_descsz; i++)
				sprintf(hex + 2 * i, "%02x", d[i]);
			return true;
		}
	}
	return false;
}

static int open_debug_by_build_id(Elf *elf)
{
	char hex[129], path[256];

	if (!build_id(elf, hex, sizeof(hex)))
		return -1;
	snprintf(path, sizeof(path), DEBUG_ROOT "/.build-id/%.2s/%s.debug", hex,
		 hex + 2);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* .gnu_debuglink names a file next to the binary, in its .debug/, or under
 * /usr/lib/debug with the binary's directory. */
static int open_debug_by_link(Elf *elf, const char *bin_path)
{
	Elf_Scn *scn = find_section(elf, SHT_PROGBITS, ".gnu_debuglink");
	Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;
	char dir[4096], path[8192];
	const char *name;
	int fd;

	if (!data || !data->d_size || !bin_path)
		return -1;
	name = data->d_buf;
	if (!memchr(name, 0, data->d_size) || strchr(name, '/'))
		return -1;
	snprintf(dir, sizeof(dir), "%s", bin_path);
	dirname(dir);
	snprintf(path, sizeof(path), "%s/.debug/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(path, sizeof(path), DEBUG_ROOT "%s/%s", dir, name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		/* the binary itself is not its own debug file */
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (strcmp(path, bin_path))
			fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	return fd;
}

/* .symtab of a separate debug file; false when there is none. */
static bool read_debug_file(struct ember__elf *e, Elf *elf)
{
	int fd = open_debug_by_build_id(elf);
	Elf_Scn *scn;
	Elf *dbg;
	bool ok = false;

	if (fd < 0)
		fd = open_debug_by_link(elf, e->path);
	if (fd < 0)
		return false;
	dbg = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	scn = dbg ? find_section(dbg, SHT_SYMTAB, NULL) : NULL;
	if (scn && !read_symtab(e, dbg, scn))
		ok = e->count > 0;
	if (!ok) {
		free(e->syms);
		free(e->names);
		e->syms = NULL;
		e->names = NULL;
		e->count = 0;
	}
	if (dbg)
		elf_end(dbg);
	close(fd);
	return ok;
}

int ember__elf_load(struct ember__elf *e, int fd)
{
	Elf_Scn *scn;
	Elf *elf;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return e->err = -EINVAL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		return e->err = -ENOEXEC;
	}
	err = read_segments(e, elf);
	scn = find_section(elf, SHT_SYMTAB, NULL);
	if (!err && scn) {
		err = read_symtab(e, elf, scn);
	} else if (!err && !read_debug_file(e, elf)) {
		scn = find_section(elf, SHT_DYNSYM, NULL);
		err = scn ? read_symtab(e, elf, scn) : -ENOENT;
	}
	elf_end(elf);
	return e->err = err;
}

void ember__elf_free(struct ember__elf *e)
{
	if (!e)
		return;
	free(e->path);
	free(e->syms);
	free(e->names);
	free(e->segs);
	free(e);
}

bool ember__elf_vaddr(const struct ember__elf *e, uint64_t off, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < e->nsegs; i++)
		/* off - start, not start + filesz: filesz may wrap too */
		if (off >= e->segs[i].off &&
		    off - e->segs[i].off < e->segs[i].filesz) {
			*vaddr = off - e->segs[i].off + e->segs[i].vaddr;
			return true;
		}
	return false;
}

const struct ember__elf_sym *ember__elf_find(const struct ember__elf *e,
					     uint64_t vaddr)
{
	size_t i = ember__syms_at(e->syms, e->count, sizeof(*e->syms), vaddr);
	const struct ember__elf_sym *s = i < e->count ? &e->syms[i] : NULL;

	/* the run of symbols at this address starts with the sized one */
	if (!s)
		return NULL;
	/* vaddr - addr, not addr + size: a (bogus) size may wrap past 2^64 */
	if (s->size && vaddr - s->addr >= s->size)
		return NULL;
	return s;
}
