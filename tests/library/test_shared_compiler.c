// SPDX-License-Identifier: MIT
/*
 * The shared compiler (the default, compiler_client.h), through the shared
 * library as hosts link it: separate host processes compile with one
 * compiler, which a second host does not start again; hosts racing start
 * one; what listens in the cache directory is used only if it is an
 * ember-compiler of this build, of this user and world, else the host uses
 * a compiler of its own (or fails clearly); each compile has its own
 * host's umask, limits, priority and directory; the shared one leaves when
 * idle; a host killed mid-compile takes its compile with it, a crash is its
 * clear error; a warm copy (forked and warmed up while the compiler is
 * idle) compiles as a copy forked for the request does. What a host sees
 * of it: no child, no SIGCHLD, none of its
 * descriptors or its directory held (output captured through a pipe ends
 * with the host); with EMBER_SHARED_COMPILER=0 or the private_compiler
 * option each host keeps its own.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <ember/ember.h>

#include "test_support.h"

/* What a host process tells by its exit status. */
enum host_exit {
	HOST_SHARED = 0, /* compiled; started no compiler of its own */
	HOST_PRIVATE = 10, /* compiled with a compiler of its own */
	HOST_FAILED = 20, /* the compile failed (the message on stderr) */
	HOST_CRASHED = 30, /* the compile failed: its copy crashed */
};

static const char program[] = "BPF_HASH(counts, u32, u64);\n"
			      "TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
			      "{\n"
			      "\tu32 k = 0;\n"
			      "\tcounts.increment(k);\n"
			      "\treturn 0;\n"
			      "}\n";

static char cache_dir[] = "/tmp/ember-shared-test-XXXXXX";
static char fifo[128];
static unsigned int texts;

/* The shared compiler's socket in the cache directory, or "" if none. */
static void socket_path(char *buf, size_t size)
{
	DIR *d = opendir(cache_dir);
	struct dirent *e;
	size_t len;

	*buf = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		len = strlen(e->d_name);
		if (!strncmp(e->d_name, "ember-compiler-", 15) && len > 5 &&
		    !strcmp(e->d_name + len - 5, ".sock"))
			snprintf(buf, size, "%s/%s", cache_dir, e->d_name);
	}
	closedir(d);
}

/* Connect as a host would; the socket, or -1. */
static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The pid listening on the shared compiler's socket, or 0. */
static pid_t server_pid(void)
{
	char path[512];
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred);
	int fd;

	socket_path(path, sizeof(path));
	if (!*path || (fd = connect_to(path)) < 0)
		return 0;
	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	close(fd);
	return cred.pid;
}

/* Process pid runs as a shared compiler (of any cache directory). */
static bool shared_cmdline(long pid)
{
	char path[64], *cmd;
	size_t len;
	bool shared;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	cmd = test_read_file(path, &len);
	shared = cmd && len > 0 && memmem(cmd, len, "--shared", 9);
	free(cmd);
	return shared;
}

/* The parent of process pid, or 0. */
static long parent_of(long pid)
{
	char path[64], *stat, *end;
	size_t len;
	long ppid = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	stat = test_read_file(path, &len);
	/* after the command's name in parentheses: state, then ppid */
	end = stat ? memrchr(stat, ')', len) : NULL;
	if (end && sscanf(end + 1, " %*c %ld", &ppid) != 1)
		ppid = 0;
	free(stat);
	return ppid;
}

/* Processes serving as the shared compiler of this cache directory; not
 * its copies (a copy just forked, warm or for a request, still has the
 * directory open for a moment). */
static int servers_running(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], dir[sizeof(cache_dir) + 1];
		ssize_t len;
		long pid;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		pid = atol(e->d_name);
		snprintf(path, sizeof(path), "/proc/%ld/fd/4", pid);
		len = readlink(path, dir, sizeof(dir) - 1);
		if (len < 0)
			continue;
		dir[len] = 0;
		if (!strcmp(dir, cache_dir) && shared_cmdline(pid) &&
		    !shared_cmdline(parent_of(pid)))
			n++;
	}
	closedir(d);
	return n;
}

