// SPDX-License-Identifier: MIT
#include "loader/module.h"

#include <ctype.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "opts.h"
#include "timing.h"
#include "loader/attach.h"
#include "loader/libbpf_log.h"
#include "loader/shared_tables.h"
#include "loader/verifier_log.h"

/* Verifier log buffer for a failed load; the kernel keeps the tail when the
 * log is longer (rotating log), which is the part that explains. */
#define VERIFIER_LOG_SIZE (1u << 20)

const char *ember_version(void)
{
	return EMBER_VERSION_STRING;
}

void ember__module_logf(const struct ember_module *m,
			enum ember_log_level level, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	if (!m->log)
		return;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n >= 0)
		m->log(level, s, m->log_ctx);
	free(s);
}

struct ember_module *ember__module_alloc(const char *name, const char *text,
					 unsigned int debug_flags,
					 ember_log_fn log, void *log_ctx)
{
	struct ember_module *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->debug_flags = debug_flags;
	m->log = log;
	m->log_ctx = log_ctx;
	m->name = strdup(name);
	m->text = text ? strdup(text) : NULL;
	if (!m->name || (text && !m->text)) {
		free(m->name);
		free(m->text);
		free(m);
		return NULL;
	}
	return m;
}

int ember__module_take_compiled(struct ember_module *m)
{
	size_t i;

	if (!(m->debug_flags & EMBER_DEBUG_SOURCE)) {
		free(m->compiled.rewritten);
		m->compiled.rewritten = NULL;
	}
	m->progs = calloc(m->compiled.progs_cnt ? m->compiled.progs_cnt : 1,
			  sizeof(*m->progs));
	if (!m->progs)
		return ember__error(ENOMEM, "out of memory");
	for (i = 0; i < m->compiled.progs_cnt; i++) {
		m->progs[i].name = m->compiled.progs[i].name;
		m->progs[i].section = m->compiled.progs[i].section;
	}
	m->progs_cnt = m->compiled.progs_cnt;
	return 0;
}

int ember_module_compile(const char *text, const struct ember_module_opts *opts,
			 struct ember_module **out)
{
	struct ember_compile_opts co = { 0 };
	struct ember_module_opts o;
	struct ember_module *m;
	int err;

	if (!text || !out)
		return ember__error(EINVAL, "ember_module_compile: text and "
					    "out must not be NULL");
	*out = NULL;
	err = EMBER_OPTS_COPY(o, opts, "ember_module_opts");
	if (err)
		return err;
	co.name = o.name ? o.name : "<text>";
	co.cflags = o.cflags;
	co.cflags_cnt = o.cflags_cnt;
	co.kernel_headers = o.kernel_headers;
	co.private_compiler = o.private_compiler;
	co.log = o.log;
	co.log_ctx = o.log_ctx;
	m = ember__module_alloc(co.name, text, o.debug_flags, o.log, o.log_ctx);
	if (!m)
		return ember__error(ENOMEM, "out of memory");
	err = ember__compile(text, &co, &m->compiled);
	if (!err)
		err = ember__module_take_compiled(m);
	if (err) {
		ember_module_free(m);
		return err;
	}
	*out = m;
	return 0;
}

struct ember_prog *ember__module_find_prog(const struct ember_module *m,
					   const char *name)
{
	size_t i;

	for (i = 0; i < m->progs_cnt; i++)
		if (!strcmp(m->progs[i].name, name))
			return &m->progs[i];
	return NULL;
}

/* See ember_section_def.flags: EMBER_SEC_ON_REQUEST. */
static bool loaded_on_request(const struct ember_prog *p)
{
	const struct ember_section_def *def = ember__section_def(p->section);

	return def && (def->flags & EMBER_SEC_ON_REQUEST);
}

static bool is_rodata(const struct bpf_map *map)
{
	const char *dot = strrchr(bpf_map__name(map), '.');

	return bpf_map__is_internal(map) && dot && !strcmp(dot, ".rodata");
}

/* Write ctx_mode into this object's own copy of __ember_ctx_mode (see
 * prelude/syscall_ctx.h), if the program reads it. */
