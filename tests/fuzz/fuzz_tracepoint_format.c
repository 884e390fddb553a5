// SPDX-License-Identifier: MIT
/* A tracefs events/CAT/EVENT/format file -> the args struct's C text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "kernel/tracepoint_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = ember_fuzz_string(data, size), *c = NULL;

	if (!text)
		return 0;
	if (!ember__tracepoint_struct_from_format(text, "fuzz_args", &c)) {
		if (!c || strncmp(c, "struct fuzz_args", 16))
			abort();
		free(c);
	}
	free(text);
	return 0;
}
