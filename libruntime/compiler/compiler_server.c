// SPDX-License-Identifier: MIT
/*
 * ember-compiler: the compiler process (compiler_client.h). Started by
 * libember with its control socket as descriptor 3; not for people to run.
 * With "--shared NAME": descriptor 3 is the socket of the host that
 * started it, 4 the cache directory where it listens as NAME.sock, 5 the
 * hosts' lock (held: closed once it listens).
 *
 * Single-threaded: it waits for requests, forks one copy per request (the
 * copy reads the request from its own socket, works under the limits of
 * isolation.h and answers there), reaps copies and tells the host how each
 * one ended. A private one leaves, stopping its copies, when its host
 * goes; a shared one when idle.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiler/compile_job.h"
#include "compiler/compiled.h"
#include "compiler/compiler_client.h"
#include "compiler/isolation.h"
#include "compiler/prelude_build.h"
#include "compiler/translate.h"
#include "error.h"

#define CONTROL_FD 3
#define SHARED_DIR_FD 4
#define LOCK_FD 5
#define REQUESTS_MAX 64
#define HOSTS_MAX 64
#define FDS_MAX 8
/* Bytes of a request; the text and the headers it carries are bounded
 * far below this (include_check.h). */
#define REQUEST_MAX (1ull << 30)
#define STDERR_KEEP 16384

struct copy {
	pid_t pid;
	int pidfd, sock, err_fd;
	double deadline;
	bool wall_killed;
};

static struct copy copies[REQUESTS_MAX];
static size_t copies_cnt;
/* the hosts' control sockets: CONTROL_FD alone for a private one */
static int hosts[HOSTS_MAX];
static size_t hosts_cnt;
/* a shared one's: listening socket, and its name in SHARED_DIR_FD */
static int listener = -1;
static const char *shared_name;
/* when the last copy ended or the last request came */
static double active;

/* ---- in the copy ---- */

struct request {
	char kind;
	bool same_build;
	struct ember_compiler_host_state host;
	char *body;
	size_t len;
	const int *fds; /* the request's own, after socket and cwd */
	size_t fds_cnt;
};

static int translate(void *arg, ember_log_fn log, void *log_ctx, FILE *reply)
{
	struct request *r = arg;
	struct ember_compile_job_store store;
	struct ember_compiled out = { 0 };
	char pch[40], types[40];
	int err;

	if (ember__compile_job_unpack(r->body, r->len, &store))
		return ember__error(EPROTO, "the compiler's request was "
					    "damaged");
	/* the PCH and its kernel types (prelude_pch.h) */
	if (r->fds_cnt == 2) {
		snprintf(pch, sizeof(pch), "/proc/self/fd/%d", r->fds[0]);
		snprintf(types, sizeof(types), "/proc/self/fd/%d", r->fds[1]);
		store.job.pch_path = pch;
		store.job.types_path = types;
	}
	err = ember__translate(&store.job, true, log, log_ctx, &out);
	if (!err)
		ember__compiled_pack(&out, reply);
	ember__compiled_free(&out);
	ember__compile_job_release(&store);
	return err;
}

static int build_pch(void *arg, ember_log_fn log, void *log_ctx, FILE *reply)
{
	struct request *r = arg;
	const char **s;
	size_t cnt;
	char *path = NULL;
	int err;

	(void)log, (void)log_ctx, (void)reply;
	if (ember__strings_unpack(r->body, r->len, &s, &cnt) || !cnt ||
	    r->fds_cnt != 1 || strchr(s[0], '/')) {
		free(s);
		return ember__error(EPROTO, "the compiler's request was "
					    "damaged");
	}
	/* clang writes by path: through the host's checked directory */
	if (asprintf(&path, "/proc/self/fd/%d/%s", r->fds[0], s[0]) < 0)
		err = ember__error(ENOMEM, "out of memory");
	else
		err = ember__prelude_build(path, s + 1, cnt - 1);
	free(path);
	free(s);
	return err;
}

static int other_build(void *arg, ember_log_fn log, void *log_ctx, FILE *reply)
{
	(void)arg, (void)log, (void)log_ctx, (void)reply;
	return ember__error(EPROTO,
			    "ember-compiler is not of this library's build "
			    "(it speaks '%s'): install them together",
			    EMBER_COMPILER_PROTOCOL);
}