static void wait_gone(pid_t pid)
{
	for (int i = 0; i < 500 && !test_process_gone(pid); i++)
		usleep(10000);
	assert_true(test_process_gone(pid));
}

/* No shared compiler, nothing in its place. */
static void stop_server(void)
{
	char path[512];
	pid_t pid = server_pid();

	if (pid > 0) {
		kill(pid, SIGKILL);
		wait_gone(pid);
	}
	socket_path(path, sizeof(path));
	if (*path)
		unlink(path);
}

/* Compile new text (or text) here: shared as by default, else with
 * EMBER_SHARED_COMPILER=0 (or, with host_private_option, the option). */
/* A host's own flags (in the forked host) */
static const char *const *host_cflags;
static size_t host_cflags_cnt;
static bool host_private_option;
static int host_nice; /* its priority, if not 0 */

static int host_compile(bool shared, const char *text)
{
	EMBER_OPTS(ember_module_opts, o, .name = "prog.c",
		   .cflags = host_cflags, .cflags_cnt = host_cflags_cnt,
		   .private_compiler = host_private_option);
	struct ember_module *m = NULL;
	char buf[sizeof(program) + 64];

	if (host_nice && setpriority(PRIO_PROCESS, 0, host_nice))
		return HOST_FAILED;
	if (shared || host_private_option)
		unsetenv("EMBER_SHARED_COMPILER");
	else
		setenv("EMBER_SHARED_COMPILER", "0", 1);
	if (!text) {
		snprintf(buf, sizeof(buf), "/* %d %u */\n%s", getpid(), texts,
			 program);
		text = buf;
	}
	if (ember_module_compile(text, &o, &m)) {
		if (strstr(ember_errmsg(), "prog.c: the compiler crashed "
					   "(Illegal instruction)"))
			return HOST_CRASHED;
		fprintf(stderr, "compile: %s\n", ember_errmsg());
		return HOST_FAILED;
	}
	ember_module_free(m);
	return test_child_of(getpid()) ? HOST_PRIVATE : HOST_SHARED;
}

static pid_t host_start(bool shared, const char *text)
{
	pid_t pid;

	texts++;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(host_compile(shared, text));
	return pid;
}

