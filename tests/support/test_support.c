// SPDX-License-Identifier: MIT
#include "test_support.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"

void test_skip(const char *why)
{
	const char *ci = getenv("CI");

	if (ci && strcmp(ci, "true") == 0) {
		fprintf(stderr, "FAIL (CI=true forbids skipping): %s\n", why);
		exit(1);
	}
	fprintf(stderr, "SKIP: %s\n", why);
	exit(77);
}

void test_require_root(void)
{
	if (geteuid() != 0)
		test_skip("kernel tests need root (CAP_BPF, CAP_SYS_ADMIN)");
}

char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				break;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	if (buf) {
		buf[n] = 0;
		if (len)
			*len = n;
	}
	return buf;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void test_remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

int test_spawn_wait(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	waitpid(pid, &status, 0);
	return pid;
}

double test_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int test_wait_trace_line(struct ember_trace_pipe *tp, int pid, const char *want,
			 struct ember_trace_fields *f)
{
	double deadline = test_now() + 5;

	while (test_now() < deadline) {
		int r = ember_trace_pipe_read_fields(tp, 200, f);

		if (r < 0)
			return 0;
		if (r == 1 && (pid <= 0 || f->pid == pid) &&
		    strstr(f->msg, want))
			return 1;
	}
	return 0;
}

int test_table_fd(struct ember_module *m, const char *name)
{
	struct ember_table *t;
	int err = ember_module_table(m, name, &t);

	return err ? err : ember_table_fd(t);
}

uint64_t test_table_u64(struct ember_module *m, const char *name, uint32_t key)
{
	struct ember_table *t;
	uint64_t v = 0;

	if (ember_module_table(m, name, &t) ||
	    ember_table_value_size(t) != sizeof(v) ||
	    ember_table_lookup(t, &key, &v))
		fail_msg("table %s[%u]: %s", name, key, ember_errmsg());
	return v;
}

void test_check_golden(const char *text, const char *path)
{
	const char *a = text, *b;
	char *expected;
	int line = 1;

	if (getenv("EMBER_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");

		if (!f || fputs(text, f) < 0 || fclose(f))
			fail_msg("cannot write %s", path);
	}
	expected = test_read_file(path, NULL);
	if (!expected)
		fail_msg("cannot read %s (EMBER_UPDATE_GOLDEN=1 writes it)",
			 path);
	for (b = expected; *a && *a == *b; a++, b++)
		line += *a == '\n';
	if (*a || *b) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');

		/* back to the start of the line that differs */
		while (a > text && a[-1] != '\n')
			a--, b--;
		fail_msg("%s: line %d differs\nexpected: %.*s\nactual:   %.*s",
			 path, line, eb ? (int)(eb - b) : (int)strlen(b), b,
			 ea ? (int)(ea - a) : (int)strlen(a), a);
	}
	free(expected);
}

static char target_dir[64], target_path[128];

const char *test_target_build(const char *src, const char *const *flags)
{
	char src_path[160];
	const char *argv[16];
	size_t n = 0;
	int status;
	pid_t pid;
	FILE *f;

	if (access("/usr/bin/cc", X_OK) && access("/bin/cc", X_OK))
		test_skip("no C compiler (cc) to build the target program");
	snprintf(target_dir, sizeof(target_dir), "/tmp/ember-target-XXXXXX");
	if (!mkdtemp(target_dir))
		fail_msg("mkdtemp: %s", strerror(errno));
	snprintf(src_path, sizeof(src_path), "%s/target.c", target_dir);
	snprintf(target_path, sizeof(target_path), "%s/target", target_dir);
	f = fopen(src_path, "w");
	if (!f || fputs(src, f) < 0 || fclose(f))
		fail_msg("cannot write %s", src_path);
	argv[n++] = "cc";
	argv[n++] = "-O1";
	for (; flags && *flags && n < 12; flags++)
		argv[n++] = *flags;
	argv[n++] = "-o";
	argv[n++] = target_path;
	argv[n++] = src_path;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fail_msg("cc could not build %s", src_path);
	return target_path;
}

void test_target_remove(void)
{
	if (target_dir[0])
		test_remove_tree(target_dir);
}

static void read_line(int fd, char *line, size_t size)
{
	ssize_t r = read(fd, line, size - 1);

	if (r <= 0)
		fail_msg("the target printed nothing");
	line[r] = 0;
}

void test_child_start(struct test_child *c, const char *path, int n)
{
	int in[2], out[2];
	char arg[16];

	if (pipe(in) || pipe(out))
		fail_msg("pipe: %s", strerror(errno));
	snprintf(arg, sizeof(arg), "%d", n);
	c->pid = fork();
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, path, arg, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->go = in[1];
	c->out = out[0];
	read_line(c->out, c->first_line, sizeof(c->first_line));
}

void test_child_finish(struct test_child *c, char *line, size_t size)
{
	int status;

	if (write(c->go, "g", 1) != 1)
		fail_msg("the target is gone");
	read_line(c->out, line, size);
	if (waitpid(c->pid, &status, 0) != c->pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fail_msg("the target did not exit cleanly");
	close(c->go);
	close(c->out);
}

/* Child, of process parent, is a warm copy of the compiler: named so by
 * a compiler. Not the compiler itself, which bears the name for a moment
 * while it forks one (so its copy is born with it). */
static bool warm_copy(int parent, long child)
{
	char path[64], comm[32] = "", *cmd;
	size_t len;
	bool compiler;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", child);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	if (strncmp(comm, "ember-warm", 10))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", parent);
	cmd = test_read_file(path, &len);
	compiler = cmd && len && strstr(cmd, "ember-compiler");
	free(cmd);
	return compiler;
}

int test_child_of(int pid)
{
	char path[320];
	struct dirent *d;
	long child = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while (!child && (d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children", pid,
			 d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fscanf(f, "%ld", &child) == 1 && warm_copy(pid, child))
			child = 0;
		fclose(f);
	}
	closedir(dir);
	return (int)child;
}

bool test_process_gone(int pid)
{
	char path[64], state = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 0;
	fclose(f);
	return state == 'Z' || state == 'X';
}

void test_start_compiler(void)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "start.c" };
	struct ember_module *m = NULL;
	char text[128];

	snprintf(text, sizeof(text), "int started_%d_%.0f;\n", (int)getpid(),
		 test_now() * 1e6);
	if (ember_module_compile(text, &o, &m)) {
		fprintf(stderr, "compile: %s\n", ember_errmsg());
		abort();
	}
	ember_module_free(m);
}

int test_tracefs_lines(const char *name)
{
	const char *roots[] = { "/sys/kernel/tracing",
				"/sys/kernel/debug/tracing" };
	char path[128], *text = NULL;
	int n = 0;

	for (size_t i = 0; i < 2 && !text; i++) {
		snprintf(path, sizeof(path), "%s/%s", roots[i], name);
		text = test_read_file(path, NULL);
	}
	for (char *p = text; p && *p; p++)
		n += *p == '\n';
	free(text);
	return n;
}

int test_dir_entries(const char *dir, const char *prefix, char *name,
		     size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix))) {
			if (name)
				snprintf(name, len, "%s", e->d_name);
			n++;
		}
	closedir(d);
	return n;
}

unsigned long test_inode(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(stat(path, &st), 0);
	return (unsigned long)st.st_ino;
}
