// SPDX-License-Identifier: MIT
/*
 * trace_pipe: where bpf_trace_printk() output lands. Reading is line based
 * on a non-blocking fd so that a timeout never leaves a half line behind:
 * partial data stays in the handle's buffer until its newline arrives.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ember/ember.h"
#include "error.h"
#include "kernel/tracefs.h"

/* A line longer than this is handed out cut, rather than growing forever. */
#define EMBER_TRACE_LINE_MAX (1u << 20)
#define EMBER_TRACE_READ_MIN 4096u

struct ember_trace_pipe {
	int fd;
	char *buf;
	size_t cap;
	size_t start; /* first byte not yet handed out */
	size_t len; /* end of the bytes read so far */
};

/*
 * Wrap an fd that yields trace_pipe text (tests use a pipe). Takes the fd
 * on success only. Declared here: nothing else in the library needs it.
 */
int ember__trace_pipe_from_fd(int fd, struct ember_trace_pipe **out);

int ember__trace_pipe_from_fd(int fd, struct ember_trace_pipe **out)
{
	struct ember_trace_pipe *tp;
	int fl;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return ember__error(errno,
				    "trace_pipe: cannot set O_NONBLOCK: %s",
				    strerror(errno));
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return ember__error(ENOMEM, "out of memory");
	tp->fd = fd;
	*out = tp;
	return 0;
}

EMBER_API int ember_trace_pipe_open(struct ember_trace_pipe **out)
{
	char path[PATH_MAX];
	int fd, err;

	if (!out)
		return ember__error(EINVAL,
				    "ember_trace_pipe_open: out is NULL");
	*out = NULL;
	err = ember__tracefs_path(path, sizeof(path), "trace_pipe");
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		return ember__error(
			err, "cannot open %s: %s%s", path, strerror(err),
			err == EACCES || err == EPERM
				? " (reading trace_pipe needs root)"
			: err == EBUSY
				? " (the kernel lets one reader at a time "
				  "open trace_pipe; another process, e.g. "
				  "another ember or BCC tool, is reading it)"
				: "");
	}
	err = ember__trace_pipe_from_fd(fd, out);
	if (err)
		close(fd);
	return err;
}

