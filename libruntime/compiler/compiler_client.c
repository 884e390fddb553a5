// SPDX-License-Identifier: MIT
#include "compiler/compiler_client.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiler/cache.h"

#include "compiler/isolation.h"
#include "error.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* How long a host waits for a shared compiler's greeting. */
#define SHARED_HELLO_SECONDS 5

/* The spawned process's stack until its execve. */
#define SPAWN_STACK (64 * 1024)

extern char **environ;

/* The descriptors one request passes, at most (socket, cwd, and its own). */
#define REQUEST_FDS_MAX 4

/* One compiler process as this one uses it. */
struct compiler {
	pid_t owner; /* the process that spawned or connected it (a forked
			host has none) */
	pid_t pid;
	int pidfd; /* a private one: to stop and reap it without racing a
		      pid's reuse; -1 for a shared one (not ours to stop) */
	int ctl; /* -1: not running */
};

static struct {
	pthread_mutex_t lock;
	struct compiler own; /* this process's own (private) one */
	struct compiler shared;
	bool shared_refused; /* the shared one could not be used */
} server = {
	PTHREAD_MUTEX_INITIALIZER, { 0, 0, -1, -1 }, { 0, 0, -1, -1 }, false
};

const int ember__compiler_host_limits[8] = {
	RLIMIT_FSIZE, RLIMIT_DATA,    RLIMIT_STACK, RLIMIT_NOFILE,
	RLIMIT_NPROC, RLIMIT_MEMLOCK, RLIMIT_AS,    RLIMIT_CORE,
};

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

/* Forget compiler c: stop and reap it if this process started it. */
static void drop_locked(struct compiler *c)
{
	if (c->ctl >= 0)
		close(c->ctl);
	if (c->pidfd >= 0 && c->owner == getpid()) {
		siginfo_t info;

		syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
		while (waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &info,
			      WEXITED) < 0 &&
		       errno == EINTR)
			;
	}
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->ctl = c->pidfd = -1;
	c->pid = 0;
}

/* The compiler's environment: nothing of the host's but these. A host's
 * CPATH or TMPDIR must not change what libclang compiles (the caches' keys
 * do not hold them), and a shared compiler serves hosts other than the one
 * that started it. */
static const char *const passed_env[] = {
	"EMBER_COMPILER_IDLE_SECONDS",
	"ASAN_OPTIONS",
	"LSAN_OPTIONS",
	"UBSAN_OPTIONS",
};
#define PASSED_ENV_CNT (sizeof(passed_env) / sizeof(passed_env[0]))

static void compiler_env(char **env)
{
	size_t n = 0;

	for (char **e = environ; e && *e && n < PASSED_ENV_CNT; e++)
		for (size_t i = 0; i < PASSED_ENV_CNT; i++) {
			size_t len = strlen(passed_env[i]);

			if (!strncmp(*e, passed_env[i], len) &&
			    (*e)[len] == '=') {
				env[n++] = *e;
				break;
			}
		}
	env[n] = NULL;
}

/* fd readable within seconds: 1, 0 on timeout, -1 on error. */
static int wait_readable(int fd, double seconds)
{
	double deadline = ember__monotonic() + seconds;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		double left = deadline - ember__monotonic();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 0)
			return r > 0 ? 1 : -1;
	}
}

/* What the spawned process does before it runs the compiler. */
struct spawn {
	const char *path;
	char **argv, **env;
	int ctl, dir, lock; /* become 3 and (shared) 4 and 5 */
	bool shared;
	char *exec_stack; /* a shared one's: the top of its own stack */
	pid_t pid; /* a shared one: the process that runs the compiler */
	int err; /* why it could not, set by the child */
};

struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/*
 * The spawned process, sharing this one's memory until its execve (as
 * posix_spawn's): raw system calls only (no malloc, no sanitizer
 * interceptor). Standard descriptors on /dev/null (a private one keeps the
 * host's stderr for its last words), ctl, dir and lock as 3, 4 and 5, no
 * other descriptor; every signal at its default, none blocked; a shared one
 * in a session of its own (no terminal's hangup or signals).
 */
