/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 digests (FIPS 180-4) of what a cache entry was built from. Our
 * own: with the CPU's SHA instructions where it has them (x86-64 SHA-NI,
 * about 2 GB/s here), else plain C. OpenSSL's libcrypto did this before;
 * loading and starting it cost every ember process more (about 0.5-1.5 ms)
 * than a cached compile's whole hashing.
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

/* Compresses n 64-byte blocks at p into state. */
typedef void (*ember_sha256_blocks_fn)(uint32_t state[8],
				       const unsigned char *p, size_t n);

struct ember_hasher {
	ember_sha256_blocks_fn blocks;
	uint32_t state[8];
	uint64_t total; /* bytes added */
	unsigned char block[64]; /* the partial block */
};

/* Returns 0 (nothing to allocate; callers may still check). */
int ember__hasher_init(struct ember_hasher *h);
/* Add one item: its length, then its bytes. */
void ember__hasher_item(struct ember_hasher *h, const void *data, size_t len);
/* ember__hasher_item() of a NUL-terminated string (NULL hashes as absent). */
void ember__hasher_str(struct ember_hasher *h, const char *s);
/* Add bytes without framing (a file read in pieces). */
void ember__hasher_bytes(struct ember_hasher *h, const void *data, size_t len);
/* Finish into out: returns 0. */
int ember__hasher_final(struct ember_hasher *h, struct ember_digest *out);

/* Digest of one buffer (unframed): returns 0. */
int ember__digest(const void *data, size_t len, struct ember_digest *out);
/* The same without the CPU's SHA instructions (for tests of both ways). */
int ember__digest_portable(const void *data, size_t len,
			   struct ember_digest *out);
/* Digest of the whole content of fd from offset 0 (at most max bytes, else
 * -EFBIG): 0 or -errno. */
int ember__digest_fd(int fd, size_t max, struct ember_digest *out);

bool ember__digest_equal(const struct ember_digest *a,
			 const struct ember_digest *b);
void ember__digest_hex(const struct ember_digest *d,
		       char hex[EMBER_DIGEST_HEX_LEN]);

#endif
