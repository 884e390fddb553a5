// SPDX-License-Identifier: MIT
#include "compiler/compiler_client.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiler/isolation.h"
#include "error.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

/* The descriptors one request passes, at most (socket, cwd, and its own). */
#define REQUEST_FDS_MAX 4

static struct {
	pthread_mutex_t lock;
	pid_t owner; /* the process that spawned it (a forked host has none) */
	pid_t pid;
	int pidfd; /* to stop and reap it without racing a pid's reuse */
	int ctl; /* -1: not running */
} server = { PTHREAD_MUTEX_INITIALIZER, 0, 0, -1, -1 };

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A host forked while another thread sent a request: the copy's lock. */
static void reset_in_child(void)
{
	pthread_mutex_init(&server.lock, NULL);
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, reset_in_child);
}

/* LIBDIR/ember/NAME beside the object holding this code; $EMBER_COMPILER
 * (not for set-uid hosts) names the compiler, the others lie beside it. */
int ember__helper_path(const char *name, char *buf, size_t size)
{
	const char *env = secure_getenv("EMBER_COMPILER"), *slash;
	Dl_info info;
	int n;

	if (env && *env && !strcmp(name, "ember-compiler"))
		n = snprintf(buf, size, "%s", env);
	else if (env && *env)
		n = (slash = strrchr(env, '/'))
			    ? snprintf(buf, size, "%.*s/%s", (int)(slash - env),
				       env, name)
			    : snprintf(buf, size, "%s", name);
	else if (!dladdr((void *)ember__helper_path, &info) || !info.dli_fname)
		return ember__error(ENOENT,
				    "cannot find %s: the library's own path "
				    "is unknown (set EMBER_COMPILER)",
				    name);
	else if (!(slash = strrchr(info.dli_fname, '/')))
		n = snprintf(buf, size, "ember/%s", name);
	else
		n = snprintf(buf, size, "%.*s/ember/%s",
			     (int)(slash - info.dli_fname), info.dli_fname,
			     name);
	if (n < 0 || (size_t)n >= size)
		return ember__error(ENAMETOOLONG, "the path of %s is too long",
				    name);
	return 0;
}

static int compiler_path(char *buf, size_t size)
{
	return ember__helper_path("ember-compiler", buf, size);
}

int ember__compiler_build_id(unsigned char *id, size_t size, size_t *len)
{
	char path[PATH_MAX];
	Elf_Scn *scn = NULL;
	Elf *e;
	int fd, err;

	err = compiler_path(path, sizeof(path));
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ember__error(errno, "the compiler %s: %s", path,
				    strerror(errno));
	err = -ENOEXEC;
	e = elf_version(EV_CURRENT) == EV_NONE
		    ? NULL
		    : elf_begin(fd, ELF_C_READ, NULL);
	while (e && err && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		GElf_Nhdr nh;
		Elf_Data *d;
		size_t off = 0, name, desc;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		while (d && err &&
		       (off = gelf_getnote(d, off, &nh, &name, &desc)) > 0)
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)d->d_buf + name, "GNU", 4) &&
			    nh.n_descsz <= size) {
				memcpy(id, (char *)d->d_buf + desc,
				       nh.n_descsz);
				*len = nh.n_descsz;
				err = 0;
			}
	}
	if (e)
		elf_end(e);
	close(fd);
	if (err)
		return ember__error(ENOEXEC, "the compiler %s has no build-id",
				    path);
	return 0;
}

/* Forget the server: stop and reap it if this process started it. */
static void drop_locked(void)
{
	if (server.ctl >= 0)
		close(server.ctl);
	if (server.pidfd >= 0 && server.owner == getpid()) {
		siginfo_t info;

		syscall(SYS_pidfd_send_signal, server.pidfd, SIGKILL, NULL, 0);
		while (waitid((idtype_t)P_PIDFD, (id_t)server.pidfd, &info,
			      WEXITED) < 0 &&
		       errno == EINTR)
			;
	}
	if (server.pidfd >= 0)
		close(server.pidfd);
	server.ctl = server.pidfd = -1;
	server.pid = 0;
}