__attribute__((no_sanitize_address)) static int spawn_exec(void *arg)
{
	struct spawn *s = arg;
	struct kernel_sigaction dfl = { 0 };
	uint64_t none = 0;
	long nul, r;
	int last = s->shared ? 5 : 3;

	r = syscall(SYS_dup2, s->ctl, 3);
	if (r >= 0 && s->shared)
		r = syscall(SYS_dup2, s->dir, 4);
	if (r >= 0 && s->shared)
		r = syscall(SYS_dup2, s->lock, 5);
	nul = r < 0 ? r : syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR);
	for (int fd = 0; nul >= 0 && r >= 0 && fd <= (s->shared ? 2 : 1); fd++)
		if (fd != nul)
			r = syscall(SYS_dup2, nul, fd);
	if (r >= 0 && nul >= 0 &&
	    syscall(SYS_close_range, last + 1, ~0u, 0) < 0)
		for (int fd = last + 1; fd < 65536; fd++)
			syscall(SYS_close, fd);
	for (int sig = 1; r >= 0 && nul >= 0 && sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
	if (r >= 0 && nul >= 0 && s->shared)
		r = syscall(SYS_setsid);
	if (r >= 0 && nul >= 0) {
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
		syscall(SYS_execve, s->path, s->argv, s->env);
	}
	/* syscall() failed with errno set in the (shared) errno of the
	 * thread that waits for this one */
	s->err = errno ? errno : EIO;
	syscall(SYS_exit, 127);
	return 0;
}

/*
 * A shared one: this process (exit signal 0: no SIGCHLD, and never seen by
 * wait() or waitpid(-1), only by __WALL or __WCLONE) spawns the process
 * that runs the compiler and exits, so that the compiler is no child of
 * the host (an exec'd child is: the kernel gives it SIGCHLD back).
 */
__attribute__((no_sanitize_address)) static int spawn_detached(void *arg)
{
	struct spawn *s = arg;

	s->pid = clone(spawn_exec, s->exec_stack, CLONE_VM | CLONE_VFORK, s);
	if (s->pid < 0)
		s->err = errno ? errno : EIO;
	syscall(SYS_exit, 0);
	return 0;
}

/*
 * Start the compiler, talking to it on a socket pair: a private one (shared
 * NULL), or the shared one, told to listen as shared (.sock) in dirfd and
 * given lockfd (the hosts' lock, held: it lets the others in once it
 * listens). Spawned as by posix_spawn; a shared one by a process of ours
 * that exits at once (spawn_detached): the host gets no SIGCHLD, its wait()
 * and waitpid(-1) see nothing, the compiler is not its child.
 */
