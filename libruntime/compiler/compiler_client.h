/* SPDX-License-Identifier: MIT */
/*
 * The compiler process, seen from the core.
 *
 * libember.so does not link libclang or LLVM: a host that loads a cached or
 * prebuilt program never maps or relocates them (about 780,000 relocations,
 * 40-60 MB). Everything that needs them (the parse, the rewriters, code
 * generation, building the precompiled prelude) runs in ember-compiler, an
 * internal executable installed beside the library (LIBDIR/ember/, found
 * from the library's own path; EMBER_COMPILER names another one, for tests).
 *
 * Private (EMBER_SHARED_COMPILER=0, the private_compiler option, or where
 * the shared one cannot be used): the first request of a process spawns
 * it (as posix_spawn: no descriptor but its socket inherited); it leaves
 * when its host does (its socket closes or its parent changes), or after
 * EMBER_COMPILER_IDLE_SECONDS without a request (it holds about 70 MB,
 * mostly LLVM's pages; the environment's EMBER_COMPILER_IDLE_SECONDS, for
 * tests, overrides it): the next request starts another. Each request goes
 * on a socket of its own, passed to the server with the descriptors it
 * needs (the host's working directory, the PCH, the cache directory); the
 * server forks a copy of itself per request (it is single-threaded, so the
 * fork is safe under ASan as well), which works under the limits of
 * isolation.h, sends its log lines and result on that socket and exits.
 * The server then reports how the copy ended, so a crash is a clear error
 * and the next request gets a fresh copy. Requests of several host threads
 * run at once.
 *
 * Shared (the default): starting the compiler costs about 20 ms and 70 MB
 * before any work (relocating LLVM), which a short-lived host (ember check,
 * a script) would pay on each run. A host first connects to the compiler
 * listening in the cache directory (cache.h checked it) as
 * ember-compiler-BUILDID.sock; if there is none, it starts one there (under
 * ember-compiler-BUILDID.lock, so two hosts racing end with one; a socket
 * nobody listens on is replaced), and sends its request at once on the
 * socket pair it started it with (the others wait on the lock until it
 * listens). Not where the cache directory is on a network file system (9p,
 * NFS, SMB, by the mount's type: a socket there may not connect); where its
 * name does not lead to it, it serves its first host alone. That compiler
 * is a daemon: spawned by a process of the host's that exits at once
 * without a SIGCHLD (the host's wait() never sees either), in a session of
 * its own, in /, holding none of the host's descriptors (its standard ones
 * are /dev/null), with default signals, priority 0, OOM score 0 and limits
 * as high as it may set them; it leaves after EMBER_COMPILER_IDLE_SECONDS
 * without a request (connected hosts reconnect). Both ends check that the
 * other is of the same user, and the server serves only a host of its own
 * world (ember__compiler_peer_check): any other host, or anything else
 * listening there, and the host uses a private compiler as above (said at
 * EMBER_LOG_DEBUG; a listener that is not an ember-compiler of this build
 * at EMBER_LOG_WARN).
 *
 * Nothing of a request comes from the process that started the compiler:
 * the compiler gets an environment of its own (EMBER_COMPILER_IDLE_SECONDS
 * and the sanitizers' options only), each request carries the host's
 * umask, priority and resource limits (the copy takes them, then the
 * limits of isolation.h), its working directory and descriptors.
 */
#ifndef EMBER_COMPILER_CLIENT_H
#define EMBER_COMPILER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ember/ember.h"

#define EMBER_COMPILER_IDLE_SECONDS 30

enum ember_compiler_request {
	/* body: a compile job (compile_job.h); fds: the PCH, or none */
	EMBER_COMPILER_TRANSLATE = 'T',
	/* body: strings (compile_job.h): the file name to write in the
	 * directory, then clang's flags; fds: the cache directory */
	EMBER_COMPILER_BUILD_PCH = 'P',
};

/*
 * Run one request in the compiler (own: in a compiler of this process's
 * own, never the shared one). On success *reply (malloc'd,
 * NUL-terminated) holds the answer. On failure returns a negative errno and
 * ember_errmsg() says why: the compiler's own message, which limit the work
 * on name hit, how the copy died, or why the compiler could not be run.
 */
int ember__compiler_request(const char *name, enum ember_compiler_request kind,
			    bool own, const char *body, size_t len,
			    const int *fds, size_t fds_cnt, ember_log_fn log,
			    void *log_ctx, char **reply, size_t *reply_len);

/* The compiler executable's build-id, read from its file (no process is
 * started): part of the caches' keys. 0, or -errno with ember_errmsg(). */
int ember__compiler_build_id(unsigned char *id, size_t size, size_t *len);

/* The path of ember's helper program name (ember-compiler,
 * ember-object-check) into buf: 0, or -errno with ember_errmsg() set. */
int ember__helper_path(const char *name, char *buf, size_t size);

/* What the request's first message carries after its kind and log flag:
 * both sides must be of one build. */
#define EMBER_COMPILER_PROTOCOL "ember-compiler-2 " EMBER_VERSION_STRING

/* The shared compiler's first message to a host it serves. */
#define EMBER_COMPILER_HELLO "ember-compiler-shared " EMBER_COMPILER_PROTOCOL

/* What the host's process gives the copy working for it (after the
 * protocol string and its NUL in the request's first message). */
struct ember_compiler_host_state {
	uint32_t umask;
	int32_t nice;
	struct {
		uint64_t cur, max;
	} limits[8]; /* ember__compiler_host_limits[], RLIM_INFINITY kept */
};

/* The resource limits a request carries (the copy then sets its own CPU,
 * address space and core limits over them). */
extern const int ember__compiler_host_limits[8];

/*
 * The process at the other end of the connected AF_UNIX socket sock runs as
 * this one in every respect a compile depends on: effective and other uids
 * and gids, groups, capabilities, no_new_privs and seccomp, LSM label,
 * root directory, cgroup and namespaces (mount, pid, net, user, ipc, uts,
 * cgroup). true, or false with why (a short reason) set; *pid gets its pid.
 */
bool ember__compiler_peer_check(int sock, pid_t *pid, char *why,
				size_t why_size);

#endif
