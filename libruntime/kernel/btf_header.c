// SPDX-License-Identifier: MIT
#include "kernel/btf_header.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "error.h"

static void print_to_stream(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

/* The type behind typedefs and qualifiers. */
static const struct btf_type *resolve(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

/* The member called name of a struct or union, looking inside anonymous
 * members as C does; its type id in *type. */
static bool find_member(const struct btf *btf, const struct btf_type *t,
			const char *name, __u32 *type)
{
	const struct btf_member *m;
	__u16 i;

	if (!t || !btf_is_composite(t))
		return false;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);
		__u32 id = m->type;

		if (n && *n) {
			if (!strcmp(n, name)) {
				*type = m->type;
				return true;
			}
			continue;
		}
		if (find_member(btf, resolve(btf, &id), name, type))
			return true;
	}
	return false;
}

static const struct btf_type *find_composite(const struct btf *btf,
					     const char *name)
{
	__s32 id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	if (id < 0)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_UNION);
	return id < 0 ? NULL : btf__type_by_id(btf, (__u32)id);
}

/* Length of the array member of a struct or union; 0 if there is none. */
static __u32 array_len(const struct btf *btf, const char *record,
		       const char *member)
{
	const struct btf_type *t;
	__u32 id;

	if (!find_member(btf, find_composite(btf, record), member, &id))
		return 0;
	t = resolve(btf, &id);
	return t && btf_is_array(t) ? btf_array(t)->nelems : 0;
}

/*
 * Lengths the kernel's headers fix by #define and BTF shows as the length of
 * the array they size: the running kernel's values, whatever its version or
 * architecture.
 */
static void put_array_constants(const struct btf *btf, FILE *out)
{
	static const struct {
		const char *macro, *record, *member;
	} lengths[] = {
		/* before 6.14 d_iname; since, the union d_shortname */
		{ "DNAME_INLINE_LEN", "dentry", "d_iname" },
		{ "DNAME_INLINE_LEN", "shortname_store", "string" },
		{ "DISK_NAME_LEN", "gendisk", "disk_name" },
		{ "IFNAMSIZ", "net_device", "name" },
		{ "IFALIASZ", "dev_ifalias", "ifalias" },
		{ "MODULE_NAME_LEN", "module", "name" },
	};
	size_t i;

	for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		__u32 n = array_len(btf, lengths[i].record, lengths[i].member);

		if (n)
			fprintf(out, "#ifndef %s\n#define %s %u\n#endif\n",
				lengths[i].macro, lengths[i].macro, n);
	}
}

int ember__btf_header_from_file(const char *path, char **text, size_t *len)
{
	struct btf_dump *dump = NULL;
	struct btf *btf;
	FILE *out;
	__u32 id, n;
	int err = 0;

	*text = NULL;
	*len = 0;
	btf = btf__parse(path, NULL);
	if (!btf)
		return ember__error(
			errno ? errno : ENOENT,
			"cannot read kernel BTF %s: %s (ember needs "
			"a kernel built with CONFIG_DEBUG_INFO_BTF, "
			"or the kernel_headers option)",
			path, strerror(errno));
	out = open_memstream(text, len);
	if (!out) {
		btf__free(btf);
		return ember__error(ENOMEM, "out of memory");
	}
	dump = btf_dump__new(btf, print_to_stream, out, NULL);
	if (!dump) {
		err = ember__error(errno, "cannot dump kernel BTF: %s",
				   strerror(errno));
		goto out;
	}
	/* Records get preserve_access_index so every member access through
	 * them is relocated by libbpf against the running kernel (CO-RE). */
	fputs("#ifndef __EMBER_KERNEL_TYPES__\n"
	      "#define __EMBER_KERNEL_TYPES__\n"
	      /* libbpf's bpf_tracing.h picks kernel pt_regs names on it */
	      "#define __VMLINUX_H__\n"
	      "#pragma clang attribute push "
	      "(__attribute__((preserve_access_index)), apply_to = record)\n",
	      out);
	n = btf__type_cnt(btf);
	for (id = 1; id < n; id++) {
		err = btf_dump__dump_type(dump, id);
		if (err) {
			err = ember__error(-err, "cannot dump BTF type %u: %s",
					   id, strerror(-err));
			goto out;
		}
	}
	fputs("#pragma clang attribute pop\n", out);
	put_array_constants(btf, out);
	fputs("#endif\n", out);
out:
	btf_dump__free(dump);
	btf__free(btf);
	if (fclose(out) && !err)
		err = ember__error(ENOMEM, "out of memory");
	if (err) {
		free(*text);
		*text = NULL;
		*len = 0;
	}
	return err;
}