static int set_ctx_mode(struct bpf_object *obj, int ctx_mode)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct bpf_map *map;
	const void *init;
	size_t size;
	char *data;
	int id, i, err = 0;

	if (!btf)
		return 0;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return 0;
	sec = btf__type_by_id(btf, id);
	bpf_object__for_each_map(map, obj)
		if (is_rodata(map))
			break;
	if (!map)
		return 0;
	init = bpf_map__initial_value(map, &size);
	if (!init)
		return 0;
	data = malloc(size);
	if (!data)
		return -ENOMEM;
	memcpy(data, init, size);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, var->name_off),
			   "__ember_ctx_mode"))
			continue;
		if (vs->offset + sizeof(int) > size) {
			err = -EINVAL;
			break;
		}
		memcpy(data + vs->offset, &ctx_mode, sizeof(int));
		err = bpf_map__set_initial_value(map, data, size);
	}
	free(data);
	return err;
}

/* libbpf prefixes internal map names with the object name: keep it short
 * and made of identifier characters. */
static void object_name(const char *name, char *buf, size_t size)
{
	const char *base = strrchr(name, '/');
	size_t i = 0;

	base = base ? base + 1 : name;
	for (; *base && *base != '.' && i + 1 < size; base++)
		buf[i++] = isalnum((unsigned char)*base) ? *base : '_';
	if (!i)
		buf[i++] = 'p';
	buf[i] = 0;
}

static struct bpf_object *open_object(const struct ember_module *m)
{
	char name[16];
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = name);

	object_name(m->name, name, sizeof(name));
	return bpf_object__open_mem(m->compiled.obj, m->compiled.obj_len, &oo);
}

/* The capabilities loading and attaching tracing programs needs that the
 * process lacks, as "CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)". */
static void missing_caps(char *buf, size_t size)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { 0 };
	bool bpf, perfmon, admin;

	if (syscall(SYS_capget, &h, d)) {
		snprintf(buf, size,
			 "CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN");
		return;
	}
#define HAS(cap) (d[(cap) / 32].effective & (1u << ((cap) % 32)))
	bpf = HAS(CAP_BPF);
	perfmon = HAS(CAP_PERFMON);
	admin = HAS(CAP_SYS_ADMIN);
#undef HAS
	if (admin || (bpf && perfmon))
		snprintf(buf, size,
			 "nothing it lacks (it has %s): check "
			 "kernel.unprivileged_bpf_disabled, lockdown and "
			 "RLIMIT_MEMLOCK",
			 admin ? "CAP_SYS_ADMIN" : "CAP_BPF and CAP_PERFMON");
	else
		snprintf(buf, size,
			 "the process lacks %s%s%s (or CAP_SYS_ADMIN)",
			 bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "",
			 perfmon ? "" : "CAP_PERFMON");
}

static int permission_error(const struct ember_module *m)
{
	char caps[160];

	missing_caps(caps, sizeof(caps));
	return ember__error(EPERM,
			    "%s: the kernel refused to load BPF (EPERM): %s",
			    m->name, caps);
}

/* The last line of libbpf's captured warnings (the one that says why). */
static const char *last_line(const char *text, int *len)
{
	const char *end = text + strlen(text), *start;

	while (end > text && end[-1] == '\n')
		end--;
	for (start = end; start > text && start[-1] != '\n'; start--)
		;
	*len = (int)(end - start);
	return start;
}

/* A table the kernel would not create, in one line: its name, kind and
 * size, and the kernel's errno. */
static int map_error(const struct ember_module *m, struct bpf_object *obj,
		     const char *name, int err)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);
	const struct ember_table_decl *d = ember__module_table_decl(m, name);
	const char *kind = d ? d->kind : NULL;
	unsigned long long entries, value;

	if (err == EPERM)
		return permission_error(m);
	if (!map)
		return ember__error(err,
				    "%s: table '%s' could not be created: %s "
				    "(%s)",
				    m->name, name, strerror(err),
				    strerrorname_np(err));
	if (!kind)
		kind = libbpf_bpf_map_type_str(bpf_map__type(map));
	entries = bpf_map__max_entries(map);
	value = bpf_map__value_size(map);
	return ember__error(err,
			    "%s: table '%s' (%s, %llu entries x %llu-byte "
			    "values = %llu bytes) could not be created: %s "
			    "(%s)",
			    m->name, name, kind ? kind : "?", entries, value,
			    entries * value, strerror(err),
			    strerrorname_np(err));
}

/* Explain a failed bpf_object__load: the table the kernel refused, the
 * verifier's words if it spoke, libbpf's last otherwise. The whole of
 * libbpf's text went to the log callback (debug level). */
