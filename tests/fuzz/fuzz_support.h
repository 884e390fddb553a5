/* SPDX-License-Identifier: MIT */
/* What the fuzz targets share: environment, input as a string or a file. */
#ifndef EMBER_FUZZ_SUPPORT_H
#define EMBER_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A private cache directory (the PCH is built once per process) and the
 * golden tracefs tree (tests/golden/tracefs): the fuzzer never touches the
 * real tracefs, so it needs no kernel lock.
 */
void ember_fuzz_environment(void);

/* data as a malloc'd NUL-terminated string (NULs inside are kept). */
char *ember_fuzz_string(const uint8_t *data, size_t size);

/* data in a memfd, rewound: its /proc/self/fd path in path (>= 32 bytes).
 * Returns the fd or -1. */
int ember_fuzz_file(const uint8_t *data, size_t size, char *path);

#endif