static int spawn_locked(void)
{
	char path[PATH_MAX], *argv[] = { path, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	int sv[2], fd, err;
	pid_t pid;

	err = compiler_path(path, sizeof(path));
	if (err)
		return err;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return ember__error(errno, "cannot start the compiler: %s",
				    strerror(errno));
	/* dup2 onto itself would keep close-on-exec */
	fd = sv[1] == 3 ? fcntl(sv[1], F_DUPFD_CLOEXEC, 4) : sv[1];
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd, 3);
	/* stderr stays the host's (the server's own last words) */
	posix_spawn_file_actions_addclosefrom_np(&fa, 4);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	err = fd < 0 ? errno : posix_spawn(&pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (fd >= 0 && fd != sv[1])
		close(fd);
	close(sv[1]);
	if (err) {
		close(sv[0]);
		return ember__error(err, "cannot start the compiler %s: %s",
				    path, strerror(err));
	}
	server.owner = getpid();
	server.pid = pid;
	server.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	server.ctl = sv[0];
	return 0;
}

/* The request's first message, with its descriptors; the server is started
 * (again, once, if it went away). */
static int send_request(enum ember_compiler_request kind, bool log,
			const int *fds, size_t cnt)
{
	char payload[128];
	union {
		char buf[CMSG_SPACE(REQUEST_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { payload, 0 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = CMSG_SPACE(cnt * sizeof(int)) };
	struct cmsghdr *cm;
	int err = 0;

	iov.iov_len =
		(size_t)snprintf(payload, sizeof(payload), "%c%c%s", (char)kind,
				 log ? '1' : '0', EMBER_COMPILER_PROTOCOL);
	memset(u.buf, 0, sizeof(u.buf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(cnt * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, cnt * sizeof(int));

	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&server.lock);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (server.ctl >= 0 && server.owner != getpid())
			drop_locked(); /* the parent's, in a forked host */
		if (server.ctl < 0 && (err = spawn_locked()))
			break;
		if (sendmsg(server.ctl, &mh, MSG_NOSIGNAL) >= 0) {
			err = 0;
			break;
		}
		err = ember__error(errno, "cannot reach the compiler: %s",
				   strerror(errno));
		drop_locked();
	}
	pthread_mutex_unlock(&server.lock);
	return err;
}

/* One attempt; *untaken when the server closed the request unseen (it
 * left, idle, as the request came). */
static int request_once(const char *name, enum ember_compiler_request kind,
			const char *body, size_t len, const int *fds,
			size_t fds_cnt, ember_log_fn log, void *log_ctx,
			char **reply, size_t *reply_len, bool *untaken)
{
	int all[REQUEST_FDS_MAX], req[2], err;
	struct ember_outcome o = { 0 };
	uint64_t n = len;
	double wait = kind == EMBER_COMPILER_BUILD_PCH
			      ? EMBER_PCH_BUILD_SECONDS
			      : EMBER_COMPILE_WALL_SECONDS;

	*untaken = false;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, req))
		return ember__error(errno, "%s: cannot compile: %s", name,
				    strerror(errno));
	/* relative paths (-I dir, #include "x.h") from the host's directory */
	all[0] = req[1];
	all[1] = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (all[1] < 0)
		all[1] = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	memcpy(all + 2, fds, fds_cnt * sizeof(int));
	err = all[1] < 0 ? ember__error(errno, "%s: cannot compile: %s", name,
					strerror(errno))
			 : send_request(kind, log != NULL, all, fds_cnt + 2);
	close(req[1]);
	if (all[1] >= 0)
		close(all[1]);
	if (err) {
		close(req[0]);
		return err;
	}
	/* a copy that died before reading: its exit record says how */
	if (!ember__write_all(req[0], &n, sizeof(n)))
		ember__write_all(req[0], body, len);
	/* the server stops the copy at the wall limit; this is for a server
	 * that cannot */
	ember__records_read(req[0], log, log_ctx,
			    ember__monotonic() + wait + 30, true, &o);
	close(req[0]);
	*untaken = !o.heard && o.io_err == -EIO;
	return ember__outcome_finish(name, &o, o.status,
				     o.wall_killed || o.io_err == -ETIME, log,
				     log_ctx, reply, reply_len);
}

int ember__compiler_request(const char *name, enum ember_compiler_request kind,
			    const char *body, size_t len, const int *fds,
			    size_t fds_cnt, ember_log_fn log, void *log_ctx,
			    char **reply, size_t *reply_len)
{
	bool untaken;
	int err;

	*reply = NULL;
	*reply_len = 0;
	if (fds_cnt + 2 > REQUEST_FDS_MAX)
		return ember__error(EINVAL, "too many descriptors");
	err = request_once(name, kind, body, len, fds, fds_cnt, log, log_ctx,
			   reply, reply_len, &untaken);
	if (untaken)
		err = request_once(name, kind, body, len, fds, fds_cnt, log,
				   log_ctx, reply, reply_len, &untaken);
	return err;
}
