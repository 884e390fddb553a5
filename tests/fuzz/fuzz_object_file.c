// SPDX-License-Identifier: MIT
/*
 * Prebuilt objects (ember build): the bytes of a file handed to
 * ember_module_open_object, through the ELF checks, the .ember metadata and
 * libbpf's open of the same bytes. Nothing is loaded into the kernel.
 */
#include <stdint.h>
#include <stdlib.h>

#include "ember/ember.h"
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
	struct ember_module *m = NULL;

	if (!ember_module_open_object_mem(data, size, NULL, &m)) {
		if (!m)
			abort();
		ember_module_free(m);
	}
	return 0;
}