static int load_error(const struct ember_module *m, int err,
		      struct bpf_object *obj, const char *verifier_log)
{
	const char *libbpf_says = ember__libbpf_log_end(), *last;
	struct bpf_program *prog;
	const char *failed = NULL, *map;
	int map_err, last_len;

	map = ember__libbpf_failed_map(&map_err);
	if (map)
		return map_error(m, obj, map, map_err ? map_err : -err);
	bpf_object__for_each_program(prog, obj)
		if (bpf_program__autoload(prog) && bpf_program__fd(prog) < 0) {
			failed = bpf_program__name(prog);
			break;
		}
	if (err == -EPERM && !(verifier_log && *verifier_log))
		return permission_error(m);
	if (failed && verifier_log && *verifier_log) {
		if (m->log)
			ember__module_logf(m, EMBER_LOG_DEBUG,
					   "verifier log of '%s':\n%s", failed,
					   verifier_log);
		{
			struct ember_verifier_source src = {
				.obj = m->compiled.obj,
				.obj_len = m->compiled.obj_len,
				.name = m->name,
				.text = m->text,
			};

			return ember__verifier_error(EINVAL, failed,
						     verifier_log, &src);
		}
	}
	last = last_line(libbpf_says, &last_len);
	return ember__error(-err, "%s: loading failed%s%s (%s)%s%.*s", m->name,
			    failed ? " at program " : "", failed ? failed : "",
			    strerror(-err), last_len ? ": " : "", last_len,
			    last);
}

static void report_verifier_logs(const struct ember_module *m,
				 struct bpf_object *obj)
{
	struct bpf_program *prog;
	size_t size;

	if (!(m->debug_flags & EMBER_DEBUG_VERIFIER))
		return;
	bpf_object__for_each_program(prog, obj) {
		const char *log = bpf_program__log_buf(prog, &size);

		if (bpf_program__autoload(prog) && log && *log)
			ember__module_logf(m, EMBER_LOG_INFO,
					   "verifier log of '%s':\n%s",
					   bpf_program__name(prog), log);
	}
}

/* Give every program to load the one log buffer: libbpf loads them in turn
 * and only asks for a log (log_level 1) after a failure, unless asked. */
static void prepare_program(const struct ember_module *m,
			    struct bpf_program *prog, char *log_buf)
{
	log_buf[0] = 0;
	bpf_program__set_log_buf(prog, log_buf, VERIFIER_LOG_SIZE);
	if (m->debug_flags & EMBER_DEBUG_VERIFIER)
		bpf_program__set_log_level(prog, 1);
}

int ember_module_load(struct ember_module *m)
{
	struct bpf_program *prog;
	char *log_buf;
	double t;
	int err;

	if (!m)
		return ember__error(EINVAL, "module is NULL");
	if (m->loaded)
		return ember__error(EALREADY, "%s is already loaded", m->name);
	log_buf = malloc(VERIFIER_LOG_SIZE);
	if (!log_buf)
		return ember__error(ENOMEM, "out of memory");
	log_buf[0] = 0;
	ember__libbpf_log_begin(m->log, m->log_ctx);
	t = m->log ? ember__now_ms() : 0;
	m->obj = open_object(m);
	ember__log_time(m->log, m->log_ctx, "libbpf open", t);
	if (!m->obj) {
		err = -errno;
		ember__error(-err,
			     "%s: libbpf could not open the compiled "
			     "object: %s\n%s",
			     m->name, strerror(-err), ember__libbpf_log_end());
		goto out;
	}
	bpf_object__for_each_program(prog, m->obj) {
		struct ember_prog *p =
			ember__module_find_prog(m, bpf_program__name(prog));
		/* a section libbpf does not know leaves the type to the host */
		bool now = p && !loaded_on_request(p) &&
			   bpf_program__type(prog) != BPF_PROG_TYPE_UNSPEC;

		bpf_program__set_autoload(prog, now);
		if (now) {
			p->prog = prog;
			prepare_program(m, prog, log_buf);
		}
	}
	err = ember__shared_tables_prepare(m);
	if (!err) {
		t = m->log ? ember__now_ms() : 0;
		err = bpf_object__load(m->obj);
		ember__log_time(m->log, m->log_ctx,
				"libbpf load (tables, verifier)", t);
		if (err)
			err = load_error(m, err, m->obj, log_buf);
	}
	if (!err)
		err = ember__shared_tables_publish(m);
	if (err) {
		ember__libbpf_log_end();
		bpf_object__close(m->obj);
		m->obj = NULL;
		for (size_t i = 0; i < m->progs_cnt; i++)
			m->progs[i].prog = NULL;
		goto out;
	}
	report_verifier_logs(m, m->obj);
	ember__libbpf_log_end();
	m->loaded = true;
out:
	free(log_buf);
	return err;
}

