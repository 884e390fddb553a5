// SPDX-License-Identifier: MIT
#include "compiler/isolation.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <spawn.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

/* Bounds on what the host accepts from the copy. */
#define LOG_LINE_MAX (1u << 20)
#define MESSAGE_MAX (16u << 20)
#define REPLY_MAX (1ull << 30)
/* The copy's stderr (LLVM's fatal errors) kept for the explanation. */
#define STDERR_KEEP 16384

/* ---- the copy ---- */

int ember__write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		/* send, not write: a host gone is an error, not SIGPIPE */
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ember__record_write(int fd, char type, int32_t num, const char *a,
			uint64_t a_len, const char *b, uint64_t b_len)
{
	return ember__write_all(fd, &type, 1) ||
	       ember__write_all(fd, &num, sizeof(num)) ||
	       ember__write_all(fd, &a_len, sizeof(a_len)) ||
	       ember__write_all(fd, a, a_len) ||
	       ember__write_all(fd, &b_len, sizeof(b_len)) ||
	       ember__write_all(fd, b, b_len);
}

static void log_to_host(enum ember_log_level level, const char *msg, void *ctx)
{
	if (ember__record_write(*(int *)ctx, EMBER_RECORD_LOG, (int32_t)level,
				msg, strlen(msg), NULL, 0))
		_exit(1);
}

/* Address space the copy may add to what it inherited (the host may map a
 * lot: count from there). */
void ember__isolation_limits(unsigned int cpu_seconds)
{
	struct rlimit cpu = { cpu_seconds, cpu_seconds + 1 };
	struct rlimit none = { 0, 0 };
	unsigned long long pages = 0;
	char buf[128];
	ssize_t n;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			pages = strtoull(buf, NULL, 10);
		}
	}
	if (pages) {
		rlim_t as = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) +
			    ((rlim_t)EMBER_COMPILE_MEMORY_MB << 20);
		struct rlimit mem = { as, as };

		setrlimit(RLIMIT_AS, &mem);
	}
	setrlimit(RLIMIT_CPU, &cpu);
	setrlimit(RLIMIT_CORE, &none);
	/* the host may ignore or catch it */
	signal(SIGXCPU, SIG_DFL);
}

int ember__isolation_serve(int fd, ember_isolated_fn fn, void *arg, bool log)
{
	char *reply = NULL;
	size_t reply_len = 0;
	const char *msg;
	FILE *f;
	int32_t res;

	f = open_memstream(&reply, &reply_len);
	if (!f)
		return -1;
	res = fn(arg, log ? log_to_host : NULL, &fd, f);
	if (fclose(f) && !res)
		res = ember__error(ENOMEM, "out of memory");
	msg = res ? ember_errmsg() : "";
	return ember__record_write(fd, EMBER_RECORD_RESULT, res, msg,
				   strlen(msg), res ? NULL : reply,
				   res ? 0 : reply_len);
}

int ember__read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- the host ---- */

