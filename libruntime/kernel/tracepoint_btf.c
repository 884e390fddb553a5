// SPDX-License-Identifier: MIT
/*
 * A tracepoint's format when tracefs cannot be read (it is root's, 0700):
 * written from the kernel's BTF, which anyone may read, in the words of a
 * tracefs format file so that one parser makes the args struct either way.
 * The record of most events is struct trace_event_raw_<event>; a system
 * call's is trace_event_raw_sys_enter/_exit, its argument names those of
 * __do_sys_<name> or __se_sys_<name> when BTF has them.
 */
#include "kernel/tracepoint_btf.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kernel/btf_header.h"

static void print_to(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

/* Signedness as a format file says it: of the integer (or array element)
 * underneath typedefs and qualifiers. */
static int is_signed(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t) || btf_is_array(t))) {
		id = btf_is_array(t) ? btf_array(t)->type : t->type;
		t = btf__type_by_id(btf, id);
	}
	if (t && btf_is_int(t))
		return !!(btf_int_encoding(t) & BTF_INT_SIGNED);
	if (t && btf_is_enum(t))
		return btf_kflag(t);
	return 0;
}

/* "\tfield:DECL NAME;\toffset:O;\tsize:S;\tsigned:G;\n" */
static int field_sized(FILE *f, struct btf_dump *d, __u32 type,
		       const char *name, __u32 offset, __s64 size,
		       int is_signed_)
{
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = name);
	int err;

	if (size < 0)
		return (int)size;
	fputs("\tfield:", f);
	err = btf_dump__emit_type_decl(d, type, &o);
	if (err)
		return err;
	fprintf(f, ";\toffset:%u;\tsize:%lld;\tsigned:%d;\n", offset,
		(long long)size, is_signed_);
	return 0;
}

static int field(FILE *f, struct btf_dump *d, const struct btf *btf, __u32 type,
		 const char *name, __u32 offset)
{
	return field_sized(f, d, type, name, offset,
			   btf__resolve_size(btf, type), is_signed(btf, type));
}

static const struct btf_type *find_struct(const struct btf *btf,
					  const char *name, __u32 *id)
{
	__s32 i = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	if (i <= 0)
		return NULL;
	*id = (__u32)i;
	return btf__type_by_id(btf, *id);
}

/* A system call's arguments, named as its definition names them. */
static int syscall_args(FILE *f, struct btf_dump *d, const struct btf *btf,
			const char *call, __u32 args_off)
{
	static const char *const prefixes[] = { "__do_sys_", "__se_sys_" };
	const struct btf_type *proto = NULL;
	char fn[128];

	for (size_t i = 0; i < 2 && !proto; i++) {
		__s32 id;

		snprintf(fn, sizeof(fn), "%s%s", prefixes[i], call);
		id = btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC);
		if (id > 0)
			proto = btf__type_by_id(btf,
						btf__type_by_id(btf, id)->type);
	}
	if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) > 6)
		return -ENOENT;
	/* Names a parameter list may not carry for this call: none, or
	 * x86's "__unused" of a SYSCALL_DEFINE0 stub, which BTF was seen to
	 * give __do_sys_munlockall and 213 __x64_sys_* that do take
	 * arguments (a list shared by functions of the same types). */
	for (int i = 0; i < btf_vlen(proto); i++) {
		const char *n =
			btf__name_by_offset(btf, btf_params(proto)[i].name_off);

		if (!n || !*n || !strcmp(n, "__unused"))
			return -ENOENT;
	}
	for (int i = 0; i < btf_vlen(proto); i++) {
		const struct btf_param *p = btf_params(proto) + i;
		const char *n = btf__name_by_offset(btf, p->name_off);
		/* each argument is stored as an unsigned long, 8 bytes,
		 * and tracefs says signed:0 for all of them */
		int err = field_sized(f, d, p->type, n, args_off + 8 * i, 8, 0);

		if (err)
			return err;
	}
	return 0;
}

/*
 * The fields of record t: the common header (struct trace_entry) as tracefs
 * names it, common_*; for a system call's record (call: its name) the
 * number as tracefs has it and the arguments by name.
 */
static int members(FILE *f, struct btf_dump *d, const struct btf *btf,
		   const struct btf_type *t, const char *call)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);
		__u32 off = btf_member_bit_offset(t, i) / 8;
		const struct btf_type *mt = btf__type_by_id(btf, m->type);
		char common[64];
		int err;

		if (!n || !mt || btf_member_bitfield_size(t, i))
			return -EINVAL;
		if (!strcmp(n, "ent") && btf_is_struct(mt)) {
			/* struct trace_entry: type, flags, ... */
			const struct btf_member *c = btf_members(mt);

			for (int j = 0; j < btf_vlen(mt); j++, c++) {
				snprintf(common, sizeof(common), "common_%s",
					 btf__name_by_offset(btf, c->name_off));
				err = field(f, d, btf, c->type, common,
					    off + btf_member_bit_offset(mt, j) /
							    8);
				if (err)
					return err;
			}
			fputc('\n', f);
			continue;
		}
		if (!strcmp(n, "__data"))
			continue; /* where the dynamic data starts */
		if (call && !strcmp(n, "id")) {
			fprintf(f,
				"\tfield:int __syscall_nr;\toffset:%u;\t"
				"size:4;\tsigned:1;\n",
				off);
			continue;
		}
		if (call && !strcmp(n, "args")) {
			err = syscall_args(f, d, btf, call, off);
			if (err)
				return err;
			continue;
		}
		if (!strncmp(n, "__data_loc_", 11)) {
			fprintf(f,
				"\tfield:__data_loc char[] %s;\toffset:%u;\t"
				"size:4;\tsigned:0;\n",
				n + 11, off);
			continue;
		}
		err = field(f, d, btf, m->type, n, off);
		if (err)
			return err;
	}
	return 0;
}

int ember__tracepoint_format_from_btf(const char *category, const char *event,
				      char **format)
{
	const struct btf *btf = ember__vmlinux_btf();
	bool enter = !strncmp(event, "sys_enter_", 10),
	     exit_ = !strncmp(event, "sys_exit_", 9);
	bool syscall = !strcmp(category, "syscalls") && (enter || exit_);
	const struct btf_type *t;
	struct btf_dump *d = NULL;
	char name[160];
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	__u32 id;
	int err;

	*format = NULL;
	if (!btf)
		return -ENOENT;
	snprintf(name, sizeof(name), "trace_event_raw_%s",
		 syscall ? (enter ? "sys_enter" : "sys_exit") : event);
	t = find_struct(btf, name, &id);
	if (!t)
		return -ENOENT;
	f = open_memstream(&out, &len);
	if (!f)
		return -ENOMEM;
	d = btf_dump__new(btf, print_to, f, NULL);
	if (!d) {
		fclose(f);
		free(out);
		return -ENOMEM;
	}
	fprintf(f, "name: %s\nID: 0\nformat:\n", event);
	err = members(f, d, btf, t,
		      !syscall ? NULL
		      : enter  ? event + 10
			       : event + 9);
	btf_dump__free(d);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(out);
		return err;
	}
	*format = out;
	return 0;
}
