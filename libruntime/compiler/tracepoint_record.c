// SPDX-License-Identifier: MIT
#include "compiler/tracepoint_record.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "error.h"
#include "kernel/kernel_file.h"
#include "kernel/tracefs.h"
#include "kernel/tracepoint_format.h"

static const struct ember_cache_record_kind kind = {
	.prefix = "tracepoint-",
	.magic = "EMBTPF01",
	/* the largest format file of a kernel is a few kB */
	.max = 1ul << 20,
	/* a tool suite names a few hundred tracepoints; each entry is
	 * ~1-4 kB */
	.keep = 512,
	.what = "a tracepoint format",
};

/* The identity of the event for this boot, without its format (and so
 * without the event_mutex), or -errno when there is none to trust (not
 * tracefs, files not readable). */
static int event_key(const char *category, const char *event,
		     struct ember_digest *key)
{
	char path[PATH_MAX], boot_id[64], id[32];
	size_t boot_len, id_len;
	struct ember_hasher h;
	struct statfs sfs;
	struct stat st;
	int err;

	/* names as ember__tracepoint_format checks them */
	if (!*category || !*event || strchr(category, '/') ||
	    strchr(event, '/') || *category == '.' || *event == '.')
		return -EINVAL;
	err = ember__tracefs_path(path, sizeof(path), "events/%s/%s", category,
				  event);
	if (err)
		return err;
	/* -EACCES: tracefs is root's */
	if (statfs(path, &sfs) || stat(path, &st))
		return -errno;
	if (sfs.f_type != TRACEFS_MAGIC || !S_ISDIR(st.st_mode))
		return -EPERM;
	err = ember__kernel_file_read(EMBER_BOOT_ID, PROC_SUPER_MAGIC, boot_id,
				      sizeof(boot_id), &boot_len);
	if (err)
		return err;
	if (strlen(path) + 4 >= sizeof(path))
		return -ENAMETOOLONG;
	strcat(path, "/id");
	err = ember__kernel_file_read(path, TRACEFS_MAGIC, id, sizeof(id),
				      &id_len);
	if (err)
		return err;
	if (ember__hasher_init(&h))
		return -ENOMEM;
	ember__hasher_str(&h, "tracepoint format");
	ember__hasher_item(&h, boot_id, boot_len);
	ember__hasher_str(&h, category);
	ember__hasher_str(&h, event);
	ember__hasher_item(&h, id, id_len);
	ember__hasher_item(&h, &st.st_dev, sizeof(st.st_dev));
	ember__hasher_item(&h, &st.st_ino, sizeof(st.st_ino));
	return ember__hasher_final(&h, key);
}

/* Where tracefs is root's, the format is written from the kernel's BTF
 * (tracepoint_btf.h), 10-30 ms of parsing: it is the same for as long as
 * the prelude (the BTF, this library) is. */
static int btf_key(const struct ember_digest *prelude, const char *category,
		   const char *event, struct ember_digest *key)
{
	struct ember_hasher h;

	if (ember__hasher_init(&h))
		return -ENOMEM;
	ember__hasher_str(&h, "tracepoint format from BTF");
	ember__hasher_item(&h, prelude->bytes, sizeof(prelude->bytes));
	ember__hasher_str(&h, category);
	ember__hasher_str(&h, event);
	return ember__hasher_final(&h, key);
}

/* the text and its NUL, nothing else */
static int accept_format(void *payload, size_t len, void *ctx)
{
	(void)ctx;
	return len && !((char *)payload)[len - 1] && strlen(payload) == len - 1
		       ? 0
		       : -EBADMSG;
}

int ember__tracepoint_format_cached(const struct ember_cache *cache,
				    const struct ember_digest *prelude,
				    const char *category, const char *event,
				    char **format)
{
	struct ember_digest key, after;
	void *payload;
	size_t len;
	bool from_btf = false;
	int err;

	*format = NULL;
	if (!cache || cache->dirfd < 0)
		return ember__tracepoint_format(category, event, format);
	err = event_key(category, event, &key);
	if (err == -EACCES && prelude) {
		from_btf = true;
		err = btf_key(prelude, category, event, &key);
	}
	if (err)
		return ember__tracepoint_format(category, event, format);
	if (!ember__cache_record_read(cache, &kind, &key, accept_format, NULL,
				      &payload, &len)) {
		*format = payload;
		return 0;
	}
	err = ember__tracepoint_format(category, event, format);
	if (err)
		return err;
	/* from tracefs: recorded only when the event did not change while
	 * it was read */
	if (from_btf || (!event_key(category, event, &after) &&
			 !memcmp(&key, &after, sizeof(key))))
		ember__cache_record_write(cache, &kind, &key, *format,
					  strlen(*format) + 1);
	return 0;
}
