// SPDX-License-Identifier: MIT
/*
 * The compiler process (libruntime/compiler/compiler_client.h), through the
 * shared library as a host links it: a host maps LLVM never, and starts the
 * compiler only when it compiles; the compiler dies with its host; a crash
 * in a compile is an error for that compile only; threads compile at once.
 * A compiler of the host's own (EMBER_SHARED_COMPILER=0); the shared one,
 * the default, in test_shared_compiler.c.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <ember/ember.h>

#include "test_support.h"

static const char program[] = "BPF_HASH(counts, u32, u64);\n"
			      "TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n"
			      "{\n"
			      "\tu32 k = 0;\n"
			      "\tcounts.increment(k);\n"
			      "\treturn 0;\n"
			      "}\n";

/* libLLVM or libclang in pid's mappings ("self" for this process). */
static bool maps_llvm(const char *pid)
{
	char path[64], *maps;
	size_t len;
	bool found;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	maps = test_read_file(path, &len);
	assert_non_null(maps);
	found = strstr(maps, "libLLVM") || strstr(maps, "libclang");
	free(maps);
	return found;
}

static struct ember_module *compile(const char *text)
{
	EMBER_OPTS(ember_module_opts, o, .name = "prog.c");
	struct ember_module *m = NULL;
	int err = ember_module_compile(text, &o, &m);

	if (err)
		fail_msg("compile: %s", ember_errmsg());
	return m;
}

/* Run fn in a fresh process (no compiler started yet); it must exit 0. */
static void in_new_process(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(arg));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A compile starts the compiler, which maps LLVM; this process does not. */
static int first_compile(void *arg)
{
	struct ember_module *m = compile(arg);
	pid_t server = test_child_of(getpid());
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", server);
	ember_module_free(m);
	if (maps_llvm("self"))
		return 1;
	if (server <= 0)
		return 2;
	if (!maps_llvm(pid)) /* the check would see it */
		return 3;
	return 0;
}

/* A cached program: no compiler, no LLVM. */
static int cached_compile(void *arg)
{
	struct ember_module *m = compile(arg);

	ember_module_free(m);
	if (test_child_of(getpid()))
		return 1;
	return maps_llvm("self") ? 2 : 0;
}

static int open_object(void *arg)
{
	struct ember_module *m = NULL;

	/* NULL: the defaults */
	if (ember_module_open_object(arg, NULL, &m)) {
		fprintf(stderr, "open: %s\n", ember_errmsg());
		return 1;
	}
	ember_module_free(m);
	if (test_child_of(getpid()))
		return 2;
	return maps_llvm("self") ? 3 : 0;
}

static void no_llvm_in_the_host(void **state)
{
	char text[sizeof(program) + 64], obj[] = "/tmp/ember-obj-XXXXXX";
	struct ember_module *m;
	int fd = mkstemp(obj);

	(void)state;
	/* new text (a comment of this run): not in the cache yet */
	snprintf(text, sizeof(text), "/* %d */\n%s", getpid(), program);
	in_new_process(first_compile, text);
	in_new_process(cached_compile, text);
	m = compile(text);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ember_module_write_object(m, obj), 0);
	ember_module_free(m);
	in_new_process(open_object, obj);
	unlink(obj);
}

/* A program whose parse waits for ever: an include of a FIFO that the
 * check before the parse cannot see (its name is built by macros). */
static char fifo_dir[] = "/tmp/ember-fifo-XXXXXX";
static char fifo_text[256];

