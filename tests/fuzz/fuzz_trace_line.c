// SPDX-License-Identifier: MIT
/* One trace_pipe line -> BCC's trace_fields(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ember/ember.h>

#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = ember_fuzz_string(data, size);
	struct ember_trace_fields f;

	if (!line)
		return 0;
	if (!ember_trace_parse(line, &f)) {
		/* every string points into the line */
		if (!f.task || !f.flags || !f.msg)
			abort();
		if (strlen(f.task) + strlen(f.flags) + strlen(f.msg) > size)
			abort();
	}
	free(line);
	return 0;
}