static int host_wait(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int host(bool shared)
{
	return host_wait(host_start(shared, NULL));
}

static void second_host_starts_no_compiler(void **state)
{
	pid_t first;

	(void)state;
	stop_server();
	assert_int_equal(host(true), HOST_SHARED);
	first = server_pid();
	assert_true(first > 0);
	/* a separate process: the one that started it is gone */
	assert_int_equal(host(true), HOST_SHARED);
	assert_int_equal(server_pid(), first);
	assert_int_equal(servers_running(), 1);
}

static void racing_hosts_start_one(void **state)
{
	pid_t a, b;

	(void)state;
	stop_server();
	a = host_start(true, NULL);
	b = host_start(true, NULL);
	assert_int_equal(host_wait(a), HOST_SHARED);
	assert_int_equal(host_wait(b), HOST_SHARED);
	assert_int_equal(servers_running(), 1);
}

/* A socket nobody listens on (its server was killed) is replaced. */
static void stale_socket_is_replaced(void **state)
{
	char path[512];
	pid_t old;

	(void)state;
	assert_int_equal(host(true), HOST_SHARED);
	old = server_pid();
	socket_path(path, sizeof(path));
	kill(old, SIGKILL);
	wait_gone(old);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(host(true), HOST_SHARED);
	assert_true(server_pid() > 0);
	assert_int_not_equal(server_pid(), old);
}

/* Something else listening in the compiler's place, answering greeting
 * (or the right greeting, then garbage): never a compile's result. */
static pid_t plant_listener(const char *greeting)
{
	char path[512];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int ready[2], fd;
	pid_t pid;

	stop_server();
	assert_int_equal(host(true), HOST_SHARED); /* for its name */
	stop_server();
	socket_path(path, sizeof(path));
	assert_int_equal(*path, 0);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		DIR *d = opendir(cache_dir);
		struct dirent *e;

		while (d && (e = readdir(d)))
			if (strstr(e->d_name, ".lock") &&
			    !strncmp(e->d_name, "ember-compiler-", 15))
				snprintf(a.sun_path, sizeof(a.sun_path),
					 "%s/%.*s.sock", cache_dir,
					 (int)(strlen(e->d_name) - 5),
					 e->d_name);
		fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		if (!a.sun_path[0] ||
		    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8))
			_exit(1);
		write(ready[1], "k", 1);
		for (;;) {
			char buf[512];
			int c = accept(fd, NULL, NULL);
			struct msghdr mh = { 0 };
			union {
				char b[CMSG_SPACE(8 * sizeof(int))];
				struct cmsghdr align;
			} u;
			struct iovec iov = { buf, sizeof(buf) };
			struct cmsghdr *cm;

			send(c, greeting, strlen(greeting), MSG_NOSIGNAL);
			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			mh.msg_control = u.b;
			mh.msg_controllen = sizeof(u.b);
			/* garbage on each request's own socket */
			while (recvmsg(c, &mh, 0) > 0) {
				cm = CMSG_FIRSTHDR(&mh);
				if (cm && cm->cmsg_type == SCM_RIGHTS) {
					int req;

					memcpy(&req, CMSG_DATA(cm),
					       sizeof(req));
					memset(buf, 'R', sizeof(buf));
					send(req, buf, sizeof(buf),
					     MSG_NOSIGNAL);
					close(req);
				}
				mh.msg_controllen = sizeof(u.b);
			}
			close(c);
		}
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], path, 1), 1);
	close(ready[0]);
	return pid;
}

static void planted_listener_is_not_used(void **state)
{
	pid_t planted;
	char hello[128];

	(void)state;
	planted = plant_listener("garbage");
	assert_int_equal(host(true), HOST_PRIVATE);
	kill(planted, SIGKILL);
	waitpid(planted, NULL, 0);

	/* one that greets as a compiler of this build, then answers garbage:
	 * a clear error, no object */
	snprintf(hello, sizeof(hello),
		 "ember-compiler-shared ember-compiler-2 "
		 "%s",
		 ember_version());
	planted = plant_listener(hello);
	assert_int_equal(host(true), HOST_FAILED);
	kill(planted, SIGKILL);
	waitpid(planted, NULL, 0);
	stop_server();
}

/* In another network namespace: the host uses its own; the server refuses
 * such a host itself as well. */
static int in_other_net(void *arg)
{
	char path[512], hello[256] = "";
	int fd;
	ssize_t n;

	(void)arg;
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare: %s\n", strerror(errno));
		return 1;
	}
	if (host_compile(true, NULL) != HOST_PRIVATE)
		return 2;
	socket_path(path, sizeof(path));
	fd = connect_to(path);
	n = fd >= 0 ? recv(fd, hello, sizeof(hello) - 1, 0) : -1;
	hello[n > 0 ? n : 0] = 0;
	if (!strstr(hello, "refused: ") || !strstr(hello, "net differs")) {
		fprintf(stderr, "greeting: %s\n", hello);
		return 3;
	}
	return 0;
}

static void other_namespace_uses_its_own(void **state)
{
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		test_skip("a network namespace of its own needs root");
	assert_int_equal(host(true), HOST_SHARED);
	texts++;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(in_other_net(NULL));
	assert_int_equal(host_wait(pid), 0);
}

/* The precompiled prelude in the cache directory: its mode, or -1. */
static int pch_mode(bool remove)
{
	DIR *d = opendir(cache_dir);
	struct dirent *e;
	int mode = -1;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[512];
		struct stat st;

		if (strncmp(e->d_name, "prelude-", 8))
			continue;
		snprintf(path, sizeof(path), "%s/%s", cache_dir, e->d_name);
		if (strstr(e->d_name, ".pch") && !stat(path, &st))
			mode = (int)(st.st_mode & 0777);
		if (remove)
			unlink(path);
	}
	closedir(d);
	return mode;
}