static int spawn_locked(struct compiler *c, const char *shared, int dirfd,
			int lockfd)
{
	char path[PATH_MAX], mode[] = "--shared";
	char *argv[] = { path, shared ? mode : NULL, (char *)shared, NULL };
	char *env[PASSED_ENV_CNT + 1];
	struct spawn s = { path, argv,		 env,  -1, -1,
			   -1,	 shared != NULL, NULL, 0,  0 };
	sigset_t all, old;
	int sv[2], err, status, saved;
	void *stack;
	pid_t pid = -1;

	err = compiler_path(path, sizeof(path));
	if (err)
		return err;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return ember__error(errno, "cannot start the compiler: %s",
				    strerror(errno));
	/* above the descriptors it gets: a dup2 onto itself would keep
	 * close-on-exec, one onto the other's number would lose it */
	s.ctl = fcntl(sv[1], F_DUPFD_CLOEXEC, 6);
	if (s.ctl >= 0 && shared)
		s.dir = fcntl(dirfd, F_DUPFD_CLOEXEC, 6);
	if (s.dir >= 0)
		s.lock = fcntl(lockfd, F_DUPFD_CLOEXEC, 6);
	err = s.ctl < 0 || (shared && s.lock < 0) ? errno : 0;
	compiler_env(env);
	/* two: a shared one's spawn_detached and spawn_exec */
	stack = err ? MAP_FAILED
		    : mmap(NULL, 2 * SPAWN_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (!err && stack == MAP_FAILED)
		err = errno;
	if (!err) {
		s.exec_stack = (char *)stack + 2 * SPAWN_STACK;
		/* no handler of this process runs in the children */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		saved = errno;
		errno = 0;
		/* each returns once its child has exec'd or exited */
		pid = shared ? clone(spawn_detached,
				     (char *)stack + SPAWN_STACK,
				     CLONE_VM | CLONE_VFORK, &s)
			     : clone(spawn_exec, (char *)stack + SPAWN_STACK,
				     CLONE_VM | CLONE_VFORK | SIGCHLD, &s);
		err = pid < 0 ? errno : 0;
		errno = saved;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		munmap(stack, 2 * SPAWN_STACK);
	}
	/* spawn_detached has exited: reap it (only __WALL sees it) */
	while (!err && shared && waitpid(pid, &status, __WALL) < 0 &&
	       errno == EINTR)
		;
	if (!err && s.err && !shared)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (!err)
		err = s.err;
	if (s.ctl >= 0)
		close(s.ctl);
	if (s.dir >= 0)
		close(s.dir);
	if (s.lock >= 0)
		close(s.lock);
	close(sv[1]);
	if (err) {
		close(sv[0]);
		return ember__error(err, "cannot start the compiler %s: %s",
				    path, strerror(err));
	}
	/* the first request goes at once: a shared one reads it once it
	 * listens */
	c->owner = getpid();
	c->pid = shared ? s.pid : pid;
	c->pidfd = shared ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
	c->ctl = sv[0];
	return 0;
}

/*
 * Connect to the shared compiler listening as base.sock in dirfd: 0 with
 * *out connected, checked and greeted; -ENOENT or -ECONNREFUSED (no
 * message) when nothing listens there; another -errno with ember_errmsg()
 * when what listens may not be used.
 */
static int shared_connect(int dirfd, const char *base, int *out,
			  pid_t *server_pid)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char why[128], hello[sizeof(EMBER_COMPILER_HELLO) + 128];
	ssize_t n;
	pid_t pid;
	int fd, err;

	*out = -1;
	/* through the checked directory, whatever its path's length */
	n = snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/%s.sock",
		     dirfd, base);
	if (n < 0 || (size_t)n >= sizeof(a.sun_path))
		return ember__error(ENAMETOOLONG, "the shared compiler's "
						  "socket name is too long");
	/* non-blocking: a full backlog is EAGAIN, not a wait */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ember__error(errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		err = errno;
		close(fd);
		if (err == ENOENT || err == ECONNREFUSED)
			return -err;
		return ember__error(err, "%s.sock in the cache directory: %s",
				    base, strerror(err));
	}
	if (!ember__compiler_peer_check(fd, &pid, why, sizeof(why))) {
		close(fd);
		return ember__error(EPERM,
				    "the shared compiler (pid %d) is not of "
				    "this process's world: %s",
				    (int)pid, why);
	}
	n = wait_readable(fd, SHARED_HELLO_SECONDS) > 0
		    ? recv(fd, hello, sizeof(hello) - 1, MSG_DONTWAIT)
		    : -1;
	hello[n > 0 ? n : 0] = 0;
	err = 0;
	if (!strncmp(hello, "refused: ", 9))
		err = ember__error(EPERM, "the shared compiler (pid %d) %s",
				   (int)pid, hello);
	else if (strcmp(hello, EMBER_COMPILER_HELLO))
		err = ember__error(EPROTO,
				   "%s.sock in the cache directory (pid %d) "
				   "is not an ember-compiler of this build",
				   base, (int)pid);
	if (err || fcntl(fd, F_SETFL, 0) < 0) {
		close(fd);
		return err ?: ember__error(errno, "fcntl: %s", strerror(errno));
	}
	*server_pid = pid;
	*out = fd;
	return 0;
}

/*
 * A socket bound in the cache directory can be connected to: not on a
 * network file system (NFS and SMB may be shared by other machines; 9p
 * without a cache, as QEMU's guests mount a host's directory, gives each
 * lookup of the name another inode, and its statfs says the host's file
 * system: hence the mount's type). The compiler tries its name too
 * (compiler_server.c).
 */
