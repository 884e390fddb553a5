// SPDX-License-Identifier: MIT
/*
 * SHA-256 (compiler/digest.h): FIPS 180-4's examples and the empty string,
 * by both ways (the CPU's SHA instructions where it has them, and plain C),
 * the two agreeing on every length around the block and padding edges, and
 * input fed in pieces giving the digest of the whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/digest.h"

static void hex_of(int (*fn)(const void *, size_t, struct ember_digest *),
		   const void *data, size_t len, char hex[EMBER_DIGEST_HEX_LEN])
{
	struct ember_digest d;

	assert_int_equal(fn(data, len, &d), 0);
	ember__digest_hex(&d, hex);
}

static void known(const void *data, size_t len, const char *want)
{
	char hex[EMBER_DIGEST_HEX_LEN];

	hex_of(ember__digest, data, len, hex);
	assert_string_equal(hex, want);
	hex_of(ember__digest_portable, data, len, hex);
	assert_string_equal(hex, want);
}

static void test_known_answers(void **state)
{
	static const char two_blocks[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *million = malloc(1000000);

	(void)state;
	known("", 0,
	      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"
	      "5");
	known("abc", 3,
	      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a"
	      "d");
	known(two_blocks, strlen(two_blocks),
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c"
	      "1");
	assert_non_null(million);
	memset(million, 'a', 1000000);
	known(million, 1000000,
	      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd"
	      "0");
	free(million);
}

static void test_both_ways_agree(void **state)
{
	unsigned char buf[600];
	char a[EMBER_DIGEST_HEX_LEN], b[EMBER_DIGEST_HEX_LEN];
	uint32_t x = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (unsigned char)(x >> 16);
	}
	for (size_t len = 0; len <= sizeof(buf); len++) {
		hex_of(ember__digest, buf, len, a);
		hex_of(ember__digest_portable, buf, len, b);
		assert_string_equal(a, b);
	}
}

static void test_pieces(void **state)
{
	unsigned char buf[300];
	struct ember_digest whole, pieces;
	struct ember_hasher h;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7);
	ember__digest(buf, sizeof(buf), &whole);
	for (size_t step = 1; step <= 130; step++) {
		ember__hasher_init(&h);
		for (size_t off = 0; off < sizeof(buf); off += step)
			ember__hasher_bytes(&h, buf + off,
					    sizeof(buf) - off < step
						    ? sizeof(buf) - off
						    : step);
		ember__hasher_final(&h, &pieces);
		assert_true(ember__digest_equal(&whole, &pieces));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_both_ways_agree),
		cmocka_unit_test(test_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