enum host_kind { UMASK_077, SMALL_FILES, UMASK_022, OTHER_DIR };

static int host_of_kind(enum host_kind kind)
{
	static const char *const here[] = { "-I." };
	struct rlimit small = { 1 << 20, 1 << 20 };
	char dir[] = "/tmp/ember-shared-cwd-XXXXXX";
	const char *text = NULL;
	FILE *f;
	int res;

	switch (kind) {
	case UMASK_077:
		umask(077);
		break;
	case SMALL_FILES:
		if (setrlimit(RLIMIT_FSIZE, &small))
			return 1;
		break;
	case UMASK_022:
		umask(022);
		break;
	case OTHER_DIR:
		/* -I. and #include "..." from this host's directory */
		if (!mkdtemp(dir) || chdir(dir) ||
		    !(f = fopen("ember_shared_test.h", "w")))
			return 1;
		fputs("#define SHARED_TEST_VALUE 1\n", f);
		fclose(f);
		host_cflags = here;
		host_cflags_cnt = 1;
		text = "#include \"ember_shared_test.h\"\n"
		       "int shared_test = SHARED_TEST_VALUE;\n";
		break;
	}
	res = host_compile(true, text);
	if (kind == OTHER_DIR) {
		unlink("ember_shared_test.h");
		rmdir(dir);
	}
	return res;
}

static int host_kind(enum host_kind kind)
{
	pid_t pid;

	texts++;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(host_of_kind(kind));
	return host_wait(pid);
}

/* Each compile works with its own host's umask, limits and directory, not
 * those of the host that started the compiler (umask 077 here). The PCH
 * build writes a file: it shows both. */
static void each_compile_is_its_hosts(void **state)
{
	(void)state;
	stop_server();
	assert_int_equal(host_kind(UMASK_077), HOST_SHARED);
	pch_mode(true);
	/* 1 MB files at most: no PCH (the compile goes on without) */
	assert_int_equal(host_kind(SMALL_FILES), HOST_SHARED);
	assert_int_equal(pch_mode(false), -1);
	assert_int_equal(host_kind(UMASK_022), HOST_SHARED);
	assert_int_equal(pch_mode(false), 0644);
	assert_int_equal(host_kind(OTHER_DIR), HOST_SHARED);
}

/* A host that stays: it compiles, its compiler leaves, it compiles again
 * (with a compiler it starts anew). */
static int staying_host(void *arg)
{
	pid_t first;
	int res = host_compile(true, NULL);

	(void)arg;
	first = server_pid();
	if (res != HOST_SHARED || first <= 0)
		return 1;
	for (int i = 0; i < 500 && !test_process_gone(first); i++)
		usleep(10000);
	if (!test_process_gone(first))
		return 2;
	texts++;
	res = host_compile(true, NULL);
	return res == HOST_SHARED && server_pid() > 0 && server_pid() != first
		       ? 0
		       : 3;
}

static void idle_server_leaves(void **state)
{
	char path[512];
	pid_t pid;

	(void)state;
	stop_server();
	/* the server takes it from the host that starts it */
	setenv("EMBER_COMPILER_IDLE_SECONDS", "0.3", 1);
	assert_int_equal(host(true), HOST_SHARED);
	pid = server_pid();
	assert_true(pid > 0);
	wait_gone(pid);
	socket_path(path, sizeof(path));
	assert_string_equal(path, "");

	texts++;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(staying_host(NULL));
	assert_int_equal(host_wait(pid), 0);
	unsetenv("EMBER_COMPILER_IDLE_SECONDS");
	stop_server();
}

/* A host compiling a text whose parse waits for ever (an include of a
 * FIFO, its name built by macros); the shared compiler's copy working on
 * it. */
