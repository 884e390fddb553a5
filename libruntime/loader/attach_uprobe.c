// SPDX-License-Identifier: MIT
/*
 * uprobes and uretprobes, and finding the binary a name stands for: a path,
 * a library's short name ("c" → libc.so.6, found in /etc/ld.so.cache, the
 * usual library directories or the memory map of a process) or a program
 * in PATH. The probes are perf events of the uprobe PMU,
 * so nothing is written to tracefs and nothing outlives the process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "io/symbols.h"
#include "loader/attach.h"

/* Debian's library directory and the ELF machine of this process. */
#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#define NATIVE_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#define NATIVE_MACHINE EM_AARCH64
#elif defined(__s390x__)
#define MULTIARCH "s390x-linux-gnu"
#define NATIVE_MACHINE EM_S390
#elif defined(__powerpc64__)
#define MULTIARCH "powerpc64le-linux-gnu"
#define NATIVE_MACHINE EM_PPC64
#elif defined(__riscv)
#define MULTIARCH "riscv64-linux-gnu"
#define NATIVE_MACHINE EM_RISCV
#else
#error "unsupported host architecture"
#endif

/* Is path an ELF file of this process's own class and machine? (The cache
 * and the library directories also list other ABIs' libraries.) */
static bool native_elf(const char *path)
{
	unsigned char e[20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	uint16_t machine;

	if (fd < 0)
		return false;
	n = read(fd, e, sizeof(e));
	close(fd);
	if (n != (ssize_t)sizeof(e) || memcmp(e, ELFMAG, SELFMAG))
		return false;
	memcpy(&machine, e + 18, sizeof(machine));
	return e[EI_CLASS] == (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) &&
	       machine == NATIVE_MACHINE;
}

/* Does library file name lib match what the user asked for? want is
 * either a file name ("libssl.so.3") or a "libNAME.so" prefix. */
static bool lib_matches(const char *lib, const char *want, bool exact)
{
	size_t n = strlen(want);

	if (exact)
		return !strcmp(lib, want);
	return !strncmp(lib, want, n) && (lib[n] == 0 || lib[n] == '.');
}

static int copy_path(char *buf, size_t size, const char *path)
{
	if (strlen(path) >= size)
		return -ENAMETOOLONG;
	strcpy(buf, path);
	return 0;
}

/* The new ("glibc-ld.so.cache1.1") format of /etc/ld.so.cache: a header,
 * entries, then the strings; string offsets count from the header. */
struct cache_header {
	char magic[17];
	char version[3];
	uint32_t nlibs;
	uint32_t len_strings;
	uint8_t flags;
	uint8_t pad[3];
	uint32_t extension_offset;
	uint32_t unused[3];
};

struct cache_entry {
	int32_t flags;
	uint32_t key, value;
	uint32_t osversion;
	uint64_t hwcap;
};

static int from_ld_cache(const char *want, bool exact, char *buf, size_t size)
{
	static const char magic[] = "glibc-ld.so.cache1.1";
	const struct cache_header *h;
	const struct cache_entry *e;
	const char *base, *end;
	struct stat st;
	void *map;
	int fd, err = -ENOENT;

	fd = open("/etc/ld.so.cache", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(*h)) {
		close(fd);
		return -ENOENT;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -ENOENT;
	end = (const char *)map + st.st_size;
	/* Old caches put the old format first: find the new header. */
	base = memmem(map, (size_t)st.st_size, magic, sizeof(magic) - 1);
	if (!base || end - base < (ptrdiff_t)sizeof(*h))
		goto out;
	h = (const void *)base;
	e = (const void *)(h + 1);
	if ((size_t)(end - (const char *)e) / sizeof(*e) < h->nlibs)
		goto out;
	for (uint32_t i = 0; i < h->nlibs && err; i++, e++) {
		const char *key = base + e->key, *value = base + e->value;

		if (key >= end || value >= end ||
		    !memchr(key, 0, (size_t)(end - key)) ||
		    !memchr(value, 0, (size_t)(end - value)))
			continue;
		if (lib_matches(key, want, exact) && native_elf(value))
			err = copy_path(buf, size, value);
	}
out:
	munmap(map, (size_t)st.st_size);
	return err;
}

static int from_lib_dirs(const char *want, bool exact, char *buf, size_t size)
{
	static const char *const dirs[] = {
		"/lib/" MULTIARCH,
		"/usr/lib/" MULTIARCH,
		"/lib64",
		"/usr/lib64",
		"/lib",
		"/usr/lib",
		"/usr/local/lib",
		NULL,
	};
	char path[PATH_MAX];
	int err = -ENOENT;

	for (size_t i = 0; dirs[i] && err; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;

		if (!d)
			continue;
		while (err && (de = readdir(d))) {
			if (!lib_matches(de->d_name, want, exact) ||
			    (size_t)snprintf(path, sizeof(path), "%s/%s",
					     dirs[i],
					     de->d_name) >= sizeof(path) ||
			    !native_elf(path))
				continue;
			err = copy_path(buf, size, path);
		}
		closedir(d);
	}
	return err;
}

/* A library the process has mapped: "libc.so.6", "libc-2.31.so". */
static int from_process(const char *name, int pid, char *buf, size_t size)
{
	char maps[64], line[PATH_MAX + 128], want_so[128], want_ver[128];
	int err = -ENOENT;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	snprintf(want_so, sizeof(want_so), "lib%s.so", name);
	snprintf(want_ver, sizeof(want_ver), "lib%s-", name);
	f = fopen(maps, "re");
	if (!f)
		return -ESRCH;
	while (err && fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/'), *base;

		if (!path)
			continue;
		path[strcspn(path, "\n")] = 0;
		base = strrchr(path, '/') + 1;
		if (strcmp(base, name) && !lib_matches(base, want_so, false) &&
		    strncmp(base, want_ver, strlen(want_ver)))
			continue;
		/* The process may see another mount namespace. */
		if (access(path, R_OK)) {
			char alt[PATH_MAX + 32];

			snprintf(alt, sizeof(alt), "/proc/%d/root%s", pid,
				 path);
			err = copy_path(buf, size, alt);
		} else {
			err = copy_path(buf, size, path);
		}
	}
	fclose(f);
	return err;
}

static int from_path_env(const char *name, char *buf, size_t size)
{
	const char *p = getenv("PATH");
	char path[PATH_MAX];

	if (!p || !*p)
		p = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	while (*p) {
		size_t n = strcspn(p, ":");

		if (n &&
		    (size_t)snprintf(path, sizeof(path), "%.*s/%s", (int)n, p,
				     name) < sizeof(path) &&
		    !access(path, X_OK))
			return copy_path(buf, size, path);
		p += n + (p[n] == ':');
	}
	return -ENOENT;
}

int ember_find_binary(const char *name, int pid, char *buf, size_t size)
{
	char want[256];
	bool exact;
	int err;

	if (!name || !*name || !buf || !size)
		return ember__error(EINVAL, "binary name and buffer needed");
	if (strchr(name, '/')) {
		if (access(name, R_OK))
			return ember__error(errno, "cannot read binary %s: %s",
					    name, strerror(errno));
		err = copy_path(buf, size, name);
		goto done;
	}
	/* "libssl.so.3" and "libfoo.so" are file names; "c", "ssl" are
	 * short names of libraries (as BCC's attach_uprobe(name="c")). */
	exact = !strncmp(name, "lib", 3) && strstr(name, ".so");
	if (exact)
		snprintf(want, sizeof(want), "%s", name);
	else if ((size_t)snprintf(want, sizeof(want), "lib%s.so", name) >=
		 sizeof(want))
		return ember__error(ENAMETOOLONG, "name too long: %s", name);
	err = -ENOENT;
	if (pid > 0)
		err = from_process(name, pid, buf, size);
	if (err == -ENOENT || err == -ESRCH)
		err = from_ld_cache(want, exact, buf, size);
	if (err == -ENOENT)
		err = from_lib_dirs(want, exact, buf, size);
	if (err == -ENOENT && !exact)
		err = from_path_env(name, buf, size);
done:
	if (err == -ENAMETOOLONG)
		return ember__error(ENAMETOOLONG, "path of %s too long", name);
	if (err)
		return ember__error(
			ENOENT,
			"cannot find '%s': not a library in "
			"/etc/ld.so.cache or the library "
			"directories%s, nor a program in PATH",
			name, pid > 0 ? " or mapped by that process" : "");
	return 0;
}

/* File offset of virtual address addr of ELF file path (its PT_LOAD
 * segments map one to the other), or -errno. */
static int64_t address_to_offset(const char *path, uint64_t addr)
{
	int64_t off = -ENOENT;
	size_t i, n;
	Elf *elf;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &n)) {
		off = -ENOEXEC;
		goto out;
	}
	for (i = 0; i < n && off < 0; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_filesz)
			off = (int64_t)(addr - ph.p_vaddr + ph.p_offset);
	}
