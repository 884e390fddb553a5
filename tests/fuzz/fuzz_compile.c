// SPDX-License-Identifier: MIT
/*
 * The compile path without the kernel: program text -> scan, virtual
 * headers (tracepoint args from the golden tracefs tree), include checks,
 * libclang parse, every rewriter, the edits applied -> rewritten C.
 * In-process and without code generation (compile.h: rewrite_only), so
 * libFuzzer sees the coverage; code generation runs only in the compiler
 * process.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "compiler/translate.h"
#include "fuzz_support.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ember_fuzz_environment();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ember_compile_opts o = { .name = "fuzz.c",
					.rewrite_only = ember__translate };
	struct ember_compiled c;
	char *text = ember_fuzz_string(data, size);

	if (!text)
		return 0;
	if (!ember__compile(text, &o, &c)) {
		/* what a user sees with ember check --dump */
		if (!c.rewritten || strlen(c.rewritten) != c.rewritten_len)
			abort();
		ember__compiled_free(&c);
	}
	free(text);
	return 0;
}