static int sockets_work(const struct ember_cache *cache)
{
	static const char *const remote[] = { "9p", "nfs", "nfs4", "cifs",
					      "smb3" };
	struct statx stx;
	char line[4096], type[64];
	unsigned long long id;
	int err = 0;
	FILE *f;

	/* a kernel without mount ids (before 5.8): the compiler's own try */
	if (statx(cache->dirfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) ||
	    !(stx.stx_mask & STATX_MNT_ID) ||
	    !(f = fopen("/proc/self/mountinfo", "re")))
		return 0;
	while (!err && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (sscanf(line, "%llu", &id) != 1 || id != stx.stx_mnt_id ||
		    !sep || sscanf(sep + 3, "%63s", type) != 1)
			continue;
		for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++)
			if (!strcmp(type, remote[i]))
				err = ember__error(ENOTSUP,
						   "%s is on %s: no sockets "
						   "there",
						   cache->path, type);
		break;
	}
	fclose(f);
	return err;
}

/* Connect to the shared compiler, starting it if none listens. */
static int shared_start_locked(struct compiler *c)
{
	struct ember_cache cache;
	unsigned char id[64];
	char base[64], name[80];
	size_t id_len, i;
	int err, fd = -1, lk = -1;

	err = ember__cache_open(&cache, NULL, NULL);
	if (!err)
		err = ember__compiler_build_id(id, sizeof(id), &id_len);
	if (err)
		goto out;
	i = (size_t)snprintf(base, sizeof(base), "ember-compiler-");
	for (size_t k = 0; k < id_len && k < 20; k++)
		i += (size_t)snprintf(base + i, sizeof(base) - i, "%02x",
				      id[k]);
	err = shared_connect(cache.dirfd, base, &fd, &c->pid);
	if (err != -ENOENT && err != -ECONNREFUSED)
		goto out;
	err = sockets_work(&cache);
	if (err)
		goto out;
	/* none listens: one host starts it, the others wait and use it */
	snprintf(name, sizeof(name), "%s.lock", base);
	lk = openat(cache.dirfd, name,
		    O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lk >= 0)
		close(lk);
	err = ember__cache_open_file(&cache, name, 0, &lk);
	if (err == -ENOENT)
		err = ember__error(ENOENT, "%s/%s: vanished", cache.path, name);
	if (err)
		goto out;
	while (flock(lk, LOCK_EX) < 0 && errno == EINTR)
		;
	err = shared_connect(cache.dirfd, base, &fd, &c->pid);
	if (err == -ENOENT || err == -ECONNREFUSED) {
		/* no listener: stale (its server was killed), or none */
		snprintf(name, sizeof(name), "%s.sock", base);
		unlinkat(cache.dirfd, name, 0);
		err = spawn_locked(c, base, cache.dirfd, lk);
		fd = -1;
	}
	close(lk);
out:
	if (!err && fd >= 0) {
		c->owner = getpid();
		c->pidfd = -1;
		c->ctl = fd;
	}
	ember__cache_close(&cache);
	return err;
}

/*
 * The compiler a request goes to, started if it is not running: the shared
 * one unless own (a compiler of this process's own: the caller's option, or
 * EMBER_SHARED_COMPILER=0) or it cannot be used here.
 */
static int start_locked(bool own, ember_log_fn log, void *log_ctx,
			struct compiler **out)
{
	const char *env = secure_getenv("EMBER_SHARED_COMPILER");
	char *m = NULL;
	int err;

	if (!own && !(env && !strcmp(env, "0")) && !server.shared_refused) {
		*out = &server.shared;
		if (server.shared.ctl >= 0)
			return 0;
		err = shared_start_locked(&server.shared);
		if (!err)
			return 0;
		/* once for this process: it keeps a compiler of its own.
		 * Normal where it serves none of this world (a container, a
		 * cache directory on a file system without sockets); something
		 * else listening in its place is not */
		server.shared_refused = true;
		if (log && asprintf(&m,
				    "not using the shared compiler: %s; "
				    "starting one of this process's own",
				    ember_errmsg()) >= 0)
			log(err == -EPROTO ? EMBER_LOG_WARN : EMBER_LOG_DEBUG,
			    m, log_ctx);
		free(m);
	}
	*out = &server.own;
	return server.own.ctl >= 0 ? 0
				   : spawn_locked(&server.own, NULL, -1, -1);
}

