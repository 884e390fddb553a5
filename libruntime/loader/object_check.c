// SPDX-License-Identifier: MIT
/*
 * ember-object-check: libbpf's first open of a prebuilt object's bytes
 * (loader/object_file.c), in a process of its own. libbpf trusts the ELF
 * it opens: a damaged object can crash it (found by tests/fuzz,
 * fuzz_object_file); here that ends only this helper, and the host hears it
 * as a clear error. Started by libember (compiler/isolation.h); not for
 * people to run.
 *
 * Its reply: for each program libbpf found "p", its name and its section,
 * for each map "m" and its name, every string NUL-terminated (libbpf's
 * names hold no NUL).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "compiler/isolation.h"
#include "error.h"

static ember_log_fn log_fn;
static void *log_ctx;

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;

	(void)level;
	if (!log_fn)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = 0;
	/* as the host's own libbpf lines (libbpf_log.h) */
	log_fn(EMBER_LOG_DEBUG, line, log_ctx);
	return 0;
}

static void put(FILE *reply, const char *s)
{
	fputs(s, reply);
	fputc(0, reply);
}

static int check(void *arg, ember_log_fn log, void *ctx, FILE *reply)
{
	const struct ember_isolated_input *in = arg;
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	int err;

	log_fn = log;
	log_ctx = ctx;
	libbpf_set_print(print);
	obj = bpf_object__open_mem(in->data, in->len, &oo);
	if (!obj) {
		err = errno ? errno : EINVAL;
		return ember__error(
			err, "%s: libbpf could not open the object: %s",
			in->args_cnt ? in->args[0] : "<object>", strerror(err));
	}
	bpf_object__for_each_program(prog, obj) {
		put(reply, "p");
		put(reply, bpf_program__name(prog));
		put(reply, bpf_program__section_name(prog));
	}
	bpf_object__for_each_map(map, obj) {
		put(reply, "m");
		put(reply, bpf_map__name(map));
	}
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	return ember__isolated_main(argc, argv, check);
}