static pid_t host_waiting(pid_t server, pid_t *copy)
{
	char text[256];
	pid_t pid;

	snprintf(text, sizeof(text),
		 "#define STR(x) #x\n#define XSTR(x) STR(x)\n"
		 "#define F %s\n#include XSTR(F)\nint x;\n",
		 fifo);
	pid = host_start(true, text);
	*copy = 0;
	for (int i = 0; i < 1000 && !*copy; i++) {
		usleep(10000);
		*copy = test_child_of(server);
	}
	assert_true(*copy > 0);
	return pid;
}

/* A host killed mid-compile: its copy is stopped, the server stays; a
 * copy's crash is that host's clear error. */
static void killed_host_takes_its_compile(void **state)
{
	pid_t server, copy, host_pid;

	(void)state;
	assert_int_equal(host(true), HOST_SHARED);
	server = server_pid();
	host_pid = host_waiting(server, &copy);
	kill(host_pid, SIGKILL);
	waitpid(host_pid, NULL, 0);
	wait_gone(copy);
	assert_false(test_process_gone(server));
	/* reaped: the next copy is the server's only child */
	for (int i = 0; i < 500 && !kill(copy, 0); i++)
		usleep(10000);

	host_pid = host_waiting(server, &copy);
	/* SIGILL: a sanitizer build handles SIGSEGV itself (and exits). The
	 * copy parses on its main thread without libclang's crash recovery
	 * (compiler_server.c): the copy dies. */
	syscall(SYS_tgkill, copy, copy, SIGILL);
	assert_int_equal(host_wait(host_pid), HOST_CRASHED);
	assert_int_equal(server_pid(), server);
}

/* The shared compiler's warm copy once it is ready for a request, or 0. */
static pid_t warm_copy(pid_t server)
{
	for (int i = 0; i < 3000; i++) {
		char path[64], line[4096], *p, *end;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children",
			 server, server);
		f = fopen(path, "r");
		if (!f)
			return 0;
		p = fgets(line, sizeof(line), f);
		fclose(f);
		for (; p && *p; p = end) {
			long pid = strtol(p, &end, 10);
			char comm[32] = "";

			if (end == p)
				break;
			snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
			f = fopen(path, "r");
			if (f && fgets(comm, sizeof(comm), f) &&
			    !strcmp(comm, "ember-warm\n")) {
				fclose(f);
				return (pid_t)pid;
			}
			if (f)
				fclose(f);
		}
		usleep(10000);
	}
	return 0;
}

static void remove_objects(void)
{
	DIR *d = opendir(cache_dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", cache_dir, e->d_name);
		if (!strncmp(e->d_name, "obj-", 4))
			unlink(path);
	}
	closedir(d);
}

static void log_to_file(enum ember_log_level level, const char *msg, void *ctx)
{
	if (level == EMBER_LOG_WARN)
		fprintf(ctx, "%s\n", msg);
}

/* In a host of its own: what it sees of compiling text (the object and
 * rewritten text, or the error; the warnings) to fd. */
static int host_result_to(int fd, bool shared, const char *text)
{
	FILE *f = fdopen(fd, "w");
	EMBER_OPTS(ember_module_opts, o, .name = "prog.c",
		   .debug_flags = EMBER_DEBUG_SOURCE, .log = log_to_file,
		   .log_ctx = f);
	struct ember_module *m = NULL;
	char obj[] = "/tmp/ember-warm-test-XXXXXX";
	char *bytes;
	size_t n;
	int tmp;

	if (!f)
		return 1;
	if (shared)
		unsetenv("EMBER_SHARED_COMPILER");
	else
		setenv("EMBER_SHARED_COMPILER", "0", 1);
	if (ember_module_compile(text, &o, &m)) {
		fprintf(f, "error: %s\n", ember_errmsg());
		return fclose(f) ? 1 : 0;
	}
	tmp = mkstemp(obj);
	if (tmp < 0 || ember_module_write_object(m, obj))
		return 1;
	close(tmp);
	bytes = test_read_file(obj, &n);
	unlink(obj);
	if (!bytes)
		return 1;
	fprintf(f, "source:\n%s\nobject (%zu bytes):\n",
		ember_module_rewritten_source(m), n);
	fwrite(bytes, 1, n, f);
	free(bytes);
	ember_module_free(m);
	return fclose(f) ? 1 : 0;
}