static void make_fifo_text(void)
{
	char fifo[64];

	if (fifo_text[0])
		return;
	assert_non_null(mkdtemp(fifo_dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", fifo_dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(fifo_text, sizeof(fifo_text),
		 "#define STR(x) #x\n#define XSTR(x) STR(x)\n"
		 "#define F %s\n#include XSTR(F)\nint x;\n",
		 fifo);
}

/* The copy compiling for host (the server's child), once it exists. */
static pid_t wait_copy(pid_t host, pid_t *server)
{
	pid_t copy = 0;

	for (int i = 0; i < 1000 && !copy; i++) {
		usleep(10000);
		*server = test_child_of(host);
		copy = *server > 0 ? test_child_of(*server) : 0;
	}
	return copy;
}

static void compiler_dies_with_its_host(void **state)
{
	pid_t host, server = 0, copy;
	int status;

	(void)state;
	make_fifo_text();
	host = fork();
	assert_true(host >= 0);
	if (host == 0) {
		struct ember_module *m = NULL;
		EMBER_OPTS(ember_module_opts, o, .name = "fifo.c");

		ember_module_compile(fifo_text, &o, &m);
		_exit(0);
	}
	copy = wait_copy(host, &server);
	assert_true(copy > 0);
	kill(host, SIGKILL);
	assert_int_equal(waitpid(host, &status, 0), host);
	for (int i = 0;
	     i < 200 && !(test_process_gone(copy) && test_process_gone(server));
	     i++)
		usleep(10000);
	if (!test_process_gone(copy) || !test_process_gone(server)) {
		kill(copy, SIGKILL);
		kill(server, SIGKILL);
		fail_msg("the compiler (%d, copy %d) outlived its killed host",
			 server, copy);
	}
}

struct attempt {
	const char *text;
	int err;
	char msg[512];
};

static void *compile_thread(void *arg)
{
	struct attempt *a = arg;
	struct ember_module *m = NULL;
	EMBER_OPTS(ember_module_opts, o, .name = "prog.c");

	a->err = ember_module_compile(a->text, &o, &m);
	snprintf(a->msg, sizeof(a->msg), "%s", a->err ? ember_errmsg() : "");
	ember_module_free(m);
	return NULL;
}

static void crash_fails_that_compile_only(void **state)
{
	struct attempt a = { 0 };
	pthread_t t;
	pid_t server = 0, copy;

	(void)state;
	make_fifo_text();
	a.text = fifo_text;
	assert_int_equal(pthread_create(&t, NULL, compile_thread, &a), 0);
	copy = wait_copy(getpid(), &server);
	assert_true(copy > 0);
	/* SIGILL: a sanitizer build handles SIGSEGV itself (and exits). The
	 * copy parses on its main thread without libclang's crash recovery
	 * (compiler_server.c): the copy dies. */
	syscall(SYS_tgkill, copy, copy, SIGILL);
	pthread_join(t, NULL);
	assert_int_not_equal(a.err, 0);
	if (!strstr(a.msg,
		    "prog.c: the compiler crashed (Illegal instruction)"))
		fail_msg("unexpected message: %s", a.msg);
	/* the same server compiles the next one */
	assert_int_equal(test_child_of(getpid()), server);
	ember_module_free(compile(program));
	assert_int_equal(test_child_of(getpid()), server);
}

static void threads_compile_at_once(void **state)
{
	struct attempt a[4];
	char text[4][sizeof(program) + 64];
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		snprintf(text[i], sizeof(text[i]), "/* %d %d */\n%s", getpid(),
			 i, program);
		a[i] = (struct attempt){ .text = text[i] };
		assert_int_equal(
			pthread_create(&t[i], NULL, compile_thread, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		if (a[i].err)
			fail_msg("thread %d: %s", i, a[i].msg);
	}
}

/* An idle compiler leaves; the next compile starts another. */
static int idle_compiler(void *arg)
{
	char text[sizeof(program) + 64];
	pid_t first, second;

	(void)arg;
	setenv("EMBER_COMPILER_IDLE_SECONDS", "0.3", 1);
	snprintf(text, sizeof(text), "/* idle %d a */\n%s", getpid(), program);
	ember_module_free(compile(text));
	first = test_child_of(getpid());
	if (first <= 0)
		return 1;
	for (int i = 0; i < 300 && !test_process_gone(first); i++)
		usleep(10000);
	if (!test_process_gone(first))
		return 2;
	snprintf(text, sizeof(text), "/* idle %d b */\n%s", getpid(), program);
	ember_module_free(compile(text));
	second = test_child_of(getpid());
	return second > 0 && second != first ? 0 : 3;
}

static void compiler_leaves_when_idle(void **state)
{
	(void)state;
	in_new_process(idle_compiler, NULL);
}

static int teardown(void **state)
{
	(void)state;
	if (fifo_text[0]) {
		char fifo[64];

		snprintf(fifo, sizeof(fifo), "%s/fifo", fifo_dir);
		unlink(fifo);
		rmdir(fifo_dir);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_llvm_in_the_host),
		cmocka_unit_test(compiler_dies_with_its_host),
		cmocka_unit_test(crash_fails_that_compile_only),
		cmocka_unit_test(threads_compile_at_once),
		cmocka_unit_test(compiler_leaves_when_idle),
	};

	setenv("EMBER_SHARED_COMPILER", "0", 1);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
