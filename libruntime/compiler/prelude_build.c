// SPDX-License-Identifier: MIT
#include "compiler/prelude_build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/codegen.h"
#include "compiler/isolation.h"
#include "compiler/virtual_files.h"
#include "error.h"
#include "kernel/btf_header.h"
#include "kernel/kernel_config.h"

#define PRELUDE "ember/prelude.h"

/* The kernel types text beside the PCH (prelude_build.h), with its NUL: a
 * compile maps it and hands clang the mapping as it is. */
static int write_types(const char *pch_path, const char *text, size_t len)
{
	char *path = NULL;
	int fd, err;

	if (asprintf(&path, "%s" EMBER_PRELUDE_TYPES_SUFFIX, pch_path) < 0)
		return ember__error(ENOMEM, "out of memory");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	err = fd < 0 ? -errno : 0;
	if (!err && ember__write_all(fd, text, len + 1))
		err = errno ? -errno : -EIO;
	if (fd >= 0 && close(fd) && !err)
		err = -errno;
	if (err) {
		if (fd >= 0)
			unlink(path);
		ember__error(-err, "writing %s: %s", path, strerror(-err));
	}
	free(path);
	return err;
}

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
	/* the text ends with a NUL (ember__btf_header) */
	if (!err)
		err = write_types(path, types, types_len);
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