int ember__module_load_prog(struct ember_module *m, struct ember_prog *p,
			    enum bpf_prog_type type, int ctx_mode)
{
	struct bpf_program *prog, *want = NULL;
	struct bpf_object *obj;
	struct bpf_map *map;
	char *log_buf;
	int err;

	if (!m->loaded)
		return ember__error(EINVAL, "%s: load the module first",
				    m->name);
	if (p->prog) {
		enum bpf_prog_type have = bpf_program__type(p->prog);

		if (have == type && ctx_mode == p->ctx_mode)
			return 0;
		if (have == type)
			/* the kprobe fallback: one tracepoint program reads
			 * either entry or exit arguments, not both */
			return ember__error(
				EINVAL,
				"function '%s' is loaded for a system call's "
				"%s tracepoint (standing in for a %s): it "
				"cannot serve the %s as well; use a second "
				"function",
				p->name,
				p->ctx_mode == EMBER_CTX_SYS_EXIT ? "exit"
								  : "entry",
				p->ctx_mode == EMBER_CTX_SYS_EXIT ? "kretprobe"
								  : "kprobe",
				ctx_mode == EMBER_CTX_SYS_EXIT ? "exit"
							       : "entry");
		return ember__error(EINVAL,
				    "function '%s' is loaded as a %s program, "
				    "not %s",
				    p->name, libbpf_bpf_prog_type_str(have),
				    libbpf_bpf_prog_type_str(type));
	}
	log_buf = malloc(VERIFIER_LOG_SIZE);
	if (!log_buf)
		return ember__error(ENOMEM, "out of memory");
	ember__libbpf_log_begin(m->log, m->log_ctx);
	obj = open_object(m);
	if (!obj) {
		err = -errno;
		ember__error(-err, "%s: libbpf could not open the object: %s",
			     m->name, strerror(-err));
		ember__libbpf_log_end();
		goto out;
	}
	bpf_object__for_each_program(prog, obj) {
		bool it = !strcmp(bpf_program__name(prog), p->name);

		bpf_program__set_autoload(prog, it);
		if (it) {
			want = prog;
			bpf_program__set_type(prog, type);
			prepare_program(m, prog, log_buf);
		}
	}
	/* Share the main object's tables instead of creating new ones; the
	 * read-only data is the exception: each such program gets its own
	 * copy, to carry its ctx mode. So are libbpf's USDT argument tables:
	 * each object numbers its USDT specs from 0. */
	err = set_ctx_mode(obj, ctx_mode);
	bpf_object__for_each_map(map, obj) {
		struct bpf_map *main = bpf_object__find_map_by_name(
			m->obj, bpf_map__name(map));

		if (err)
			break;
		if (main && !is_rodata(map) &&
		    strncmp(bpf_map__name(map), "__bpf_usdt_", 11)) {
			err = bpf_map__reuse_fd(map, bpf_map__fd(main));
			if (err)
				break;
		}
	}
	err = err ? err : bpf_object__load(obj);
	if (err) {
		err = load_error(m, err, obj, log_buf);
		bpf_object__close(obj);
		goto out;
	}
	report_verifier_logs(m, obj);
	ember__libbpf_log_end();
	p->own_obj = obj;
	p->prog = want;
	p->ctx_mode = ctx_mode;
out:
	free(log_buf);
	return err;
}

int ember_module_new(const char *text, const struct ember_module_opts *opts,
		     struct ember_module **out)
{
	int err = ember_module_compile(text, opts, out);

	if (err)
		return err;
	err = ember_module_load(*out);
	if (err) {
		ember_module_free(*out);
		*out = NULL;
	}
	return err;
}

int ember__module_prog(const struct ember_module *m, const char *fn_name,
		       struct ember_prog **p)
{
	if (!m || !fn_name)
		return ember__error(EINVAL, "module and function name needed");
	*p = ember__module_find_prog(m, fn_name);
	if (!*p)
		return ember__error(ENOENT,
				    "%s has no program function '%s' (static "
				    "functions are not programs)",
				    m->name, fn_name);
	return 0;
}

