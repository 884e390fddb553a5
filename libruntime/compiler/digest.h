/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 digests (OpenSSL's libcrypto, its SHA256_* calls) of what a cache entry was built
 * from. libcrypto: installed everywhere ember runs, maintained, FIPS
 * validated, and it uses the CPU's SHA instructions (about 2 GB/s here,
 * faster than the byte-wise FNV hash it replaces).
 *
 * Items are framed by their length, so ("ab", "c") and ("a", "bc") differ.
 */
#ifndef EMBER_DIGEST_H
#define EMBER_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EMBER_DIGEST_LEN 32
/* Lower-case hex plus NUL. */
#define EMBER_DIGEST_HEX_LEN (2 * EMBER_DIGEST_LEN + 1)

struct ember_digest {
	unsigned char bytes[EMBER_DIGEST_LEN];
};

struct ember_hasher {
	uint64_t ctx[16]; /* a SHA256_CTX, held here: nothing to allocate */
	bool failed;
};

/* 0 or -ENOMEM. Pair with ember__hasher_final(). */
int ember__hasher_init(struct ember_hasher *h);
/* Add one item: its length, then its bytes. */
void ember__hasher_item(struct ember_hasher *h, const void *data, size_t len);
/* ember__hasher_item() of a NUL-terminated string (NULL hashes as absent). */
void ember__hasher_str(struct ember_hasher *h, const char *s);
/* Add bytes without framing (a file read in pieces). */
void ember__hasher_bytes(struct ember_hasher *h, const void *data, size_t len);
/* Finish into out: 0, or -ENOMEM if any step failed. */
int ember__hasher_final(struct ember_hasher *h, struct ember_digest *out);

/* Digest of one buffer (unframed): 0 or -ENOMEM. */
int ember__digest(const void *data, size_t len, struct ember_digest *out);
/* Digest of the whole content of fd from offset 0 (at most max bytes, else
 * -EFBIG): 0 or -errno. */
int ember__digest_fd(int fd, size_t max, struct ember_digest *out);

bool ember__digest_equal(const struct ember_digest *a,
			 const struct ember_digest *b);
void ember__digest_hex(const struct ember_digest *d,
		       char hex[EMBER_DIGEST_HEX_LEN]);

#endif