out:
	elf_end(elf);
	close(fd);
	return off;
}

/* File offset of ELF virtual address vaddr in e's segments, or -1. */
static int64_t segment_offset(const struct ember__elf *e, uint64_t vaddr)
{
	for (size_t i = 0; i < e->nsegs; i++)
		if (vaddr >= e->segs[i].vaddr &&
		    vaddr - e->segs[i].vaddr < e->segs[i].filesz)
			return (int64_t)(vaddr - e->segs[i].vaddr +
					 e->segs[i].off);
	return -1;
}

/* Load the function symbols of path into e (its members freed by
 * free_symbols): 0 or -errno. */
static int load_symbols(const char *path, struct ember__elf *e)
{
	int fd, err;

	e->path = (char *)path; /* for the debuglink's directory */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	err = fd < 0 ? -errno : ember__elf_load(e, fd);
	if (fd >= 0)
		close(fd);
	return err;
}

static void free_symbols(struct ember__elf *e)
{
	free(e->syms);
	free(e->names);
	free(e->segs);
}

/* File offset of function symbol in path, or -errno: -ENOENT when it has
 * no such function, -ERANGE when it is in no loaded segment. */
static int64_t symbol_offset(const char *path, const char *symbol)
{
	struct ember__elf e = { 0 };
	int64_t off = load_symbols(path, &e);
	size_t i;

	if (!off) {
		for (i = 0; i < e.count && strcmp(e.syms[i].name, symbol); i++)
			;
		off = i == e.count ? -ENOENT
				   : segment_offset(&e, e.syms[i].addr);
		if (off == -1)
			off = -ERANGE;
	}
	free_symbols(&e);
	return off;
}

