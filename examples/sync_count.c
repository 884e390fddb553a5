// SPDX-License-Identifier: MIT
/*
 * sync_count, from the seed tutorials: count sync() calls in a BPF hash and
 * print the running count with each quick sync. As in BCC the kprobe goes on
 * the sync syscall; without kprobes ember uses syscalls:sys_enter_sync.
 *
 *   sync_count            trace until Ctrl-C
 *   sync_count --self     call sync() three times itself, print, exit
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ember/ember.h>

static const char program[] = "#include <uapi/linux/ptrace.h>\n"
			      "\n"
			      "BPF_HASH(last);\n"
			      "\n"
			      "int do_trace(struct pt_regs *ctx) {\n"
			      "    u64 count = 0, *tsp, key = 0;\n"
			      "\n"
			      "    tsp = last.lookup(&key);\n"
			      "    if (tsp != NULL)\n"
			      "        count = *tsp;\n"
			      "    count++;\n"
			      "    last.update(&key, &count);\n"
			      "    bpf_trace_printk(\"%d\\n\", count);\n"
			      "    return 0;\n"
			      "}\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	EMBER_OPTS(ember_module_opts, opts, .name = "sync_count.c");
	int self = argc > 1 && !strcmp(argv[1], "--self");
	struct ember_trace_pipe *tp = NULL;
	struct ember_module *m = NULL;
	struct ember_trace_fields f;
	char fn[64];
	int rc = 1, seen = 0;

	signal(SIGINT, on_signal);
	if (ember_module_new(program, &opts, &m) ||
	    ember_syscall_fnname("sync", fn, sizeof(fn)) ||
	    ember_module_attach_kprobe(m, "do_trace", fn, false, NULL) ||
	    ember_trace_pipe_open(&tp)) {
		fprintf(stderr, "sync_count: %s\n", ember_errmsg());
		goto out;
	}
	printf("Tracing for sync's... Ctrl-C to end\n");
	fflush(stdout);
	if (self)
		for (int i = 0; i < 3; i++)
			sync();
	while (!stop && !(self && seen == 3)) {
		int r = ember_trace_pipe_read_fields(tp, 2000, &f);

		if (r < 0) {
			fprintf(stderr, "sync_count: %s\n", ember_errmsg());
			goto out;
		}
		if (r == 0 && self)
			break;
		if (r == 0 || (self && f.pid != getpid()))
			continue;
		printf("sync count: %s\n", f.msg);
		fflush(stdout);
		seen++;
	}
	rc = self && seen != 3;
out:
	ember_trace_pipe_free(tp);
	ember_module_free(m);
	return rc;
}
