// SPDX-License-Identifier: MIT
#include "compiler/prelude_pch.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/compile_job.h"
#include "compiler/compiler_client.h"
#include "compiler/virtual_files.h"
#include "compiler/vmlinux_digest.h"
#include "error.h"
#include "kernel/btf_header.h"
#include "kernel/kernel_config.h"

/* Each kernel or library update leaves a 15 MB PCH behind: keep the few
 * newest (another ember version may still use one). */
#define PCH_KEEP 4
#define PCH_MAX (1ul << 30)
#define SUM_MAGIC "EMBPCH01"
#define LOCK_NAME "prelude.lock"

struct build_id {
	const void *addr; /* an address inside this library */
	unsigned char id[64];
	size_t len;
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
			    desc + n->n_descsz <= end &&
			    n->n_descsz <= sizeof(b->id)) {
				memcpy(b->id, desc, n->n_descsz);
				b->len = n->n_descsz;
				return 1;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 1;
}

/*
 * The PCH holds text this library generates (the BTF dump) and the prelude
 * headers it embeds, so a rebuilt library must not reuse an old PCH: its
 * build-id (a hash of its bytes, those headers among them) goes into the
 * digest. Without one, the headers themselves (0.3 ms a process).
 */
static void hash_library(struct ember_hasher *h)
{
	struct build_id b = { .addr = (const void *)hash_library };
	const struct ember_virtual_file *e;

	dl_iterate_phdr(find_build_id, &b);
	if (b.len) {
		ember__hasher_item(h, b.id, b.len);
		return;
	}
	ember__hasher_str(h, __DATE__ " " __TIME__);
	for (e = ember__embedded_headers; e->path; e++) {
		ember__hasher_str(h, e->path);
		ember__hasher_item(h, e->text, e->len);
	}
}

/*
 * What the PCH depends on besides the flags: the kernel's BTF (its digest
 * remembered for the boot: vmlinux_digest.h), clang's and ember's
 * versions, this library's build (the prelude headers with it) and the
 * compiler's (its
 * rewriters shape every cached object). None of it changes while the
 * process runs, so it is hashed once.
 */
static int fixed_inputs_digest(const struct ember_cache *cache,
			       struct ember_digest *out)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct ember_digest digest;
	static bool have;
	struct ember_digest btf, config;
	struct ember_hasher h;
	unsigned char compiler[64];
	size_t compiler_len;
	int err = 0;

	pthread_mutex_lock(&lock);
	if (have)
		goto out;
	err = ember__vmlinux_btf_digest(cache, &btf);
	if (err)
		goto out;
	/* the running kernel's version and config, compiled into the PCH
	 * (what its header is made from: not generated on a cache hit) */
	err = ember__kernel_config_digest(&config);
	err = err
		      ?: ember__compiler_build_id(compiler, sizeof(compiler),
						  &compiler_len);
	if (!err)
		err = ember__hasher_init(&h);
	if (err)
		goto out;
	ember__hasher_str(&h, "ember prelude");
	ember__hasher_item(&h, btf.bytes, sizeof(btf.bytes));
	ember__hasher_item(&h, config.bytes, sizeof(config.bytes));
	ember__hasher_str(&h, EMBER_LLVM_VERSION);
	ember__hasher_str(&h, EMBER_VERSION_STRING);
	hash_library(&h);
	ember__hasher_item(&h, compiler, compiler_len);
	err = ember__hasher_final(&h, &digest);
	have = !err;
out:
	if (!err)
		*out = digest;
	pthread_mutex_unlock(&lock);
	if (err == -ENOMEM)
		ember__error(ENOMEM, "out of memory");
	return err;
}

int ember__prelude_digest(const struct ember_cache *cache,
			  const char *const *args, size_t args_cnt,
			  struct ember_digest *out)
{
	struct ember_digest fixed;
	struct ember_hasher h;
	int err = fixed_inputs_digest(cache, &fixed);

	if (err)
		return err;
	if (ember__hasher_init(&h))
		return ember__error(ENOMEM, "out of memory");
	ember__hasher_item(&h, fixed.bytes, sizeof(fixed.bytes));
	ember__hasher_item(&h, &args_cnt, sizeof(args_cnt));
	for (size_t i = 0; i < args_cnt; i++)
		ember__hasher_str(&h, args[i]);
	if (ember__hasher_final(&h, out))
		return ember__error(ENOMEM, "out of memory");
	return 0;
}

/* The compiler process builds it (prelude_build.h) into the cache
 * directory, through the descriptor the host checked. */
