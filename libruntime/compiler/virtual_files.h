/* SPDX-License-Identifier: MIT */
/*
 * In-memory files the compiler serves instead of reading the disk: the user's
 * text, the generated kernel-types header, tracepoint argument structs and
 * the embedded prelude headers.
 */
#ifndef EMBER_VIRTUAL_FILES_H
#define EMBER_VIRTUAL_FILES_H

#include <stddef.h>

/* Virtual headers live under this directory; it is put on the include path. */
#define EMBER_VIRTUAL_INCLUDE_DIR "/ember-virtual/include"
/* The user's text is compiled as this file, named in diagnostics by caller. */
#define EMBER_VIRTUAL_MAIN_DIR "/ember-virtual/src"
#define EMBER_VIRTUAL_MAIN_PATH EMBER_VIRTUAL_MAIN_DIR "/program.c"

struct ember_virtual_file {
	const char *path; /* relative to the include dir, or absolute */
	const char *text;
	size_t len;
};

/* Built into the library (cmake/EmbedFiles.cmake); ends with a NULL path. */
extern const struct ember_virtual_file ember__embedded_headers[];

#endif