/* Attach fn_name at file offset off of path; what describes the
 * attachment. */
static int attach_at(struct ember_module *m, const char *fn_name,
		     const char *path, int64_t off,
		     const struct ember_uprobe_opts *o, const char *what,
		     struct ember_link **link)
{
	struct ember_prog *p;
	int err, pfd;

	err = ember__attach_prepare(m, fn_name, BPF_PROG_TYPE_KPROBE, what, &p);
	if (err)
		return err;
	/* The perf event of the uprobe PMU, as libbpf would open it, kept
	 * apart from the BPF link (release.c). */
	pfd = ember__open_probe_event("uprobe", o->retprobe, path,
				      (uint64_t)off, o->pid);
	return ember__attach_perf_event_kept(m, p, pfd, what, link);
}

int ember_module_attach_uprobe(struct ember_module *m, const char *fn_name,
			       const char *binary, const char *symbol,
			       const struct ember_uprobe_opts *opts,
			       struct ember_link **link)
{
	struct ember_uprobe_opts o;
	char path[PATH_MAX], what[PATH_MAX + 256], pid_part[32] = "";
	const char *kind;
	int64_t off = 0;
	int err;

	err = EMBER_OPTS_COPY(o, opts, "ember_uprobe_opts");
	if (err)
		return err;
	if (!binary)
		return ember__error(EINVAL, "uprobe: binary needed");
	if (symbol && !*symbol)
		symbol = NULL;
	if (!symbol && !o.offset)
		return ember__error(EINVAL,
				    "uprobe on %s: give a symbol or an "
				    "address",
				    binary);
	err = ember_find_binary(binary, o.pid, path, sizeof(path));
	if (err)
		return err;
	kind = o.retprobe ? "uretprobe" : "uprobe";
	if (o.pid > 0)
		snprintf(pid_part, sizeof(pid_part), " (pid %d)", o.pid);
	if (symbol && o.offset)
		snprintf(what, sizeof(what), "%s %s:%s+0x%llx%s", kind, path,
			 symbol, (unsigned long long)o.offset, pid_part);
	else if (symbol)
		snprintf(what, sizeof(what), "%s %s:%s%s", kind, path, symbol,
			 pid_part);
	else
		snprintf(what, sizeof(what), "%s %s:0x%llx%s", kind, path,
			 (unsigned long long)o.offset, pid_part);
	if (symbol) {
		off = symbol_offset(path, symbol);
		if (off == -ENOENT)
			return ember__error(ENOENT,
					    "cannot attach '%s' to %s: no "
					    "function %s in %s",
					    fn_name, what, symbol, path);
		if (off < 0)
			return ember__error(
				(int)-off, "cannot attach '%s' to %s: %s",
				fn_name, what,
				off == -ERANGE ? "the function is in no "
						 "loaded segment"
					       : strerror((int)-off));
		off += (int64_t)o.offset;
	} else {
		off = address_to_offset(path, o.offset);
		if (off < 0)
			return ember__error(
				(int)-off,
				"cannot attach '%s' to %s: the address is in "
				"no loaded segment of the file (%s)",
				fn_name, what, strerror((int)-off));
	}
	return attach_at(m, fn_name, path, off, &o, what, link);
}