/* What of this process the copy takes: its umask (from /proc: umask()
 * would change it under the other threads) and its resource limits. */
static void host_state(struct ember_compiler_host_state *h)
{
	char buf[2048], *p;
	ssize_t n = -1;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	memset(h, 0, sizeof(*h));
	h->umask = 022;
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = 0;
	p = strstr(buf, "\nUmask:");
	if (p)
		h->umask = (uint32_t)strtoul(p + 7, NULL, 8) & 0777;
	errno = 0;
	h->nice = getpriority(PRIO_PROCESS, 0);
	if (errno)
		h->nice = 0;
	for (size_t i = 0; i < 8; i++) {
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

		getrlimit((__rlimit_resource_t)ember__compiler_host_limits[i],
			  &rl);
		h->limits[i].cur = rl.rlim_cur;
		h->limits[i].max = rl.rlim_max;
	}
}

/* The request's first message, with its descriptors; the server is started
 * (again, once, if it went away). */
static int send_request(enum ember_compiler_request kind, bool own,
			ember_log_fn log, void *log_ctx, const int *fds,
			size_t cnt)
{
	struct ember_compiler_host_state h;
	char payload[512];
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
	struct compiler *c;
	int err = 0;

	host_state(&h);
	/* with its NUL */
	iov.iov_len =
		(size_t)snprintf(payload, sizeof(payload), "%c%c%s", (char)kind,
				 log ? '1' : '0', EMBER_COMPILER_PROTOCOL) +
		1;
	memcpy(payload + iov.iov_len, &h, sizeof(h));
	iov.iov_len += sizeof(h);
	memset(u.buf, 0, sizeof(u.buf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(cnt * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, cnt * sizeof(int));

	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&server.lock);
	for (int attempt = 0; attempt < 2; attempt++) {
		/* the parent's, in a forked host */
		if (server.own.ctl >= 0 && server.own.owner != getpid())
			drop_locked(&server.own);
		if (server.shared.ctl >= 0 && server.shared.owner != getpid())
			drop_locked(&server.shared);
		err = start_locked(own, log, log_ctx, &c);
		if (err)
			break;
		if (sendmsg(c->ctl, &mh, MSG_NOSIGNAL) >= 0)
			break;
		err = ember__error(errno, "cannot reach the compiler: %s",
				   strerror(errno));
		drop_locked(c);
	}
	pthread_mutex_unlock(&server.lock);
	return err;
}

/* One attempt; *untaken when the server closed the request unseen (it
 * left, idle, as the request came). */
static int request_once(const char *name, enum ember_compiler_request kind,
			bool own, const char *body, size_t len, const int *fds,
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
	err = all[1] < 0
		      ? ember__error(errno, "%s: cannot compile: %s", name,
				     strerror(errno))
		      : send_request(kind, own, log, log_ctx, all, fds_cnt + 2);
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
			    bool own, const char *body, size_t len,
			    const int *fds, size_t fds_cnt, ember_log_fn log,
			    void *log_ctx, char **reply, size_t *reply_len)
{
	bool untaken;
	int err;

	*reply = NULL;
	*reply_len = 0;
	if (fds_cnt + 2 > REQUEST_FDS_MAX)
		return ember__error(EINVAL, "too many descriptors");
	err = request_once(name, kind, own, body, len, fds, fds_cnt, log,
			   log_ctx, reply, reply_len, &untaken);
	if (untaken)
		err = request_once(name, kind, own, body, len, fds, fds_cnt,
				   log, log_ctx, reply, reply_len, &untaken);
	return err;
}

/* ---- who may share a compiler ---- */

static const char *const world_ns[] = { "mnt", "pid", "net",   "user",
					"ipc", "uts", "cgroup" };
static const char *const world_status[] = {
	"Uid:",	   "Gid:",    "Groups:", "CapInh:",	"CapPrm:",
	"CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:",
};
#define WORLD_NS_CNT (sizeof(world_ns) / sizeof(world_ns[0]))
#define WORLD_STATUS_CNT (sizeof(world_status) / sizeof(world_status[0]))
#define WORLD_ITEMS (WORLD_NS_CNT + WORLD_STATUS_CNT + 3)
#define WORLD_ITEM_MAX 1024

struct world {
	char item[WORLD_ITEMS][WORLD_ITEM_MAX];
};

static const char *world_item_name(size_t i)
{
	if (i < WORLD_NS_CNT)
		return world_ns[i];
	i -= WORLD_NS_CNT;
	if (i < WORLD_STATUS_CNT)
		return world_status[i];
	i -= WORLD_STATUS_CNT;
	return i == 0 ? "root directory" : i == 1 ? "cgroup" : "LSM label";
}

/* A small /proc file, NUL-terminated ("" if it cannot be read: the same
 * for both processes only if neither can). */
static void proc_read(const char *proc, const char *name, char *buf,
		      size_t size)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", proc, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = 0;
}

