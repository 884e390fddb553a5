// SPDX-License-Identifier: MIT
/*
 * whole_tree [-o FILE] CMD [ARG...]: run CMD and wait for every process it
 * started, those it left behind included (this process is their subreaper),
 * so that whoever waits for this one counts the whole tree's CPU time and
 * peak memory (getrusage(RUSAGE_CHILDREN), /usr/bin/time -v). ember's
 * compiler process outlives an `ember check` by the moment it takes to
 * notice that its host is gone, and `ember run` leaves a process releasing
 * tracepoints: without this their work would not be counted.
 *
 * -o FILE: also write one line "CMD_US TREE_US CPU_US PEAK_KB": wall time
 * from the fork to CMD's own exit (what its user waits for) and to the last
 * process's, user+system CPU of the whole tree (microseconds, where
 * /usr/bin/time rounds to 10 ms) and the largest resident set of any one
 * process in it (the kernel keeps no peak of a sum).
 * Exits with CMD's status.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long long tv_us(struct timeval tv)
{
	return tv.tv_sec * 1000000LL + tv.tv_usec;
}

int main(int argc, char **argv)
{
	long long start, cmd_end = 0;
	const char *out = NULL;
	int status = 0, st, arg = 1;
	struct rusage ru;
	pid_t pid, w;
	FILE *f;

	if (argc > 2 && !strcmp(argv[1], "-o")) {
		out = argv[2];
		arg = 3;
	}
	if (argc <= arg) {
		fprintf(stderr, "usage: whole_tree [-o FILE] CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		perror("whole_tree: PR_SET_CHILD_SUBREAPER");
		return 1;
	}
	start = now_us();
	pid = fork();
	if (pid < 0) {
		perror("whole_tree: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[arg], argv + arg);
		perror(argv[arg]);
		_exit(127);
	}
	while ((w = wait(&st)) > 0 || errno == EINTR)
		if (w == pid) {
			status = st;
			cmd_end = now_us();
		}
	if (out) {
		long long end = now_us();

		getrusage(RUSAGE_CHILDREN, &ru);
		f = fopen(out, "w");
		if (!f ||
		    fprintf(f, "%lld %lld %lld %ld\n", cmd_end - start,
			    end - start,
			    tv_us(ru.ru_utime) + tv_us(ru.ru_stime),
			    ru.ru_maxrss) < 0 ||
		    fclose(f)) {
			perror(out);
			return 1;
		}
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
