/* SPDX-License-Identifier: MIT */
/*
 * The clang flags of every compile, in one place. A compile runs clang up to
 * three times: the parse (libclang, which takes the driver's spelling:
 * -target, -mcpu), the code generation and the precompiled prelude (cc1's
 * spelling: -triple, -target-cpu). They must agree on language, optimisation
 * and target, or clang refuses the PCH one built for the other; the lists
 * below are built from the same values for that reason.
 *
 * Each function writes at most EMBER_CLANG_ARGS_MAX pointers to static
 * strings into args and returns how many it wrote.
 */
#ifndef EMBER_CLANG_ARGS_H
#define EMBER_CLANG_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMBER_CLANG_ARGS_MAX 24

/* -I/-D/-W flags of the parse, the code generation and the PCH (spelled the
 * same for the driver and cc1). */
extern const char *const ember__clang_common_args[];
extern const size_t ember__clang_common_args_cnt;

/* Driver flags opening the parse's list: target (bpf, or host_triple for a
 * kernel header tree), language, optimisation, clang's own headers. */
size_t ember__clang_parse_args(const char **args, const char *host_triple);

/* cc1 flags opening a code generation or PCH build for triple: "bpf", or a
 * host triple (then IR only, optimised later for bpf). */
size_t ember__clang_cc1_args(const char **args, const char *triple);

/* cc1 flags of the BPF backend run on IR parsed for a host triple. */
size_t ember__clang_cc1_backend_args(const char **args);

/* Load the precompiled prelude at path without checking its inputs (they
 * are virtual files: nothing on disk to check); driver or cc1 spelling. */
size_t ember__clang_pch_args(const char **args, const char *path, bool driver);

#ifdef __cplusplus
}
#endif

#endif