/* What a compile depends on, of process proc ("/proc/PID"); false if proc
 * cannot be read. */
static bool world_of(const char *proc, struct world *w)
{
	char path[64], *status = malloc(8192);
	struct stat st;
	size_t k = 0;

	if (!status)
		return false;
	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < WORLD_NS_CNT; i++, k++) {
		snprintf(path, sizeof(path), "%s/ns/%s", proc, world_ns[i]);
		/* one this kernel lacks: "" for both */
		if (!stat(path, &st))
			snprintf(w->item[k], WORLD_ITEM_MAX, "%llu:%llu",
				 (unsigned long long)st.st_dev,
				 (unsigned long long)st.st_ino);
	}
	proc_read(proc, "status", status, 8192);
	for (size_t i = 0; i < WORLD_STATUS_CNT; i++, k++) {
		char *p = status;
		size_t len = strlen(world_status[i]);

		while (p && strncmp(p, world_status[i], len))
			p = (p = strchr(p, '\n')) ? p + 1 : NULL;
		if (p)
			snprintf(w->item[k], WORLD_ITEM_MAX, "%.*s",
				 (int)strcspn(p, "\n"), p);
	}
	/* a chroot (ns/mnt does not tell) */
	snprintf(path, sizeof(path), "%s/root/", proc);
	if (!*status || stat(path, &st) < 0) {
		free(status);
		return false;
	}
	snprintf(w->item[k++], WORLD_ITEM_MAX, "%llu:%llu",
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	proc_read(proc, "cgroup", w->item[k++], WORLD_ITEM_MAX);
	proc_read(proc, "attr/current", w->item[k++], WORLD_ITEM_MAX);
	free(status);
	return true;
}

bool ember__compiler_peer_check(int sock, pid_t *pid, char *why,
				size_t why_size)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct world *self = malloc(sizeof(*self)),
		     *peer = malloc(sizeof(*peer));
	char proc[32];
	bool ok = false;
	int pidfd = -1;

	*pid = 0;
	snprintf(why, why_size, "out of memory");
	if (!self || !peer)
		goto out;
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		snprintf(why, why_size, "SO_PEERCRED: %s", strerror(errno));
		goto out;
	}
	*pid = cred.pid;
	if (cred.uid != geteuid()) {
		snprintf(why, why_size, "it runs as uid %u",
			 (unsigned int)cred.uid);
		goto out;
	}
	/* 0: in a PID namespace above this one's */
	snprintf(why, why_size, "its pid is not visible here");
	if (cred.pid <= 0)
		goto out;
	/* holds the pid: /proc/PID is that process, not a later one */
	len = sizeof(pidfd);
	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0)
		pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
	snprintf(proc, sizeof(proc), "/proc/%d", (int)cred.pid);
	if (pidfd < 0 || !world_of(proc, peer) || !world_of("/proc/self", self))
		goto out;
	for (size_t i = 0; i < WORLD_ITEMS; i++)
		if (strcmp(self->item[i], peer->item[i])) {
			snprintf(why, why_size, "its %s differs",
				 world_item_name(i));
			goto out;
		}
	/* still running: the pid was not reused while we read */
	if (poll(&(struct pollfd){ pidfd, POLLIN, 0 }, 1, 0) != 0) {
		snprintf(why, why_size, "it exited");
		goto out;
	}
	ok = true;
out:
	if (pidfd >= 0)
		close(pidfd);
	free(self);
	free(peer);
	return ok;
}
