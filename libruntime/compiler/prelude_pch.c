// SPDX-License-Identifier: MIT
#include "compiler/prelude_pch.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <llvm/Config/llvm-config.h>

#include "compiler/codegen.h"
#include "compiler/virtual_files.h"
#include "error.h"
#include "kernel/btf_header.h"

#define PRELUDE "ember/prelude.h"

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int hash_file(uint64_t *h, const char *path)
{
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -errno;
	}
	/* sysfs files report size 4096 or 0; read them instead of mapping */
	map = st.st_size > 0 ? mmap(NULL, (size_t)st.st_size, PROT_READ,
				    MAP_PRIVATE, fd, 0)
			     : MAP_FAILED;
	if (map != MAP_FAILED) {
		*h = fnv1a(*h, map, (size_t)st.st_size);
		munmap(map, (size_t)st.st_size);
	} else {
		char buf[65536];
		ssize_t n;

		while ((n = read(fd, buf, sizeof(buf))) > 0)
			*h = fnv1a(*h, buf, (size_t)n);
		if (n < 0) {
			close(fd);
			return -errno;
		}
	}
	close(fd);
	return 0;
}

struct build_id {
	const void *addr; /* an address inside this library */
	uint64_t hash;
	bool found;
};

static int find_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
	struct build_id *b = data;
	bool mine = false;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && (uintptr_t)b->addr >= lo &&
		    (uintptr_t)b->addr < lo + ph->p_memsz)
			mine = true;
	}
	if (!mine)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		const char *end = p + ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const char *desc =
				p + sizeof(*n) + ((n->n_namesz + 3) & ~3u);

			if (n->n_type == NT_GNU_BUILD_ID &&
			    desc + n->n_descsz <= end) {
				b->hash = fnv1a(b->hash, desc, n->n_descsz);
				b->found = true;
				return 1;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 1;
}

/*
 * The PCH holds text this library generates (the BTF dump), so a rebuilt
 * library must not reuse an old PCH: its build-id goes into the key.
 */
static uint64_t hash_library(uint64_t h)
{
	struct build_id b = { .addr = (const void *)hash_library, .hash = h };

	dl_iterate_phdr(find_build_id, &b);
	return b.found ? b.hash
		       : fnv1a(h, __DATE__ __TIME__, sizeof(__DATE__ __TIME__));
}

static int cache_dir(char *buf, size_t len)
{
	const char *env = getenv("EMBER_CACHE_DIR");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char *slash;
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/ember", xdg);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.cache/ember", home);
	else
		return -ENOENT;
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	/* mkdir -p */
	for (slash = buf + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = 0;
		if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
			*slash = '/';
			return -errno;
		}
		*slash = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return access(buf, W_OK) ? -errno : 0;
}

static int build(const char *path, const char *const *args, size_t args_cnt)
{
	const struct ember_virtual_file *e, *prelude = NULL;
	struct ember_virtual_file *files;
	const char *types;
	size_t types_len, n = 0, cnt = 0;
	char *diags = NULL, *abs = NULL;
	char **paths;
	int err;

	err = ember__btf_header(&types, &types_len);
	if (err)
		return err;
	for (e = ember__embedded_headers; e->path; e++)
		cnt++;
	files = calloc(cnt + 1, sizeof(*files));
	paths = calloc(cnt + 1, sizeof(*paths));
	if (!files || !paths) {
		err = -ENOMEM;
		goto out;
	}
	for (e = ember__embedded_headers; e->path; e++) {
		if (asprintf(&paths[n], EMBER_VIRTUAL_INCLUDE_DIR "/%s",
			     e->path) < 0) {
			paths[n] = NULL;
			err = -ENOMEM;
			goto out;
		}
		if (!strcmp(e->path, PRELUDE))
			prelude = e;
		files[n] = (struct ember_virtual_file){ paths[n], e->text,
							e->len };
		n++;
	}
	files[n++] = (struct ember_virtual_file){ EMBER_VIRTUAL_INCLUDE_DIR
						  "/ember/kernel_types.h",
						  types, types_len };
	if (!prelude ||
	    asprintf(&abs, EMBER_VIRTUAL_INCLUDE_DIR "/" PRELUDE) < 0) {
		err = -ENOMEM;
		goto out;
	}
	err = ember__codegen_pch(
		&(struct ember_codegen_input){ .main_path = abs,
					       .main_text = prelude->text,
					       .main_len = prelude->len,
					       .files = files,
					       .files_cnt = n,
					       .args = args,
					       .args_cnt = args_cnt },
		path, &diags);
	if (err)
		ember__error(-err, "precompiling the kernel types failed:\n%s",
			     diags ? diags : "");
out:
	for (size_t i = 0; paths && i < cnt; i++)
		free(paths[i]);
	free(paths);
	free(files);
	free(abs);
	free(diags);
	return err;
}