double ember__monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read len bytes before the deadline: 0, -ETIME, or -EIO at EOF. */
static int read_until(int fd, void *buf, size_t len, double deadline)
{
	char *p = buf;

	while (len) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		double left = deadline - ember__monotonic();
		ssize_t n;
		int r;

		if (left <= 0)
			return -ETIME;
		r = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -EIO;
		if (r == 0)
			continue;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A length-prefixed string from the copy, NUL-terminated. */
static int read_bytes(int fd, uint64_t max, double deadline, char **out,
		      uint64_t *len)
{
	int err = read_until(fd, len, sizeof(*len), deadline);

	*out = NULL;
	if (err)
		return err;
	if (*len > max)
		return -EIO;
	*out = malloc(*len + 1);
	if (!*out)
		return -ENOMEM;
	err = read_until(fd, *out, *len, deadline);
	if (err) {
		free(*out);
		*out = NULL;
		return err;
	}
	(*out)[*len] = 0;
	return 0;
}

void ember__records_read(int fd, ember_log_fn log, void *log_ctx,
			 double deadline, bool until_exit,
			 struct ember_outcome *o)
{
	for (;;) {
		char type, *a = NULL, *b = NULL;
		uint64_t a_len, b_len;
		int32_t num;
		int err = read_until(fd, &type, 1, deadline);

		err = err ?: read_until(fd, &num, sizeof(num), deadline);
		err = err
			      ?: read_bytes(fd,
					    type == EMBER_RECORD_LOG
						    ? LOG_LINE_MAX
						    : MESSAGE_MAX,
					    deadline, &a, &a_len);
		err = err
			      ?: read_bytes(fd,
					    type == EMBER_RECORD_RESULT
						    ? REPLY_MAX
						    : 8,
					    deadline, &b, &b_len);
		if (err) {
			free(a);
			o->io_err = err;
			return;
		}
		o->heard = true;
		switch (type) {
		case EMBER_RECORD_LOG:
			if (log)
				log((enum ember_log_level)num, a, log_ctx);
			free(a);
			free(b);
			if (b_len) {
				o->io_err = -EIO;
				return;
			}
			continue;
		case EMBER_RECORD_RESULT:
			if (o->done) /* one result only */
				break;
			o->done = true;
			o->msg = a;
			o->res = num;
			o->reply = b;
			o->reply_len = b_len;
			/* the exit record matters only for a failure */
			if (!until_exit || !num)
				return;
			continue;
		case EMBER_RECORD_EXIT:
			o->exited = true;
			o->status = num;
			o->err_text = a;
			o->wall_killed = b_len == 1 && *b == 'w';
			free(b);
			return;
		}
		free(a);
		free(b);
		o->io_err = -EIO;
		return;
	}
}

static bool out_of_memory(const char *err_text)
{
	return strstr(err_text, "out of memory") ||
	       strstr(err_text, "Allocation failed") ||
	       strstr(err_text, "bad_alloc");
}

/* The copy did not report a result, or reported running out of memory. */
static int explain(const char *name, const struct ember_outcome *o, int status,
		   bool killed, const char *err_text)
{
	if (killed)
		return ember__error(ETIME,
				    "%s: compiling took longer than %d s (the "
				    "compile's limit) and was stopped",
				    name, EMBER_COMPILE_WALL_SECONDS);
	if ((o->done && o->res == -ENOMEM) || out_of_memory(err_text))
		return ember__error(E2BIG,
				    "%s: compiling needed more than %d MB of "
				    "memory (the compile's limit) and was "
				    "stopped",
				    name, EMBER_COMPILE_MEMORY_MB);
	if (WIFSIGNALED(status) &&
	    (WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL))
		return ember__error(ETIME,
				    "%s: compiling used more than %d s of CPU "
				    "time (the compile's limit) and was "
				    "stopped",
				    name, EMBER_COMPILE_CPU_SECONDS);
	if (WIFSIGNALED(status))
		return ember__error(EIO, "%s: the compiler crashed (%s)%s%s",
				    name, strsignal(WTERMSIG(status)),
				    *err_text ? ":\n" : "", err_text);
	return ember__error(EIO,
			    "%s: the compiler stopped without a result%s%s",
			    name, *err_text ? ":\n" : "", err_text);
}

int ember__outcome_finish(const char *name, struct ember_outcome *o, int status,
			  bool wall_killed, ember_log_fn log, void *log_ctx,
			  char **reply, size_t *reply_len)
{
	const char *err_text = o->err_text ? o->err_text : "";
	int err;

	if (*err_text && log)
		log(EMBER_LOG_DEBUG, err_text, log_ctx);
	if (o->done && !o->res) {
		*reply = o->reply;
		*reply_len = o->reply_len;
		err = 0;
	} else if (o->done && o->res != -ENOMEM && !out_of_memory(err_text)) {
		err = ember__error(o->res < 0 ? -o->res : EIO, "%s", o->msg);
	} else {
		err = explain(name, o, status, wall_killed, err_text);
	}
	if (err)
		free(o->reply);
	free(o->msg);
	free(o->err_text);
	memset(o, 0, sizeof(*o));
	return err;
}

/* What the copy printed to stderr (LLVM's fatal errors), NUL-terminated. */
static char *read_stderr(int fd)
{
	char *buf = malloc(STDERR_KEEP);
	ssize_t n = fd >= 0 && buf ? pread(fd, buf, STDERR_KEEP - 1, 0) : -1;

	if (buf)
		buf[n > 0 ? n : 0] = 0;
	return buf;
}

/* The helper's standard input: a file holding the bytes. */
static int input_file(const void *data, size_t len)
{
	int fd = memfd_create("ember-isolated-input", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ember__write_all(fd, data, len) || lseek(fd, 0, SEEK_SET)) {
		close(fd);
		return -1;
	}
	return fd;
}

static pid_t spawn(const char *path, char *const *argv, int in, int out,
		   int err_fd, int *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	pid_t pid = -1;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
	if (err_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	/* a host's ignored signals would stay ignored across exec */
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	*err = posix_spawn(&pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return *err ? -1 : pid;
}

int ember__isolated_exec(const char *name, const char *path,
			 const char *const *args, size_t args_cnt,
			 const void *input, size_t input_len, ember_log_fn log,
			 void *log_ctx, char **reply, size_t *reply_len)
{
	struct ember_outcome o = { 0 };
	char host[24], **argv;
	int pipefd[2], in, err_fd, status = 0, err = 0;
	bool killed = false;
	pid_t pid = -1;

	*reply = NULL;
	*reply_len = 0;
	argv = calloc(args_cnt + 4, sizeof(*argv));
	if (!argv)
		return ember__error(ENOMEM, "out of memory");
	snprintf(host, sizeof(host), "%ld", (long)getpid());
	argv[0] = (char *)path;
	argv[1] = host;
	argv[2] = log ? "1" : "0";
	memcpy(argv + 3, args, args_cnt * sizeof(*args));
	if (pipe2(pipefd, O_CLOEXEC)) {
		free(argv);
		return ember__error(errno, "%s: cannot check: pipe: %s", name,
				    strerror(errno));
	}
	in = input_file(input, input_len);
	err_fd = memfd_create("ember-isolated-stderr", MFD_CLOEXEC);
	if (in < 0)
		err = errno ? errno : EIO;
	else
		pid = spawn(path, argv, in, pipefd[1], err_fd, &err);
	free(argv);
	close(pipefd[1]);
	if (in >= 0)
		close(in);
	if (pid < 0) {
		close(pipefd[0]);
		if (err_fd >= 0)
			close(err_fd);
		return ember__error(err, "%s: cannot run %s: %s", name, path,
				    strerror(err));
	}
	ember__records_read(pipefd[0], log, log_ctx,
			    ember__monotonic() + EMBER_COMPILE_WALL_SECONDS,
			    false, &o);
	close(pipefd[0]);
	if (!o.done && o.io_err == -ETIME) {
		kill(pid, SIGKILL);
		killed = true;
	}
	/* A host that reaps every child itself may take the status: the
	 * result record is what counts. */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	o.err_text = read_stderr(err_fd);
	if (err_fd >= 0)
		close(err_fd);
	return ember__outcome_finish(name, &o, status, killed, log, log_ctx,
				     reply, reply_len);
}

/* ---- the helper ---- */

int ember__isolated_main(int argc, char **argv, ember_isolated_fn fn)
{
	struct ember_isolated_input in = { .args = argv + 3 };
	size_t cap = 0;
	ssize_t n;

	if (argc < 3)
		return 2;
	in.args_cnt = (size_t)argc - 3;
	ember__isolation_limits(EMBER_COMPILE_CPU_SECONDS);
	/* A helper outlives a host killed mid-work only until it notices
	 * (one waiting on a lock would otherwise wait forever). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != (pid_t)atol(argv[1]))
		return 1;
	for (;;) {
		if (in.len == cap) {
			char *b = realloc(in.data, cap ? 2 * cap : 65536);

			if (!b)
				return 1;
			in.data = b;
			cap = cap ? 2 * cap : 65536;
		}
		n = read(STDIN_FILENO, in.data + in.len, cap - in.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		if (n == 0)
			break;
		in.len += (size_t)n;
	}
	n = ember__isolation_serve(STDOUT_FILENO, fn, &in, argv[2][0] == '1');
	free(in.data);
	return n ? 1 : 0;
}
