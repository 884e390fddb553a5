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

static void start(const char *msg, size_t msg_len, const int *fds, size_t cnt)
{
	size_t plen = strlen(EMBER_COMPILER_PROTOCOL);
	struct request r = { 0 };
	struct copy *c;
	pid_t server = getpid();
	int err_fd;

	if (cnt < 2 || msg_len < 2 || copies_cnt == REQUESTS_MAX ||
	    (msg[0] != EMBER_COMPILER_TRANSLATE &&
	     msg[0] != EMBER_COMPILER_BUILD_PCH)) {
		for (size_t i = 0; i < cnt; i++)
			close(fds[i]);
		return; /* the host sees its socket close */
	}
	r.kind = msg[0];
	r.same_build = msg_len == 2 + plen + 1 + sizeof(r.host) &&
		       !memcmp(msg + 2, EMBER_COMPILER_PROTOCOL, plen + 1);
	if (r.same_build)
		memcpy(&r.host, msg + 2 + plen + 1, sizeof(r.host));
	r.fds = fds + 2;
	r.fds_cnt = cnt - 2;
	err_fd = memfd_create("ember-compile-stderr", MFD_CLOEXEC);
	c = &copies[copies_cnt];
	c->pid = fork();
	if (c->pid == 0) {
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
	for (size_t i = 1; i < cnt; i++)
		close(fds[i]);
	if (c->pid < 0) {
		close(fds[0]);
		if (err_fd >= 0)
			close(err_fd);
		return;
	}
	c->sock = fds[0];
	c->err_fd = err_fd;
	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
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
		if (idle && (lk < 0 || flock(lk, LOCK_EX | LOCK_NB) < 0 ||
			     poll(&(struct pollfd){ listener, POLLIN, 0 }, 1,
				  0) != 0)) {
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
	union {
		char buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	int fds[FDS_MAX];
	size_t cnt = 0;
	ssize_t n = recvmsg(hosts[h], &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		host_gone(h);
		return;
	}
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm;
	     cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS) {
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t j = 0; j < k; j++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm) + j * sizeof(int),
				       sizeof(fd));
				if (cnt < FDS_MAX)
					fds[cnt++] = fd;
				else
					close(fd);
			}
		}
	if (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
		for (size_t j = 0; j < cnt; j++)
			close(fds[j]);
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
	int n;

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
		struct pollfd pfd[2 * REQUESTS_MAX + HOSTS_MAX + 1];
		double now = ember__monotonic(),
		       next = now + (idle < 1 ? idle : 1);
		bool full = copies_cnt == REQUESTS_MAX;
		size_t i, n = 0;
		int r;

		for (i = 0; i < copies_cnt; i++) {
			pfd[n++] =
				(struct pollfd){ copies[i].pidfd, POLLIN, 0 };
			/* the host gave up on it */
			pfd[n++] =
				(struct pollfd){ copies[i].sock, POLLRDHUP, 0 };
			if (copies[i].deadline < next)
				next = copies[i].deadline;
		}
		for (i = 0; i < hosts_cnt; i++)
			pfd[n++] = (struct pollfd){ hosts[i], full ? 0 : POLLIN,
						    0 };
		if (listener >= 0)
			pfd[n++] = (struct pollfd){ listener, POLLIN, 0 };
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
		/* hosts as polled: receive() may move the last into h */
		for (size_t h = hosts_cnt, k = n - (listener >= 0) - hosts_cnt;
		     h-- > 0;)
			if (pfd[k + h].revents)
				receive(h);
		if (listener >= 0 && pfd[n - 1].revents)
			accept_host();
	}
}
