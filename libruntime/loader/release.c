// SPDX-License-Identifier: MIT
/*
 * Releasing a module's attachments without one kernel grace period per
 * tracepoint, kprobe or uprobe (perf events, all three).
 *
 * What the kernel does (6.18; 5.15-6.12 alike but for the first wait):
 * - closing an event's BPF perf link detaches the program from the event;
 *   since 6.13 it then waits for an RCU-tasks-trace grace period outside
 *   any lock, so detaches in parallel threads overlap;
 * - releasing the event's last reference unregisters the kernel's probe
 *   and waits for RCU grace periods (tracepoint_synchronize_unregister;
 *   a kprobe's or uprobe's unregistering too) under the global
 *   event_mutex: N releases cost N waits in a row (40-110 ms each here)
 *   in whatever process or thread they run.
 *
 * So a module's release detaches every program (in parallel threads),
 * waits one RCU grace period (membarrier), after which no run of a
 * detached program is left on any CPU, and lets a short-lived grandchild
 * process hold a second reference of each (already program-less) perf
 * event, so that the waiting releases happen there, after the host has
 * gone on. Correctness never rests on that process: if it cannot be made
 * or dies, the host's own close or the kernel (at the grandchild's exit)
 * releases the events. The kprobes and uprobes are the kprobe and uprobe
 * PMUs' events, which are not in tracefs: like a tracepoint's event they
 * leave nothing behind whoever releases them. (A kretprobe with
 * maxactive, a tracefs kprobe_events event the host removes after its
 * release, and libbpf's USDT attachments release in turn.)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loader/module.h"

#define MAX_THREADS 16

struct detach_share {
	struct bpf_link **links;
	size_t n, first, step;
};

static void *detach_some(void *arg)
{
	struct detach_share *s = arg;

	for (size_t i = s->first; i < s->n; i += s->step)
		bpf_link__destroy(s->links[i]);
	return NULL;
}

/* Destroy links[0..n), in up to MAX_THREADS threads: each destroy may wait
 * for a grace period, and those waits overlap. Signals stay with the
 * host's own threads. */
static void detach_parallel(struct bpf_link **links, size_t n)
{
	struct detach_share share[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	bool started[MAX_THREADS] = { false };
	size_t nt = n < MAX_THREADS ? n : MAX_THREADS, i;
	sigset_t all, old;
	pthread_attr_t attr;

	if (n < 2 || pthread_attr_init(&attr)) {
		for (i = 0; i < n; i++)
			bpf_link__destroy(links[i]);
		return;
	}
	pthread_attr_setstacksize(&attr, 256 * 1024);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 1; i < nt; i++) {
		share[i] = (struct detach_share){ links, n, i, nt };
		started[i] =
			!pthread_create(&tid[i], &attr, detach_some, &share[i]);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	share[0] = (struct detach_share){ links, n, 0, nt };
	detach_some(&share[0]);
	for (i = 1; i < nt; i++)
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			detach_some(&share[i]);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* In the grandchild: close every fd but keep[0..n) (ascending). Raw
 * system calls only, as in all of the children: the host may have other
 * threads, holding locks this copy of them would never release. */
static int keep_only(const int *keep, size_t n)
{
	unsigned int from = 0;

	for (size_t i = 0; i < n; i++) {
		if ((unsigned int)keep[i] > from &&
		    syscall(SYS_close_range, from, (unsigned int)keep[i] - 1,
			    0))
			return -1;
		from = (unsigned int)keep[i] + 1;
	}
	return syscall(SYS_close_range, from, ~0U, 0) ? -1 : 0;
}

/*
 * Make a grandchild (the host gets no child to reap beyond the one waited
 * here) holding fds[0..n), the events, and the read end of a pipe, with
 * nothing else open (no reader of the host's pipes waits for it), nor the
 * host's directory or session. It leaves once the pipe's write end, *wake,
 * is closed: after the host closed its own fds of the events, so that the
 * grandchild's are the last. Returns 0, or -1 (no grandchild).
 */
static int spawn_releaser(const int *fds, size_t n, int *wake)
{
	int p[2], status, *keep = malloc((n + 1) * sizeof(*keep));
	char c;
	pid_t pid;

	if (!keep || pipe2(p, O_CLOEXEC)) {
		free(keep);
		return -1;
	}
	memcpy(keep, fds, n * sizeof(*keep));
	keep[n++] = p[0];
	qsort(keep, n, sizeof(*keep), cmp_int);
	pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		if (pid != 0)
			syscall(SYS_exit, pid < 0);
		if (keep_only(keep, n))
			syscall(SYS_exit, 0);
		syscall(SYS_setsid);
		syscall(SYS_chdir, "/");
		syscall(SYS_prctl, PR_SET_NAME, "ember-release", 0, 0, 0);
		while (syscall(SYS_read, p[0], &c, 1) < 0 && errno == EINTR)
			;
		syscall(SYS_exit, 0);
	}
	close(p[0]);
	free(keep);
	if (pid < 0) {
		close(p[1]);
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			/* The host reaps children itself (SIGCHLD ignored or
			 * its own handler): assume the grandchild exists;
			 * if not, the host's closes release the events. */
			status = 0;
			break;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		close(p[1]);
		return -1;
	}
	*wake = p[1];
	return 0;
}

/* Whether an orphaned grandchild would become this process's child (it is
 * a namespace's init or a subreaper), which may not expect one to reap. */
static bool reaps_orphans(void)
{
	int subreaper = 0;

	return getpid() == 1 ||
	       prctl(PR_GET_CHILD_SUBREAPER, &subreaper, 0, 0, 0) || subreaper;
}

void ember__module_release_links(struct ember_module *m)
{
	struct ember_link **pp, *k, *evs = NULL;
	struct bpf_link **links = NULL;
	int *fds = NULL, wake = -1;
	size_t n = 0, i;

	for (pp = &m->links; *pp;)
		if ((*pp)->perf_fd >= 0 && (*pp)->link)
			n++, pp = &(*pp)->next;
		else
			pp = &(*pp)->next;
	if (n) {
		links = malloc(n * sizeof(*links));
		fds = malloc(n * sizeof(*fds));
	}
	if (!links || !fds) {
		free(links);
		free(fds);
		while (m->links)
			ember__link_free(m->links);
		return;
	}
	/* Take the perf events out of the list; detach the rest in turn. */
	n = 0;
	for (pp = &m->links; *pp;) {
		k = *pp;
		if (k->perf_fd < 0 || !k->link) {
			pp = &k->next;
			continue;
		}
		*pp = k->next;
		m->links_cnt--;
		k->next = evs;
		evs = k;
		links[n] = k->link;
		fds[n++] = k->perf_fd;
		k->link = NULL;
		k->perf_fd = -1;
	}
	while (m->links)
		ember__link_free(m->links);
	detach_parallel(links, n);
	free(links);
	while (evs) {
		k = evs->next;
		free(evs->what);
		free(evs);
		evs = k;
	}
	/*
	 * Every program is off its event; a run that started before holds
	 * the RCU read lock until it ends (trace_call_bpf; a uprobe's
	 * non-sleepable program inside the tasks-trace section, which 6.13's
	 * detach waits for anyway), so one grace period ends them all. Without membarrier (nohz_full,
	 * seccomp) the host releases the events itself: the first release
	 * waits that grace period. So it does when it would inherit the
	 * grandchild.
	 */
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0 &&
	    !reaps_orphans())
		spawn_releaser(fds, n, &wake);
	for (i = 0; i < n; i++)
		close(fds[i]);
	if (wake >= 0)
		close(wake);
	free(fds);
}
