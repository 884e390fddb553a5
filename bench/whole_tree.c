// SPDX-License-Identifier: MIT
/*
 * whole_tree CMD [ARG...]: run CMD and wait for every process it started,
 * those it left behind included (this process is their subreaper), so that
 * whoever waits for this one counts the whole tree's CPU time and peak
 * memory (getrusage(RUSAGE_CHILDREN), /usr/bin/time -v). ember's compiler
 * process outlives an `ember check` by the moment it takes to notice that
 * its host is gone: without this its compile would not be counted.
 * Exits with CMD's status.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int status = 0, st;
	pid_t pid, w;

	if (argc < 2) {
		fprintf(stderr, "usage: whole_tree CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		perror("whole_tree: PR_SET_CHILD_SUBREAPER");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("whole_tree: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	while ((w = wait(&st)) > 0 || errno == EINTR)
		if (w == pid)
			status = st;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
