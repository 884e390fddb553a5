// SPDX-License-Identifier: MIT
/*
 * ember-compiler: the compiler process (compiler_client.h). Started by
 * libember with its control socket as descriptor 3; not for people to run.
 *
 * Single-threaded: it waits for requests, forks one copy per request (the
 * copy reads the request from its own socket, works under the limits of
 * isolation.h and answers there), reaps copies and tells the host how each
 * one ended. It leaves, stopping its copies, when the host goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
#define REQUESTS_MAX 64
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
/* when the last copy ended or the last request came */
static double active;

/* ---- in the copy ---- */

struct request {
	char kind;
	bool same_build;
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
	char pch[40];
	int err;

	if (ember__compile_job_unpack(r->body, r->len, &store))
		return ember__error(EPROTO, "the compiler's request was "
					    "damaged");
	if (r->fds_cnt) {
		snprintf(pch, sizeof(pch), "/proc/self/fd/%d", r->fds[0]);
		store.job.pch_path = pch;
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

/* ---- the server ---- */

static void start(const char *msg, size_t msg_len, const int *fds, size_t cnt)
{
	size_t plen = strlen(EMBER_COMPILER_PROTOCOL);
	struct request r = { 0 };
	struct copy *c;
	pid_t server = getpid();
	int err_fd;

	if (cnt < 2 || msg_len < 2 || copies_cnt == REQUESTS_MAX ||
	    (msg[0] != EMBER_COMPILER_TRANSLATE &&
	     msg[0] != EMBER_COMPILER_BUILD_PCH))
		return; /* the host sees its socket close */
	r.kind = msg[0];
	r.same_build = msg_len - 2 == plen &&
		       !memcmp(msg + 2, EMBER_COMPILER_PROTOCOL, plen);
	r.fds = fds + 2;
	r.fds_cnt = cnt - 2;
	err_fd = memfd_create("ember-compile-stderr", MFD_CLOEXEC);
	c = &copies[copies_cnt];
	c->pid = fork();
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != server)
			_exit(1);
		close(CONTROL_FD);
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
		ember__isolation_limits(r.kind == EMBER_COMPILER_BUILD_PCH
						? EMBER_PCH_BUILD_SECONDS
						: EMBER_COMPILE_CPU_SECONDS);
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

static void receive(void)
{
	char msg[256];
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
	ssize_t n = recvmsg(CONTROL_FD, &mh, MSG_CMSG_CLOEXEC);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) { /* the host is gone */
		stop_all();
		_exit(0);
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

int main(void)
{
	const char *env = getenv("EMBER_COMPILER_IDLE_SECONDS");
	double idle = env ? atof(env) : EMBER_COMPILER_IDLE_SECONDS;
	struct stat st;
	pid_t host = getppid();

	if (fstat(CONTROL_FD, &st) || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "ember-compiler: started by libember, not by "
				"hand\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	/* a terminal's ^C is for the host, which decides */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	active = ember__monotonic();
	for (;;) {
		struct pollfd pfd[1 + 2 * REQUESTS_MAX];
		double now = ember__monotonic(),
		       next = now + (idle < 1 ? idle : 1);
		size_t i, n = 0;
		int r;

		pfd[n++] = (struct pollfd){
			CONTROL_FD, copies_cnt < REQUESTS_MAX ? POLLIN : 0, 0
		};
		for (i = 0; i < copies_cnt; i++) {
			pfd[n++] =
				(struct pollfd){ copies[i].pidfd, POLLIN, 0 };
			/* the host gave up on it */
			pfd[n++] =
				(struct pollfd){ copies[i].sock, POLLRDHUP, 0 };
			if (copies[i].deadline < next)
				next = copies[i].deadline;
		}
		r = poll(pfd, n,
			 next > now ? (int)((next - now) * 1000) + 1 : 0);
		if (getppid() != host) { /* the host is gone */
			stop_all();
			_exit(0);
		}
		/* idle: give the memory back; the host starts another one
		 * when it compiles again (a request sent meanwhile is retried,
		 * compiler_client.c) */
		if (r == 0 && !copies_cnt && ember__monotonic() - active > idle)
			_exit(0);
		if (r < 0 && errno != EINTR)
			_exit(1);
		now = ember__monotonic();
		/* from the last: finish() moves the last copy into i */
		for (i = copies_cnt; r > 0 && i-- > 0;) {
			struct copy *c = &copies[i];
			short done = pfd[1 + 2 * i].revents;
			short gone = pfd[2 + 2 * i].revents;

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
		if (r > 0 && pfd[0].revents)
			receive();
	}
}
