// SPDX-License-Identifier: MIT
/*
 * Prebuilt objects: a compiled module as a BPF ELF file that libbpf loads as
 * it is, plus one section libbpf skips (".ember", not allocated) with what
 * the module knows beyond the ELF: its programs' sections as ember names
 * them, the BCC table kinds, event types, drop slots, pins and sharing, and
 * the program text (to quote a line the verifier rejects).
 *
 * The section's bytes: struct meta_header, the text (text_len bytes, none
 * when text_len is NO_TEXT), then the module's description as
 * ember__compiled_pack writes it (with no object, rewritten text or
 * warnings: the object is the file itself). Host byte order, as the BPF
 * code of the object. Any change of those bytes bumps META_VERSION.
 *
 * An object is untrusted input (ember runs as root): the ELF is walked by
 * libelf with every offset checked against the file, the metadata is read
 * by the bounds-checked unpacker, and each program and table it names must
 * exist, as named, in what libbpf opens from the same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "compiler/compiler_client.h"
#include "compiler/isolation.h"
#include "opts.h"
#include "timing.h"
#include "loader/libbpf_log.h"
#include "loader/module.h"

#define META_SECTION ".ember"
#define META_MAGIC "EMBEROBJ"
#define META_VERSION 1u
#define NO_TEXT UINT32_MAX
/* Far above any BPF object; bounds what is read into memory. */
#define OBJECT_MAX (256u << 20)

struct meta_header {
	char magic[8];
	uint32_t version;
	uint32_t text_len;
};

/* ---- writing ---- */

