// SPDX-License-Identifier: MIT
#include "compiler/prelude_pch.h"

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
#include <unistd.h>

#include <llvm/Config/llvm-config.h>

#include "compiler/cache.h"
#include "compiler/codegen.h"
#include "compiler/virtual_files.h"
#include "error.h"
#include "kernel/btf_header.h"

#define PRELUDE "ember/prelude.h"
/* Each kernel or library update leaves a 15 MB PCH behind: keep the few
 * newest (another ember version may still use one). */
#define PCH_KEEP 4

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
		*h = ember__hash(*h, map, (size_t)st.st_size);
		munmap(map, (size_t)st.st_size);
	} else {
		char buf[65536];
		ssize_t n;

		while ((n = read(fd, buf, sizeof(buf))) > 0)
			*h = ember__hash(*h, buf, (size_t)n);
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
				b->hash =
					ember__hash(b->hash, desc, n->n_descsz);
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
		       : ember__hash(h, __DATE__ __TIME__,
				     sizeof(__DATE__ __TIME__));
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

static pthread_mutex_t pch_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * What the PCH depends on besides the flags: the kernel's BTF (5.5 MB to
 * hash), the prelude headers, clang's and ember's versions and this
 * library's build. None of it changes while the process runs, so it is
 * hashed once.
 */
static int fixed_inputs_hash(uint64_t *out)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static uint64_t hash;
	static bool have;
	const struct ember_virtual_file *e;
	uint64_t h = EMBER_HASH_INIT;
	int err = 0;

	pthread_mutex_lock(&lock);
	if (!have) {
		err = hash_file(&h, EMBER_VMLINUX_BTF);
		if (err) {
			pthread_mutex_unlock(&lock);
			return ember__error(-err, "cannot read %s: %s",
					    EMBER_VMLINUX_BTF, strerror(-err));
		}
		for (e = ember__embedded_headers; e->path; e++) {
			h = ember__hash(h, e->path, strlen(e->path) + 1);
			h = ember__hash(h, e->text, e->len);
		}
		h = ember__hash(h, LLVM_VERSION_STRING,
				sizeof(LLVM_VERSION_STRING));
		h = ember__hash(h, EMBER_VERSION_STRING,
				sizeof(EMBER_VERSION_STRING));
		hash = hash_library(h);
		have = true;
	}
	*out = hash;
	pthread_mutex_unlock(&lock);
	return 0;
}

int ember__prelude_pch(const char *const *args, size_t args_cnt, char **path,
		       ember_log_fn log, void *log_ctx)
{
	uint64_t h = EMBER_HASH_INIT;
	char dir[4096], *p = NULL;
	size_t i;
	int err;

	*path = NULL;
	err = fixed_inputs_hash(&h);
	if (err)
		return err;
	for (i = 0; i < args_cnt; i++)
		h = ember__hash(h, args[i], strlen(args[i]) + 1);

	err = ember__cache_dir(dir, sizeof(dir));
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
			ember__cache_prune(dir, "prelude-", ".pch", PCH_KEEP);
	}
	pthread_mutex_unlock(&pch_lock);
	if (err) {
		free(p);
		return err;
	}
	*path = p;
	return 0;
}
