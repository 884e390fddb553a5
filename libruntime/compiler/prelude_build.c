// SPDX-License-Identifier: MIT
#include "compiler/prelude_build.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/codegen.h"
#include "compiler/virtual_files.h"
#include "error.h"
#include "kernel/btf_header.h"
#include "kernel/kernel_config.h"

#define PRELUDE "ember/prelude.h"

int ember__prelude_build(const char *path, const char *const *args,
			 size_t args_cnt)
{
	const struct ember_virtual_file *e, *prelude = NULL;
	struct ember_virtual_file *files;
	const char *types, *config, *source;
	size_t types_len, config_len, n = 0, cnt = 0;
	bool found;
	char *diags = NULL, *abs = NULL;
	char **paths;
	int err;

	err = ember__btf_header(&types, &types_len);
	if (!err)
		err = ember__kernel_config_header(&config, &config_len, &found,
						  &source);
	if (err)
		return err;
	for (e = ember__embedded_headers; e->path; e++)
		cnt++;
	files = calloc(cnt + 2, sizeof(*files));
	paths = calloc(cnt + 1, sizeof(*paths));
	if (!files || !paths) {
		err = -ENOMEM;
		goto out;
	}
	for (e = ember__embedded_headers; e->path; e++) {
		if (asprintf(&paths[n], EMBER_VIRTUAL_INCLUDE_DIR "/%s",
			     e->path) < 0) {
			paths[n] = NULL;
			err = -ENOMEM;
			goto out;
		}
		if (!strcmp(e->path, PRELUDE))
			prelude = e;
		files[n] = (struct ember_virtual_file){ paths[n], e->text,
							e->len };
		n++;
	}
	files[n++] = (struct ember_virtual_file){ EMBER_VIRTUAL_INCLUDE_DIR
						  "/ember/kernel_types.h",
						  types, types_len };
	files[n++] = (struct ember_virtual_file){ EMBER_VIRTUAL_INCLUDE_DIR
						  "/ember/kernel_config.h",
						  config, config_len };
	if (!prelude ||
	    asprintf(&abs, EMBER_VIRTUAL_INCLUDE_DIR "/" PRELUDE) < 0) {
		err = -ENOMEM;
		goto out;
	}
	err = ember__codegen_pch(
		&(struct ember_codegen_input){ .main_path = abs,
					       .main_text = prelude->text,
					       .main_len = prelude->len,
					       .files = files,
					       .files_cnt = n,
					       .args = args,
					       .args_cnt = args_cnt },
		path, &diags);
	if (err)
		ember__error(-err, "precompiling the kernel types failed:\n%s",
			     diags ? diags : "");
out:
	for (size_t i = 0; paths && i < cnt; i++)
		free(paths[i]);
	free(paths);
	free(files);
	free(abs);
	free(diags);
	return err;
}