static char *host_result(bool shared, const char *text)
{
	char *out = NULL;
	size_t len = 0;
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		_exit(host_result_to(p[1], shared, text));
	}
	close(p[1]);
	for (;;) {
		char buf[65536], *more;
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		more = realloc(out, len + (size_t)n + 1);
		assert_non_null(more);
		out = more;
		memcpy(out + len, buf, (size_t)n);
		len += (size_t)n;
		out[len] = 0;
	}
	close(p[0]);
	assert_int_equal(host_wait(pid), 0);
	assert_non_null(out);
	return out;
}

/* A warm copy compiled a program of its own before the request came: the
 * host sees what a fresh compiler gives for the same text (object,
 * rewritten text, warnings, errors), kernel struct reads (CO-RE
 * relocations, of which LLVM keeps state across compiles in a process)
 * included. */
static void warm_copy_compiles_as_a_fresh_one(void **state)
{
	static const char *const compared[] = {
		"BPF_HASH(seen, u32, u64);\n"
		"int kprobe__do_nanosleep(struct pt_regs *ctx)\n"
		"{\n"
		"\tstruct task_struct *t = (void *)bpf_get_current_task();\n"
		"\tu32 ppid = t->real_parent->tgid;\n"
		"\n"
		"\tseen.increment(ppid);\n"
		"\tbpf_trace_printk(\"%d %s\\n\", ppid, t->comm);\n"
		"\treturn 0;\n"
		"}\n",
		"int kprobe__do_nanosleep(struct pt_regs *ctx)\n"
		"{\n"
		"\tstruct task_struct *t = (void *)bpf_get_current_task();\n"
		"\tint x = \"abc\";\n"
		"\n"
		"\treturn x + t->pid;\n"
		"}\n",
		"int kprobe__do_nanosleep(struct pt_regs *ctx)\n"
		"{\n"
		"\treturn undeclared + 1;\n"
		"}\n",
	};
	pid_t server, warm;

	(void)state;
	stop_server();
	assert_int_equal(host(true), HOST_SHARED);
	server = server_pid();
	for (size_t i = 0; i < sizeof(compared) / sizeof(compared[0]); i++) {
		char *fresh, *warmed;

		remove_objects();
		fresh = host_result(false, compared[i]);
		warm = warm_copy(server);
		assert_true(warm > 0);
		remove_objects();
		warmed = host_result(true, compared[i]);
		/* it took the request */
		wait_gone(warm);
		assert_string_equal(warmed, fresh);
		assert_non_null(strstr(fresh, i == 2 ? "error: " : "object ("));
		free(fresh);
		free(warmed);
	}
	assert_int_equal(server_pid(), server);
}

/* A child of the server at this priority, or 0. */
static pid_t child_at(pid_t server, int prio)
{
	char path[64], line[4096], *p, *end;
	pid_t found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", server,
		 server);
	f = fopen(path, "r");
	p = f ? fgets(line, sizeof(line), f) : NULL;
	if (f)
		fclose(f);
	for (; p && *p && !found; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		errno = 0;
		if (getpriority(PRIO_PROCESS, (id_t)pid) == prio && !errno)
			found = (pid_t)pid;
	}
	return found;
}

/* A niced host's compile is as nice; the compiler itself stays at 0. */
static void copy_takes_its_hosts_priority(void **state)
{
	pid_t server, copy = 0, host_pid, any;

	(void)state;
	if (geteuid() != 0)
		test_skip("the compiler's own priority back to 0 needs root");
	assert_int_equal(host(true), HOST_SHARED);
	server = server_pid();
	host_nice = 10;
	host_pid = host_waiting(server, &any);
	host_nice = 0;
	/* the copy working for it (not a warm one) takes it */
	for (int i = 0; i < 500 && !copy; i++) {
		usleep(10000);
		copy = child_at(server, 10);
	}
	assert_true(copy > 0);
	assert_int_equal(getpriority(PRIO_PROCESS, (id_t)server), 0);
	kill(host_pid, SIGKILL);
	waitpid(host_pid, NULL, 0);
	wait_gone(copy);
}