/* BCC's cap on probes one call may create (_check_probe_quota). */
#define MAX_REGEX_PROBES 1000

int ember_module_attach_uprobe_regex(struct ember_module *m,
				     const char *fn_name, const char *binary,
				     const char *pattern,
				     const struct ember_uprobe_opts *opts)
{
	struct ember_uprobe_opts o;
	struct ember__elf e = { 0 };
	char path[PATH_MAX], what[PATH_MAX + 512], pid_part[32] = "";
	struct ember_link *before;
	size_t i, j, matched = 0;
	regex_t re;
	int err, cnt = 0;

	err = EMBER_OPTS_COPY(o, opts, "ember_uprobe_opts");
	if (err)
		return err;
	if (!m || !binary || !pattern)
		return ember__error(EINVAL, "uprobe regex: module, binary and "
					    "pattern are required");
	if (o.offset)
		return ember__error(EINVAL,
				    "uprobe regex on %s: an offset "
				    "applies to one function",
				    binary);
	err = ember_find_binary(binary, o.pid, path, sizeof(path));
	if (err)
		return err;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB))
		return ember__error(EINVAL, "bad regular expression '%s'",
				    pattern);
	err = load_symbols(path, &e);
	if (err) {
		regfree(&re);
		free_symbols(&e);
		return ember__error(-err,
				    "uprobe regex: cannot read the "
				    "function symbols of %s: %s",
				    path, strerror(-err));
	}
	/* symbols are sorted by address: aliases of one function (a run at
	 * one address) get one probe, named by the first that matches */
	for (i = 0; i < e.count; i = j) {
		for (j = i; j < e.count && e.syms[j].addr == e.syms[i].addr;
		     j++)
			;
		while (i < j && regexec(&re, e.syms[i].name, 0, NULL, 0))
			i++;
		if (i < j)
			e.syms[matched++] = e.syms[i];
	}
	regfree(&re);
	if (!matched)
		err = ember__error(ENOENT, "no function of %s matches '%s'",
				   path, pattern);
	else if (matched > MAX_REGEX_PROBES)
		err = ember__error(E2BIG,
				   "%zu functions of %s match '%s' (at most "
				   "%d)",
				   matched, path, pattern, MAX_REGEX_PROBES);
	if (o.pid > 0)
		snprintf(pid_part, sizeof(pid_part), " (pid %d)", o.pid);
	before = m->links;
	for (i = 0; !err && i < matched; i++) {
		int64_t off = segment_offset(&e, e.syms[i].addr);

		snprintf(what, sizeof(what), "%s %s:%s%s",
			 o.retprobe ? "uretprobe" : "uprobe", path,
			 e.syms[i].name, pid_part);
		if (off < 0)
			err = ember__error(ENOENT,
					   "cannot attach '%s' to %s: the "
					   "function is in no loaded segment",
					   fn_name, what);
		else
			err = attach_at(m, fn_name, path, off, &o, what, NULL);
		if (!err)
			cnt++;
	}
	free_symbols(&e);
	if (err) {
		/* all or nothing */
		while (m->links != before)
			ember_link_detach(m->links);
		return err;
	}
	return cnt;
}
