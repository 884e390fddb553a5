/* SPDX-License-Identifier: MIT */
/*
 * Work on hostile input in another process, under limits, and the records
 * it sends back. Two users: the check of a prebuilt object's bytes by
 * libbpf (loader/object_file.c, in the helper ember-object-check), and the
 * compiler process (compiler_client.c, compiler_server.c), whose server
 * forks one copy of itself per request.
 *
 * A copy may add EMBER_COMPILE_MEMORY_MB of address space and use
 * EMBER_COMPILE_CPU_SECONDS of CPU; its host waits at most
 * EMBER_COMPILE_WALL_SECONDS (a FIFO blocks without using CPU). Building the
 * precompiled prelude (ember's own text, and slow under emulation) gets
 * EMBER_PCH_BUILD_SECONDS of both.
 */
#ifndef EMBER_ISOLATION_H
#define EMBER_ISOLATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ember/ember.h"

#define EMBER_COMPILE_MEMORY_MB 2048
#define EMBER_COMPILE_CPU_SECONDS 60
#define EMBER_COMPILE_WALL_SECONDS 120
#define EMBER_PCH_BUILD_SECONDS 900

/*
 * The work, run in the copy. log (with log_ctx) reaches the host's log
 * callback; NULL when the host has none. What fn writes to reply is handed
 * to the host. Returns 0, or a negative errno with ember_errmsg() set (the
 * message is carried to the host).
 */
typedef int (*ember_isolated_fn)(void *arg, ember_log_fn log, void *log_ctx,
				 FILE *reply);

/*
 * Run the helper program at path on input, for the work on name: its
 * standard input is a file holding input's input_len bytes, its argv the
 * path, this process's id, "1" when log is not NULL, then args. The helper
 * is a program of its own (posix_spawn, no fork of the host: a
 * multi-threaded host's copy could deadlock) whose main is
 * ember__isolated_main(). On success *reply (malloc'd, NUL-terminated,
 * *reply_len bytes without the NUL) holds what its fn wrote. On failure
 * returns a negative errno and ember_errmsg() says why: fn's own message,
 * or which limit it hit (-E2BIG memory, -ETIME CPU or wall time), or -EIO
 * when it died without a result.
 */
int ember__isolated_exec(const char *name, const char *path,
			 const char *const *args, size_t args_cnt,
			 const void *input, size_t input_len, ember_log_fn log,
			 void *log_ctx, char **reply, size_t *reply_len);

/* What a helper's fn gets as arg: its input's bytes and its args. */
struct ember_isolated_input {
	char *data;
	size_t len;
	char **args;
	size_t args_cnt;
};

/*
 * A helper's main: under the limits, dying with its host, it reads its
 * input and serves fn (arg: struct ember_isolated_input) on its standard
 * output. Returns the exit status.
 */
int ember__isolated_main(int argc, char **argv, ember_isolated_fn fn);

/* ---- pieces shared with the compiler process ---- */

/* Records on the stream from a copy to its host. */
enum ember_record {
	EMBER_RECORD_LOG = 'L', /* num: level; a: the line */
	EMBER_RECORD_RESULT = 'R', /* num: 0 or -errno; a: message; b: reply */
	EMBER_RECORD_EXIT = 'X', /* from the compiler server once the copy
				    is reaped: num: wait status; a: what it
				    wrote to stderr; b: "w" if the server
				    stopped it at the wall limit */
};

/* All of buf to fd (a socket: no SIGPIPE), or from fd: 0, or -1 when the
 * other side went away first. */
int ember__write_all(int fd, const void *buf, size_t len);
int ember__read_all(int fd, void *buf, size_t len);

int ember__record_write(int fd, char type, int32_t num, const char *a,
			uint64_t a_len, const char *b, uint64_t b_len);

/* In the copy: its limits (cpu_seconds of CPU; memory as above). */
void ember__isolation_limits(unsigned int cpu_seconds);

/*
 * In the copy: run fn, send its log lines and its result as records on fd
 * (the message of a failure included).
 */
int ember__isolation_serve(int fd, ember_isolated_fn fn, void *arg, bool log);

/* What the host read from a copy. */
struct ember_outcome {
	bool done; /* a result record arrived */
	int32_t res;
	char *msg;
	char *reply;
	uint64_t reply_len;
	int io_err; /* why reading stopped before a result */
	bool heard; /* any record arrived */
	bool exited; /* an exit record arrived (the compiler server's) */
	int status;
	bool wall_killed;
	char *err_text; /* the copy's stderr, NUL-terminated, or NULL */
};

/*
 * Read records from fd until a result (and, with until_exit, an exit
 * record), end of stream or the deadline (CLOCK_MONOTONIC seconds); log
 * records go to log at once.
 */
void ember__records_read(int fd, ember_log_fn log, void *log_ctx,
			 double deadline, bool until_exit,
			 struct ember_outcome *o);

/*
 * The outcome as the caller's result: 0 with *reply handed over, or a
 * negative errno with ember_errmsg() saying which limit the work on name
 * hit or how the copy died. Frees what o holds.
 */
int ember__outcome_finish(const char *name, struct ember_outcome *o, int status,
			  bool wall_killed, ember_log_fn log, void *log_ctx,
			  char **reply, size_t *reply_len);

double ember__monotonic(void);

#endif