static int build(const struct ember_cache *cache, const char *tmp,
		 const char *const *args, size_t args_cnt)
{
	const char **s = calloc(args_cnt + 1, sizeof(*s));
	char *body = NULL, *reply = NULL;
	size_t len = 0, reply_len;
	FILE *f;
	int err;

	if (!s)
		return ember__error(ENOMEM, "out of memory");
	s[0] = tmp;
	memcpy(s + 1, args, args_cnt * sizeof(*s));
	f = open_memstream(&body, &len);
	if (f)
		ember__strings_pack(s, args_cnt + 1, f);
	free(s);
	if (!f || fclose(f)) {
		free(body);
		return ember__error(ENOMEM, "out of memory");
	}
	err = ember__compiler_request("the precompiled prelude",
				      EMBER_COMPILER_BUILD_PCH, body, len,
				      &cache->dirfd, 1, cache->log,
				      cache->log_ctx, &reply, &reply_len);
	free(body);
	free(reply);
	return err;
}

/* What prelude-<digest>.sum records about the PCH beside it. */
struct pch_sum {
	uint64_t size;
	struct ember_digest digest;
};

/*
 * A PCH this process has hashed already, by its file's identity: hashing
 * 15 MB again on each compile would cost more than parsing a small program.
 * Writing to the file in place changes its ctime, renaming another one over
 * it changes the inode: either way it is hashed again.
 */
static struct {
	bool valid;
	struct ember_digest inputs;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
} checked;

