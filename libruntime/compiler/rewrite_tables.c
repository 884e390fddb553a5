// SPDX-License-Identifier: MIT
/* BCC table macros and methods (issue 3): being written. */
#include "compiler/rewriter.h"

int ember__rewrite_tables(struct ember_rewriter *rw)
{
	(void)rw;
	return 0;
}