/* EMBER_SHARED_COMPILER=0, or the option: a compiler of the host's own,
 * and no shared one appears. */
static void private_compiler_when_asked(void **state)
{
	char path[512];

	(void)state;
	stop_server();
	assert_int_equal(host(false), HOST_PRIVATE);
	socket_path(path, sizeof(path));
	assert_string_equal(path, "");
	assert_int_equal(servers_running(), 0);

	host_private_option = true;
	assert_int_equal(host(true), HOST_PRIVATE);
	host_private_option = false;
	socket_path(path, sizeof(path));
	assert_string_equal(path, "");
	assert_int_equal(servers_running(), 0);
}

static volatile sig_atomic_t sigchld_seen;

static void on_sigchld(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	sigchld_seen = si->si_pid;
}

/* Whether the process pid has a descriptor on the object of st. */
static bool holds(pid_t pid, const struct stat *st)
{
	char path[64];
	struct dirent *e;
	struct stat fst;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' &&
		    !fstatat(dirfd(d), e->d_name, &fst, 0) &&
		    fst.st_dev == st->st_dev && fst.st_ino == st->st_ino)
			found = true;
	if (d)
		closedir(d);
	return found;
}

/* A field of /proc/PID/status as a number (base 16 for masks). */
static unsigned long long status_field(pid_t pid, const char *field, int base)
{
	char path[64], *s, *p;
	unsigned long long v = ~0ull;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	s = test_read_file(path, &len);
	p = s ? strstr(s, field) : NULL;
	if (p)
		v = strtoull(p + strlen(field), NULL, base);
	free(s);
	return v;
}

/*
 * A host that starts the shared compiler with a descriptor it may pass on
 * (no close-on-exec), in a directory of its own, ignoring SIGTERM, blocking
 * SIGUSR1, niced, first for the OOM killer, handling SIGCHLD: the compiler
 * is none of its children, it got no SIGCHLD, and the compiler holds
 * neither, runs in /, in a session of its own, with default signals,
 * priority and OOM score.
 */
static int observing_host(void *arg)
{
	char dir[] = "/tmp/ember-shared-cwd-XXXXXX", cwd[8] = "", path[64];
	struct stat pipe_st, dir_st;
	sigset_t usr1;
	char *oom;
	int p[2], res = 0, fd;
	pid_t server;

	(void)arg;
	if (pipe(p) || !mkdtemp(dir) || chdir(dir) || stat(".", &dir_st) ||
	    fstat(p[1], &pipe_st))
		return 1;
	sigaction(SIGCHLD,
		  &(struct sigaction){ .sa_sigaction = on_sigchld,
				       .sa_flags = SA_SIGINFO },
		  NULL);
	signal(SIGTERM, SIG_IGN);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	oom = "500";
	fd = open("/proc/self/oom_score_adj", O_WRONLY);
	if (fd < 0 || write(fd, oom, strlen(oom)) < 0)
		return 1;
	close(fd);
	if (setpriority(PRIO_PROCESS, 0, 5) ||
	    host_compile(true, NULL) != HOST_SHARED)
		res = 2;
	server = server_pid();
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)server);
	if (!res && server <= 0)
		res = 3;
	else if (!res && (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD))
		res = 4; /* a child to reap */
	else if (!res && sigchld_seen)
		res = 5;
	else if (!res && (holds(server, &pipe_st) || holds(server, &dir_st)))
		res = 6;
	else if (!res && (readlink(path, cwd, sizeof(cwd) - 1) != 1 ||
			  strcmp(cwd, "/")))
		res = 7;
	else if (!res &&
		 (getsid(server) == getsid(0) || getpgid(server) == getpgrp()))
		res = 8;
	else if (!res && (status_field(server, "SigBlk:", 16) != 0 ||
			  (status_field(server, "SigIgn:", 16) &
			   (1ull << (SIGTERM - 1)))))
		res = 9;
	else if (!res && getpriority(PRIO_PROCESS, (id_t)server) != 0)
		res = 10;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)server);
	oom = test_read_file(path, NULL);
	if (!res && (!oom || atoi(oom) != 0))
		res = 11;
	free(oom);
	if (res)
		fprintf(stderr, "observing host: %d (SIGCHLD from %d)\n", res,
			(int)sigchld_seen);
	rmdir(dir);
	return res;
}