static pthread_mutex_t header_lock = PTHREAD_MUTEX_INITIALIZER;
static char *header_text;
static size_t header_len;

int ember__btf_header(const char **text, size_t *len)
{
	int err = 0;

	pthread_mutex_lock(&header_lock);
	if (!header_text)
		err = ember__btf_header_from_file(EMBER_VMLINUX_BTF,
						  &header_text, &header_len);
	*text = header_text;
	*len = header_len;
	pthread_mutex_unlock(&header_lock);
	return err;
}

/* The running kernel's BTF, parsed once for questions about its types. */
static pthread_mutex_t vmlinux_lock = PTHREAD_MUTEX_INITIALIZER;
static struct btf *vmlinux;

const struct btf *ember__vmlinux_btf(void)
{
	pthread_mutex_lock(&vmlinux_lock);
	if (!vmlinux)
		vmlinux = btf__parse(EMBER_VMLINUX_BTF, NULL);
	pthread_mutex_unlock(&vmlinux_lock);
	return vmlinux;
}

bool ember__btf_has_record(const char *name)
{
	const struct btf *btf = ember__vmlinux_btf();

	return btf && find_composite(btf, name) != NULL;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ember__btf_record_names(char **names, size_t *len)
{
	const struct btf *btf = ember__vmlinux_btf();
	const char **v = NULL;
	size_t cnt = 0, cap = 0, i;
	__u32 id, n;
	FILE *out;

	*names = NULL;
	*len = 0;
	if (!btf)
		return ember__error(errno ? errno : ENOENT,
				    "cannot read kernel BTF %s",
				    EMBER_VMLINUX_BTF);
	n = btf__type_cnt(btf);
	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name = btf__name_by_offset(btf, t->name_off);

		if ((!btf_is_struct(t) && !btf_is_union(t)) || !name || !*name)
			continue;
		if (cnt == cap) {
			const char **w;

			cap = cap ? cap * 2 : 4096;
			w = realloc(v, cap * sizeof(*v));
			if (!w) {
				free(v);
				return ember__error(ENOMEM, "out of memory");
			}
			v = w;
		}
		v[cnt++] = name;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), compare_names);
	out = open_memstream(names, len);
	for (i = 0; out && i < cnt; i++)
		if (!i || strcmp(v[i], v[i - 1]))
			fwrite(v[i], 1, strlen(v[i]) + 1, out);
	free(v);
	if (!out || fclose(out)) {
		if (out)
			free(*names);
		*names = NULL;
		*len = 0;
		return ember__error(ENOMEM, "out of memory");
	}
	return 0;
}

/* A btf_dump printer that can be switched off: types dumped while off
 * count as emitted, so what comes after does not repeat them. */
struct switched_out {
	FILE *out;
	bool on;
};

static void print_switched(void *ctx, const char *fmt, va_list args)
{
	struct switched_out *s = ctx;

	if (s->on)
		vfprintf(s->out, fmt, args);
}

/*
 * Every type of module BTF mod (split on vmlinux's base_cnt types) as C:
 * the vmlinux types go through the dump silently first, so the module's
 * types refer to the definitions ember/kernel_types.h already has.
 */
static int dump_module(struct btf *mod, __u32 base_cnt, const char *name,
		       FILE *out)
{
	struct switched_out s = { .out = out };
	struct btf_dump *dump = btf_dump__new(mod, print_switched, &s, NULL);
	__u32 id, n = btf__type_cnt(mod);
	int err = 0;

	if (!dump)
		return -errno;
	for (id = 1; id < base_cnt && !err; id++)
		err = btf_dump__dump_type(dump, id);
	s.on = true;
	fprintf(out,
		"/* kernel module %s (its BTF) */\n"
		"#pragma clang attribute push "
		"(__attribute__((preserve_access_index)), apply_to = record)\n",
		name);
	for (id = base_cnt; id < n && !err; id++)
		err = btf_dump__dump_type(dump, id);
	fputs("#pragma clang attribute pop\n", out);
	btf_dump__free(dump);
	return err;
}

