/* SPDX-License-Identifier: MIT */
/*
 * What the compiler process needs for one translation (parse, rewriters,
 * code generation): everything the core prepared from the text (compile.c),
 * packed into bytes to cross to the compiler (compiler_client.h) and
 * unpacked there as untrusted input.
 */
#ifndef EMBER_COMPILE_JOB_H
#define EMBER_COMPILE_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "compiler/virtual_files.h"

struct ember_compile_job {
	const char *name; /* file name shown in diagnostics */
	const char *text;
	size_t len;
	const char *const *cflags;
	size_t cflags_cnt;
	/* kernel_headers mode: the header tree's arguments, and the triple
	 * it is parsed for; false, none and NULL with BTF */
	bool headers;
	const char *const *kh_args;
	size_t kh_args_cnt;
	const char *host_triple;
	/* served from memory; ember/program.h among them */
	const struct ember_virtual_file *files;
	size_t files_cnt;
	/* files lacks the embedded prelude headers (virtual_files.h): the
	 * compiler serves its own, which its precompiled prelude was built
	 * from (its build-id is in every cache key). Set by the host so that
	 * ~310 kB do not cross with every compile; after unpacking, files
	 * holds them again and this is false. */
	bool compiler_headers;
	const char *program_h;
	/* the precompiled prelude for clang (/proc/self/fd/N), or NULL; with
	 * it the kernel types text it was built from (prelude_pch.h), served
	 * as ember/kernel_types.h */
	const char *pch_path;
	const char *types_path;
};

/* Append job (but pch_path and types_path: they go as file descriptors)
 * to f; the caller checks f's error state. */
void ember__compile_job_pack(const struct ember_compile_job *job, FILE *f);

/* The unpacked job points into the bytes it came from. */
struct ember_compile_job_store {
	struct ember_compile_job job;
	const char **strings; /* cflags */
	const char **kh_strings; /* kh_args */
	struct ember_virtual_file *files;
	char *paths; /* of the compiler's embedded headers */
};

/*
 * Fill store from buf[0, len) (which must outlive it). 0, or -EINVAL when
 * the bytes are truncated or malformed. Release with
 * ember__compile_job_release.
 */
int ember__compile_job_unpack(const char *buf, size_t len,
			      struct ember_compile_job_store *store);
void ember__compile_job_release(struct ember_compile_job_store *store);

/* A list of strings, for the other requests. */
void ember__strings_pack(const char *const *s, size_t cnt, FILE *f);
/* *out (malloc'd array, strings pointing into buf): 0 or -EINVAL. */
int ember__strings_unpack(const char *buf, size_t len, const char ***out,
			  size_t *cnt);

#endif
