// SPDX-License-Identifier: MIT
/*
 * floor_loader [--open-only] [--duration SECONDS] FILE.o: the least a
 * program can cost, for bench/limits.sh to set ember beside. Plain libbpf
 * and nothing else: open the object (`ember build`'s output), load it,
 * attach every program by its section name, optionally wait, then destroy
 * the links and the object, as a hand-written libbpf tool would. No cache,
 * no compiler, no tables read. --open-only stops after the open (no
 * kernel: the counterpart of `ember check`).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* warnings only: its info lines (such as ".ember" skipped) are noise */
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: floor_loader [--open-only] [--duration SECONDS] "
		   "FILE.o\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "open-only", no_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bpf_link **links = NULL;
	struct bpf_program *prog;
	struct bpf_object *obj;
	double duration = 0;
	size_t n = 0, i;
	int open_only = 0, opt, err = 0;
	char *end;

	while ((opt = getopt_long(argc, argv, "od:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			open_only = 1;
			break;
		case 'd':
			duration = strtod(optarg, &end);
			if (*end || duration < 0) {
				fprintf(stderr,
					"floor_loader: bad duration %s\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	libbpf_set_print(quiet_libbpf);
	obj = bpf_object__open_file(argv[optind], NULL);
	if (!obj) {
		fprintf(stderr, "floor_loader: open %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	if (open_only)
		goto out;
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "floor_loader: load: %s\n", strerror(-err));
		goto out;
	}
	bpf_object__for_each_program(prog, obj)
		n++;
	links = calloc(n ? n : 1, sizeof(*links));
	if (!links) {
		err = -ENOMEM;
		goto out;
	}
	i = 0;
	bpf_object__for_each_program(prog, obj) {
		links[i] = bpf_program__attach(prog);
		if (!links[i]) {
			err = -errno;
			fprintf(stderr, "floor_loader: attach %s: %s\n",
				bpf_program__name(prog), strerror(errno));
			goto out;
		}
		i++;
	}
	if (duration > 0) {
		struct timespec ts = {
			.tv_sec = (time_t)duration,
			.tv_nsec = (long)((duration - (time_t)duration) * 1e9),
		};

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
out:
	for (i = 0; links && i < n; i++)
		bpf_link__destroy(links[i]);
	free(links);
	bpf_object__close(obj);
	return err ? 1 : 0;
}