static int serve(struct request *r, int sock, bool log)
{
	uint64_t len;
	ember_isolated_fn fn = !r->same_build ? other_build
			       : r->kind == EMBER_COMPILER_TRANSLATE
				       ? translate
				       : build_pch;

	if (ember__read_all(sock, &len, sizeof(len)) || len > REQUEST_MAX)
		return 1;
	r->body = malloc(len + 1);
	if (!r->body || ember__read_all(sock, r->body, len))
		return 1;
	r->len = len;
	return ember__isolation_serve(sock, fn, r, log) ? 1 : 0;
}

/*
 * In the copy, before its work: a copy's first touch of each page of heap
 * is a page fault (about 2,800 per compile, most of what a copy spends
 * outside clang). Its heap grows once by HEAP_RESERVE, in huge pages where
 * the kernel allows them (transparent huge pages on request), and gives
 * nothing back: one fault per 2 MB. Allocations up to 32 MB come from it
 * instead of mappings of their own, faulted page by page and unmapped when
 * freed.
 */
#define HEAP_RESERVE (64 << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20)

static void heap_prepare(void)
{
	uintptr_t from, to;
	void *volatile grow;

	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, INT32_MAX);
	mallopt(M_TOP_PAD, HEAP_RESERVE);
	from = (uintptr_t)sbrk(0);
	/* more than the top of the server's heap holds: it grows now */
	grow = malloc(HEAP_RESERVE / 4);
	to = (uintptr_t)sbrk(0);
	free(grow);
	from = (from + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	to &= ~(HUGE_PAGE - 1);
	if (to > from)
		madvise((void *)from, to - from, MADV_HUGEPAGE);
}

/* ---- the server ---- */

/* The host's umask and limits, for the copy working for it: nothing of the
 * process that started this one. A limit this process may not raise is
 * kept as high as it may. */
static void take_host_state(const struct ember_compiler_host_state *h)
{
	umask((mode_t)(h->umask & 0777));
	/* a nicer host's compile is as nice (a less nice one's only where
	 * this process may) */
	setpriority(PRIO_PROCESS, 0, h->nice);
	for (size_t i = 0; i < 8; i++) {
		int res = ember__compiler_host_limits[i];
		struct rlimit rl = { (rlim_t)h->limits[i].cur,
				     (rlim_t)h->limits[i].max },
			      now;

		if (!setrlimit((__rlimit_resource_t)res, &rl) ||
		    getrlimit((__rlimit_resource_t)res, &now))
			continue;
		rl.rlim_max = now.rlim_max;
		if (rl.rlim_cur > now.rlim_max)
			rl.rlim_cur = now.rlim_max;
		setrlimit((__rlimit_resource_t)res, &rl);
	}
}

/* The request's kind and the host's state from its message; false when it
 * is none of ours. */
static bool request_parse(const char *msg, size_t msg_len, size_t fds_cnt,
			  struct request *r)
{
	size_t plen = strlen(EMBER_COMPILER_PROTOCOL);

	if (fds_cnt < 2 || msg_len < 2 ||
	    (msg[0] != EMBER_COMPILER_TRANSLATE &&
	     msg[0] != EMBER_COMPILER_BUILD_PCH))
		return false;
	*r = (struct request){ .kind = msg[0] };
	r->same_build = msg_len == 2 + plen + 1 + sizeof(r->host) &&
			!memcmp(msg + 2, EMBER_COMPILER_PROTOCOL, plen + 1);
	if (r->same_build)
		memcpy(&r->host, msg + 2 + plen + 1, sizeof(r->host));
	return true;
}

