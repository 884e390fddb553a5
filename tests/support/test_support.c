// SPDX-License-Identifier: MIT
#include "test_support.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
