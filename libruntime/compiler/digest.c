// SPDX-License-Identifier: MIT
#include "compiler/digest.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

/* SHA256_Init and friends: deprecated in OpenSSL 3 for EVP, which costs
 * every process about 1 ms before its first digest (the library's
 * configuration file, its providers and their algorithm tables); the
 * direct calls reach the same SHA code (SHA-NI where the CPU has it). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((struct ember_hasher *)0)->ctx),
	       "struct ember_hasher holds a SHA256_CTX");

int ember__hasher_init(struct ember_hasher *h)
{
	h->failed = SHA256_Init((SHA256_CTX *)h->ctx) != 1;
	return h->failed ? -ENOMEM : 0;
}

void ember__hasher_bytes(struct ember_hasher *h, const void *data, size_t len)
{
	if (h->failed || !len)
		return;
	if (SHA256_Update((SHA256_CTX *)h->ctx, data, len) != 1)
		h->failed = true;
}

void ember__hasher_item(struct ember_hasher *h, const void *data, size_t len)
{
	uint64_t l = len;

	ember__hasher_bytes(h, &l, sizeof(l));
	ember__hasher_bytes(h, data, len);
}

void ember__hasher_str(struct ember_hasher *h, const char *s)
{
	if (!s) {
		/* distinct from "": no string has this length */
		uint64_t absent = UINT64_MAX;

		ember__hasher_bytes(h, &absent, sizeof(absent));
		return;
	}
	ember__hasher_item(h, s, strlen(s));
}

int ember__hasher_final(struct ember_hasher *h, struct ember_digest *out)
{
	int err = 0;

	if (SHA256_Final(out->bytes, (SHA256_CTX *)h->ctx) != 1 || h->failed)
		err = -ENOMEM;
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

int ember__digest(const void *data, size_t len, struct ember_digest *out)
{
	struct ember_hasher h;

	if (ember__hasher_init(&h))
		return -ENOMEM;
	ember__hasher_bytes(&h, data, len);
	return ember__hasher_final(&h, out);
}

int ember__digest_fd(int fd, size_t max, struct ember_digest *out)
{
	/* pread, not mmap: a file truncated under a mapping would kill the
	 * host with SIGBUS */
	const size_t chunk = 1 << 18;
	struct ember_hasher h;
	char *buf = malloc(chunk);
	size_t total = 0;
	ssize_t n;
	int err = 0;

	if (!buf || ember__hasher_init(&h)) {
		free(buf);
		return -ENOMEM;
	}
	while ((n = pread(fd, buf, chunk, (off_t)total)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		total += (size_t)n;
		if (total > max) {
			err = -EFBIG;
			break;
		}
		ember__hasher_bytes(&h, buf, (size_t)n);
	}
	free(buf);
	if (err) {
		ember__hasher_final(&h, out);
		return err;
	}
	return ember__hasher_final(&h, out);
}

bool ember__digest_equal(const struct ember_digest *a,
			 const struct ember_digest *b)
{
	return !memcmp(a->bytes, b->bytes, EMBER_DIGEST_LEN);
}

void ember__digest_hex(const struct ember_digest *d,
		       char hex[EMBER_DIGEST_HEX_LEN])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < EMBER_DIGEST_LEN; i++) {
		hex[2 * i] = digits[d->bytes[i] >> 4];
		hex[2 * i + 1] = digits[d->bytes[i] & 15];
	}
	hex[2 * EMBER_DIGEST_LEN] = 0;
}
