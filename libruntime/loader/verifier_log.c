// SPDX-License-Identifier: MIT
#include "loader/verifier_log.h"

#include <bpf/btf.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/*
 * With BTF line info the verifier prints the source line of the instructions
 * that follow as "; <source text> @ <file>:<line>" (older kernels omit the
 * " @ file:line" part). The last such line before the rejection is where the
 * program went wrong. Line 0 is the compiler's "no line" (code it made up or
 * merged): skipped.
 */
static const char *last_source_line(const char *log, size_t *len)
{
	const char *p = log, *found = NULL;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t l = eol ? (size_t)(eol - p) : strlen(p);

		if (l > 2 && p[0] == ';' && p[1] == ' ' &&
		    !(l >= 2 && p[l - 2] == ':' && p[l - 1] == '0')) {
			found = p + 2;
			*len = l - 2;
		}
		p += l + (eol ? 1 : 0);
	}
	return found;
}

/* Start of the last n non-empty lines of log. */
static const char *tail_lines(const char *log, int n)
{
	const char *end = log + strlen(log);

	while (end > log && end[-1] == '\n')
		end--;
	while (end > log) {
		end--;
		if (*end == '\n' && --n == 0)
			return end + 1;
	}
	return log;
}

/*
 * The instruction the verifier stopped at: the last "N: (op) ..." line of the
 * log. -1 when there is none.
 */
static long failing_insn(const char *log)
{
	const char *p = log;
	long found = -1;

	while (*p) {
		const char *eol = strchr(p, '\n');
		char *end;
		long n = strtol(p, &end, 10);

		if (end > p && *p >= '0' && *p <= '9' &&
		    !strncmp(end, ": (", 3))
			found = n;
		if (!eol)
			break;
		p = eol + 1;
	}
	return found;
}

/* The section of elf named name, with its data; NULL if absent. */
static Elf_Data *section_data(Elf *elf, const char *name, GElf_Shdr *sh)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, sh))
			continue;
		n = elf_strptr(elf, shstrndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return elf_getdata(scn, NULL);
	}
	return NULL;
}

/* Function symbol name of elf: its section's name, offset and size. */
static int function_symbol(Elf *elf, const char *name, const char **sec,
			   GElf_Sym *sym)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return -1;
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			const char *n;
			GElf_Shdr ps;

			if (!gelf_getsym(d, (int)i, sym) ||
			    GELF_ST_TYPE(sym->st_info) != STT_FUNC)
				continue;
			n = elf_strptr(elf, sh.sh_link, sym->st_name);
			if (!n || strcmp(n, name) ||
			    !gelf_getshdr(elf_getscn(elf, sym->st_shndx), &ps))
				continue;
			*sec = elf_strptr(elf, shstrndx, ps.sh_name);
			return *sec ? 0 : -1;
		}
	}
	return -1;
}

/* Is path name, or name in some directory? */
static bool ends_with_path(const char *path, const char *name)
{
	size_t pl = strlen(path), nl = strlen(name);

	return pl >= nl && !strcmp(path + pl - nl, name) &&
	       (pl == nl || path[pl - nl - 1] == '/');
}

/* Line n (1-based) of text, without its newline. */
static bool nth_line(const char *text, unsigned int n, const char **line,
		     size_t *len)
{
	const char *eol;

	for (; n > 1 && text; n--) {
		text = strchr(text, '\n');
		text = text ? text + 1 : NULL;
	}
	if (!text || !n)
		return false;
	eol = strchr(text, '\n');
	*line = text;
	*len = eol ? (size_t)(eol - text) : strlen(text);
	return true;
}

/* .BTF.ext as the compiler writes it (offsets after the header). */
struct btf_ext_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len;
	uint32_t line_info_off, line_info_len;
};

struct line_rec {
	uint32_t insn_off; /* bytes into the section, in an object file */
	uint32_t file_name_off, line_off, line_col;
};

/*
 * "name:line: text" of instruction insn of function prog, from the BTF line
 * info of src's object, with the text quoted from src's program text (the
 * compiler records none for an in-memory file), into buf. The kernel prints
 * the same line info, but only kernels since 6.3 say which line; this works
 * on all. Instructions of subprograms (appended after the function by
 * libbpf) are not mapped. Returns 0 or -1.
 */
