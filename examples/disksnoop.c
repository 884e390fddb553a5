// SPDX-License-Identifier: MIT
/*
 * disksnoop, from the seed tutorials (BCC's examples/tracing/disksnoop):
 * every block I/O with its type, size and latency. The program reads
 * req->__data_len and req->cmd_flags straight from the kernel's struct
 * request; ember turns those into CO-RE-relocated probe reads, so the
 * sizes are right on the running kernel (the seed saw BYTES 0 with BCC).
 * BCC attaches kprobes to blk_start_request / blk_account_io_done; this
 * kernel has no kprobes, so the program sits on the block_rq_issue and
 * block_rq_complete raw tracepoints, whose first argument is the request.
 *
 *   disksnoop            trace until Ctrl-C
 *   disksnoop --self DIR write 12288, 20480 and 32768 bytes with O_DIRECT to
 *                        a file in DIR (on a block device), print what was
 *                        traced, and check that those three writes appear
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <ember/ember.h>

static const char program[] =
	"#include <uapi/linux/ptrace.h>\n"
	"#include <linux/blkdev.h>\n"
	"\n"
	"struct {\n"
	"    __uint(type, BPF_MAP_TYPE_HASH);\n"
	"    __type(key, struct request *);\n"
	"    __type(value, u64);\n"
	"    __uint(max_entries, 10240);\n"
	"} start SEC(\".maps\");\n"
	"\n"
	"RAW_TRACEPOINT_PROBE(block_rq_issue)\n"
	"{\n"
	"    // stash start timestamp by request ptr\n"
	"    struct request *req = (struct request *)ctx->args[0];\n"
	"    u64 ts = bpf_ktime_get_ns();\n"
	"\n"
	"    bpf_map_update_elem(&start, &req, &ts, BPF_ANY);\n"
	"    return 0;\n"
	"}\n"
	"\n"
	"RAW_TRACEPOINT_PROBE(block_rq_complete)\n"
	"{\n"
	"    struct request *req = (struct request *)ctx->args[0];\n"
	"    u64 *tsp, delta;\n"
	"\n"
	"    tsp = bpf_map_lookup_elem(&start, &req);\n"
	"    if (tsp != 0) {\n"
	"        delta = bpf_ktime_get_ns() - *tsp;\n"
	"        bpf_trace_printk(\"%d %x %d\\n\", req->__data_len,\n"
	"                         req->cmd_flags, delta / 1000);\n"
	"        bpf_map_delete_elem(&start, &req);\n"
	"    }\n"
	"    return 0;\n"
	"}\n";

/* The operation is the low byte of cmd_flags (REQ_OP_MASK): 0 read, 1
 * write; BCC's seed tested a REQ_WRITE flag bit kernels dropped in 4.8. */
#define REQ_OP_MASK 0xff
#define REQ_OP_READ 0
#define REQ_OP_WRITE 1

static const size_t self_sizes[] = { 12288, 20480, 32768 };
#define SELF_CNT (sizeof(self_sizes) / sizeof(self_sizes[0]))

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Write the known sizes with O_DIRECT, so each reaches the disk as one
 * request of exactly that size. */
static int write_known_sizes(const char *dir)
{
	char path[4096];
	struct stat st;
	void *buf = NULL;
	off_t off = 0;
	int fd, err = 0;
	size_t i;

	if (stat(dir, &st) || major(st.st_dev) == 0) {
		fprintf(stderr,
			"disksnoop: %s is not on a block device (tmpfs?): "
			"give a directory on a disk\n",
			dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/disksnoop-%d.dat", dir, (int)getpid());
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_DIRECT, 0600);
	if (fd < 0 || posix_memalign(&buf, 4096, 65536)) {
		fprintf(stderr, "disksnoop: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memset(buf, 'e', 65536);
	for (i = 0; i < SELF_CNT && !err; i++) {
		if (pwrite(fd, buf, self_sizes[i], off) !=
		    (ssize_t)self_sizes[i]) {
			fprintf(stderr, "disksnoop: write: %s\n",
				strerror(errno));
			err = -1;
		}
		off += (off_t)self_sizes[i];
	}
	close(fd);
	unlink(path);
	free(buf);
	return err;
}

int main(int argc, char **argv)
{
	EMBER_OPTS(ember_module_opts, opts, .name = "disksnoop.c");
	const char *self_dir = NULL;
	struct ember_trace_pipe *tp = NULL;
	struct ember_module *m = NULL;
	struct ember_trace_fields f;
	int seen[SELF_CNT] = { 0 };
	double deadline = 0;
	int rc = 1;
	size_t i;

	if (argc > 1 && !strcmp(argv[1], "--self"))
		self_dir = argc > 2 ? argv[2] : ".";
	signal(SIGINT, on_signal);
	if (ember_module_new(program, &opts, &m) ||
	    ember_module_attach_auto(m) != 2 || ember_trace_pipe_open(&tp)) {
		fprintf(stderr, "disksnoop: %s\n", ember_errmsg());
		goto out;
	}
	printf("%-18s %-2s %-7s %8s\n", "TIME(s)", "T", "BYTES", "LAT(ms)");
	fflush(stdout);
	if (self_dir) {
		if (write_known_sizes(self_dir))
			goto out;
		deadline = now() + 3;
	}
	while (!stop && (!self_dir || now() < deadline)) {
		unsigned long bytes, flags, us;
		const char *type;
		int r = ember_trace_pipe_read_fields(tp, 500, &f);

		if (r < 0) {
			fprintf(stderr, "disksnoop: %s\n", ember_errmsg());
			goto out;
		}
		if (r == 0 ||
		    sscanf(f.msg, "%lu %lx %lu", &bytes, &flags, &us) != 3)
			continue;
		if ((flags & REQ_OP_MASK) == REQ_OP_WRITE)
			type = "W";
		else if ((flags & REQ_OP_MASK) == REQ_OP_READ && bytes)
			type = "R";
		else
			type = "M";
		printf("%-18.9f %-2s %-7lu %8.2f\n", f.ts, type, bytes,
		       (double)us / 1000);
		fflush(stdout);
		for (i = 0; i < SELF_CNT; i++)
			if (*type == 'W' && bytes == self_sizes[i])
				seen[i] = 1;
	}
	rc = 0;
	if (self_dir) {
		for (i = 0; i < SELF_CNT; i++)
			if (!seen[i]) {
				fprintf(stderr,
					"disksnoop: no %zu-byte write seen\n",
					self_sizes[i]);
				rc = 1;
			}
		if (!rc)
			printf("disksnoop: saw the writes of 12288, 20480 and "
			       "32768 bytes\n");
	}
out:
	ember_trace_pipe_free(tp);
	ember_module_free(m);
	return rc;
}
