// SPDX-License-Identifier: MIT
#include "compiler/codegen_isolation.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Held across fork so no other ember thread is inside LLVM at that moment. */
static pthread_mutex_t codegen_lock = PTHREAD_MUTEX_INITIALIZER;

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
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

/* Message: int32 result, u64 diag length, diag bytes, u64 obj length, obj. */
static void child(int fd, const struct ember_codegen_input *in)
{
	void *obj = NULL;
	size_t obj_len = 0;
	char *diags = NULL;
	int32_t res = ember__codegen_bpf(in, &obj, &obj_len, &diags);
	uint64_t dl = diags ? strlen(diags) : 0, ol = obj_len;

	if (write_all(fd, &res, sizeof(res)) ||
	    write_all(fd, &dl, sizeof(dl)) || write_all(fd, diags, dl) ||
	    write_all(fd, &ol, sizeof(ol)) || write_all(fd, obj, ol))
		_exit(1);
	_exit(0);
}

static int forked(const struct ember_codegen_input *in, void **obj,
		  size_t *obj_len, char **diags)
{
	int pipefd[2], status, err = -EIO;
	uint64_t dl = 0, ol = 0;
	int32_t res;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child(pipefd[1], in);
	}
	close(pipefd[1]);
	if (read_all(pipefd[0], &res, sizeof(res)) ||
	    read_all(pipefd[0], &dl, sizeof(dl)))
		goto out;
	*diags = malloc(dl + 1);
	if (!*diags || read_all(pipefd[0], *diags, dl))
		goto out;
	(*diags)[dl] = 0;
	if (read_all(pipefd[0], &ol, sizeof(ol)))
		goto out;
	if (ol) {
		*obj = malloc(ol);
		if (!*obj || read_all(pipefd[0], *obj, ol))
			goto out;
	}
	*obj_len = ol;
	err = res;
out:
	close(pipefd[0]);
	/* A host that reaps every child itself may have taken the status:
	 * the complete message above is what counts. */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (err == -EIO) {
		free(*obj);
		*obj = NULL;
		*obj_len = 0;
	}
	return err;
}

int ember__codegen_bpf_isolated(const struct ember_codegen_input *in,
				void **obj, size_t *obj_len, char **diags)
{
	int err;

	*obj = NULL;
	*obj_len = 0;
	*diags = NULL;
	pthread_mutex_lock(&codegen_lock);
	err = forked(in, obj, obj_len, diags);
	pthread_mutex_unlock(&codegen_lock);
	return err;
}
