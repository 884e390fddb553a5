// SPDX-License-Identifier: MIT
/*
 * Calls in the generated object that no kernel loads: an indirect call
 * (BPF_CALLX, through a function pointer the optimiser could not resolve),
 * which the verifier refuses as "unknown opcode 8d" before it reads a line.
 * Whether a call stays indirect is the optimiser's decision (a pointer to a
 * known function passed into an inlined function becomes a direct call), so
 * this looks at the instructions, and names the place through the object's
 * line info (.BTF.ext).
 */
#include "compiler/object_calls.h"

#include <errno.h>
#include <gelf.h>
#include <stdint.h>
#include <string.h>

#include "error.h"

#define INSN_SIZE 8
#define OP_CALLX 0x8d /* BPF_JMP | BPF_CALL | BPF_X */

struct sect {
	const uint8_t *p;
	size_t len;
};

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static struct sect section_named(Elf *elf, size_t shstrndx, const char *want)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		d = n && !strcmp(n, want) ? elf_getdata(scn, NULL) : NULL;
		if (d && d->d_buf)
			return (struct sect){ d->d_buf, d->d_size };
	}
	return (struct sect){ NULL, 0 };
}

/* String off of the .BTF string section, or NULL. */
static const char *btf_str(struct sect btf, uint32_t off)
{
	uint32_t hdr, str_off, str_len;

	if (btf.len < 24)
		return NULL;
	hdr = u32_at(btf.p + 4);
	str_off = u32_at(btf.p + 16);
	str_len = u32_at(btf.p + 20);
	if (hdr > btf.len || str_off > btf.len - hdr ||
	    str_len > btf.len - hdr - str_off || off >= str_len ||
	    !memchr(btf.p + hdr + str_off + off, 0, str_len - off))
		return NULL;
	return (const char *)btf.p + hdr + str_off + off;
}

/* Is f the user's file? Debug info makes a relative name absolute. */
static bool same_file(const char *f, const char *name)
{
	size_t fl = strlen(f), nl = strlen(name);

	return !strcmp(f, name) ||
	       (name[0] != '/' && fl > nl && f[fl - nl - 1] == '/' &&
		!strcmp(f + fl - nl, name));
}

/*
 * The user's line:col nearest before byte insn_off of section sec, from
 * .BTF.ext's line info (records: insn_off, file, line, line_col). False
 * when there is none.
 */
static bool line_of(struct sect btf, struct sect ext, const char *sec,
		    uint32_t insn_off, const char *file, unsigned int *line,
		    unsigned int *col)
{
	uint32_t hdr, off, len, rec;
	const uint8_t *p, *end;
	bool found = false;

	if (ext.len < 24)
		return false;
	hdr = u32_at(ext.p + 4);
	off = u32_at(ext.p + 16);
	len = u32_at(ext.p + 20);
	if (hdr > ext.len || off > ext.len - hdr || len > ext.len - hdr - off ||
	    len < 4)
		return false;
	p = ext.p + hdr + off;
	end = p + len;
	rec = u32_at(p);
	p += 4;
	if (rec < 16)
		return false;
	while (end - p >= 8) {
		const char *name = btf_str(btf, u32_at(p));
		uint32_t n = u32_at(p + 4);

		p += 8;
		if (n > (size_t)(end - p) / rec)
			return false;
		for (uint32_t i = 0; name && !strcmp(name, sec) && i < n; i++) {
			const uint8_t *r = p + (size_t)i * rec;
			const char *f = btf_str(btf, u32_at(r + 4));

			if (u32_at(r) > insn_off)
				break;
			if (f && same_file(f, file) && u32_at(r + 12) >> 10) {
				*line = u32_at(r + 12) >> 10;
				*col = u32_at(r + 12) & 0x3ff;
				found = true;
			}
		}
		p += (size_t)n * rec;
	}
	return found;
}

int ember__check_object_calls(const struct ember_rewriter *rw, const void *obj,
			      size_t len)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	struct sect btf, ext;
	int err = 0;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)obj, len);
	if (!elf)
		return 0; /* the loader says what is wrong with it */
	if (elf_getshdrstrndx(elf, &shstrndx)) {
		elf_end(elf);
		return 0;
	}
	btf = section_named(elf, shstrndx, ".BTF");
	ext = section_named(elf, shstrndx, ".BTF.ext");
	while (!err && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *sec;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR))
			continue;
		d = elf_getdata(scn, NULL);
		sec = elf_strptr(elf, shstrndx, sh.sh_name);
		for (size_t i = 0;
		     d && d->d_buf && sec && i + INSN_SIZE <= d->d_size;
		     i += INSN_SIZE) {
			unsigned int line, col;

			if (((const uint8_t *)d->d_buf)[i] != OP_CALLX)
				continue;
			if (line_of(btf, ext, sec, (uint32_t)i, rw->name, &line,
				    &col)) {
				col = ember__edits_map_column(&rw->edits,
							      rw->text, rw->len,
							      line, col);
				err = ember__error(
					EINVAL,
					"%s:%u:%u: error: a call through a "
					"function pointer: BPF has no indirect "
					"calls (the verifier refuses \"unknown "
					"opcode 8d\"); call the function by "
					"name",
					rw->name, line, col);
			} else {
				err = ember__error(
					EINVAL,
					"%s: error: a call through a function "
					"pointer in program section '%s': BPF "
					"has no indirect calls (the verifier "
					"refuses \"unknown opcode 8d\"); call "
					"the function by name",
					rw->name, sec);
			}
			break;
		}
	}
	elf_end(elf);
	return err;
}
