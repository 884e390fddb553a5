// SPDX-License-Identifier: MIT
#include "compiler/digest.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#include <sys/platform/x86.h>
#endif

/* SHA-256 (FIPS 180-4): the first 32 bits of the fractional parts of the
 * cube roots of the first 64 primes, and of the square roots of the first
 * 8 primes. */
static const uint32_t k256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t h256[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void blocks_portable(uint32_t s[8], const unsigned char *p, size_t n)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	int i;

	for (; n; n--, p += 64) {
		for (i = 0; i < 16; i++)
			w[i] = (uint32_t)p[4 * i] << 24 |
			       (uint32_t)p[4 * i + 1] << 16 |
			       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
		for (; i < 64; i++)
			w[i] = w[i - 16] +
			       (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
				(w[i - 15] >> 3)) +
			       w[i - 7] +
			       (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^
				(w[i - 2] >> 10));
		a = s[0], b = s[1], c = s[2], d = s[3];
		e = s[4], f = s[5], g = s[6], h = s[7];
		for (i = 0; i < 64; i++) {
			t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
			     ((e & f) ^ (~e & g)) + k256[i] + w[i];
			t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
			     ((a & b) ^ (a & c) ^ (b & c));
			h = g, g = f, f = e, e = d + t1;
			d = c, c = b, b = a, a = t1 + t2;
		}
		s[0] += a, s[1] += b, s[2] += c, s[3] += d;
		s[4] += e, s[5] += f, s[6] += g, s[7] += h;
	}
}

#if defined(__x86_64__)
/* The SHA extensions (SHA-NI: Intel since Goldmont/Ice Lake, every AMD
 * Zen): about 2 GB/s here, against some 0.3 GB/s for the loop above; the
 * PCH (15 MB) is hashed when a process first uses it. The state is held as
 * the instructions want it: ABEF and CDGH. */
__attribute__((target("sha,sse4.1,ssse3"))) static void
blocks_sha_ni(uint32_t s[8], const unsigned char *p, size_t n)
{
	const __m128i bswap =
		_mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)s),
				      0xb1); /* CDAB */
	__m128i cdgh = _mm_shuffle_epi32(
		_mm_loadu_si128((const __m128i *)(s + 4)), 0x1b); /* EFGH */
	__m128i abef = _mm_alignr_epi8(t, cdgh, 8);
	__m128i w[4], m;

	cdgh = _mm_blend_epi16(cdgh, t, 0xf0);
	for (; n; n--, p += 64) {
		__m128i abef0 = abef, cdgh0 = cdgh;

#pragma GCC unroll 16
		for (int g = 0; g < 16; g++) {
			/* words 4g..4g+3 of the schedule; w[] holds the
			 * last four groups */
			if (g < 4)
				w[g] = _mm_shuffle_epi8(
					_mm_loadu_si128(
						(const __m128i *)(p + 16 * g)),
					bswap);
			else
				w[g & 3] = _mm_sha256msg2_epu32(
					_mm_add_epi32(
						_mm_sha256msg1_epu32(
							w[g & 3],
							w[(g + 1) & 3]),
						_mm_alignr_epi8(w[(g + 3) & 3],
								w[(g + 2) & 3],
								4)),
					w[(g + 3) & 3]);
			m = _mm_add_epi32(
				w[g & 3],
				_mm_loadu_si128(
					(const __m128i *)(k256 + 4 * g)));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, m);
			m = _mm_shuffle_epi32(m, 0x0e);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, m);
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	t = _mm_shuffle_epi32(abef, 0x1b); /* FEBA */
	cdgh = _mm_shuffle_epi32(cdgh, 0xb1); /* DCHG */
	_mm_storeu_si128((__m128i *)s, _mm_blend_epi16(t, cdgh, 0xf0));
	_mm_storeu_si128((__m128i *)(s + 4), _mm_alignr_epi8(cdgh, t, 8));
}

/* glibc's record of the CPU (made at start-up; cpuid again would trap to
 * the hypervisor in a VM, tens of microseconds). */
static bool have_sha_ni(void)
{
	return CPU_FEATURE_ACTIVE(SHA) && CPU_FEATURE_ACTIVE(SSSE3) &&
	       CPU_FEATURE_ACTIVE(SSE4_1);
}
#endif

static ember_sha256_blocks_fn pick_blocks(void)
{
	static ember_sha256_blocks_fn chosen;
	ember_sha256_blocks_fn f = __atomic_load_n(&chosen, __ATOMIC_RELAXED);

	if (!f) {
		f = blocks_portable;
#if defined(__x86_64__)
		if (have_sha_ni())
			f = blocks_sha_ni;
#endif
		__atomic_store_n(&chosen, f, __ATOMIC_RELAXED);
	}
	return f;
}

int ember__hasher_init(struct ember_hasher *h)
{
	h->blocks = pick_blocks();
	memcpy(h->state, h256, sizeof(h->state));
	h->total = 0;
	return 0;
}

void ember__hasher_bytes(struct ember_hasher *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t fill = (size_t)(h->total % 64), take;

	h->total += len;
	if (fill) {
		take = 64 - fill < len ? 64 - fill : len;
		memcpy(h->block + fill, p, take);
		if (fill + take < 64)
			return;
		h->blocks(h->state, h->block, 1);
		p += take;
		len -= take;
	}
	if (len >= 64)
		h->blocks(h->state, p, len / 64);
	p += len & ~(size_t)63;
	len &= 63;
	if (len)
		memcpy(h->block, p, len);
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
	uint64_t bits = h->total * 8;
	size_t fill = (size_t)(h->total % 64), i;

	h->block[fill++] = 0x80;
	if (fill > 56) {
		memset(h->block + fill, 0, 64 - fill);
		h->blocks(h->state, h->block, 1);
		fill = 0;
	}
	memset(h->block + fill, 0, 56 - fill);
	for (i = 0; i < 8; i++)
		h->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	h->blocks(h->state, h->block, 1);
	for (i = 0; i < 8; i++) {
		out->bytes[4 * i] = (unsigned char)(h->state[i] >> 24);
		out->bytes[4 * i + 1] = (unsigned char)(h->state[i] >> 16);
		out->bytes[4 * i + 2] = (unsigned char)(h->state[i] >> 8);
		out->bytes[4 * i + 3] = (unsigned char)h->state[i];
	}
	return 0;
}

int ember__digest(const void *data, size_t len, struct ember_digest *out)
{
	struct ember_hasher h;

	ember__hasher_init(&h);
	ember__hasher_bytes(&h, data, len);
	return ember__hasher_final(&h, out);
}

int ember__digest_portable(const void *data, size_t len,
			   struct ember_digest *out)
{
	struct ember_hasher h;

	ember__hasher_init(&h);
	h.blocks = blocks_portable;
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

	if (!buf)
		return -ENOMEM;
	ember__hasher_init(&h);
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
