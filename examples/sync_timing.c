// SPDX-License-Identifier: MIT
/*
 * sync_timing, from the seed tutorials (BCC's examples/tracing/sync_timing):
 * time between sync() calls less than a second apart. BCC attaches a kprobe
 * to the sync syscall; on a kernel without kprobes ember runs the same
 * function on syscalls:sys_enter_sync.
 *
 *   sync_timing           trace until Ctrl-C (run "sync; sync" elsewhere)
 *   sync_timing --self    call sync() twice itself and print what was seen
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ember/ember.h>

static const char program[] =
	"#include <uapi/linux/ptrace.h>\n"
	"\n"
	"BPF_HASH(last);\n"
	"\n"
	"int do_trace(struct pt_regs *ctx) {\n"
	"    u64 ts, *tsp, delta, key = 0;\n"
	"\n"
	"    // attempt to read stored timestamp\n"
	"    tsp = last.lookup(&key);\n"
	"    if (tsp != NULL) {\n"
	"        delta = bpf_ktime_get_ns() - *tsp;\n"
	"        if (delta < 1000000000) {\n"
	"            // output if time is less than 1 second\n"
	"            bpf_trace_printk(\"%d\\n\", delta / 1000000);\n"
	"        }\n"
	"        last.delete(&key);\n"
	"    }\n"
	"\n"
	"    // update stored timestamp\n"
	"    ts = bpf_ktime_get_ns();\n"
	"    last.update(&key, &ts);\n"
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
	EMBER_OPTS(ember_module_opts, opts, .name = "sync_timing.c");
	int self = argc > 1 && !strcmp(argv[1], "--self");
	struct ember_trace_pipe *tp = NULL;
	struct ember_module *m = NULL;
	struct ember_trace_fields f;
	double start = -1;
	char fn[64];
	int rc = 1, seen = 0;

	signal(SIGINT, on_signal);
	if (ember_module_new(program, &opts, &m) ||
	    ember_syscall_fnname("sync", fn, sizeof(fn)) ||
	    ember_module_attach_kprobe(m, "do_trace", fn, false, NULL) ||
	    ember_trace_pipe_open(&tp)) {
		fprintf(stderr, "sync_timing: %s\n", ember_errmsg());
		goto out;
	}
	printf("Tracing for quick sync's... Ctrl-C to end\n");
	fflush(stdout);
	if (self) {
		sync();
		usleep(100000);
		sync();
	}
	while (!stop) {
		int r = ember_trace_pipe_read_fields(tp, self ? 2000 : 500, &f);

		if (r < 0) {
			fprintf(stderr, "sync_timing: %s\n", ember_errmsg());
			goto out;
		}
		if (r == 0) {
			if (self)
				break;
			continue;
		}
		if (self && f.pid != getpid())
			continue; /* trace_pipe is shared by everyone */
		if (start < 0)
			start = f.ts;
		printf("At time %.2f s: multiple syncs detected, last %s ms "
		       "ago\n",
		       f.ts - start, f.msg);
		fflush(stdout);
		seen++;
		if (self)
			break;
	}
	rc = self && !seen;
out:
	ember_trace_pipe_free(tp);
	ember_module_free(m);
	return rc;
}