/*
 * A warm copy: forked when the server is idle, it compiles a small program
 * of its own (warm_up), then waits for the next request, which it serves as
 * a copy forked for it would. A copy forked for its request first touches
 * each page of code and data it uses and fills LLVM's and clang's one-time
 * state (about 6 of its 18 ms); the warm copy did that before the request
 * came.
 *
 * What of the warm-up reaches the request: the server's state and what a
 * compile leaves in the process. The warm-up is ember's own text with
 * ember's headers and no host's flags, against the PCH of the server's last
 * translation; clang's unit, files and diagnostics are freed with it, its
 * PCH and kernel types closed. LLVM 14's BPF backend keeps state across
 * compiles in a process: the globals of CO-RE relocations, by name, in a
 * static map (a second compile reading the same kernel field used the
 * first one's freed global and crashed), and a static counter for
 * bpf_core_type_id() and the like. So the warm-up reads no kernel struct
 * and uses no CO-RE builtin: it leaves both as a fresh copy has them.
 * test_shared_compiler compares what hosts see of a warm and a fresh copy.
 *
 * A shared server makes one after its first request, a private one after
 * its host's second (a host compiling once never pays for it). If a
 * warm-up fails, copies are forked cold from then on.
 */
static struct {
	pid_t pid; /* 0: none */
	int pidfd, sock, err_fd;
	bool ready; /* warmed, waiting for a request */
} warm = { 0, -1, -1, -1, false };
/* the PCH and kernel types of the last translation, for warm-ups */
static int warm_pch = -1, warm_types = -1;
static bool warm_off;
static unsigned long requests;
/* the warm copy's names until its request comes (tests and ps tell it
 * from copies at work): warming up, then ready */
static const char warming_name[] = "ember-warming", warm_name[] = "ember-warm";

static const char warm_text[] =
	"BPF_HASH(counts, u32, u64);\n"
	"BPF_PERF_OUTPUT(events);\n"
	"struct event {\n"
	"\tu32 pid;\n"
	"\tchar comm[16];\n"
	"};\n"
	"int kprobe__do_nanosleep(struct pt_regs *ctx)\n"
	"{\n"
	"\tstruct event e = {};\n"
	"\tu64 *n;\n"
	"\n"
	"\te.pid = bpf_get_current_pid_tgid() >> 32;\n"
	"\tbpf_get_current_comm(&e.comm, sizeof(e.comm));\n"
	"\tcounts.increment(e.pid);\n"
	"\tn = counts.lookup(&e.pid);\n"
	"\tif (n && *n > 1)\n"
	"\t\tbpf_trace_printk(\"%d again\\n\", e.pid);\n"
	"\tevents.perf_submit(ctx, &e, sizeof(e));\n"
	"\treturn 0;\n"
	"}\n";
/* what compile.c declares for such a text; the text reads no kernel
 * struct (see above) */
static const char warm_program_h[] =
	"static long (*bpf_trace_printk)(const char *fmt, ...) = (void *)6;\n";

/* The warm-up compile (in the warm copy): 0 or a negative errno. */
static int warm_up(void)
{
	const struct ember_virtual_file *e;
	struct ember_virtual_file *files;
	struct ember_compiled out = { 0 };
	char pch[40], types[40];
	size_t n = 0, i;
	int err = -ENOMEM;

	for (e = ember__embedded_headers; e->path; e++)
		n++;
	files = calloc(n + 1, sizeof(*files));
	for (i = 0; files && i < n; i++) {
		char *path = NULL;

		if (asprintf(&path, EMBER_VIRTUAL_INCLUDE_DIR "/%s",
			     ember__embedded_headers[i].path) < 0)
			break;
		files[i] = ember__embedded_headers[i];
		files[i].path = path;
	}
	if (files && i == n) {
		files[n] = (struct ember_virtual_file){
			EMBER_VIRTUAL_INCLUDE_DIR "/ember/program.h",
			warm_program_h, sizeof(warm_program_h) - 1
		};
		snprintf(pch, sizeof(pch), "/proc/self/fd/%d", warm_pch);
		snprintf(types, sizeof(types), "/proc/self/fd/%d", warm_types);
		err = ember__translate(
			&(struct ember_compile_job){
				.name = "ember-warm-up.c",
				.text = warm_text,
				.len = sizeof(warm_text) - 1,
				.files = files,
				.files_cnt = n + 1,
				.program_h = warm_program_h,
				.pch_path = pch,
				.types_path = types },
			true, NULL, NULL, &out);
		ember__compiled_free(&out);
		/* now, not in the request's compile */
		ember__translate_release();
	}
	while (files && i-- > 0)
		free((char *)files[i].path);
	free(files);
	return err;
}

