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
#include "compiler/prelude_build.h"
#include "compiler/virtual_files.h"
#include "compiler/vmlinux_digest.h"
#include "error.h"
#include "kernel/btf_header.h"
#include "kernel/kernel_config.h"

/* Each kernel or library update leaves a 15 MB PCH behind: keep the few
 * newest (another ember version may still use one). */
#define PCH_KEEP 4
#define PCH_MAX (1ul << 30)
#define TYPES_MAX (1ul << 28)
#define SUM_MAGIC "EMBPCH02"
#define CHECK_MAGIC "EMBPCK01"
#define CHECK_PREFIX "pch-checked-"
#define CHECK_SUFFIX ".sum"
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
	err = ember__compiler_request(
		"the precompiled prelude", EMBER_COMPILER_BUILD_PCH,
		cache->private_compiler, body, len, &cache->dirfd, 1,
		cache->log, cache->log_ctx, &reply, &reply_len);
	free(body);
	free(reply);
	return err;
}

/* What prelude-<digest>.sum records about the files beside it. */
struct pch_sum {
	uint64_t size;
	struct ember_digest digest;
	uint64_t types_size;
	struct ember_digest types_digest;
};

/* What changes when a file is written to (ctime, which user space cannot
 * set) or another is put in its place (inode). */
