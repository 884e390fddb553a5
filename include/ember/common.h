/* SPDX-License-Identifier: MIT */
/*
 * Part of ember's public API; included by every other ember header.
 *
 * The preamble every public header shares: the export attribute, the C++
 * linkage guard, and EMBER_OPTS() to declare an options struct.
 */
#ifndef EMBER_COMMON_H
#define EMBER_COMMON_H

/* Marks a function exported from libember.so (the rest is hidden). */
#define EMBER_API __attribute__((visibility("default")))

/* Wrap declarations so C++ callers link to them as C functions. */
#ifdef __cplusplus
#define EMBER_BEGIN_DECLS extern "C" {
#define EMBER_END_DECLS }
#else
#define EMBER_BEGIN_DECLS
#define EMBER_END_DECLS
#endif

/*
 * Declare options struct NAME of type struct TYPE (one of ember's *_opts),
 * zeroed including padding, with .sz set and the designated initialisers
 * given after it, as libbpf's LIBBPF_OPTS:
 *
 *	EMBER_OPTS(ember_module_opts, opts, .name = "hello.c");
 *	ember_module_new(text, &opts, &m);
 *
 * The zeroed padding matters: ember refuses an options struct whose bytes
 * beyond the fields it knows are not zero (a newer caller asking for
 * something this version cannot do), and trailing padding counts. Uses a GNU
 * statement expression (gcc, clang). Under -pedantic before C23 give at least
 * one initialiser; in C++ it builds, but -Wextra warns of the fields not
 * named, as with LIBBPF_OPTS.
 */
#define EMBER_OPTS(TYPE, NAME, ...)                                      \
	struct TYPE NAME = __extension__({                               \
		__builtin_memset(&NAME, 0, sizeof(struct TYPE));         \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ }; \
	})

#endif /* EMBER_COMMON_H */