/* In a new copy: nothing of the server's is left open but the request's
 * (and, for a warm copy, what its warm-up reads). */
static void copy_detach(pid_t server, bool keep_pch)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != server)
		_exit(1);
	for (size_t i = 0; i < hosts_cnt; i++)
		close(hosts[i]);
	if (listener >= 0) {
		close(listener);
		close(SHARED_DIR_FD);
	}
	for (size_t i = 0; i < copies_cnt; i++) {
		close(copies[i].sock);
		close(copies[i].pidfd);
		close(copies[i].err_fd);
	}
	if (warm.pid) {
		close(warm.sock);
		close(warm.pidfd);
		close(warm.err_fd);
	}
	if (!keep_pch) {
		close(warm_pch);
		close(warm_types);
	}
}

/* In the copy, with its request: serve it and leave. */
__attribute__((noreturn)) static void copy_work(const char *msg, size_t msg_len,
						const int *fds, size_t cnt,
						int err_fd)
{
	struct request r;

	if (!request_parse(msg, msg_len, cnt, &r))
		_exit(1);
	r.fds = fds + 2;
	r.fds_cnt = cnt - 2;
	if (err_fd >= 0)
		dup2(err_fd, STDERR_FILENO);
	if (fchdir(fds[1]))
		_exit(1);
	close(fds[1]);
	if (r.same_build)
		take_host_state(&r.host);
	ember__isolation_limits(r.kind == EMBER_COMPILER_BUILD_PCH
					? EMBER_PCH_BUILD_SECONDS
					: EMBER_COMPILE_CPU_SECONDS);
	heap_prepare();
	_exit(serve(&r, fds[0], msg[1] == '1'));
}

/* A message and the descriptors with it from sock: its length, 0 when the
 * other end closed, -1 on error (errno), -2 when it was truncated. */
static ssize_t receive_fds(int sock, int flags, char *msg, size_t size,
			   int *fds, size_t *cnt)
{
	union {
		char buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { msg, size };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);

	*cnt = 0;
	if (n < 0)
		return -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm;
	     cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS) {
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t j = 0; j < k; j++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm) + j * sizeof(int),
				       sizeof(fd));
				if (*cnt < FDS_MAX)
					fds[(*cnt)++] = fd;
				else
					close(fd);
			}
		}
	if (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
		for (size_t j = 0; j < *cnt; j++)
			close(fds[j]);
		*cnt = 0;
		return -2;
	}
	return n;
}

/* The warm copy: warm up, say so, wait for a request and serve it. */
__attribute__((noreturn)) static void warm_copy(pid_t server, int sock,
						int err_fd, const char *name)
{
	char msg[512];
	int fds[FDS_MAX];
	size_t cnt;
	ssize_t n;

	copy_detach(server, true);
	heap_prepare();
	if (warm_up())
		_exit(3);
	close(warm_pch);
	close(warm_types);
	prctl(PR_SET_NAME, warm_name);
	if (send(sock, "r", 1, MSG_NOSIGNAL) != 1)
		_exit(0);
	while ((n = receive_fds(sock, 0, msg, sizeof(msg), fds, &cnt)) == -1 &&
	       errno == EINTR)
		;
	if (n <= 0)
		_exit(0);
	close(sock);
	prctl(PR_SET_NAME, name);
	copy_work(msg, (size_t)n, fds, cnt, err_fd);
}

static void warm_start(void)
{
	char name[16] = "";
	pid_t server = getpid(), pid;
	int sv[2], err_fd;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		warm_off = true;
		return;
	}
	err_fd = memfd_create("ember-compile-stderr", MFD_CLOEXEC);
	/* born with its name: never seen as a copy at work */
	prctl(PR_GET_NAME, name);
	prctl(PR_SET_NAME, warming_name);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		warm_copy(server, sv[1], err_fd, name);
	}
	prctl(PR_SET_NAME, name);
	close(sv[1]);
	warm = (typeof(warm)){ pid > 0 ? pid : 0, -1, sv[0], err_fd, false };
	if (pid > 0)
		warm.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pid > 0 && warm.pidfd >= 0)
		return;
	if (pid > 0)
		kill(pid, SIGKILL);
	warm_off = true;
}

