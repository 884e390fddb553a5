// SPDX-License-Identifier: MIT
/*
 * Compiled (not run) by the header tests: EMBER_OPTS() as a caller writes it,
 * under -std=c11 -Wall -Wextra -pedantic -Werror.
 */
#include <ember/ember.h>

int use_opts(const char *text, struct ember_module **m);

int use_opts(const char *text, struct ember_module **m)
{
	EMBER_OPTS(ember_module_opts, opts, .name = "use_opts.c");
	EMBER_OPTS(ember_uprobe_opts, uopts, .retprobe = true, .pid = 1);

	return ember_module_new(text, &opts, m) ? -1 : (int)uopts.sz;
}
