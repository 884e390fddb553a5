// SPDX-License-Identifier: MIT
#include "compiler/compile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/btf_records.h"
#include "compiler/cache.h"
#include "compiler/clang_args.h"
#include "compiler/digest.h"
#include "compiler/edits.h"
#include "compiler/include_check.h"
#include "compiler/compile_job.h"
#include "compiler/compiler_client.h"
#include "compiler/kernel_config_record.h"
#include "compiler/kernel_headers.h"
#include "compiler/object_cache.h"
#include "compiler/prelude_pch.h"
#include "compiler/source_scan.h"
#include "compiler/tracepoint_record.h"
#include "compiler/virtual_files.h"
#include "error.h"
#include "timing.h"
#include "kernel/btf_header.h"
#include "kernel/kernel_config.h"
#include "kernel/tracepoint_format.h"

#define MAIN_PATH EMBER_VIRTUAL_MAIN_PATH
#define USER_RECORD_SUFFIX "___user"
#define VINC EMBER_VIRTUAL_INCLUDE_DIR

/* Include prefixes of kernel headers (the directories of the kernel's
 * include/ and arch/.../include/): served empty, since the kernel types are
 * already in the prelude (from BTF). */
static const char *const kernel_include_prefixes[] = {
	"linux/",  "uapi/",	   "asm/",	 "asm-generic/", "net/",
	"bcc/",	   "trace/",	   "generated/", "kernel/",	 "scsi/",
	"crypto/", "drm/",	   "xen/",	 "acpi/",	 "clocksource/",
	"cxl/",	   "dt-bindings/", "hyperv/",	 "keys/",	 "kunit/",
	"kvm/",	   "math-emu/",	   "media/",	 "memory/",	 "misc/",
	"pcmcia/", "ras/",	   "rdma/",	 "rv/",		 "soc/",
	"sound/",  "target/",	   "vdso/",	 "video/",	 "ufs/",
	"rust/",   "clocksource/",
};

/* Kernel headers that define (or include those that define) field names as
 * macros: sk_state, inet_dport, s6_addr (generated from BTF). */
static const char *const sock_alias_includes[] = {
	"net/",		  "linux/tcp.h",       "linux/udp.h",
	"linux/ipv6.h",	  "linux/in6.h",       "linux/in.h",
	"linux/ip.h",	  "linux/skbuff.h",    "linux/socket.h",
	"linux/net.h",	  "linux/netdevice.h", "linux/icmp.h",
	"linux/icmpv6.h", "linux/if_ether.h",  "linux/filter.h",
	"linux/inet.h",	  "linux/sock_diag.h", "linux/netfilter.h",
};
static const char sock_alias_header[] = "#include <ember/sock_aliases.h>\n";
static const char empty_kernel_header[] =
	"/* served by ember: kernel types come from BTF (ember/kernel_types.h) "
	"*/\n";
static const char bcc_proto_header[] = "#include <ember/bcc_proto.h>\n";
/* clang's C headers whose types the kernel's types define otherwise:
 * served through a prelude header that makes them agree */
static const char *const libc_wrapped[][2] = {
	{ "stdint.h", "#include <ember/stdint.h>\n" },
	{ "stddef.h", "#include <ember/stddef.h>\n" },
};

struct vfiles {
	struct ember_virtual_file *v;
	size_t cnt, cap;
	size_t embedded; /* v[0, embedded): the embedded prelude headers */
	char **owned; /* strings to free */
	size_t owned_cnt;
};

static int own(struct vfiles *f, char *s)
{
	char **o;

	if (!s)
		return -ENOMEM;
	o = realloc(f->owned, (f->owned_cnt + 1) * sizeof(*o));
	if (!o) {
		free(s);
		return -ENOMEM;
	}
	f->owned = o;
	o[f->owned_cnt++] = s;
	return 0;
}