static const char *module_btf_dir(void)
{
	/* tests point this at BTF files of their own */
	const char *env = secure_getenv("EMBER_MODULE_BTF_DIR");

	return env && *env ? env : EMBER_MODULE_BTF_DIR;
}

int ember__btf_module_types(char *const *names, size_t cnt, char **text,
			    size_t *len)
{
	const struct btf *base = ember__vmlinux_btf();
	const char *dir = module_btf_dir();
	bool *found = NULL;
	struct dirent *de;
	FILE *out;
	DIR *d = NULL;
	int err = 0;

	*text = NULL;
	*len = 0;
	out = open_memstream(text, len);
	if (!out)
		return ember__error(ENOMEM, "out of memory");
	found = calloc(cnt ? cnt : 1, sizeof(*found));
	if (!found) {
		err = ember__error(ENOMEM, "out of memory");
		goto out;
	}
	/* no vmlinux BTF or no module BTF (modules off, none loaded): none */
	if (!base || !cnt || !(d = opendir(dir)))
		goto out;
	while (!err && (de = readdir(d))) {
		__u32 base_cnt = btf__type_cnt(base);
		char path[4096];
		struct btf *mod;
		bool wanted = false;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux") ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
			    (int)sizeof(path))
			continue;
		/* libbpf checks the file as BTF; anything else is skipped */
		mod = btf__parse_split(path, (struct btf *)base);
		if (!mod)
			continue;
		for (size_t i = 0; i < cnt; i++) {
			const struct btf_type *t;
			__s32 id;

			if (found[i])
				continue;
			id = btf__find_by_name_kind(mod, names[i],
						    BTF_KIND_STRUCT);
			if (id < 0)
				id = btf__find_by_name_kind(mod, names[i],
							    BTF_KIND_UNION);
			t = id > 0 ? btf__type_by_id(mod, (__u32)id) : NULL;
			/* a definition the module has (not a declaration) */
			if (t && (__u32)id >= base_cnt && btf_vlen(t) > 0)
				found[i] = wanted = true;
		}
		if (wanted && dump_module(mod, base_cnt, de->d_name, out))
			err = ember__error(EINVAL,
					   "cannot dump the BTF of kernel "
					   "module %s",
					   de->d_name);
		btf__free(mod);
	}
out:
	if (d)
		closedir(d);
	free(found);
	if (fclose(out) && !err)
		err = ember__error(ENOMEM, "out of memory");
	if (err) {
		free(*text);
		*text = NULL;
		*len = 0;
	}
	return err;
}

static bool has_member(const struct btf *btf, const char *record,
		       const char *member)
{
	__u32 id;

	return find_member(btf, find_composite(btf, record), member, &id);
}

/*
 * prefix_X -> path.skc_X for each skc_X of struct sock_common that the
 * record lacks under its own name: the kernel's own spelling of these
 * aliases (net/sock.h, inet_timewait_sock.h).
 */
static void put_common_aliases(const struct btf *btf, FILE *out,
			       const char *record, const char *prefix,
			       const char *path)
{
	const struct btf_type *t = find_composite(btf, "sock_common");
	char alias[128];

	if (!t || !find_composite(btf, record))
		return;
	/* sock_common's members depth-first, anonymous unions included */
	{
		const struct btf_type *stack[8];
		__u16 at[8];
		int depth = 0;

		stack[0] = t;
		at[0] = 0;
		while (depth >= 0) {
			const struct btf_type *c = stack[depth];
			const struct btf_member *m;
			const char *n;
			__u32 mid;

			if (at[depth] >= btf_vlen(c)) {
				depth--;
				continue;
			}
			m = btf_members(c) + at[depth]++;
			n = btf__name_by_offset(btf, m->name_off);
			mid = m->type;
			if (!n || !*n) {
				const struct btf_type *inner =
					resolve(btf, &mid);

				if (inner && btf_is_composite(inner) &&
				    depth + 1 < 8) {
					stack[++depth] = inner;
					at[depth] = 0;
				}
				continue;
			}
			if (strncmp(n, "skc_", 4))
				continue;
			snprintf(alias, sizeof(alias), "%s%s", prefix, n + 4);
			if (has_member(btf, record, alias))
				continue;
			fprintf(out, "#define %s %s.%s\n", alias, path, n);
		}
	}
}

