/* SPDX-License-Identifier: MIT */
/*
 * Compiling in a forked copy of the process, under limits.
 *
 * Two reasons. The text is hostile: an #include of a FIFO or a device, a
 * huge header or a pathological program must not take the host down, and
 * libclang reads includes in the process that parses (there is no hook in
 * its C API to refuse a file before it is read). And LLVM's BPF backend
 * keeps one process-wide table of CO-RE relocation globals
 * (BPFAbstractMemberAccess::GEPGlobals, a static std::map never cleared):
 * after a compile that used CO-RE relocations it points into a freed module
 * and the next such compile crashes inside LLVM (LLVM 14; still static in
 * current LLVM).
 *
 * So the parse, the rewriters and code generation run in a forked copy (no
 * exec, no files): it sends log lines and its result back through a pipe
 * and exits, and the host's LLVM state never sees a compile. The copy may
 * add EMBER_COMPILE_MEMORY_MB of address space and use
 * EMBER_COMPILE_CPU_SECONDS of CPU; the host waits at most
 * EMBER_COMPILE_WALL_SECONDS (a FIFO blocks without using CPU). A fork
 * costs about a millisecond here.
 */
#ifndef EMBER_ISOLATION_H
#define EMBER_ISOLATION_H

#include <stddef.h>
#include <stdio.h>

#include "ember/ember.h"

#define EMBER_COMPILE_MEMORY_MB 2048
#define EMBER_COMPILE_CPU_SECONDS 60
#define EMBER_COMPILE_WALL_SECONDS 120

/*
 * The work, run in the copy. log (with log_ctx) reaches the host's log
 * callback; NULL when the host has none. What fn writes to reply is handed
 * to the host. Returns 0, or a negative errno with ember_errmsg() set (the
 * message is carried to the host).
 */
typedef int (*ember_isolated_fn)(void *arg, ember_log_fn log, void *log_ctx,
				 FILE *reply);

/*
 * Run fn in a limited copy of the process. On success *reply (malloc'd,
 * NUL-terminated, *reply_len bytes without the NUL) holds what fn wrote. On
 * failure returns a negative errno and ember_errmsg() says why: fn's own
 * message, or which limit the compile of name hit (-E2BIG memory, -ETIME
 * CPU or wall time), or how the copy died.
 */
int ember__isolated_run(const char *name, ember_isolated_fn fn, void *arg,
			ember_log_fn log, void *log_ctx, char **reply,
			size_t *reply_len);

/* Around LLVM work done in the host process itself (building the
 * precompiled prelude): no copy is forked while LLVM may hold its locks. */
void ember__in_process_llvm_begin(void);
void ember__in_process_llvm_end(void);

#endif