/* The warm copy is not to be used (gone, or its server leaves): reap it. */
static void warm_drop(void)
{
	if (!warm.pid)
		return;
	kill(warm.pid, SIGKILL);
	while (waitpid(warm.pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(warm.sock);
	close(warm.pidfd);
	if (warm.err_fd >= 0)
		close(warm.err_fd);
	warm = (typeof(warm)){ 0, -1, -1, -1, false };
}

/* Hand the request to the warm copy, which becomes c: false if there is
 * none ready (or it is gone). */
static bool warm_take(const char *msg, size_t msg_len, const int *fds,
		      size_t cnt, struct copy *c)
{
	union {
		char buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} u = { 0 };
	struct iovec iov = { (void *)msg, msg_len };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = CMSG_SPACE(cnt * sizeof(int)) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	if (!warm.ready || cnt > FDS_MAX)
		return false;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(cnt * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, cnt * sizeof(int));
	if (sendmsg(warm.sock, &mh, MSG_NOSIGNAL) != (ssize_t)msg_len) {
		warm_drop();
		return false;
	}
	c->pid = warm.pid;
	c->pidfd = warm.pidfd;
	c->err_fd = warm.err_fd;
	close(warm.sock);
	warm = (typeof(warm)){ 0, -1, -1, -1, false };
	return true;
}

/* The warm copy said it is ready, or went away. */
static void warm_event(short ready, short gone)
{
	char b;

	if (ready && recv(warm.sock, &b, 1, MSG_DONTWAIT) == 1) {
		warm.ready = true;
	} else if (ready || gone) {
		/* before its request: its warm-up failed */
		if (!warm.ready)
			warm_off = true;
		warm_drop();
	}
}

/*
 * Idle for warm_after seconds, with a PCH seen and no warm copy: make one.
 * Compiles that follow each other at once (a script's) would find it still
 * warming up and get a copy forked for them, which shares the CPUs with
 * the warm-up: each time that happens the next warm copy waits longer
 * (up to a second), each time one is used it waits half as long. The time
 * to wait for one, or 0.
 */
static double warm_after;

static double warm_maybe(double now)
{
	if (warm.pid || warm_off || copies_cnt || warm_pch < 0 ||
	    requests < (listener >= 0 ? 1u : 2u))
		return 0;
	if (now - active < warm_after)
		return active + warm_after - now;
	warm_start();
	return 0;
}

/* Keep the PCH and kernel types of a translation for warm-ups. */
static void warm_keep(const struct request *r)
{
	if (r->kind != EMBER_COMPILER_TRANSLATE || r->fds_cnt != 2)
		return;
	if (warm_pch >= 0)
		close(warm_pch);
	if (warm_types >= 0)
		close(warm_types);
	warm_pch = fcntl(r->fds[0], F_DUPFD_CLOEXEC, 0);
	warm_types = fcntl(r->fds[1], F_DUPFD_CLOEXEC, 0);
	if (warm_pch < 0 || warm_types < 0) {
		close(warm_pch);
		close(warm_types);
		warm_pch = warm_types = -1;
	}
}

static void start(const char *msg, size_t msg_len, const int *fds, size_t cnt)
{
	struct request r;
	struct copy *c;
	pid_t server = getpid();
	int err_fd = -1;

	if (copies_cnt == REQUESTS_MAX ||
	    !request_parse(msg, msg_len, cnt, &r)) {
		for (size_t i = 0; i < cnt; i++)
			close(fds[i]);
		return; /* the host sees its socket close */
	}
	r.fds = fds + 2;
	r.fds_cnt = cnt - 2;
	warm_keep(&r);
	requests++;
	c = &copies[copies_cnt];
	if (warm_take(msg, msg_len, fds, cnt, c)) {
		warm_after /= 2;
	} else {
		err_fd = memfd_create("ember-compile-stderr", MFD_CLOEXEC);
		c->pid = fork();
		if (c->pid == 0) {
			copy_detach(server, false);
			copy_work(msg, msg_len, fds, cnt, err_fd);
		}
		if (c->pid > 0) {
			c->err_fd = err_fd;
			c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
		}
		/* one still warming up is stopped (once the copy runs: its
		 * end takes a while): waiting for the rest of its warm-up took
		 * longer than a copy forked for the request, and so did a copy
		 * sharing the CPUs with it */
		if (warm.pid)
			warm_after =
				warm_after < 0.5 ? warm_after * 2 + 0.025 : 1;
		warm_drop();
	}
	for (size_t i = 1; i < cnt; i++)
		close(fds[i]);
	if (c->pid < 0) {
		close(fds[0]);
		if (err_fd >= 0)
			close(err_fd);
		return;
	}
	c->sock = fds[0];
	c->deadline =
		ember__monotonic() + (r.kind == EMBER_COMPILER_BUILD_PCH
					      ? EMBER_PCH_BUILD_SECONDS
					      : EMBER_COMPILE_WALL_SECONDS);
	c->wall_killed = false;
	copies_cnt++;
	active = ember__monotonic();
}

/* The copy is done: tell the host how it ended (never blocking on it). */
static void finish(size_t i)
{
	struct copy *c = &copies[i];
	char *rec = malloc(STDERR_KEEP + 64), *text;
	int status = 0;
	ssize_t n = 0;

	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rec) {
		int32_t st = status;
		uint64_t tl, wl = c->wall_killed ? 1 : 0;
		char *p = rec;

		text = rec + 1 + sizeof(st) + sizeof(tl);
		n = c->err_fd >= 0 ? pread(c->err_fd, text, STDERR_KEEP, 0) : 0;
		tl = n > 0 ? (uint64_t)n : 0;
		*p++ = EMBER_RECORD_EXIT;
		memcpy(p, &st, sizeof(st));
		p += sizeof(st);
		memcpy(p, &tl, sizeof(tl));
		p += sizeof(tl) + tl;
		memcpy(p, &wl, sizeof(wl));
		p += sizeof(wl);
		if (wl)
			*p++ = 'w';
		send(c->sock, rec, (size_t)(p - rec),
		     MSG_NOSIGNAL | MSG_DONTWAIT);
		free(rec);
	}
	close(c->sock);
	close(c->pidfd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	copies[i] = copies[--copies_cnt];
	active = ember__monotonic();
}

static void stop_all(void)
{
	for (size_t i = 0; i < copies_cnt; i++)
		kill(copies[i].pid, SIGKILL);
	if (warm.pid)
		kill(warm.pid, SIGKILL);
}

/* Leave: a shared one first takes its name away, so that hosts from now on
 * start another (a request sent meanwhile is retried, compiler_client.c).
 * Idle, it leaves only under the hosts' lock (its name is then still its
 * own) and with no host waiting to be greeted; else it serves on (a host
 * holding the lock may be waiting for its greeting). */
static void leave(int status, bool idle)
{
	char name[128];
	int lk;

	if (listener >= 0) {
		snprintf(name, sizeof(name), "%s.lock", shared_name);
		lk = openat(SHARED_DIR_FD, name,
			    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		/* No lock file (the cache directory was removed, or the lock
		 * with it): no host can be waiting for this one's greeting,
		 * and waiting for the file would keep it forever. */
		bool lock_gone = lk < 0 && errno == ENOENT;

		if (idle && !lock_gone &&
		    (lk < 0 || flock(lk, LOCK_EX | LOCK_NB) < 0 ||
		     poll(&(struct pollfd){ listener, POLLIN, 0 }, 1, 0) !=
			     0)) {
			if (lk >= 0)
				close(lk); /* and its lock */
			return;
		}
		snprintf(name, sizeof(name), "%s.sock", shared_name);
		unlinkat(SHARED_DIR_FD, name, 0);
	}
	stop_all();
	_exit(status);
}

static void host_gone(size_t i)
{
	if (listener < 0) /* a private one's only host */
		leave(0, false);
	close(hosts[i]);
	hosts[i] = hosts[--hosts_cnt];
}

static void receive(size_t h)
{
	char msg[512];
	int fds[FDS_MAX];
	size_t cnt;
	ssize_t n = receive_fds(hosts[h], MSG_DONTWAIT, msg, sizeof(msg), fds,
				&cnt);

	if (n == -2 || (n == -1 && (errno == EINTR || errno == EAGAIN)))
		return;
	if (n <= 0) {
		host_gone(h);
		return;
	}
	start(msg, (size_t)n, fds, cnt);
}

/* A host connects to the shared one: serve it if it is of this world. */
static void accept_host(void)
{
	char why[160], refusal[256];
	int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	pid_t pid;

	if (fd < 0)
		return;
	if (hosts_cnt == HOSTS_MAX) {
		snprintf(refusal, sizeof(refusal),
			 "refused: it serves %d hosts already", HOSTS_MAX);
	} else if (!ember__compiler_peer_check(fd, &pid, why, sizeof(why))) {
		snprintf(refusal, sizeof(refusal),
			 "refused: the host (pid %d) is not of its world: %s",
			 (int)pid, why);
	} else {
		send(fd, EMBER_COMPILER_HELLO, strlen(EMBER_COMPILER_HELLO),
		     MSG_NOSIGNAL | MSG_DONTWAIT);
		hosts[hosts_cnt++] = fd;
		active = ember__monotonic();
		return;
	}
	send(fd, refusal, strlen(refusal), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* The listening socket's name leads to it: not so where each lookup gives
 * the name another inode (9p without a cache, as QEMU's guests mount a
 * host's directory, whose statfs says the host's file system). */
static bool reachable(const struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), c;
	bool ok =
		fd >= 0 && !connect(fd, (const struct sockaddr *)a, sizeof(*a));

	if (fd >= 0)
		close(fd);
	c = ok ? accept4(listener, NULL, NULL, SOCK_CLOEXEC) : -1;
	if (c >= 0)
		close(c);
	return ok;
}

/*
 * Become the shared compiler: listen as name.sock in SHARED_DIR_FD, then
 * let other hosts connect (closing LOCK_FD, the hosts' lock its host took:
 * they wait on it). The host that started it talks on CONTROL_FD from the
 * start: its request does not wait for the listening socket. Files it makes
 * (none but the socket) are its own alone. Where it cannot listen (a file
 * system without sockets) it serves that host alone, as a private one.
 */
static void become_shared(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int n, fd;

	umask(077);
	/* not the first host's directory: it may want to unmount it */
	if (chdir("/"))
		leave(1, false);
	/* each copy takes its own host's limits and priority: those of the
	 * host that started this one must not bound them */
	for (int res = 0; res < RLIM_NLIMITS; res++) {
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

		if (res == RLIMIT_STACK ||
		    !setrlimit((__rlimit_resource_t)res, &rl) ||
		    getrlimit((__rlimit_resource_t)res, &rl))
			continue;
		rl.rlim_cur = rl.rlim_max;
		setrlimit((__rlimit_resource_t)res, &rl);
	}
	setpriority(PRIO_PROCESS, 0, 0);
	/* nor whether the OOM killer spares it */
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "0", 1) != 1) {
			/* kept: the process may not lower it */
		}
		close(fd);
	}
	n = snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/%s.sock",
		     SHARED_DIR_FD, name);
	listener = socket(AF_UNIX,
			  SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listener >= 0 && !strchr(name, '/') && n > 0 &&
	    (size_t)n < sizeof(a.sun_path) &&
	    !bind(listener, (struct sockaddr *)&a, sizeof(a)) &&
	    !listen(listener, SOMAXCONN)) {
		shared_name = name;
		if (!reachable(&a)) {
			snprintf(a.sun_path, sizeof(a.sun_path), "%s.sock",
				 name);
			unlinkat(SHARED_DIR_FD, a.sun_path, 0);
			close(listener);
			listener = -1;
		}
	} else if (listener >= 0) {
		close(listener);
		listener = -1;
	}
	close(LOCK_FD);
	if (listener < 0)
		close(SHARED_DIR_FD);
}

