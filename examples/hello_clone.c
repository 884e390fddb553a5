// SPDX-License-Identifier: MIT
/*
 * The seeds' first programs: "Hello, World!" from kprobe__sys_clone (named
 * by convention, attached automatically) and the caller's uid on every
 * clone from hello_world(), attached by the host to the clone syscall as in
 * BCC's attach_kprobe(event=get_syscall_fnname("clone")). On a kernel without
 * kprobes both run on syscalls:sys_enter_clone. The host forks once and
 * prints the two lines its own clone produced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ember/ember.h>

static const char program[] =
	"int kprobe__sys_clone(void *ctx) {\n"
	"    bpf_trace_printk(\"Hello, World!\\n\");\n"
	"    return 0;\n"
	"}\n"
	"\n"
	"int hello_world(void *ctx) {\n"
	"    u64 uid;\n"
	"    uid = bpf_get_current_uid_gid() & 0xFFFFFFFF;\n"
	"    bpf_trace_printk(\"id %d\\n\", uid);\n"
	"    return 0;\n"
	"}\n";

static void log_info(enum ember_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= EMBER_LOG_INFO)
		fprintf(stderr, "ember: %s\n", msg);
}

int main(void)
{
	EMBER_OPTS(ember_module_opts, opts, .name = "hello_clone.c",
		   .log = log_info);
	struct ember_trace_pipe *tp = NULL;
	struct ember_module *m = NULL;
	struct ember_trace_fields f;
	int rc = 1, hello = 0, id = 0;
	char fn[64];
	pid_t child;

	if (ember_module_new(program, &opts, &m) ||
	    ember_module_attach_auto(m) < 0 ||
	    ember_syscall_fnname("clone", fn, sizeof(fn)) ||
	    ember_module_attach_kprobe(m, "hello_world", fn, false, NULL) ||
	    ember_trace_pipe_open(&tp)) {
		fprintf(stderr, "hello_clone: %s\n", ember_errmsg());
		goto out;
	}
	child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	while (!(hello && id)) {
		int r = ember_trace_pipe_read_fields(tp, 3000, &f);

		if (r <= 0)
			break;
		if (f.pid != getpid())
			continue; /* trace_pipe is shared by everyone */
		printf("%s-%d [%03d] %.6f: %s\n", f.task, f.pid, f.cpu, f.ts,
		       f.msg);
		hello |= strstr(f.msg, "Hello, World!") != NULL;
		id |= strncmp(f.msg, "id ", 3) == 0;
	}
	rc = !(hello && id);
	if (rc)
		fprintf(stderr, "hello_clone: missing %s\n",
			hello ? "the uid line" : "Hello, World!");
out:
	ember_trace_pipe_free(tp);
	ember_module_free(m);
	return rc;
}