static void ember__trace_deadline(struct timespec *deadline, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += timeout_ms / 1000;
	deadline->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

/* Milliseconds left (rounded up), 0 when past; -1 stays "forever". */
static int ember__trace_remaining(const struct timespec *deadline,
				  int timeout_ms)
{
	struct timespec now;
	long long ms;

	if (timeout_ms <= 0)
		return timeout_ms < 0 ? -1 : 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec + 999999L) / 1000000L;
	if (ms <= 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Hand out buf[start..end) as a NUL-terminated line; skip 'skip' more. */
static int ember__trace_emit(struct ember_trace_pipe *tp, size_t end,
			     size_t skip, const char **line)
{
	tp->buf[end] = '\0';
	*line = tp->buf + tp->start;
	tp->start = end + skip;
	return 1;
}

/* Make room to read; 1 when the buffer is full at its limit. */
static int ember__trace_make_room(struct ember_trace_pipe *tp)
{
	size_t want;
	char *grown;

	if (tp->start) {
		memmove(tp->buf, tp->buf + tp->start, tp->len - tp->start);
		tp->len -= tp->start;
		tp->start = 0;
	}
	/* One byte always stays free for the terminating NUL. */
	if (tp->cap && tp->cap - tp->len - 1 >= EMBER_TRACE_READ_MIN / 2)
		return 0;
	if (tp->cap >= EMBER_TRACE_LINE_MAX)
		return tp->len + 1 >= tp->cap;
	want = tp->cap ? tp->cap * 2 : 2 * EMBER_TRACE_READ_MIN;
	if (want > EMBER_TRACE_LINE_MAX)
		want = EMBER_TRACE_LINE_MAX;
	grown = realloc(tp->buf, want);
	if (!grown)
		return ember__error(ENOMEM, "out of memory");
	tp->buf = grown;
	tp->cap = want;
	return 0;
}

EMBER_API int ember_trace_pipe_read_line(struct ember_trace_pipe *tp,
					 int timeout_ms, const char **line)
{
	struct timespec deadline = { 0 };
	int err;

	if (!tp || !line)
		return ember__error(
			EINVAL, "ember_trace_pipe_read_line: NULL argument");
	if (timeout_ms > 0)
		ember__trace_deadline(&deadline, timeout_ms);

	for (;;) {
		struct pollfd pfd = { .fd = tp->fd, .events = POLLIN };
		char *nl = NULL;
		ssize_t r;
		int wait;

		if (tp->len > tp->start)
			nl = memchr(tp->buf + tp->start, '\n',
				    tp->len - tp->start);
		if (nl)
			return ember__trace_emit(tp, nl - tp->buf, 1, line);

		err = ember__trace_make_room(tp);
		if (err < 0)
			return err;
		if (err > 0) /* a line longer than we keep: hand it out cut */
			return ember__trace_emit(tp, tp->len, 0, line);

		r = read(tp->fd, tp->buf + tp->len, tp->cap - tp->len - 1);
		if (r > 0) {
			tp->len += r;
			continue;
		}
		if (r == 0)
			return ember__error(EPIPE, "trace_pipe: end of file");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return ember__error(errno, "reading trace_pipe: %s",
					    strerror(errno));

		wait = ember__trace_remaining(&deadline, timeout_ms);
		if (wait == 0)
			return 0;
		r = poll(&pfd, 1, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ember__error(errno, "polling trace_pipe: %s",
					    strerror(errno));
		if (r == 0)
			return 0;
		if (pfd.revents & POLLNVAL)
			return ember__error(EBADF, "trace_pipe fd is not open");
		/* POLLIN, POLLERR or POLLHUP: read() tells which. */
	}
}

EMBER_API int ember_trace_pipe_read_fields(struct ember_trace_pipe *tp,
					   int timeout_ms,
					   struct ember_trace_fields *fields)
{
	struct timespec deadline = { 0 };
	const char *line;
	int ret;

	if (!tp || !fields)
		return ember__error(
			EINVAL, "ember_trace_pipe_read_fields: NULL argument");
	if (timeout_ms > 0)
		ember__trace_deadline(&deadline, timeout_ms);
	for (;;) {
		ret = ember_trace_pipe_read_line(
			tp, ember__trace_remaining(&deadline, timeout_ms),
			&line);
		if (ret <= 0)
			return ret;
		/* The line is ours until the next read: parse it in place. */
		if (ember_trace_parse((char *)line, fields) == 0)
			return 1;
		/* "CPU:N [LOST n EVENTS]" and other notices: not events. */
	}
}

EMBER_API int ember_trace_pipe_fd(const struct ember_trace_pipe *tp)
{
	if (!tp)
		return ember__error(EINVAL, "ember_trace_pipe_fd: NULL handle");
	return tp->fd;
}

EMBER_API void ember_trace_pipe_free(struct ember_trace_pipe *tp)
{
	if (!tp)
		return;
	if (tp->fd >= 0)
		close(tp->fd);
	free(tp->buf);
	free(tp);
}

/* ------------------------------------------------------------------ */
/* Line parsing                                                        */

static bool ember__trace_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "123.456789:" (or "123456:" with the counter clocks), colon included. */
static bool ember__trace_is_ts(const char *s, const char *end)
{
	const char *p = s;

	if (end - s < 2 || end[-1] != ':')
		return false;
	while (p < end - 1 && ember__trace_digit(*p))
		p++;
	if (p == s)
		return false;
	if (*p == '.') {
		const char *frac = ++p;

		while (p < end - 1 && ember__trace_digit(*p))
			p++;
		if (p == frac)
			return false;
	}
	return p == end - 1;
}

/*
 * Try the "[cpu]" column at br: it must be followed by optional flags and a
 * timestamp, and preceded by "-pid" and an optional "(tgid)" column. Only
 * when all of that holds is the line cut up, so a '[' inside a task name
 * costs nothing but a retry at the next '['.
 */
static bool ember__trace_try(char *start, char *br,
			     struct ember_trace_fields *f)
{
	char *q = br + 1, *b, *tok, *tok_end, *flags = NULL, *flags_end = NULL;
	char *ts, *ts_end, *pid_start, *pid_end, *msg, *colon;
	long cpu, pid;

	if (!ember__trace_digit(*q))
		return false;
	cpu = strtol(q, &q, 10);
	if (*q != ']' || cpu > INT_MAX || (q[1] != ' ' && q[1] != '\t'))
		return false;
	q++;
	while (*q == ' ' || *q == '\t')
		q++;
	tok = q;
	while (*q && *q != ' ' && *q != '\t')
		q++;
	tok_end = q;
	if (ember__trace_is_ts(tok, tok_end)) {
		ts = tok;
		ts_end = tok_end;
	} else {
		/* Kernels since 2.6.3x print an irq/preempt flags column. */
		flags = tok;
		flags_end = tok_end;
		while (*q == ' ' || *q == '\t')
			q++;
		ts = q;
		while (*q && *q != ' ' && *q != '\t')
			q++;
		ts_end = q;
		if (flags == flags_end || !ember__trace_is_ts(ts, ts_end))
			return false;
	}

	b = br;
	while (b > start && (b[-1] == ' ' || b[-1] == '\t'))
		b--;
	if (b == br)
		return false;
	if (b > start && b[-1] == ')') {
		/* options/record-tgid: "(   4623)" or "(-------)". */
		char *open = b - 1;

		while (open > start && *open != '(')
			open--;
		if (*open != '(')
			return false;
		for (char *c = open + 1; c < b - 1; c++)
			if (*c != ' ' && *c != '-' && !ember__trace_digit(*c))
				return false;
		b = open;
		while (b > start && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
	}
	pid_end = b;
	while (b > start && ember__trace_digit(b[-1]))
		b--;
	pid_start = b;
	if (pid_start == pid_end || b == start || b[-1] != '-')
		return false;
	pid = strtol(pid_start, NULL, 10);
	if (pid > INT_MAX)
		return false;

	/* Committed: cut the line up. */
	f->task = start;
	b[-1] = '\0';
	f->pid = (int)pid;
	f->cpu = (int)cpu;
	f->ts = strtod(ts, NULL);
	if (flags) {
		*flags_end = '\0';
		f->flags = flags;
	} else {
		f->flags = "";
	}
	/* As trace_fields(): the text after "<event or symbol>: ". */
	msg = ts_end;
	if (*msg == ' ')
		msg++;
	colon = strchr(msg, ':');
	if (colon) {
		msg = colon + 1;
		if (*msg == ' ')
			msg++;
	}
	f->msg = msg;
	return true;
}

EMBER_API int ember_trace_parse(char *line, struct ember_trace_fields *fields)
{
	char *start, *br;
	size_t n;

	if (!line || !fields)
		return ember__error(EINVAL, "ember_trace_parse: NULL argument");
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	start = line;
	while (*start == ' ' || *start == '\t')
		start++;
	if (*start != '#') {
		for (br = strchr(start, '['); br; br = strchr(br + 1, '['))
			if (ember__trace_try(start, br, fields))
				return 0;
	}
	return ember__error(EINVAL, "not a trace event line: \"%.120s\"", line);
}