/* The .ember bytes of m, malloc'd. */
static int meta_build(const struct ember_module *m, char **buf, size_t *len)
{
	struct ember_compiled desc = m->compiled;
	struct meta_header h = { .version = META_VERSION };
	FILE *f = open_memstream(buf, len);

	if (!f)
		return -ENOMEM;
	memcpy(h.magic, META_MAGIC, sizeof(h.magic));
	h.text_len = m->text ? (uint32_t)strlen(m->text) : NO_TEXT;
	fwrite(&h, sizeof(h), 1, f);
	if (m->text)
		fputs(m->text, f);
	/* empty, not NULL: the packer writes them with fwrite */
	desc.obj = "";
	desc.obj_len = 0;
	desc.rewritten = "";
	desc.rewritten_len = 0;
	desc.warnings = NULL;
	ember__compiled_pack(&desc, f);
	if (ferror(f) | fclose(f)) {
		free(*buf);
		*buf = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* The section named name of e, or NULL; *cnt: how many there are. */
static Elf_Scn *find_section(Elf *e, size_t shstrndx, const char *name,
			     int *cnt)
{
	Elf_Scn *scn = NULL, *found = NULL;
	GElf_Shdr sh;

	*cnt = 0;
	while ((scn = elf_nextscn(e, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(e, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name)) {
			found = found ? found : scn;
			(*cnt)++;
		}
	}
	return found;
}

/* Put meta into the ELF file fd as section .ember (replacing the one an
 * object opened from a file already has). */
static int add_meta_section(int fd, void *meta, size_t meta_len)
{
	static const char name[] = META_SECTION;
	Elf *e = elf_begin(fd, ELF_C_RDWR, NULL);
	Elf_Data *d, *names;
	Elf_Scn *scn, *strscn;
	GElf_Shdr sh;
	size_t shstrndx;
	int cnt, err = -EINVAL;

	if (!e)
		return -EINVAL;
	if (elf_getshdrstrndx(e, &shstrndx) ||
	    !(strscn = elf_getscn(e, shstrndx)) || !gelf_getshdr(strscn, &sh))
		goto out;
	scn = find_section(e, shstrndx, META_SECTION, &cnt);
	if (scn) {
		d = elf_getdata(scn, NULL);
		if (!d)
			goto out;
	} else {
		/* the name goes at the end of the section name table */
		size_t name_off = sh.sh_size;

		names = elf_newdata(strscn);
		scn = elf_newscn(e);
		if (!names || !scn || !gelf_getshdr(scn, &sh))
			goto out;
		names->d_buf = (void *)name;
		names->d_size = sizeof(name);
		names->d_align = 1;
		names->d_type = ELF_T_BYTE;
		sh.sh_name = (GElf_Word)name_off;
		sh.sh_type = SHT_PROGBITS;
		sh.sh_flags = 0; /* not loaded: libbpf skips it */
		sh.sh_addralign = 8;
		if (!gelf_update_shdr(scn, &sh))
			goto out;
		d = elf_newdata(scn);
		if (!d)
			goto out;
	}
	d->d_buf = meta;
	d->d_size = meta_len;
	d->d_align = 8;
	d->d_type = ELF_T_BYTE;
	elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
	if (elf_update(e, ELF_C_WRITE) >= 0)
		err = 0;
out:
	elf_end(e);
	return err;
}

/* Write the file at tmp (fd): the object, then its .ember section. */
static int write_file(const struct ember_module *m, int fd, const char *path,
		      void *meta, size_t meta_len)
{
	int err = write_all(fd, m->compiled.obj, m->compiled.obj_len);

	if (err)
		return ember__error(-err, "%s: %s", path, strerror(-err));
	err = add_meta_section(fd, meta, meta_len);
	if (err)
		return ember__error(-err,
				    "%s: libelf could not add the %s "
				    "section: %s",
				    path, META_SECTION, elf_errmsg(-1));
	if (fchmod(fd, 0644))
		return ember__error(errno, "%s: %s", path, strerror(errno));
	return 0;
}

int ember_module_write_object(const struct ember_module *m, const char *path)
{
	char *meta = NULL, *tmp = NULL;
	size_t meta_len = 0;
	int fd, err;

	if (!m || !path || !m->compiled.obj)
		return ember__error(EINVAL, "ember_module_write_object: a "
					    "compiled module and a path "
					    "needed");
	if (elf_version(EV_CURRENT) == EV_NONE)
		return ember__error(EINVAL, "libelf: %s", elf_errmsg(-1));
	if (meta_build(m, &meta, &meta_len) ||
	    asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		free(meta);
		return ember__error(ENOMEM, "out of memory");
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = ember__error(errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	err = write_file(m, fd, path, meta, meta_len);
	if (close(fd) && !err)
		err = ember__error(errno, "%s: %s", path, strerror(errno));
	if (!err && rename(tmp, path))
		err = ember__error(errno, "%s: %s", path, strerror(errno));
	if (err)
		unlink(tmp);
out:
	free(tmp);
	free(meta);
	return err;
}

/* ---- reading ---- */

/* Where .ember lies in the ELF at obj (checked: inside the file, the only
 * one of that name). */
static int locate_meta(const struct ember_module *m, const char *obj,
		       size_t len, size_t *off, size_t *size)
{
	Elf *e = elf_memory((char *)obj, len);
	GElf_Ehdr eh;
	GElf_Shdr sh;
	Elf_Scn *scn;
	size_t shstrndx, shnum;
	int cnt, err = 0;

	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) ||
	    gelf_getclass(e) != ELFCLASS64) {
		err = ember__error(EINVAL, "%s: not a 64-bit ELF object",
				   m->name);
		goto out;
	}
	if (eh.e_machine != EM_BPF || eh.e_type != ET_REL) {
		err = ember__error(EINVAL,
				   "%s: not a BPF object (ELF machine %u, "
				   "type %u)",
				   m->name, eh.e_machine, eh.e_type);
		goto out;
	}
	if (elf_getshdrnum(e, &shnum) || eh.e_shoff > len ||
	    shnum > (len - eh.e_shoff) / sizeof(Elf64_Shdr)) {
		err = ember__error(EINVAL,
				   "%s: truncated ELF object (its section "
				   "headers lie beyond its %zu bytes)",
				   m->name, len);
		goto out;
	}
	if (elf_getshdrstrndx(e, &shstrndx)) {
		err = ember__error(EINVAL, "%s: malformed ELF: %s", m->name,
				   elf_errmsg(-1));
		goto out;
	}
	scn = find_section(e, shstrndx, META_SECTION, &cnt);
	if (!scn) {
		err = ember__error(EINVAL,
				   "%s: a BPF object without ember's %s "
				   "section (not written by ember build): "
				   "load it with libbpf",
				   m->name, META_SECTION);
		goto out;
	}
	if (cnt > 1 || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
	    sh.sh_offset > len || sh.sh_size > len - sh.sh_offset) {
		err = ember__error(EINVAL, "%s: malformed %s section (%s)",
				   m->name, META_SECTION,
				   cnt > 1 ? "more than one"
					   : "outside the file");
		goto out;
	}
	*off = sh.sh_offset;
	*size = sh.sh_size;
out:
	elf_end(e);
	return err;
}

/* Fill m->text and m->compiled's description from the .ember bytes. */
static int meta_read(struct ember_module *m, const char *p, size_t len)
{
	struct meta_header h;
	size_t i;

	if (len < sizeof(h))
		return ember__error(EINVAL, "%s: %s section truncated", m->name,
				    META_SECTION);
	memcpy(&h, p, sizeof(h));
	if (memcmp(h.magic, META_MAGIC, sizeof(h.magic)))
		return ember__error(EINVAL,
				    "%s: %s section is not ember's "
				    "metadata (bad magic)",
				    m->name, META_SECTION);
	if (h.version != META_VERSION)
		return ember__error(EPROTONOSUPPORT,
				    "%s: ember metadata version %u; this "
				    "ember (%s) reads version %u: build the "
				    "object again with this ember",
				    m->name, h.version, EMBER_VERSION_STRING,
				    META_VERSION);
	p += sizeof(h);
	len -= sizeof(h);
	if (h.text_len != NO_TEXT) {
		if (h.text_len > len)
			return ember__error(EINVAL,
					    "%s: %s section truncated (text)",
					    m->name, META_SECTION);
		m->text = strndup(p, h.text_len);
		if (!m->text)
			return ember__error(ENOMEM, "out of memory");
		p += h.text_len;
		len -= h.text_len;
	}
	if (ember__compiled_unpack(p, len, &m->compiled) ||
	    m->compiled.obj_len || m->compiled.rewritten_len)
		return ember__error(EINVAL,
				    "%s: malformed %s section (program and "
				    "table list)",
				    m->name, META_SECTION);
	for (i = 0; i < m->compiled.tables_cnt; i++) {
		const struct ember_table_decl *d = &m->compiled.tables[i];

		if (d->sharing > EMBER_TABLE_IMPORTED || d->drop_slot < -1)
			return ember__error(EINVAL,
					    "%s: malformed %s section (table "
					    "'%s')",
					    m->name, META_SECTION, d->name);
	}
	return 0;
}

/* In the helper's reply (object_check.c): the section of program name,
 * or whether map name is there (NULL / non-NULL). */
static const char *reply_find(const char *reply, size_t len, char kind,
			      const char *name)
{
	const char *p = reply, *end = reply + len;

	while (p < end) {
		const char *k = p, *n = k + strlen(k) + 1, *sec = NULL;

		if (n >= end)
			return NULL;
		p = n + strlen(n) + 1;
		if (*k == 'p') {
			if (p >= end)
				return NULL;
			sec = p;
			p = sec + strlen(sec) + 1;
		}
		if (*k == kind && !strcmp(n, name))
			return sec ? sec : n;
	}
	return NULL;
}

/*
 * Every program and table the metadata names is in the object libbpf
 * opens from these bytes, as named. libbpf trusts the ELF it opens: a
 * damaged object can crash it (found by tests/fuzz, fuzz_object_file). Its
 * first open of the bytes runs in ember-object-check, a helper process
 * under limits (not a fork of the host: a multi-threaded host's copy can
 * deadlock); the host opens them itself only once the helper has, and a
 * helper that dies is a clear error instead of the host's death.
 */
static int meta_matches_object(struct ember_module *m)
{
	const char *args[] = { m->name };
	const char *why = NULL, *what = NULL, *sec;
	char path[PATH_MAX], *reply = NULL;
	size_t i, len = 0;
	int err;

	err = ember__helper_path("ember-object-check", path, sizeof(path));
	if (err)
		return err;
	err = ember__isolated_exec(m->name, path, args, 1, m->compiled.obj,
				   m->compiled.obj_len, m->log, m->log_ctx,
				   &reply, &len);
	/* the helper's own verdict passes through; its death is libbpf's */
	if (err == -EIO)
		return ember__error(EINVAL,
				    "%s: not a valid BPF object: libbpf's "
				    "reader crashed on it (in a process of "
				    "its own; nothing else was harmed)",
				    m->name);
	if (err)
		return err;
	for (i = 0; !why && i < m->compiled.progs_cnt; i++) {
		const struct ember_program_info *p = &m->compiled.progs[i];

		what = p->name;
		sec = reply_find(reply, len, 'p', p->name);
		if (!sec)
			why = "program '%s' is not in the object";
		else if (strcmp(sec, p->section))
			why = "program '%s' is in another section";
	}
	for (i = 0; !why && i < m->compiled.tables_cnt; i++) {
		what = m->compiled.tables[i].name;
		if (!reply_find(reply, len, 'm', what))
			why = "table '%s' is not in the object";
	}
	free(reply);
	if (why) {
		char msg[160];

		snprintf(msg, sizeof(msg), why, what);
		err = ember__error(EINVAL,
				   "%s: the %s section does not match "
				   "the object: %s",
				   m->name, META_SECTION, msg);
	}
	return err;
}

int ember_module_open_object_mem(const void *data, size_t len,
				 const struct ember_object_opts *opts,
				 struct ember_module **out)
{
	struct ember_object_opts o;
	struct ember_module *m;
	size_t off = 0, size = 0;
	double t;
	int err;

	if (!data || !out)
		return ember__error(EINVAL, "ember_module_open_object: data "
					    "and out must not be NULL");
	*out = NULL;
	err = EMBER_OPTS_COPY(o, opts, "ember_object_opts");
	if (err)
		return err;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return ember__error(EINVAL, "libelf: %s", elf_errmsg(-1));
	m = ember__module_alloc(o.name ? o.name : "<object>", NULL,
				o.debug_flags, o.log, o.log_ctx);
	if (!m)
		return ember__error(ENOMEM, "out of memory");
	t = o.log ? ember__now_ms() : 0;
	err = locate_meta(m, data, len, &off, &size);
	if (!err)
		err = meta_read(m, (const char *)data + off, size);
	if (!err) {
		free(m->compiled.obj); /* the unpacker's empty one */
		m->compiled.obj = malloc(len ? len : 1);
		if (m->compiled.obj) {
			memcpy(m->compiled.obj, data, len);
			m->compiled.obj_len = len;
		} else {
			err = ember__error(ENOMEM, "out of memory");
		}
	}
	if (!err)
		err = meta_matches_object(m);
	if (!err)
		err = ember__module_take_compiled(m);
	if (err) {
		ember_module_free(m);
		return err;
	}
	ember__log_time(o.log, o.log_ctx, "object open (metadata checked)", t);
	*out = m;
	return 0;
}

int ember_module_open_object(const char *path,
			     const struct ember_object_opts *opts,
			     struct ember_module **out)
{
	struct ember_object_opts o;
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, err;

	if (!path || !out)
		return ember__error(EINVAL, "ember_module_open_object: path "
					    "and out must not be NULL");
	*out = NULL;
	err = EMBER_OPTS_COPY(o, opts, "ember_object_opts");
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return ember__error(errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > OBJECT_MAX) {
		err = fstat(fd, &st) ? errno : EINVAL;
		close(fd);
		return ember__error(err,
				    "%s: not a regular file of at most "
				    "%u MiB",
				    path, OBJECT_MAX >> 20);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return ember__error(ENOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(buf);
		return ember__error(EIO, "%s: could not read the whole file",
				    path);
	}
	o.sz = sizeof(o); /* NULL opts: the defaults, passed on */
	if (!o.name)
		o.name = path;
	err = ember_module_open_object_mem(buf, got, &o, out);
	free(buf);
	return err;
}
