// SPDX-License-Identifier: MIT
/*
 * The seed's hash table example: count execve() calls per uid in
 * BPF_HASH(counter_table), attached as BCC does to the execve syscall (a
 * kprobe; on a kernel without kprobes, syscalls:sys_enter_execve), and
 * print the table every second as "ID uid: count".
 *
 *   hello_map            print until Ctrl-C
 *   hello_map --self     run /bin/true three times, print once, exit
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ember/ember.h>

static const char program[] =
	"BPF_HASH(counter_table);\n"
	"\n"
	"int hello(void *ctx) {\n"
	"   u64 uid;\n"
	"   u64 counter = 0;\n"
	"   u64 *p;\n"
	"\n"
	"   uid = bpf_get_current_uid_gid() & 0xFFFFFFFF;\n"
	"   p = counter_table.lookup(&uid);\n"
	"   if (p != 0) {\n"
	"      counter = *p;\n"
	"   }\n"
	"   counter++;\n"
	"   counter_table.update(&uid, &counter);\n"
	"   return 0;\n"
	"}\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int print_entry(const void *key, const void *value, void *ctx)
{
	(void)ctx;
	printf("ID %llu: %llu\t", *(const unsigned long long *)key,
	       *(const unsigned long long *)value);
	return 0;
}

static void run_true(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	EMBER_OPTS(ember_module_opts, opts, .name = "hello_map.c");
	int self = argc > 1 && !strcmp(argv[1], "--self");
	struct ember_module *m = NULL;
	struct ember_table *t;
	char fn[64];
	int rc = 1;

	signal(SIGINT, on_signal);
	if (ember_module_new(program, &opts, &m) ||
	    ember_syscall_fnname("execve", fn, sizeof(fn)) ||
	    ember_module_attach_kprobe(m, "hello", fn, false, NULL) ||
	    ember_module_table(m, "counter_table", &t)) {
		fprintf(stderr, "hello_map: %s\n", ember_errmsg());
		goto out;
	}
	if (self)
		for (int i = 0; i < 3; i++)
			run_true();
	do {
		if (!self)
			sleep(1);
		if (ember_table_foreach(t, print_entry, NULL, NULL) < 0) {
			fprintf(stderr, "hello_map: %s\n", ember_errmsg());
			goto out;
		}
		printf("\n");
		fflush(stdout);
	} while (!self && !stop);
	rc = 0;
out:
	ember_module_free(m);
	return rc;
}