struct file_id {
	uint64_t dev, ino, size;
	int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

/* The PCH and its kernel types, open. */
struct pch_files {
	int fd[2];
	struct stat st[2];
	struct file_id id[2];
};

/* The files this process has hashed already (under the builders lock). */
static struct {
	bool valid;
	struct ember_digest inputs;
	struct file_id id[2];
} checked;

static void file_id(const struct stat *st, struct file_id *id)
{
	*id = (struct file_id){
		.dev = st->st_dev,
		.ino = st->st_ino,
		.size = (uint64_t)st->st_size,
		.mtime_sec = st->st_mtim.tv_sec,
		.mtime_nsec = st->st_mtim.tv_nsec,
		.ctime_sec = st->st_ctim.tv_sec,
		.ctime_nsec = st->st_ctim.tv_nsec,
	};
}

static bool same_files(const struct ember_digest *inputs,
		       const struct pch_files *f)
{
	return checked.valid && ember__digest_equal(&checked.inputs, inputs) &&
	       !memcmp(checked.id, f->id, sizeof(checked.id));
}

static void remember(const struct ember_digest *inputs,
		     const struct pch_files *f)
{
	checked.valid = true;
	checked.inputs = *inputs;
	memcpy(checked.id, f->id, sizeof(checked.id));
}

static void close_files(struct pch_files *f)
{
	for (int i = 0; i < 2; i++) {
		if (f->fd[i] >= 0)
			close(f->fd[i]);
		f->fd[i] = -1;
	}
}

/* Open names[0] (the PCH) and names[1] (its kernel types): 0, -ENOENT if
 * either is missing, else refused (reason in errmsg). */
static int open_files(const struct ember_cache *cache,
		      const char *const names[2], struct pch_files *f)
{
	static const size_t max[2] = { PCH_MAX, TYPES_MAX };
	int err = 0;

	for (int i = 0; i < 2 && !err; i++) {
		err = ember__cache_open_file(cache, names[i], max[i],
					     &f->fd[i]);
		if (!err && fstat(f->fd[i], &f->st[i]) < 0)
			err = ember__error(errno, "%s/%s: %s", cache->path,
					   names[i], strerror(errno));
		if (!err)
			file_id(&f->st[i], &f->id[i]);
	}
	if (err)
		close_files(f);
	return err;
}

/* The record that these very files were hashed and matched their .sum:
 * named by its key (inputs and identities), so another file or a rebuilt
 * one simply has none. */
static int record_key(const struct ember_digest *inputs,
		      const struct pch_files *f, struct ember_digest *key,
		      char *name, size_t size)
{
	char hex[EMBER_DIGEST_HEX_LEN];
	struct ember_hasher h;

	if (ember__hasher_init(&h))
		return -ENOMEM;
	ember__hasher_str(&h, "ember pch checked");
	ember__hasher_item(&h, inputs->bytes, sizeof(inputs->bytes));
	ember__hasher_item(&h, f->id, sizeof(f->id));
	if (ember__hasher_final(&h, key))
		return -ENOMEM;
	ember__digest_hex(key, hex);
	snprintf(name, size, CHECK_PREFIX "%s" CHECK_SUFFIX, hex);
	return 0;
}

/* True when the cache records that the files f, with this key, were
 * hashed and matched sum; a damaged record is reported and not used. */
static bool recorded(const struct ember_cache *cache,
		     const struct ember_digest *key, const char *name,
		     const struct pch_sum *sum)
{
	void *payload;
	size_t len;
	int err = ember__cache_entry_read(cache, name, CHECK_MAGIC, key, 4096,
					  &payload, &len);

	if (!err && (len != sizeof(*sum) || memcmp(payload, sum, len)))
		err = ember__error(EBADMSG,
				   "%s/%s records other digests than the "
				   "precompiled prelude's",
				   cache->path, name);
	free(payload);
	if (err && err != -ENOENT)
		ember__cache_refused(cache);
	return !err;
}

static void record(const struct ember_cache *cache,
		   const struct ember_digest *inputs, const struct pch_files *f,
		   const struct pch_sum *sum)
{
	struct ember_digest key;
	char name[sizeof(CHECK_PREFIX) + EMBER_DIGEST_HEX_LEN +
		  sizeof(CHECK_SUFFIX)];

	/* a record not written only costs the next process the hashing */
	if (!record_key(inputs, f, &key, name, sizeof(name)) &&
	    !ember__cache_entry_write(cache, name, CHECK_MAGIC, &key, sum,
				      sizeof(*sum)))
		ember__cache_prune(cache, CHECK_PREFIX, CHECK_SUFFIX, PCH_KEEP);
}

/* Hash both files: 0 when they are what sum records, else -EBADMSG or
 * another -errno (not reported). */
static int hash_files(const struct pch_files *f, const struct pch_sum *sum)
{
	struct ember_digest got[2];
	int err;

	if ((uint64_t)f->st[0].st_size != sum->size ||
	    (uint64_t)f->st[1].st_size != sum->types_size)
		return -EBADMSG;
	err = ember__digest_fd(f->fd[0], PCH_MAX, &got[0]);
	err = err ?: ember__digest_fd(f->fd[1], TYPES_MAX, &got[1]);
	if (!err && (!ember__digest_equal(&got[0], &sum->digest) ||
		     !ember__digest_equal(&got[1], &sum->types_digest)))
		err = -EBADMSG;
	return err;
}

static int proc_path(int fd, const struct stat *st, char *path, size_t size)
{
	struct stat via;

	snprintf(path, size, "/proc/self/fd/%d", fd);
	if (stat(path, &via) || via.st_dev != st->st_dev ||
	    via.st_ino != st->st_ino)
		return ember__error(ENOENT,
				    "%s does not name the open "
				    "precompiled prelude (is /proc "
				    "mounted?)",
				    path);
	return 0;
}

/* Make the files usable by clang: the paths name the open, checked
 * files. */
static int hand_over(struct pch_files *f, struct ember_pch *pch)
{
	int err = proc_path(f->fd[0], &f->st[0], pch->path, sizeof(pch->path));

	err = err
		      ?: proc_path(f->fd[1], &f->st[1], pch->types_path,
				   sizeof(pch->types_path));
	if (err) {
		close_files(f);
		return err;
	}
	pch->fd = f->fd[0];
	pch->types_fd = f->fd[1];
	return 0;
}

/* prelude-<digest> with its three suffixes */
struct pch_names {
	char pch[128], types[128], sum[128];
};

/*
 * Open and check the PCH and its kernel types against their .sum: 0 with
 * them handed over; -ENOENT if one is missing; else refused (reason in
 * errmsg).
 */
static int open_checked(const struct ember_cache *cache,
			const struct ember_digest *inputs,
			const struct pch_names *n, struct ember_pch *pch)
{
	struct pch_files f = { .fd = { -1, -1 } };
	struct ember_digest key;
	char record_name[sizeof(CHECK_PREFIX) + EMBER_DIGEST_HEX_LEN +
			 sizeof(CHECK_SUFFIX)];
	struct pch_sum sum;
	void *payload;
	size_t len;
	int err;

	err = ember__cache_entry_read(cache, n->sum, SUM_MAGIC, inputs, 4096,
				      &payload, &len);
	if (err)
		return err;
	if (len != sizeof(sum)) {
		free(payload);
		return ember__error(EBADMSG, "%s/%s has the wrong size",
				    cache->path, n->sum);
	}
	memcpy(&sum, payload, sizeof(sum));
	free(payload);
	err = open_files(cache, (const char *const[]){ n->pch, n->types }, &f);
	if (err)
		return err;
	if (same_files(inputs, &f))
		return hand_over(&f, pch);
	if (record_key(inputs, &f, &key, record_name, sizeof(record_name))) {
		close_files(&f);
		return ember__error(ENOMEM, "out of memory");
	}
	if (!recorded(cache, &key, record_name, &sum)) {
		err = hash_files(&f, &sum);
		if (err) {
			close_files(&f);
			if (err == -EBADMSG)
				return ember__error(
					EBADMSG,
					"%s/%s or %s is not what %s records "
					"(size or SHA-256 differs)",
					cache->path, n->pch, n->types, n->sum);
			return ember__error(-err, "%s/%s: %s", cache->path,
					    n->pch, strerror(-err));
		}
		record(cache, inputs, &f, &sum);
	}
	remember(inputs, &f);
	return hand_over(&f, pch);
}

/* Build the PCH and its kernel types into temporary files, record them,
 * then put them in place. */
static int build_checked(const struct ember_cache *cache,
			 const struct ember_digest *inputs,
			 const char *const *args, size_t args_cnt,
			 const struct pch_names *n, struct ember_pch *pch)
{
	char tmp[256], tmp_types[256 + sizeof(EMBER_PRELUDE_TYPES_SUFFIX)];
	struct pch_files f = { .fd = { -1, -1 } };
	struct pch_sum sum = { 0 };
	int err;

	if (cache->log) {
		char msg[4200];

		snprintf(msg, sizeof(msg),
			 "precompiling kernel types into %s/%s (once per "
			 "kernel)",
			 cache->path, n->pch);
		cache->log(EMBER_LOG_INFO, msg, cache->log_ctx);
	}
	err = ember__cache_temp_name(tmp, sizeof(tmp), n->pch);
	if (err)
		return ember__error(-err, "cache file name too long");
	snprintf(tmp_types, sizeof(tmp_types), "%s" EMBER_PRELUDE_TYPES_SUFFIX,
		 tmp);
	err = build(cache, tmp, args, args_cnt);
	if (!err)
		err = open_files(cache, (const char *const[]){ tmp, tmp_types },
				 &f);
	if (!err) {
		sum.size = (uint64_t)f.st[0].st_size;
		sum.types_size = (uint64_t)f.st[1].st_size;
		err = ember__digest_fd(f.fd[0], PCH_MAX, &sum.digest);
		err = err
			      ?: ember__digest_fd(f.fd[1], TYPES_MAX,
						  &sum.types_digest);
		if (err)
			ember__error(-err, "hashing %s/%s: %s", cache->path,
				     tmp, strerror(-err));
	}
	/* the files first: a crash before the .sum leaves only a miss */
	if (!err && ((err = ember__cache_rename(cache, tmp, n->pch)) ||
		     (err = ember__cache_rename(cache, tmp_types, n->types))))
		ember__error(-err, "%s/%s: %s", cache->path, n->pch,
			     strerror(-err));
	if (err) {
		ember__cache_remove(cache, tmp);
		ember__cache_remove(cache, tmp_types);
		close_files(&f);
		return err;
	}
	err = ember__cache_entry_write(cache, n->sum, SUM_MAGIC, inputs, &sum,
				       sizeof(sum));
	if (err) {
		close_files(&f);
		return ember__error(-err, "%s/%s: %s", cache->path, n->sum,
				    strerror(-err));
	}
	/* a rename may change ctime: the identities as they are now */
	for (int i = 0; i < 2; i++) {
		if (!fstat(f.fd[i], &f.st[i]))
			file_id(&f.st[i], &f.id[i]);
		else
			memset(&f.id[i], 0, sizeof(f.id[i]));
	}
	record(cache, inputs, &f, &sum);
	remember(inputs, &f);
	ember__cache_prune(cache, "prelude-", ".pch", PCH_KEEP);
	ember__cache_prune(cache, "prelude-", EMBER_PRELUDE_TYPES_SUFFIX,
			   PCH_KEEP);
	ember__cache_prune(cache, "prelude-", ".sum", PCH_KEEP);
	return hand_over(&f, pch);
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
	char hex[EMBER_DIGEST_HEX_LEN];
	struct pch_names n;
	int err, lock;

	pch->fd = pch->types_fd = -1;
	pch->path[0] = pch->types_path[0] = 0;
	if (cache->dirfd < 0)
		return ember__error(ENOENT, "no cache");
	ember__digest_hex(inputs, hex);
	snprintf(n.pch, sizeof(n.pch), "prelude-%s.pch", hex);
	snprintf(n.types, sizeof(n.types),
		 "prelude-%s" EMBER_PRELUDE_TYPES_SUFFIX, hex);
	snprintf(n.sum, sizeof(n.sum), "prelude-%s.sum", hex);

	pthread_mutex_lock(&builders);
	/* Under the lock: another process may be building it right now. */
	lock = lock_builders(cache);
	err = open_checked(cache, inputs, &n, pch);
	if (err && err != -ENOENT)
		ember__cache_refused(cache);
	if (err)
		err = build_checked(cache, inputs, args, args_cnt, &n, pch);
	if (lock >= 0)
		close(lock);
	pthread_mutex_unlock(&builders);
	return err;
}

void ember__prelude_pch_close(struct ember_pch *pch)
{
	if (pch->fd >= 0)
		close(pch->fd);
	if (pch->types_fd >= 0)
		close(pch->types_fd);
	pch->fd = pch->types_fd = -1;
	pch->path[0] = pch->types_path[0] = 0;
}
