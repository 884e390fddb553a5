// SPDX-License-Identifier: MIT
#include "compiler/vmlinux_digest.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "error.h"
#include "kernel/btf_header.h"
#include "kernel/kernel_file.h"

#define BTF_MAX (1ul << 28)

static const struct ember_cache_record_kind kind = {
	.prefix = "vmlinux-btf-",
	.magic = "EMBBTF01",
	.max = EMBER_DIGEST_LEN + 256,
	.keep = 2,
	.what = "a digest",
};

/* The identity of the BTF behind fd for this boot, or -errno when there is
 * none to trust (not on sysfs, no boot_id): then it is hashed. */
static int boot_key(int fd, struct ember_digest *key)
{
	char boot_id[64], head[4096];
	size_t boot_len = 0, head_len = 0;
	struct statfs sfs;
	struct ember_hasher h;
	struct stat st;
	ssize_t n;
	int err;

	if (fstatfs(fd, &sfs) || sfs.f_type != SYSFS_MAGIC || fstat(fd, &st))
		return -EPERM;
	err = ember__kernel_file_read(EMBER_BOOT_ID, PROC_SUPER_MAGIC, boot_id,
				      sizeof(boot_id), &boot_len);
	if (err)
		return err;
	while ((n = pread(fd, head + head_len, sizeof(head) - head_len,
			  (off_t)head_len)) > 0 &&
	       head_len + (size_t)n < sizeof(head))
		head_len += (size_t)n;
	if (n > 0)
		head_len += (size_t)n;
	if (n < 0)
		return -errno;
	if (ember__hasher_init(&h))
		return -ENOMEM;
	ember__hasher_str(&h, "vmlinux btf");
	ember__hasher_item(&h, boot_id, boot_len);
	ember__hasher_item(&h, &st.st_dev, sizeof(st.st_dev));
	ember__hasher_item(&h, &st.st_ino, sizeof(st.st_ino));
	ember__hasher_item(&h, &st.st_size, sizeof(st.st_size));
	ember__hasher_item(&h, &st.st_mtim, sizeof(st.st_mtim));
	ember__hasher_item(&h, head, head_len);
	return ember__hasher_final(&h, key);
}

static int accept_digest(void *payload, size_t len, void *ctx)
{
	(void)payload;
	(void)ctx;
	return len == EMBER_DIGEST_LEN ? 0 : -EBADMSG;
}

int ember__vmlinux_btf_digest(const struct ember_cache *cache,
			      struct ember_digest *out)
{
	struct ember_digest key;
	void *payload;
	size_t len;
	bool keyed;
	int err, fd = open(EMBER_VMLINUX_BTF, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		err = errno;
		return ember__error(err, "cannot read %s: %s",
				    EMBER_VMLINUX_BTF, strerror(err));
	}
	keyed = cache && cache->dirfd >= 0 && !boot_key(fd, &key);
	if (keyed &&
	    !ember__cache_record_read(cache, &kind, &key, accept_digest, NULL,
				      &payload, &len)) {
		memcpy(out->bytes, payload, EMBER_DIGEST_LEN);
		free(payload);
		close(fd);
		return 0;
	}
	err = ember__digest_fd(fd, BTF_MAX, out);
	close(fd);
	if (err)
		return ember__error(-err, "cannot read %s: %s",
				    EMBER_VMLINUX_BTF, strerror(-err));
	/* Remembered for the next process; one entry per boot, the last
	 * few kept. */
	if (keyed)
		ember__cache_record_write(cache, &kind, &key, out->bytes,
					  EMBER_DIGEST_LEN);
	return 0;
}
