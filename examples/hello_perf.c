// SPDX-License-Identifier: MIT
/*
 * The seed's perf buffer example: every execve() sends pid, uid, command
 * and a message through BPF_PERF_OUTPUT(output); the host decodes each event
 * by field name, as BCC's b["output"].event(data) does, and prints
 * "pid uid command message".
 *
 *   hello_perf           print until Ctrl-C
 *   hello_perf --self    run /bin/true, print its event, exit
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ember/ember.h>

static const char program[] =
	"BPF_PERF_OUTPUT(output);\n"
	"\n"
	"struct data_t {\n"
	"   int pid;\n"
	"   int uid;\n"
	"   char command[16];\n"
	"   char message[12];\n"
	"};\n"
	"\n"
	"int hello(void *ctx) {\n"
	"   struct data_t data = {};\n"
	"   char message[12] = \"Hello World\";\n"
	"\n"
	"   data.pid = bpf_get_current_pid_tgid() >> 32;\n"
	"   data.uid = bpf_get_current_uid_gid() & 0xFFFFFFFF;\n"
	"\n"
	"   bpf_get_current_comm(&data.command, sizeof(data.command));\n"
	"   bpf_probe_read_kernel(&data.message, sizeof(data.message), "
	"message);\n"
	"\n"
	"   output.perf_submit(ctx, &data, sizeof(data));\n"
	"\n"
	"   return 0;\n"
	"}\n";

static volatile sig_atomic_t stop;
static struct ember_event_type *data_t;
static pid_t waiting_for;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void print_event(void *ctx, int cpu, const void *data, uint32_t size)
{
	struct ember_event ev = { data_t, data, size };
	char command[16], message[12];
	int64_t pid, uid;

	(void)ctx;
	(void)cpu;
	if (ember_event_field_i64(&ev, "pid", &pid) ||
	    ember_event_field_i64(&ev, "uid", &uid) ||
	    ember_event_field_str(&ev, "command", command, sizeof(command)) <
		    0 ||
	    ember_event_field_str(&ev, "message", message, sizeof(message)) < 0)
		return;
	if (waiting_for && pid != waiting_for)
		return;
	printf("%lld %lld %s %s\n", (long long)pid, (long long)uid, command,
	       message);
	fflush(stdout);
	if (waiting_for)
		stop = 1;
}

int main(int argc, char **argv)
{
	EMBER_OPTS(ember_module_opts, opts, .name = "hello_perf.c");
	int self = argc > 1 && !strcmp(argv[1], "--self");
	struct ember_perf_reader *r = NULL;
	struct ember_module *m = NULL;
	char fn[64];
	int rc = 1, polls = 0;

	signal(SIGINT, on_signal);
	if (ember_module_new(program, &opts, &m) ||
	    ember_syscall_fnname("execve", fn, sizeof(fn)) ||
	    ember_module_attach_kprobe(m, "hello", fn, false, NULL) ||
	    ember_event_type_new(m, "output", NULL, &data_t) ||
	    ember_perf_reader_new(m, "output", print_event, NULL, NULL, NULL,
				  &r)) {
		fprintf(stderr, "hello_perf: %s\n", ember_errmsg());
		goto out;
	}
	if (self) {
		waiting_for = fork();
		if (waiting_for == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(waiting_for, NULL, 0);
	}
	while (!stop && !(self && polls++ > 50)) {
		int n = ember_perf_reader_poll(r, 100);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "hello_perf: %s\n", ember_errmsg());
			goto out;
		}
	}
	rc = self && !stop;
out:
	ember_perf_reader_free(r);
	ember_event_type_free(data_t);
	ember_module_free(m);
	return rc;
}
