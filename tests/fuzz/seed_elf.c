// SPDX-License-Identifier: MIT
/* The ELF reader's seeds are built from this (tests/fuzz/run): an
 * executable with .symtab, the same stripped (.dynsym), an object file. */
int ember_fuzz_seed_a(int x);
int ember_fuzz_seed_a(int x)
{
	return x + 1;
}

static int seed_b(int x)
{
	return x * 3;
}

int main(int argc, char **argv)
{
	(void)argv;
	return ember_fuzz_seed_a(seed_b(argc));
}
