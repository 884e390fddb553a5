/* SPDX-License-Identifier: MIT */
/* Small helpers shared by ember's tests (cmocka does the asserting). */
#ifndef EMBER_TEST_SUPPORT_H
#define EMBER_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Kernel tests call this first. Without root it exits 77 (ctest: skipped)
 * with the reason on stderr, unless CI=true is set, where a skip would hide a
 * failure: then it exits 1.
 */
void test_require_root(void);
/* Skip (or fail under CI=true) with a reason. Does not return. */
void test_skip(const char *why) __attribute__((noreturn));
/* Read a whole file into a NUL-terminated heap buffer; NULL on error. */
char *test_read_file(const char *path, size_t *len);
/* Lines of the tracefs file name under /sys/kernel/tracing (or the debugfs
 * mount); "" and a missing file count as 0. */
int test_tracefs_lines(const char *name);
/* Names in dir starting with prefix: their count (0 without dir), and the
 * last one read in name (when not NULL). */
int test_dir_entries(const char *dir, const char *prefix, char *name,
		     size_t len);
/* The inode number of dir/name (which must exist): a file replaced by a
 * rename has another. */
unsigned long test_inode(const char *dir, const char *name);
/* rm -rf path (symbolic links are removed, not followed). */
void test_remove_tree(const char *path);
/* Count the open file descriptors of this process. */
int test_count_fds(void);
/* Compile a text this process has not compiled (not in the object cache):
 * the compiler process is then running and its two descriptors open, for a
 * test that counts descriptors around compiles. */
void test_start_compiler(void);
/* The first child of any thread of process pid, or 0; never a warm copy
 * of the compiler (named ember-warming, then ember-warm, until a request
 * comes to it): it does not work for any host. */
int test_child_of(int pid);
/* Process pid is gone, or a zombie waiting for a reaper that is not us. */
bool test_process_gone(int pid);
/* Run a command (argv, NULL-terminated) and wait for it; returns its pid. */
int test_spawn_wait(char *const argv[]);

struct ember_trace_pipe;
struct ember_trace_fields;
/*
 * Read trace_pipe for up to 5 s until a line from pid (any pid if <= 0)
 * whose message contains want; fields then describe it. Returns 1 when
 * found, 0 on timeout (the pipe is shared: other lines are skipped).
 */
int test_wait_trace_line(struct ember_trace_pipe *tp, int pid, const char *want,
			 struct ember_trace_fields *fields);
double test_now(void);

struct ember_module;
/* The fd of table name of loaded module m (ember_module_table() then
 * ember_table_fd()), or a negative errno. */
int test_table_fd(struct ember_module *m, const char *name);
/* The value at key of table name, a table of u64 values (asserts). */
uint64_t test_table_u64(struct ember_module *m, const char *name, uint32_t key);

/*
 * Compare text with the golden file at path; with EMBER_UPDATE_GOLDEN=1 in
 * the environment, first write text into it (to update the expectation,
 * then review the diff). Fails the test, showing the first line that
 * differs, unless they match.
 */
void test_check_golden(const char *text, const char *path);

/* ------------------------------------------------------------------ */
/* Target programs of the uprobe and USDT tests                        */

/*
 * Write src into a new temporary directory and build it with cc and flags
 * (NULL-terminated; NULL for none) into an executable there, whose path is
 * returned (static storage: one target per test program). Skips (CI=true:
 * fails) when there is no C compiler.
 */
const char *test_target_build(const char *src, const char *const *flags);
/* Remove what test_target_build() made. */
void test_target_remove(void);

/* A running target: it prints one line, then waits for a byte on stdin. */
struct test_child {
	int pid;
	int go, out; /* the target's stdin and stdout */
	char first_line[64]; /* the line it printed before waiting */
};

/* Start target path with the argument n (how many rounds to run). */
void test_child_start(struct test_child *c, const char *path, int n);
/* Let it run; it must exit 0. Its last output line goes into line. */
void test_child_finish(struct test_child *c, char *line, size_t size);

#endif
