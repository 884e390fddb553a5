// SPDX-License-Identifier: MIT
#include "kernel/btf_header.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "error.h"

static void print_to_stream(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

int ember__btf_header_from_file(const char *path, char **text, size_t *len)
{
	struct btf_dump *dump = NULL;
	struct btf *btf;
	FILE *out;
	__u32 id, n;
	int err = 0;

	*text = NULL;
	*len = 0;
	btf = btf__parse(path, NULL);
	if (!btf)
		return ember__error(
			errno ? errno : ENOENT,
			"cannot read kernel BTF %s: %s (ember needs "
			"a kernel built with CONFIG_DEBUG_INFO_BTF, "
			"or the kernel_headers option)",
			path, strerror(errno));
	out = open_memstream(text, len);
	if (!out) {
		btf__free(btf);
		return ember__error(ENOMEM, "out of memory");
	}
	dump = btf_dump__new(btf, print_to_stream, out, NULL);
	if (!dump) {
		err = ember__error(errno, "cannot dump kernel BTF: %s",
				   strerror(errno));
		goto out;
	}
	/* Records get preserve_access_index so every member access through
	 * them is relocated by libbpf against the running kernel (CO-RE). */
	fputs("#ifndef __EMBER_KERNEL_TYPES__\n"
	      "#define __EMBER_KERNEL_TYPES__\n"
	      /* libbpf's bpf_tracing.h picks kernel pt_regs names on it */
	      "#define __VMLINUX_H__\n"
	      "#pragma clang attribute push "
	      "(__attribute__((preserve_access_index)), apply_to = record)\n",
	      out);
	n = btf__type_cnt(btf);
	for (id = 1; id < n; id++) {
		err = btf_dump__dump_type(dump, id);
		if (err) {
			err = ember__error(-err, "cannot dump BTF type %u: %s",
					   id, strerror(-err));
			goto out;
		}
	}
	fputs("#pragma clang attribute pop\n#endif\n", out);
out:
	btf_dump__free(dump);
	btf__free(btf);
	if (fclose(out) && !err)
		err = ember__error(ENOMEM, "out of memory");
	if (err) {
		free(*text);
		*text = NULL;
		*len = 0;
	}
	return err;
}

static pthread_mutex_t header_lock = PTHREAD_MUTEX_INITIALIZER;
static char *header_text;
static size_t header_len;

int ember__btf_header(const char **text, size_t *len)
{
	int err = 0;

	pthread_mutex_lock(&header_lock);
	if (!header_text)
		err = ember__btf_header_from_file(EMBER_VMLINUX_BTF,
						  &header_text, &header_len);
	*text = header_text;
	*len = header_len;
	pthread_mutex_unlock(&header_lock);
	return err;
}