static void host_sees_no_child_and_keeps_its_own(void **state)
{
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		test_skip("the compiler's own priority back to 0 needs root");
	stop_server();
	texts++;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(observing_host(NULL));
	assert_int_equal(host_wait(pid), 0);
	stop_server();
}

/* A host whose output goes to a pipe (out=$(ember check ...), Python's
 * capture_output) starts the shared compiler and exits: the pipe ends with
 * the host, not when the compiler leaves. */
static void captured_output_ends_with_the_host(void **state)
{
	char buf[256];
	int out[2];
	double start;
	ssize_t n;
	pid_t pid;

	(void)state;
	stop_server();
	/* the compiler stays for a minute: waiting for it would show */
	setenv("EMBER_COMPILER_IDLE_SECONDS", "60", 1);
	assert_int_equal(pipe(out), 0);
	texts++;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		close(out[0]);
		close(out[1]);
		_exit(host_compile(true, NULL));
	}
	close(out[1]);
	start = test_now();
	for (;;) {
		struct pollfd p = { out[0], POLLIN, 0 };

		if (poll(&p, 1, 30000) != 1)
			break;
		n = read(out[0], buf, sizeof(buf));
		if (n <= 0)
			break;
	}
	close(out[0]);
	assert_true(test_now() - start < 20);
	assert_int_equal(host_wait(pid), HOST_SHARED);
	assert_true(server_pid() > 0);
	unsetenv("EMBER_COMPILER_IDLE_SECONDS");
	stop_server();
}

/* A server whose cache directory is removed (by a tmp cleaner, or a test
 * that made its own) leaves when idle all the same: hundreds of them
 * stayed before, waiting for a lock file that could not come back. */
static void server_of_removed_cache_leaves(void **state)
{
	pid_t pid;

	(void)state;
	stop_server();
	setenv("EMBER_COMPILER_IDLE_SECONDS", "1", 1);
	assert_int_equal(host(true), HOST_SHARED);
	pid = server_pid();
	assert_true(pid > 0);
	test_remove_tree(cache_dir);
	assert_false(test_process_gone(pid));
	wait_gone(pid);
	unsetenv("EMBER_COMPILER_IDLE_SECONDS");
	/* for the teardown */
	assert_int_equal(mkdir(cache_dir, 0700), 0);
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(cache_dir));
	setenv("EMBER_CACHE_DIR", cache_dir, 1);
	snprintf(fifo, sizeof(fifo), "%s-fifo", cache_dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stop_server();
	unlink(fifo);
	test_remove_tree(cache_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(second_host_starts_no_compiler),
		cmocka_unit_test(racing_hosts_start_one),
		cmocka_unit_test(stale_socket_is_replaced),
		cmocka_unit_test(planted_listener_is_not_used),
		cmocka_unit_test(other_namespace_uses_its_own),
		cmocka_unit_test(killed_host_takes_its_compile),
		cmocka_unit_test(each_compile_is_its_hosts),
		cmocka_unit_test(idle_server_leaves),
		cmocka_unit_test(warm_copy_compiles_as_a_fresh_one),
		cmocka_unit_test(copy_takes_its_hosts_priority),
		cmocka_unit_test(private_compiler_when_asked),
		cmocka_unit_test(host_sees_no_child_and_keeps_its_own),
		cmocka_unit_test(captured_output_ends_with_the_host),
		cmocka_unit_test(server_of_removed_cache_leaves),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