int ember_module_load_func(struct ember_module *m, const char *fn_name,
			   enum ember_prog_type type)
{
	struct ember_prog *p;
	int err = ember__module_prog(m, fn_name, &p);

	if (!err)
		err = ember__module_load_prog(m, p, (enum bpf_prog_type)type,
					      0);
	return err ? err : bpf_program__fd(p->prog);
}

int ember_module_prog_fd(const struct ember_module *m, const char *fn_name)
{
	struct ember_prog *p;
	int err = ember__module_prog(m, fn_name, &p);

	if (err)
		return err;
	if (!p->prog)
		return ember__error(ENODEV, "function '%s' is not loaded yet",
				    fn_name);
	return bpf_program__fd(p->prog);
}

struct bpf_map *ember__module_map(const struct ember_module *m,
				  const char *name)
{
	return m && m->obj ? bpf_object__find_map_by_name(m->obj, name) : NULL;
}

int ember__module_map_of_type(const struct ember_module *m, const char *name,
			      enum bpf_map_type type, const char *what, int *fd)
{
	struct bpf_map *map = ember__module_map(m, name);

	if (!map)
		return ember__error(ENOENT, "no table '%s'", name);
	if (bpf_map__type(map) != type)
		return ember__error(EINVAL, "table '%s' is not a %s table",
				    name, what);
	*fd = bpf_map__fd(map);
	if (*fd < 0)
		return ember__error(
			ENODEV, "table '%s': the module is not loaded", name);
	return 0;
}

const struct ember_table_decl *
ember__module_table_decl(const struct ember_module *m, const char *name)
{
	size_t i;

	for (i = 0; m && i < m->compiled.tables_cnt; i++)
		if (!strcmp(m->compiled.tables[i].name, name))
			return &m->compiled.tables[i];
	return NULL;
}

const struct btf *ember__module_btf(const struct ember_module *m)
{
	return m && m->obj ? bpf_object__btf(m->obj) : NULL;
}

const char *ember_module_rewritten_source(const struct ember_module *m)
{
	return m ? m->compiled.rewritten : NULL;
}

int ember__module_add_attachment(struct ember_module *m, struct bpf_link *l,
				 void (*detach)(void *data), void *data,
				 const char *what, const char *fn,
				 struct ember_link **out)
{
	struct ember_link *k = calloc(1, sizeof(*k));

	if (!k || (fn ? asprintf(&k->what, "%s → %s", what, fn) < 0
		      : !(k->what = strdup(what)))) {
		free(k);
		if (l)
			bpf_link__destroy(l);
		else
			detach(data);
		return ember__error(ENOMEM, "out of memory");
	}
	k->module = m;
	k->perf_fd = -1;
	k->link = l;
	k->detach = l ? NULL : detach;
	k->data = data;
	k->next = m->links;
	m->links = k;
	m->links_cnt++;
	if (out)
		*out = k;
	return 0;
}

void ember__link_free(struct ember_link *link)
{
	struct ember_link **pp;
	struct ember_module *m = link->module;

	for (pp = &m->links; *pp; pp = &(*pp)->next)
		if (*pp == link) {
			*pp = link->next;
			m->links_cnt--;
			break;
		}
	if (link->detach)
		link->detach(link->data);
	else
		bpf_link__destroy(link->link);
	/* The event's release waits until no run of the program is left. */
	if (link->perf_fd >= 0)
		close(link->perf_fd);
	free(link->what);
	free(link);
}

int ember_link_detach(struct ember_link *link)
{
	if (!link)
		return ember__error(EINVAL, "link is NULL");
	ember__link_free(link);
	return 0;
}

size_t ember_module_link_cnt(const struct ember_module *m)
{
	return m ? m->links_cnt : 0;
}

void ember_module_free(struct ember_module *m)
{
	size_t i;

	if (!m)
		return;
	ember__module_release_links(m);
	ember__shared_tables_withdraw(m);
	free(m->tables);
	for (i = 0; i < m->progs_cnt; i++)
		bpf_object__close(m->progs[i].own_obj);
	bpf_object__close(m->obj);
	free(m->progs); /* names are owned by compiled */
	ember__compiled_free(&m->compiled);
	free(m->name);
	free(m->text);
	free(m);
}