int ember__btf_sock_aliases(const char **text, size_t *len)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char *alias_text;
	static size_t alias_len;
	/* inet_sock.h and inet_request_sock: names the kernel gives fields of
	 * the sock_common inside them */
	static const struct {
		const char *record, *alias, *path;
	} named[] = {
		{ "inet_sock", "inet_daddr", "sk.__sk_common.skc_daddr" },
		{ "inet_sock", "inet_rcv_saddr",
		  "sk.__sk_common.skc_rcv_saddr" },
		{ "inet_sock", "inet_dport", "sk.__sk_common.skc_dport" },
		{ "inet_sock", "inet_num", "sk.__sk_common.skc_num" },
		{ "inet_request_sock", "ir_loc_addr",
		  "req.__req_common.skc_rcv_saddr" },
		{ "inet_request_sock", "ir_rmt_addr",
		  "req.__req_common.skc_daddr" },
		{ "inet_request_sock", "ir_num", "req.__req_common.skc_num" },
		{ "inet_request_sock", "ir_rmt_port",
		  "req.__req_common.skc_dport" },
		{ "inet_request_sock", "ir_v6_rmt_addr",
		  "req.__req_common.skc_v6_daddr" },
		{ "inet_request_sock", "ir_v6_loc_addr",
		  "req.__req_common.skc_v6_rcv_saddr" },
		{ "inet_request_sock", "ir_iif",
		  "req.__req_common.skc_bound_dev_if" },
		{ "inet_request_sock", "ir_cookie",
		  "req.__req_common.skc_cookie" },
		{ "inet_request_sock", "ireq_net", "req.__req_common.skc_net" },
		{ "inet_request_sock", "ireq_state",
		  "req.__req_common.skc_state" },
		{ "inet_request_sock", "ireq_family",
		  "req.__req_common.skc_family" },
		/* linux/in6.h */
		{ "in6_addr", "s6_addr", "in6_u.u6_addr8" },
		{ "in6_addr", "s6_addr16", "in6_u.u6_addr16" },
		{ "in6_addr", "s6_addr32", "in6_u.u6_addr32" },
	};
	const struct btf *btf;
	int err = 0;

	pthread_mutex_lock(&lock);
	if (!alias_text) {
		FILE *out = open_memstream(&alias_text, &alias_len);

		btf = ember__vmlinux_btf();
		if (!out) {
			err = ember__error(ENOMEM, "out of memory");
			goto out;
		}
		fputs("/* Field names the kernel's headers define as macros "
		      "(net/sock.h, net/inet_sock.h,\n * "
		      "net/inet_timewait_sock.h, linux/in6.h), generated from "
		      "the running kernel's BTF. */\n"
		      "#ifndef __EMBER_SOCK_ALIASES_H\n"
		      "#define __EMBER_SOCK_ALIASES_H\n",
		      out);
		if (btf) {
			put_common_aliases(btf, out, "sock", "sk_",
					   "__sk_common");
			put_common_aliases(btf, out, "inet_timewait_sock",
					   "tw_", "__tw_common");
			for (size_t i = 0; i < sizeof(named) / sizeof(named[0]);
			     i++) {
				const char *dot = strchr(named[i].path, '.');
				char first[64];

				snprintf(first, sizeof(first), "%.*s",
					 (int)(dot - named[i].path),
					 named[i].path);
				if (has_member(btf, named[i].record, first) &&
				    !has_member(btf, named[i].record,
						named[i].alias))
					fprintf(out, "#define %s %s\n",
						named[i].alias, named[i].path);
			}
		}
		fputs("#endif\n", out);
		if (fclose(out)) {
			free(alias_text);
			alias_text = NULL;
			err = ember__error(ENOMEM, "out of memory");
		}
	}
out:
	*text = alias_text;
	*len = alias_len;
	pthread_mutex_unlock(&lock);
	return err;
}

bool ember__btf_field_alias(const char *name, size_t len, const char *member)
{
	const char *text, *p, *end;
	size_t tlen, mlen = member ? strlen(member) : 0;

	if (!len || !mlen || ember__btf_sock_aliases(&text, &tlen) || !text)
		return false;
	for (p = text, end = text + tlen; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);

		/* "#define NAME a.b.member" */
		if (n > 8 + len && !strncmp(p, "#define ", 8) &&
		    !memcmp(p + 8, name, len) && p[8 + len] == ' ' &&
		    n >= mlen + 1 && p[n - mlen - 1] == '.' &&
		    !memcmp(p + n - mlen, member, mlen))
			return true;
		p += n + 1;
	}
	return false;
}