static int source_of_insn(const struct ember_verifier_source *src,
			  const char *prog, long insn, char *buf, size_t size)
{
	struct line_rec best = { 0 };
	bool found = false;
	struct btf_ext_hdr h;
	const char *sec, *p, *end;
	struct btf *btf = NULL;
	Elf_Data *bd, *ed;
	GElf_Shdr sh;
	GElf_Sym sym;
	uint32_t rec_size;
	uint64_t at;
	Elf *elf;
	int ret = -1;

	if (!src || !src->obj || insn < 0 || elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	elf = elf_memory((char *)src->obj, src->obj_len);
	if (!elf)
		return -1;
	if (function_symbol(elf, prog, &sec, &sym) ||
	    (uint64_t)insn * 8 >= sym.st_size ||
	    !(bd = section_data(elf, ".BTF", &sh)) ||
	    !(ed = section_data(elf, ".BTF.ext", &sh)) ||
	    ed->d_size < sizeof(h))
		goto out;
	memcpy(&h, ed->d_buf, sizeof(h));
	if (h.magic != 0xeB9F || h.hdr_len < sizeof(h) ||
	    (uint64_t)h.hdr_len + h.line_info_off + h.line_info_len >
		    ed->d_size ||
	    h.line_info_len < 4)
		goto out;
	btf = btf__new(bd->d_buf, bd->d_size);
	if (!btf)
		goto out;
	p = (const char *)ed->d_buf + h.hdr_len + h.line_info_off;
	end = p + h.line_info_len;
	memcpy(&rec_size, p, 4);
	p += 4;
	if (rec_size < sizeof(struct line_rec))
		goto out;
	at = sym.st_value + (uint64_t)insn * 8;
	/* blocks of { section name, count, records } */
	while (end - p >= 8) {
		uint32_t name_off, n;
		const char *name;

		memcpy(&name_off, p, 4);
		memcpy(&n, p + 4, 4);
		p += 8;
		if ((uint64_t)n * rec_size > (uint64_t)(end - p))
			goto out;
		name = btf__name_by_offset(btf, name_off);
		for (uint32_t i = 0; name && !strcmp(name, sec) && i < n; i++) {
			struct line_rec r;

			memcpy(&r, p + (size_t)i * rec_size, sizeof(r));
			/* line 0: code of no line; the nearest
			 * instruction before it that has one */
			if (r.line_col >> 10 && r.insn_off >= sym.st_value &&
			    r.insn_off <= at &&
			    (!found || r.insn_off >= best.insn_off)) {
				best = r;
				found = true;
			}
		}
		p += (size_t)n * rec_size;
	}
	if (found) {
		const char *file = btf__name_by_offset(btf, best.file_name_off);
		unsigned int line = best.line_col >> 10;
		const char *text = btf__name_by_offset(btf, best.line_off);
		size_t text_len = text ? strlen(text) : 0;

		if (!file)
			goto out;
		/* The compiler records NAME relative to its directory. */
		if (src->name && ends_with_path(file, src->name))
			file = src->name;
		if (src->text)
			nth_line(src->text, line, &text, &text_len);
		while (text_len && (*text == ' ' || *text == '\t')) {
			text++;
			text_len--;
		}
		snprintf(buf, size, "%s:%u%s%.*s", file, line,
			 text_len ? ": " : "", (int)text_len, text);
		ret = 0;
	}
out:
	btf__free(btf);
	elf_end(elf);
	return ret;
}

int ember__verifier_error(int err, const char *prog_name, const char *log,
			  const struct ember_verifier_source *source)
{
	const char *src, *tail, *at, *relo;
	size_t src_len = 0, tail_len;
	char where[512] = "", line[480];
	long insn;

	if (!log || !*log)
		return ember__error(err,
				    "the kernel rejected program '%s' (%s) and "
				    "gave no verifier log",
				    prog_name, strerror(err));
	src = last_source_line(log, &src_len);
	insn = failing_insn(log);
	if (!source_of_insn(source, prog_name, insn, line, sizeof(line))) {
		snprintf(where, sizeof(where), " at %s", line);
	} else if (src) {
		/* "text @ file:line" → "file:line: text" */
		at = NULL;
		for (const char *q = src; q + 3 <= src + src_len; q++)
			if (!memcmp(q, " @ ", 3))
				at = q;
		if (at)
			snprintf(where, sizeof(where), " at %.*s: %.*s",
				 (int)(src + src_len - at - 3), at + 3,
				 (int)(at - src), src);
		else
			snprintf(where, sizeof(where), " at: %.*s",
				 (int)src_len, src);
	} else if (insn >= 0) {
		snprintf(where, sizeof(where),
			 " at instruction %ld (no source line is known for it)",
			 insn);
	}
	/* libbpf rewrites the verifier's "unknown#195896080" for a field the
	 * running kernel lacks into a line that names it: lead with that. */
	relo = strstr(log, "failed to resolve CO-RE relocation");
	if (relo) {
		const char *eol = strchr(relo, '\n');
		int n = eol ? (int)(eol - relo) : (int)strlen(relo);

		return ember__error(err,
				    "program '%s'%s reads a kernel field or "
				    "type the running kernel does not have: "
				    "%.*s",
				    prog_name, where, n, relo);
	}
	tail = tail_lines(log, EMBER_VERIFIER_EXCERPT_LINES);
	tail_len = strlen(tail);
	while (tail_len && tail[tail_len - 1] == '\n')
		tail_len--;
	return ember__error(err,
			    "the BPF verifier rejected program '%s'%s\n"
			    "verifier log (last lines):\n%.*s",
			    prog_name, where, (int)tail_len, tail);
}