static bool same_file(const struct ember_digest *inputs, const struct stat *st)
{
	return checked.valid && ember__digest_equal(&checked.inputs, inputs) &&
	       checked.dev == st->st_dev && checked.ino == st->st_ino &&
	       checked.size == st->st_size &&
	       checked.mtime.tv_sec == st->st_mtim.tv_sec &&
	       checked.mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       checked.ctime.tv_sec == st->st_ctim.tv_sec &&
	       checked.ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static void remember(const struct ember_digest *inputs, const struct stat *st)
{
	checked.valid = true;
	checked.inputs = *inputs;
	checked.dev = st->st_dev;
	checked.ino = st->st_ino;
	checked.size = st->st_size;
	checked.mtime = st->st_mtim;
	checked.ctime = st->st_ctim;
}

/* Make pch usable by clang: the path names the open, checked file. */
static int hand_over(int fd, const struct stat *st, struct ember_pch *pch)
{
	struct stat via;

	snprintf(pch->path, sizeof(pch->path), "/proc/self/fd/%d", fd);
	if (stat(pch->path, &via) || via.st_dev != st->st_dev ||
	    via.st_ino != st->st_ino) {
		close(fd);
		return ember__error(ENOENT,
				    "%s does not name the open "
				    "precompiled prelude (is /proc "
				    "mounted?)",
				    pch->path);
	}
	pch->fd = fd;
	return 0;
}

/*
 * Open and check the PCH named pch_name against sum_name: 0 with it handed
 * over; -ENOENT if either is missing; else refused (reason in errmsg).
 */
static int open_checked(const struct ember_cache *cache,
			const struct ember_digest *inputs, const char *pch_name,
			const char *sum_name, struct ember_pch *pch)
{
	struct ember_digest got;
	struct pch_sum sum;
	struct stat st;
	void *payload;
	size_t len;
	int fd, err;

	err = ember__cache_entry_read(cache, sum_name, SUM_MAGIC, inputs, 4096,
				      &payload, &len);
	if (err)
		return err;
	if (len != sizeof(sum)) {
		free(payload);
		return ember__error(EBADMSG, "%s/%s has the wrong size",
				    cache->path, sum_name);
	}
	memcpy(&sum, payload, sizeof(sum));
	free(payload);
	err = ember__cache_open_file(cache, pch_name, PCH_MAX, &fd);
	if (err)
		return err;
	if (fstat(fd, &st) < 0) {
		err = ember__error(errno, "%s/%s: %s", cache->path, pch_name,
				   strerror(errno));
		close(fd);
		return err;
	}
	if (same_file(inputs, &st))
		return hand_over(fd, &st, pch);
	err = (uint64_t)st.st_size != sum.size
		      ? -EBADMSG
		      : ember__digest_fd(fd, PCH_MAX, &got);
	if (!err && !ember__digest_equal(&got, &sum.digest))
		err = -EBADMSG;
	if (err) {
		close(fd);
		if (err == -EBADMSG)
			return ember__error(EBADMSG,
					    "%s/%s is not the precompiled "
					    "prelude recorded in %s (size or "
					    "SHA-256 differs)",
					    cache->path, pch_name, sum_name);
		return ember__error(-err, "%s/%s: %s", cache->path, pch_name,
				    strerror(-err));
	}
	remember(inputs, &st);
	return hand_over(fd, &st, pch);
}

/* Build the PCH into a temporary file, record it, then put it in place. */
static int build_checked(const struct ember_cache *cache,
			 const struct ember_digest *inputs,
			 const char *const *args, size_t args_cnt,
			 const char *pch_name, const char *sum_name,
			 struct ember_pch *pch)
{
	char tmp[256];
	struct pch_sum sum = { 0 };
	struct stat st;
	int fd = -1, err;

	if (cache->log) {
		char msg[4200];

		snprintf(msg, sizeof(msg),
			 "precompiling kernel types into %s/%s (once per "
			 "kernel)",
			 cache->path, pch_name);
		cache->log(EMBER_LOG_INFO, msg, cache->log_ctx);
	}
	err = ember__cache_temp_name(tmp, sizeof(tmp), pch_name);
	if (err)
		return ember__error(-err, "cache file name too long");
	err = build(cache, tmp, args, args_cnt);
	if (!err)
		err = ember__cache_open_file(cache, tmp, PCH_MAX, &fd);
	if (!err && fstat(fd, &st) < 0)
		err = ember__error(errno, "%s/%s: %s", cache->path, tmp,
				   strerror(errno));
	if (!err) {
		sum.size = (uint64_t)st.st_size;
		err = ember__digest_fd(fd, PCH_MAX, &sum.digest);
		if (err)
			ember__error(-err, "hashing %s/%s: %s", cache->path,
				     tmp, strerror(-err));
	}
	/* the PCH first: a crash before its .sum leaves only a miss */
	if (!err && (err = ember__cache_rename(cache, tmp, pch_name)))
		ember__error(-err, "%s/%s: %s", cache->path, pch_name,
			     strerror(-err));
	if (err) {
		ember__cache_remove(cache, tmp);
		if (fd >= 0)
			close(fd);
		return err;
	}
	err = ember__cache_entry_write(cache, sum_name, SUM_MAGIC, inputs, &sum,
				       sizeof(sum));
	if (err) {
		close(fd);
		return ember__error(-err, "%s/%s: %s", cache->path, sum_name,
				    strerror(-err));
	}
	remember(inputs, &st);
	ember__cache_prune(cache, "prelude-", ".pch", PCH_KEEP);
	ember__cache_prune(cache, "prelude-", ".sum", PCH_KEEP);
	return hand_over(fd, &st, pch);
}

/*
 * Threads are serialised by this mutex, processes by the file lock (a copy
 * the host forks to check an object, isolation.h, holds an open lock file
 * only for the few milliseconds it lives).
 */
static pthread_mutex_t builders = PTHREAD_MUTEX_INITIALIZER;

static int lock_builders(const struct ember_cache *cache)
{
	int fd = openat(cache->dirfd, LOCK_NAME,
			O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
			0600);

	if (fd < 0)
		return -1; /* a read-only cache: build without it */
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	return fd;
}

int ember__prelude_pch(const struct ember_cache *cache,
		       const struct ember_digest *inputs,
		       const char *const *args, size_t args_cnt,
		       struct ember_pch *pch)
{
	char hex[EMBER_DIGEST_HEX_LEN], pch_name[128], sum_name[128];
	int err, lock;

	pch->fd = -1;
	pch->path[0] = 0;
	if (cache->dirfd < 0)
		return ember__error(ENOENT, "no cache");
	ember__digest_hex(inputs, hex);
	snprintf(pch_name, sizeof(pch_name), "prelude-%s.pch", hex);
	snprintf(sum_name, sizeof(sum_name), "prelude-%s.sum", hex);

	pthread_mutex_lock(&builders);
	/* Under the lock: another process may be building it right now. */
	lock = lock_builders(cache);
	err = open_checked(cache, inputs, pch_name, sum_name, pch);
	if (err && err != -ENOENT)
		ember__cache_refused(cache);
	if (err)
		err = build_checked(cache, inputs, args, args_cnt, pch_name,
				    sum_name, pch);
	if (lock >= 0)
		close(lock);
	pthread_mutex_unlock(&builders);
	return err;
}

void ember__prelude_pch_close(struct ember_pch *pch)
{
	if (pch->fd >= 0)
		close(pch->fd);
	pch->fd = -1;
	pch->path[0] = 0;
}
