// SPDX-License-Identifier: MIT
#include "compiler/prelude_build.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
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

struct types_footer {
	uint64_t len, lines;
	char magic[8];
};

/* Where the line starts are, after the text and its NUL. */
static size_t lines_offset(size_t len)
{
	return (len + 1 + sizeof(unsigned int) - 1) &
	       ~(sizeof(unsigned int) - 1);
}

int ember__prelude_types_read(const void *map, size_t size,
			      struct ember_prelude_types *out)
{
	const char *p = map;
	struct types_footer f;
	const unsigned int *starts;
	size_t i;

	size_t off, table;

	if (size < sizeof(f))
		return -EBADMSG;
	size -= sizeof(f);
	memcpy(&f, p + size, sizeof(f));
	if (memcmp(f.magic, EMBER_PRELUDE_TYPES_MAGIC, sizeof(f.magic)) ||
	    f.len >= size)
		return -EBADMSG;
	off = lines_offset(f.len);
	table = size - off; /* bytes, if off <= size */
	if (off > size || p[f.len] || f.lines < 1 ||
	    f.lines != table / sizeof(*starts) || table % sizeof(*starts))
		return -EBADMSG;
	starts = (const unsigned int *)(p + off);
	/* what clang indexes with: ascending from 0, within the text */
	if (starts[0])
		return -EBADMSG;
	for (i = 1; i < f.lines; i++)
		if (starts[i] <= starts[i - 1] || starts[i] > f.len)
			return -EBADMSG;
	*out = (struct ember_prelude_types){
		.text = p, .len = f.len, .line_starts = starts, .lines = f.lines
	};
	return 0;
}

/* The kernel types file beside the PCH (prelude_build.h): a compile maps it
 * and hands clang the text and its lines as they are. */
static int write_types(const char *pch_path, const char *text, size_t len)
{
	static const char zeros[sizeof(unsigned int)];
	struct types_footer f = { .len = len };
	unsigned int *starts = NULL;
	size_t lines = 0;
	char *path = NULL;
	int fd, err;

	if (len >= UINT_MAX ||
	    ember__codegen_line_starts(text, len, &starts, &lines) ||
	    asprintf(&path, "%s" EMBER_PRELUDE_TYPES_SUFFIX, pch_path) < 0) {
		free(starts);
		return ember__error(ENOMEM, "out of memory");
	}
	f.lines = lines;
	memcpy(f.magic, EMBER_PRELUDE_TYPES_MAGIC, sizeof(f.magic));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	err = fd < 0 ? -errno : 0;
	if (!err &&
	    (ember__write_all(fd, text, len + 1) ||
	     ember__write_all(fd, zeros, lines_offset(len) - (len + 1)) ||
	     ember__write_all(fd, starts, lines * sizeof(*starts)) ||
	     ember__write_all(fd, &f, sizeof(f))))
		err = errno ? -errno : -EIO;
	free(starts);
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
