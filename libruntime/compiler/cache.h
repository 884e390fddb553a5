/* SPDX-License-Identifier: MIT */
/*
 * ember's on-disk cache (the precompiled prelude and compiled objects):
 * where it lives, when it may be trusted, and how entries get in and out.
 *
 * Location: $EMBER_CACHE_DIR; else, for root, /var/cache/ember (never a
 * HOME that another user may own, as with sudo -E); else
 * $XDG_CACHE_HOME/ember; else ~/.cache/ember. Missing directories are
 * created 0700. The environment is ignored in set-uid programs.
 *
 * ember runs as root and loads what it compiles into the kernel, so every
 * file the cache hands back is treated as hostile until checked:
 *  - the directory is used only if it is owned by the effective uid and
 *    not writable by group or others; it is opened once (O_NOFOLLOW) and
 *    everything after goes through that fd (openat, renameat), so a path
 *    swapped afterwards changes nothing;
 *  - a file is read only if it is a regular file (not followed if a
 *    symbolic link) owned by the effective uid and not group/other
 *    writable, and the checks are made on the opened fd (fstat);
 *  - an entry carries the SHA-256 digest of all its inputs and a SHA-256
 *    of its own bytes: one that is damaged, truncated, foreign or built
 *    from other inputs is refused and rebuilt, never used;
 *  - writes go to a temporary file in the directory, renamed into place
 *    when complete: readers see a whole entry or none, and concurrent
 *    writers of the same entry each install a whole one.
 */
#ifndef EMBER_CACHE_H
#define EMBER_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler/digest.h"
#include "ember/ember.h"

/* An open, checked cache directory. */
struct ember_cache {
	int dirfd; /* -1: no cache */
	char *path; /* for messages */
	/* Where refused entries are reported (EMBER_LOG_WARN); may be NULL. */
	ember_log_fn log;
	void *log_ctx;
	/* A PCH built for this compile is built by a compiler of this
	 * process's own (ember_module_opts.private_compiler). */
	bool private_compiler;
};

/* Magic numbers of the entry kinds (8 bytes each). */
#define EMBER_CACHE_MAGIC_LEN 8

/*
 * Open and check the cache directory, creating it if needed. 0, or -errno
 * with the reason in ember_errmsg() (c->dirfd is then -1 and the caller
 * compiles without the cache). log is kept for ember__cache_refused().
 */
int ember__cache_open(struct ember_cache *c, ember_log_fn log, void *log_ctx);
void ember__cache_close(struct ember_cache *c);

/*
 * Open name in the cache for reading, after the checks above; at most max
 * bytes. 0 with *fd set; -ENOENT when there is no such file; another -errno
 * with the reason in ember_errmsg() when there is one that may not be used.
 */
int ember__cache_open_file(const struct ember_cache *c, const char *name,
			   size_t max, int *fd);

/*
 * Entries: magic, the inputs' digest, the payload, then the SHA-256 of all
 * that. Read returns the payload (malloc'd) only if all of it checks out:
 * 0; -ENOENT when absent; another -errno with the reason in ember_errmsg()
 * when present but refused.
 */
int ember__cache_entry_read(const struct ember_cache *c, const char *name,
			    const char magic[EMBER_CACHE_MAGIC_LEN],
			    const struct ember_digest *inputs, size_t max,
			    void **payload, size_t *len);
/* Write an entry atomically (see above): 0 or -errno. */
int ember__cache_entry_write(const struct ember_cache *c, const char *name,
			     const char magic[EMBER_CACHE_MAGIC_LEN],
			     const struct ember_digest *inputs,
			     const void *payload, size_t len);

/*
 * A fresh name for a temporary file in the cache ("<prefix>.tmp-..."); the
 * file does not exist yet. 0 or -ENAMETOOLONG.
 */
int ember__cache_temp_name(char *buf, size_t len, const char *prefix);
/* renameat() within the cache: 0 or -errno. */
int ember__cache_rename(const struct ember_cache *c, const char *from,
			const char *to);
/* unlinkat() within the cache, errors ignored. */
void ember__cache_remove(const struct ember_cache *c, const char *name);

/* Report through the log (WARN) that an entry was not used, with the reason
 * in ember_errmsg() (which names it), and that it is rebuilt. */
void ember__cache_refused(const struct ember_cache *c);

/*
 * Records: what one process worked out for the next (the kernel config
 * header, the BTF's struct names, a tracepoint's format, the BTF's
 * digest), each an entry named <prefix><key as hex>.sum, the newest `keep`
 * of a kind kept.
 */
struct ember_cache_record_kind {
	const char *prefix;
	const char *magic; /* EMBER_CACHE_MAGIC_LEN bytes */
	size_t max; /* bytes of a payload at most */
	size_t keep;
	const char *what; /* what a payload is, for the warning */
};

/*
 * Read kind's record for key. 0 with the payload (malloc'd, the caller's)
 * when there is one and accept (NULL: any) returns 0 for it; -ENOENT when
 * there is none, or the one there is refused (damaged, or accept returned
 * -EBADMSG): that one is reported through ember__cache_refused(). Another
 * -errno from accept is returned as it is (the payload freed).
 */
int ember__cache_record_read(const struct ember_cache *c,
			     const struct ember_cache_record_kind *kind,
			     const struct ember_digest *key,
			     int (*accept)(void *payload, size_t len,
					   void *ctx),
			     void *ctx, void **payload, size_t *len);
/* Write kind's record for key and prune the kind; a failed write only
 * costs the next process the work, so it is not reported. */
void ember__cache_record_write(const struct ember_cache *c,
			       const struct ember_cache_record_kind *kind,
			       const struct ember_digest *key,
			       const void *payload, size_t len);

/* Keep the newest `keep` files named prefix*suffix; remove the rest, and
 * temporary files left by a crash an hour or more ago. */
void ember__cache_prune(const struct ember_cache *c, const char *prefix,
			const char *suffix, size_t keep);

#endif