int main(int argc, char **argv)
{
	const char *env = getenv("EMBER_COMPILER_IDLE_SECONDS");
	double idle = env ? atof(env) : EMBER_COMPILER_IDLE_SECONDS;
	bool shared = argc == 3 && !strcmp(argv[1], "--shared");
	struct stat st;
	pid_t host = getppid();

	if (fstat(CONTROL_FD, &st) || !S_ISSOCK(st.st_mode) ||
	    (argc != 1 && !shared)) {
		fprintf(stderr, "ember-compiler: started by libember, not by "
				"hand\n");
		return 2;
	}
	if (shared)
		become_shared(argv[2]);
	hosts[hosts_cnt++] = CONTROL_FD;
	/* libclang parses on a thread of its own by default: in each copy a
	 * new 8 MB stack and malloc arena, all first touches. The copy's main
	 * thread does as well: code generation parses the same text there.
	 * Nor its crash recovery: a crash ends the copy, and the host is told
	 * so (the compiler crashed, with the signal), not "could not parse". */
	setenv("LIBCLANG_NOTHREADS", "1", 1);
	setenv("LIBCLANG_DISABLE_CRASH_RECOVERY", "1", 1);
	/* once here, not in every copy */
	ember__translate_prepare();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	/* a terminal's ^C is for the host, which decides */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	active = ember__monotonic();
	for (;;) {
		struct pollfd pfd[2 * REQUESTS_MAX + HOSTS_MAX + 3];
		double now = ember__monotonic(),
		       next = now + (idle < 1 ? idle : 1),
		       warm_wait = warm_maybe(now);
		bool full = copies_cnt == REQUESTS_MAX;
		size_t i, n = 0, at_hosts, at_listener, at_warm;
		int r;

		if (warm_wait > 0 && now + warm_wait < next)
			next = now + warm_wait;
		for (i = 0; i < copies_cnt; i++) {
			pfd[n++] =
				(struct pollfd){ copies[i].pidfd, POLLIN, 0 };
			/* the host gave up on it */
			pfd[n++] =
				(struct pollfd){ copies[i].sock, POLLRDHUP, 0 };
			if (copies[i].deadline < next)
				next = copies[i].deadline;
		}
		at_hosts = n;
		for (i = 0; i < hosts_cnt; i++)
			pfd[n++] = (struct pollfd){ hosts[i], full ? 0 : POLLIN,
						    0 };
		at_listener = n;
		if (listener >= 0)
			pfd[n++] = (struct pollfd){ listener, POLLIN, 0 };
		at_warm = n;
		if (warm.pid) {
			pfd[n++] = (struct pollfd){ warm.pidfd, POLLIN, 0 };
			pfd[n++] =
				(struct pollfd){ warm.sock,
						 warm.ready ? 0 : POLLIN, 0 };
		}
		r = poll(pfd, n,
			 next > now ? (int)((next - now) * 1000) + 1 : 0);
		if (!shared && getppid() != host) /* the host is gone */
			leave(0, false);
		/* idle: give the memory back; a host starts another one when
		 * it compiles again (a request sent meanwhile is retried,
		 * compiler_client.c); connected hosts reconnect */
		if (r == 0 && !copies_cnt && ember__monotonic() - active > idle)
			leave(0, true);
		if (r < 0 && errno != EINTR)
			leave(1, false);
		if (r <= 0)
			continue;
		now = ember__monotonic();
		/* from the last: finish() moves the last copy into i */
		for (i = copies_cnt; i-- > 0;) {
			struct copy *c = &copies[i];
			short done = pfd[2 * i].revents;
			short gone = pfd[2 * i + 1].revents;

			if (gone & (POLLRDHUP | POLLHUP | POLLERR))
				kill(c->pid, SIGKILL);
			if (done)
				finish(i);
		}
		for (i = 0; i < copies_cnt; i++)
			if (!copies[i].wall_killed &&
			    copies[i].deadline <= now) {
				copies[i].wall_killed = true;
				kill(copies[i].pid, SIGKILL);
			}
		/* before the hosts: a request may go to it at once */
		if (at_warm < n &&
		    (pfd[at_warm].revents || pfd[at_warm + 1].revents))
			warm_event(pfd[at_warm + 1].revents,
				   pfd[at_warm].revents);
		/* hosts as polled: receive() may move the last into h */
		for (size_t h = at_listener - at_hosts; h-- > 0;)
			if (pfd[at_hosts + h].revents)
				receive(h);
		if (listener >= 0 && pfd[at_listener].revents)
			accept_host();
	}
}