/* Each kernel or library update leaves a 15 MB PCH behind: keep the few
 * newest (another ember version may still use one) and remove the rest. */
#define PCH_KEEP 4

struct pch_file {
	char name[64];
	time_t mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct pch_file *x = a, *y = b;

	return (x->mtime < y->mtime) - (x->mtime > y->mtime);
}

static void prune_cache(const char *dir)
{
	struct pch_file files[64];
	struct dirent *e;
	size_t n = 0, i;
	DIR *d = opendir(dir);
	int dfd;

	if (!d)
		return;
	dfd = dirfd(d);
	while ((e = readdir(d)) && n < sizeof(files) / sizeof(files[0])) {
		struct stat st;

		if (strncmp(e->d_name, "prelude-", 8) ||
		    !strstr(e->d_name, ".pch") ||
		    strlen(e->d_name) >= sizeof(files[0].name) ||
		    fstatat(dfd, e->d_name, &st, 0))
			continue;
		strcpy(files[n].name, e->d_name);
		files[n++].mtime = st.st_mtime;
	}
	qsort(files, n, sizeof(files[0]), newest_first);
	for (i = PCH_KEEP; i < n; i++)
		unlinkat(dfd, files[i].name, 0);
	closedir(d);
}

static pthread_mutex_t pch_lock = PTHREAD_MUTEX_INITIALIZER;

int ember__prelude_pch(const char *const *args, size_t args_cnt, char **path,
		       ember_log_fn log, void *log_ctx)
{
	const struct ember_virtual_file *e;
	uint64_t h = 0xcbf29ce484222325ULL;
	char dir[4096], *p = NULL;
	size_t i;
	int err;

	*path = NULL;
	err = hash_file(&h, EMBER_VMLINUX_BTF);
	if (err)
		return ember__error(-err, "cannot read %s: %s",
				    EMBER_VMLINUX_BTF, strerror(-err));
	for (e = ember__embedded_headers; e->path; e++) {
		h = fnv1a(h, e->path, strlen(e->path) + 1);
		h = fnv1a(h, e->text, e->len);
	}
	for (i = 0; i < args_cnt; i++)
		h = fnv1a(h, args[i], strlen(args[i]) + 1);
	h = fnv1a(h, LLVM_VERSION_STRING, sizeof(LLVM_VERSION_STRING));
	h = fnv1a(h, EMBER_VERSION_STRING, sizeof(EMBER_VERSION_STRING));
	h = hash_library(h);

	err = cache_dir(dir, sizeof(dir));
	if (err)
		return ember__error(-err,
				    "no usable cache directory (%s); set "
				    "EMBER_CACHE_DIR",
				    strerror(-err));
	if (asprintf(&p, "%s/prelude-%016" PRIx64 ".pch", dir, h) < 0)
		return ember__error(ENOMEM, "out of memory");

	pthread_mutex_lock(&pch_lock);
	if (access(p, R_OK) != 0) {
		if (log) {
			char msg[4200];

			snprintf(msg, sizeof(msg),
				 "precompiling kernel types into %s (once per "
				 "kernel)",
				 p);
			log(EMBER_LOG_INFO, msg, log_ctx);
		}
		err = build(p, args, args_cnt);
		if (!err)
			prune_cache(dir);
	}
	pthread_mutex_unlock(&pch_lock);
	if (err) {
		free(p);
		return err;
	}
	*path = p;
	return 0;
}