/* Add path (under the virtual include dir unless absolute) → text. */
static int vfile_add(struct vfiles *f, const char *path, const char *text,
		     size_t len)
{
	char *p = NULL;

	if (f->cnt == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		struct ember_virtual_file *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	if (path[0] != '/' && asprintf(&p, VINC "/%s", path) < 0)
		return -ENOMEM;
	if (p && own(f, p))
		return -ENOMEM;
	f->v[f->cnt++] = (struct ember_virtual_file){ p ? p : path, text, len };
	return 0;
}

static bool vfile_has(const struct vfiles *f, const char *rel)
{
	size_t i, n = strlen(VINC);

	for (i = 0; i < f->cnt; i++)
		if (!strncmp(f->v[i].path, VINC, n) &&
		    !strcmp(f->v[i].path + n + 1, rel))
			return true;
	return false;
}

static bool vfile_is_virtual(const void *ctx, const char *rel)
{
	return vfile_has(ctx, rel);
}

static void vfiles_free(struct vfiles *f)
{
	size_t i;

	for (i = 0; i < f->owned_cnt; i++)
		free(f->owned[i]);
	free(f->owned);
	free(f->v);
}

/* Served empty in kernel_headers mode too: BCC's own headers, not the
 * kernel's (their content is in the prelude). */
static const char bcc_include_prefix[] = "bcc/";

/* What a kernel or BCC include is served as. */
static int add_include(struct vfiles *f, const char *inc)
{
	if (!strcmp(inc, "bcc/proto.h"))
		return vfile_add(f, inc, bcc_proto_header,
				 sizeof(bcc_proto_header) - 1);
	return vfile_add(f, inc, empty_kernel_header,
			 sizeof(empty_kernel_header) - 1);
}

static bool sock_alias_include(const char *inc)
{
	size_t i;

	if (!strncmp(inc, "uapi/", 5))
		inc += 5;
	for (i = 0;
	     i < sizeof(sock_alias_includes) / sizeof(sock_alias_includes[0]);
	     i++) {
		const char *p = sock_alias_includes[i];
		size_t n = strlen(p);

		if (p[n - 1] == '/' ? !strncmp(inc, p, n) : !strcmp(inc, p))
			return true;
	}
	return false;
}

static bool kernel_include(const char *inc)
{
	size_t i;

	for (i = 0; i < sizeof(kernel_include_prefixes) /
				sizeof(kernel_include_prefixes[0]);
	     i++)
		if (!strncmp(inc, kernel_include_prefixes[i],
			     strlen(kernel_include_prefixes[i])))
			return true;
	return false;
}

/* Everything the compile reads, in memory: prelude, kernel types, the
 * kernel headers the text includes, and ember/program.h: what this program
 * needs declared beyond the shared prelude (tracepoint argument structs). */
/* "NAME:L:C: error: " prefix for a byte offset of the user's text. */
static void error_at_offset(const char *name, const char *text, size_t off)
{
	unsigned int line, col;

	ember__text_position(text, strlen(text), off, &line, &col);
	ember__error_prefix(EINVAL, "%s:%u:%u: error", name, line, col);
}

/*
 * The running kernel's version and config, and without the precompiled
 * prelude the kernel types, as text. With it the compile still serves the
 * headers it holds (the kernel types from the file beside it): clang
 * inflates its own compressed copy of a header it serves from memory
 * whenever it looks at a location in it.
 */
static int add_kernel_types(struct vfiles *f, bool with_pch,
			    const struct ember_kernel_config_record *config)
{
	const char *text;
	size_t len;
	int err = 0;

	if (!with_pch) {
		err = ember__btf_header(&text, &len);
		if (!err)
			err = vfile_add(f, "ember/kernel_types.h", text, len);
	}
	return err
		       ?: vfile_add(f, "ember/kernel_config.h", config->text,
				    config->len);
}

/* The digest of everything the object depends on: the object cache's key. */
static int object_key(const struct ember_compile_opts *o, const char *text,
		      size_t len, const struct ember_digest *prelude,
		      const char *program_h, struct ember_digest *key)
{
	struct ember_hasher h;
	size_t i;

	if (ember__hasher_init(&h))
		return -ENOMEM;
	ember__hasher_str(&h, "ember object");
	ember__hasher_item(&h, prelude->bytes, sizeof(prelude->bytes));
	ember__hasher_str(&h, o->name);
	ember__hasher_item(&h, &o->cflags_cnt, sizeof(o->cflags_cnt));
	for (i = 0; i < o->cflags_cnt; i++)
		ember__hasher_str(&h, o->cflags[i]);
	ember__hasher_str(&h, program_h);
	ember__hasher_item(&h, text, len);
	return ember__hasher_final(&h, key);
}

/* Open the cache; if it may not be used, say why once and go without. */
static bool open_cache(const struct ember_compile_opts *o,
		       struct ember_cache *cache, struct ember_digest *prelude)
{
	int err = ember__cache_open(cache, o->log, o->log_ctx);

	cache->private_compiler = o->private_compiler;
	if (!err)
		err = ember__prelude_digest(cache, ember__clang_common_args,
					    ember__clang_common_args_cnt,
					    prelude);
	if (!err)
		return true;
	ember__cache_close(cache);
	if (o->log) {
		char *m = NULL;

		if (asprintf(&m,
			     "not using the cache: %s; compiling without it",
			     ember_errmsg()) >= 0)
			o->log(EMBER_LOG_WARN, m, o->log_ctx);
		free(m);
	}
	return false;
}

static int put_module_types(const struct ember_source_scan *scan,
			    const struct ember_btf_records *records, FILE *tp)
{
	char **names = calloc(scan->record_refs_cnt ? scan->record_refs_cnt : 1,
			      sizeof(*names));
	size_t cnt = 0, i, j, len = 0;
	char *types = NULL;
	int err;

	if (!names)
		return -ENOMEM;
	for (i = 0; i < scan->record_refs_cnt; i++) {
		const char *n = scan->record_refs[i];
		bool own = false;

		for (j = 0; j < scan->records_cnt && !own; j++)
			own = !strcmp(scan->records[j], n);
		if (!own && !ember__btf_records_has(records, n))
			names[cnt++] = scan->record_refs[i];
	}
	err = cnt ? ember__btf_module_types(names, cnt, &types, &len) : 0;
	if (!err && len)
		fwrite(types, 1, len, tp);
	free(types);
	free(names);
	return err;
}

static int build_vfiles(const struct ember_compile_opts *o, const char *text,
			const struct ember_cache *cache,
			const struct ember_digest *prelude,
			const struct ember_source_scan *scan,
			const struct ember_btf_records *records,
			const struct ember_kernel_headers *kh, struct vfiles *f,
			char **program_h)
{
	const struct ember_virtual_file *e;
	const char *types;
	size_t types_len, i;
	FILE *tp; /* ember/program.h being written */
	size_t program_len;
	int err;

	for (e = ember__embedded_headers; e->path; e++) {
		err = vfile_add(f, e->path, e->text, e->len);
		if (err)
			return err;
	}
	f->embedded = f->cnt;
	for (i = 0; i < sizeof(libc_wrapped) / sizeof(libc_wrapped[0]); i++) {
		err = vfile_add(f, libc_wrapped[i][0], libc_wrapped[i][1],
				strlen(libc_wrapped[i][1]));
		if (err)
			return err;
	}
	/* kernel_headers: ember/kernel_types.h includes the real headers, and
	 * the program's own kernel includes are read from the tree. */
	if (kh) {
		err = vfile_add(f, "ember/kernel_types.h", kh->prelude,
				strlen(kh->prelude));
		for (i = 0; !err && i < scan->includes_cnt; i++)
			if (!strncmp(scan->includes[i], bcc_include_prefix,
				     strlen(bcc_include_prefix)) &&
			    !vfile_has(f, scan->includes[i]))
				err = add_include(f, scan->includes[i]);
		if (err)
			return err;
		goto program_h;
	}
	err = 0;
	for (i = 0; !err && i < scan->includes_cnt; i++) {
		const char *inc = scan->includes[i];

		if (!kernel_include(inc) || vfile_has(f, inc))
			continue;
		if (!sock_alias_include(inc)) {
			err = add_include(f, inc);
			continue;
		}
		if (!vfile_has(f, "ember/sock_aliases.h")) {
			err = ember__btf_sock_aliases(&types, &types_len);
			if (!err)
				err = vfile_add(f, "ember/sock_aliases.h",
						types, types_len);
		}
		if (!err)
			err = vfile_add(f, inc, sock_alias_header,
					sizeof(sock_alias_header) - 1);
	}
	if (err)
		return err;

	/* libbpf's usdt.bpf.h includes <linux/errno.h>; prelude/usdt.h
	 * defines the numbers it uses. */
	if (scan->uses_usdt && !vfile_has(f, "linux/errno.h"))
		err = vfile_add(f, "linux/errno.h", empty_kernel_header,
				sizeof(empty_kernel_header) - 1);
	if (err)
		return err;

program_h:
	tp = open_memstream(program_h, &program_len);
	if (!tp)
		return -ENOMEM;
	/* USDT readers: libbpf's implementation and its tables, only for the
	 * programs that read USDT arguments. */
	if (scan->uses_usdt)
		fputs("#define __EMBER_USDT_IMPL 1\n#include <ember/usdt.h>\n",
		      tp);
	/* A struct the text defines that the kernel's BTF has too (a tool's
	 * copy of a private kernel struct, or a name that happens to match):
	 * the text's own definition is used, with its own layout as in BCC,
	 * under another name. */
	for (i = 0; !kh && i < scan->records_cnt; i++)
		if (ember__btf_records_has(records, scan->records[i]))
			fprintf(tp, "#define %s %s" USER_RECORD_SUFFIX "\n",
				scan->records[i], scan->records[i]);
	/* Structs the text names that vmlinux lacks: a loaded module's
	 * (nfs, rdma_cm); this file keys the object cache, so the module
	 * types used are part of the key. */
	if (!kh)
		err = put_module_types(scan, records, tp);
	/* Variadic on purpose: BCC programs call bpf_trace_printk("fmt", a)
	 * and ember rewrites that to bpf_trace_printk(fmt, sizeof(fmt), a);
	 * both match. Helper 6 is BPF_FUNC_trace_printk. */
	/* BCC's bpf_num_cpus(): the online CPUs now (this file is part of
	 * the object cache's key, so a new count compiles anew) */
	if (strstr(text, "bpf_num_cpus"))
		fprintf(tp, "#define __EMBER_NUM_CPUS %ld\n",
			sysconf(_SC_NPROCESSORS_ONLN) > 0
				? sysconf(_SC_NPROCESSORS_ONLN)
				: 1L);
	if (!scan->declares_trace_printk)
		fputs("static long (*bpf_trace_printk)(const char *fmt, ...) = "
		      "(void *)6;\n",
		      tp);
	for (i = 0; !err && i < scan->tracepoints_cnt; i++) {
		char *cat = strdup(scan->tracepoints[i]), *ev, *name = NULL;
		char *def = NULL, *format = NULL;

		if (!cat) {
			err = -ENOMEM;
			break;
		}
		ev = strchr(cat, '/');
		*ev++ = 0;
		if (asprintf(&name, "tracepoint__%s__%s", cat, ev) < 0)
			err = -ENOMEM;
		else
			err = ember__tracepoint_format_cached(cache, prelude,
							      cat, ev, &format);
		if (!err)
			err = ember__tracepoint_struct_of(cat, ev, format, name,
							  &def);
		if (err && err != -ENOMEM)
			error_at_offset(o->name, text,
					scan->tracepoint_offsets[i]);
		if (!err)
			fprintf(tp, "%s\n", def);
		free(format);
		free(def);
		free(name);
		free(cat);
	}
	if (fclose(tp) && !err)
		err = -ENOMEM;
	if (!err)
		err = own(f, *program_h);
	else {
		free(*program_h);
	}
	if (err) {
		*program_h = NULL;
		return err;
	}
	return vfile_add(f, "ember/program.h", *program_h, program_len);
}

/* Without the kernel's config every CONFIG_* test takes the "not set"
 * branch: say so rather than compile it silently. */
static void warn_without_config(const struct ember_compile_opts *o,
				const struct ember_kernel_config_record *config)
{
	char *m = NULL;

	if (!o->log || config->found)
		return;
	if (asprintf(&m,
		     "no kernel config found (%s): CONFIG_* are undefined "
		     "and IS_ENABLED() is 0",
		     config->source) >= 0)
		o->log(EMBER_LOG_WARN, m, o->log_ctx);
	free(m);
}

/* The kernel config header: from the cache when it may be used. */
static int kernel_config(bool cached, const struct ember_cache *cache,
			 const struct ember_digest *prelude,
			 struct ember_kernel_config_record *r)
{
	int err;

	if (cached)
		return ember__kernel_config_record_load(cache, prelude, r);
	memset(r, 0, sizeof(*r));
	err = ember__kernel_config_header(&r->text, &r->len, &r->found,
					  &r->source);
	return err ? ember__error(ENOMEM, "out of memory") : 0;
}

/*
 * One compile, as its steps (ember__compile) fill it in. The steps up to
 * the compiler run in the host; parse to codegen run in the compiler
 * process (compiler_client.h), on the job made of this struct.
 */
struct compile {
	const char *text;
	size_t len;
	const struct ember_compile_opts *o;
	struct ember_compiled *out;
	/* prepare_prelude: what the text is compiled with */
	bool headers; /* o->kernel_headers: kh in use */
	struct ember_kernel_headers kh;
	struct ember_source_scan scan;
	struct ember_btf_records records; /* when the text names records */
	struct vfiles vf;
	char *program_h;
	struct ember_cache cache;
	bool cached; /* the cache may be used; prelude is then set */
	struct ember_digest prelude;
	/* lookup_cache */
	struct ember_digest key;
	bool hit;
	/* load_prelude */
	struct ember_pch pch;
	struct ember_kernel_config_record config;
	/* run_compiler: the compiler's result, for hand_over */
	char *reply;
	size_t reply_len;
};

/* Kernel types (BTF or a header tree), the virtual files, and the cache
 * with the digest of the prelude it keys on. */
static int prepare_prelude(struct compile *c)
{
	const struct ember_compile_opts *o = c->o;
	double t;
	int err;

	/* kernel_headers: types from a real header tree, parsed as text every
	 * time (no PCH, no object cache: the tree can change under the same
	 * path), BCC's slow path. */
	if (c->headers) {
		err = ember__kernel_headers_open(o->kernel_headers, &c->kh);
		if (err)
			return err;
	}
	err = ember__check_text_size(o->name, c->len);
	if (err)
		return err;
	t = o->log ? ember__now_ms() : 0;
	if (!c->headers) {
		c->cached = open_cache(o, &c->cache, &c->prelude);
		ember__log_time(o->log, o->log_ctx,
				"cache open and prelude digest", t);
	}
	t = o->log ? ember__now_ms() : 0;
	err = ember__source_scan(c->text, c->len, &c->scan);
	/* without them the kernel's BTF is asked (parsed) */
	if (!err && c->cached &&
	    (c->scan.records_cnt || c->scan.record_refs_cnt))
		ember__btf_records_load(&c->cache, &c->prelude, &c->records);
	if (!err)
		err = build_vfiles(o, c->text, c->cached ? &c->cache : NULL,
				   &c->prelude, &c->scan, &c->records,
				   c->headers ? &c->kh : NULL, &c->vf,
				   &c->program_h);
	ember__log_time(o->log, o->log_ctx,
			"scan and virtual headers (tracepoint formats)", t);
	if (err == -ENOMEM)
		ember__error(ENOMEM, "out of memory");
	return err;
}

/* A program compiled before under the same prelude is reused. */
static int lookup_cache(struct compile *c)
{
	int err;

	if (!c->cached || c->o->rewrite_only)
		return 0;
	err = object_key(c->o, c->text, c->len, &c->prelude, c->program_h,
			 &c->key);
	if (err)
		return ember__error(ENOMEM, "out of memory");
	c->hit = !ember__object_cache_load(&c->cache, &c->key, c->out);
	return 0;
}

/* The precompiled prelude is an optimisation: without it the prelude is
 * parsed as text. */
static int load_prelude(struct compile *c)
{
	const struct ember_compile_opts *o = c->o;
	int err;

	if (c->cached &&
	    ember__prelude_pch(&c->cache, &c->prelude, ember__clang_common_args,
			       ember__clang_common_args_cnt, &c->pch) &&
	    o->log) {
		char *m = NULL;

		if (asprintf(&m, "not using a precompiled prelude: %s",
			     ember_errmsg()) >= 0)
			o->log(EMBER_LOG_INFO, m, o->log_ctx);
		free(m);
	}
	if (c->headers)
		return 0;
	err = kernel_config(c->cached, &c->cache, &c->prelude, &c->config);
	if (err)
		return err;
	err = add_kernel_types(&c->vf, c->pch.fd >= 0, &c->config);
	warn_without_config(o, &c->config);
	if (err == -ENOMEM)
		ember__error(ENOMEM, "out of memory");
	return err;
}

/* Includes of devices, FIFOs or huge files are refused before clang reads
 * them (include_check.h). */
static int check_includes(struct compile *c)
{
	const struct ember_compile_opts *o = c->o;

	return ember__check_includes(
		o->name, c->text, c->len, &c->scan,
		&(struct ember_include_search){
			.args = { (const char *const *)c->kh.args, o->cflags },
			.args_cnt = { c->kh.args_cnt, o->cflags_cnt },
			.is_virtual = vfile_is_virtual,
			.ctx = &c->vf });
}

/* What the translation needs of c (compile_job.h). */
static void make_job(const struct compile *c, struct ember_compile_job *j)
{
	*j = (struct ember_compile_job){
		.name = c->o->name,
		.text = c->text,
		.len = c->len,
		.cflags = c->o->cflags,
		.cflags_cnt = c->o->cflags_cnt,
		.headers = c->headers,
		.kh_args = (const char *const *)c->kh.args,
		.kh_args_cnt = c->kh.args_cnt,
		.host_triple = c->headers ? c->kh.host_triple : NULL,
		.files = c->vf.v,
		.files_cnt = c->vf.cnt,
		.program_h = c->program_h,
		.pch_path = c->pch.fd >= 0 ? c->pch.path : NULL,
		.types_path = c->pch.fd >= 0 ? c->pch.types_path : NULL,
	};
}

/* rewrite_only: the translation in this process, without code
 * generation. */
static int run_in_process(struct compile *c)
{
	struct ember_compile_job j;

	make_job(c, &j);
	return c->o->rewrite_only(&j, false, c->o->log, c->o->log_ctx, c->out);
}

/*
 * LLVM 14's BPF backend aborts on a signed 64-bit division or modulo ("Error
 * at line N: Unsupport signed division for DAG: ..., FILE:L:CPlease convert
 * to unsigned div/mod."). Said as the user's error at L:C when the place is
 * in the user's file.
 */
static int explain_signed_division(const char *name, int err)
{
	const char *m = ember_errmsg(), *p, *base = strrchr(name, '/');
	unsigned line, col;
	int n = 0;

	if (!strstr(m, "Unsupport signed division"))
		return err;
	base = base ? base + 1 : name;
	p = strstr(m, "Please convert to unsigned");
	/* back over "FILE:L:C" to the ", " before it */
	while (p && p > m && p[-1] != ' ')
		p--;
	if (p && !strncmp(p, base, strlen(base)) &&
	    sscanf(p + strlen(base), ":%u:%u%n", &line, &col, &n) == 2 && n)
		return ember__error(EINVAL,
				    "%s:%u:%u: error: signed division or "
				    "modulo: the BPF target has none; divide "
				    "unsigned values (cast to u64/u32)",
				    name, line, col);
	return ember__error(EINVAL,
			    "%s: error: signed division or modulo: the BPF "
			    "target has none; divide unsigned values (cast to "
			    "u64/u32)",
			    name);
}

static int run_compiler(struct compile *c)
{
	struct ember_compile_job j;
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int err;

	if (!f)
		return ember__error(ENOMEM, "out of memory");
	make_job(c, &j);
	/* the compiler has the embedded headers (compile_job.h) */
	j.files += c->vf.embedded;
	j.files_cnt -= c->vf.embedded;
	j.compiler_headers = true;
	ember__compile_job_pack(&j, f);
	if (fclose(f)) {
		free(body);
		return ember__error(ENOMEM, "out of memory");
	}
	err = ember__compiler_request(
		c->o->name, EMBER_COMPILER_TRANSLATE, c->o->private_compiler,
		body, len, (const int[]){ c->pch.fd, c->pch.types_fd },
		c->pch.fd >= 0 ? 2 : 0, c->o->log, c->o->log_ctx, &c->reply,
		&c->reply_len);
	free(body);
	return err ? explain_signed_division(c->o->name, err) : 0;
}

/* The compiler's result to the caller, and into the cache. */
static int hand_over(struct compile *c)
{
	if (ember__compiled_unpack(c->reply, c->reply_len, c->out))
		return ember__error(EIO,
				    "%s: the compiler's result was damaged",
				    c->o->name);
	if (c->cached)
		ember__object_cache_store(&c->cache, &c->key, c->out);
	return 0;
}

static void compile_free(struct compile *c)
{
	free(c->reply);
	ember__prelude_pch_close(&c->pch);
	ember__kernel_config_record_free(&c->config);
	ember__cache_close(&c->cache);
	vfiles_free(&c->vf);
	ember__kernel_headers_free(&c->kh);
	ember__source_scan_free(&c->scan);
	ember__btf_records_free(&c->records);
}

/* As BCC: the license is the program's to state, in its text. */
static int check_cflags(const struct ember_compile_opts *o)
{
	for (size_t i = 0; i < o->cflags_cnt; i++) {
		const char *f = o->cflags[i];

		if (!strcmp(f, "-D") && i + 1 < o->cflags_cnt)
			f = o->cflags[++i];
		else if (!strncmp(f, "-D", 2))
			f += 2;
		else
			continue;
		if (!strncmp(f, "BPF_LICENSE", 11) &&
		    (f[11] == 0 || f[11] == '='))
			return ember__error(
				EINVAL,
				"%s: error: BPF_LICENSE cannot be specified "
				"through cflags; #define BPF_LICENSE in the "
				"program text",
				o->name);
	}
	return 0;
}

int ember__compile(const char *text, const struct ember_compile_opts *o,
		   struct ember_compiled *out)
{
	struct compile c = { .text = text,
			     .len = strlen(text),
			     .o = o,
			     .out = out,
			     .headers = o->kernel_headers != NULL,
			     .cache = { .dirfd = -1 },
			     .pch = { .fd = -1, .types_fd = -1 } };
	double start = o->log ? ember__now_ms() : 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = check_cflags(o);
	err = err ?: prepare_prelude(&c);
	err = err ?: EMBER_TIMED(o, "object cache lookup", lookup_cache(&c));
	if (!err && !c.hit) {
		err = EMBER_TIMED(o, "PCH load (built when missing)",
				  load_prelude(&c));
		err = err
			      ?: EMBER_TIMED(o, "include check",
					     check_includes(&c));
		if (o->rewrite_only) {
			err = err ?: run_in_process(&c);
		} else {
			err = err
				      ?: EMBER_TIMED(
						 o,
						 "compiler process (request "
						 "to result)",
						 run_compiler(&c));
			err = err
				      ?: EMBER_TIMED(o, "object cache store",
						     hand_over(&c));
		}
	}
	if (!err)
		ember__compiled_log_warnings(out->warnings, o->log, o->log_ctx);
	compile_free(&c);
	ember__log_time(o->log, o->log_ctx,
			c.hit ? "compile (cached)" : "compile", start);
	if (err)
		ember__compiled_free(out);
	return err;
}
