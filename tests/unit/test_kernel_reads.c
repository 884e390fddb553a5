// SPDX-License-Identifier: MIT
/*
 * Implicit kernel reads without the kernel: every rewrite form against
 * golden files (tests/golden/kernel_reads), the CO-RE relocations the
 * rewritten reads leave in the object, and the errors for what cannot be
 * read implicitly, at the user's own line:col. Tracepoint formats come from
 * tests/golden/kernel_reads/tracefs; the kernel types from this machine's
 * BTF.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "compiler/compile.h"
#include "ember/ember.h"
#include "test_support.h"

#define GOLDEN EMBER_TEST_GOLDEN_DIR "/kernel_reads"

static int compile(const char *name, const char *text,
		   struct ember_compiled *out)
{
	struct ember_compile_opts o = { .name = name };

	return ember__compile(text, &o, out);
}

static char *golden_source(const char *name)
{
	char path[512];
	char *src;

	snprintf(path, sizeof(path), "%s/%s.c", GOLDEN, name);
	src = test_read_file(path, NULL);
	if (!src)
		fail_msg("cannot read %s", path);
	return src;
}

/* NAME.c rewrites to NAME.expected (EMBER_UPDATE_GOLDEN=1 rewrites the
 * expectation), compiles to an object, and keeps the user's line count. */
static void check_golden(const char *name)
{
	char exp_path[512], file[64];
	struct ember_compiled c;
	char *src, *body;
	size_t nl_src = 0, nl_body = 0;
	const char *p, *end;

	snprintf(exp_path, sizeof(exp_path), "%s/%s.expected", GOLDEN, name);
	snprintf(file, sizeof(file), "%s.c", name);
	src = golden_source(name);
	if (compile(file, src, &c))
		fail_msg("%s: %s", name, ember_errmsg());
	assert_non_null(c.obj);
	test_check_golden(c.rewritten, exp_path);

	/* rewrites never add a line: the user's line N stays line N */
	body = strstr(c.rewritten, "#line 1 \"");
	assert_non_null(body);
	body = strchr(body, '\n') + 1;
	end = strstr(body, "\nchar _license[]");
	for (p = src; *p; p++)
		nl_src += *p == '\n';
	for (p = body; *p && (!end || p <= end); p++)
		nl_body += *p == '\n';
	assert_true(nl_body == nl_src || nl_body == nl_src + 1);
	free(src);
	ember__compiled_free(&c);
}

static void expect_error(const char *text, const char *want)
{
	struct ember_compiled c;
	int err = compile("prog.c", text, &c);

	if (err != -EINVAL)
		fail_msg("expected an error containing\n%s\ngot %d: %s", want,
			 err, err ? ember_errmsg() : c.rewritten);
	if (!strstr(ember_errmsg(), want))
		fail_msg("error message\n%s\ndoes not contain\n%s",
			 ember_errmsg(), want);
}

static void golden_chains(void **state)
{
	(void)state;
	check_golden("chains");
}

static void golden_sources(void **state)
{
	(void)state;
	check_golden("sources");
}

static void golden_strings(void **state)
{
	(void)state;
	check_golden("strings");
}

static void golden_user(void **state)
{
	(void)state;
	check_golden("user");
}

static void golden_untouched(void **state)
{
	(void)state;
	check_golden("untouched");
}

static void golden_macro_args(void **state)
{
	(void)state;
	check_golden("macro_args");
}

static void golden_seed_disksnoop(void **state)
{
	(void)state;
	check_golden("seed_disksnoop");
}

/* ---- CO-RE relocations in the object --------------------------------- */

/* .BTF.ext as the kernel and libbpf define it (uapi btf.h does not carry
 * the ELF-side layout). */
struct btf_ext_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len;
	uint32_t line_info_off, line_info_len;
	uint32_t core_relo_off, core_relo_len;
};

struct core_relo {
	uint32_t insn_off, type_id, access_str_off, kind;
};

/* "task_struct.real_parent": the record and the members an access string
 * ("0:57:3") walks, appended to out. */
static void describe_access(const struct btf *btf, uint32_t type_id,
			    const char *access, char *out, size_t sz)
{
	const struct btf_type *t = btf__type_by_id(btf, type_id);
	size_t len = strlen(out);
	const char *p = access;
	bool first = true;

	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t)
		return;
	len += snprintf(out + len, sz - len, "%s",
			btf__name_by_offset(btf, t->name_off));
	while (*p && len < sz) {
		unsigned long idx = strtoul(p, (char **)&p, 10);

		if (*p == ':')
			p++;
		if (first) { /* the first index is into an array of roots */
			first = false;
			continue;
		}
		while (t && (btf_is_mod(t) || btf_is_typedef(t)))
			t = btf__type_by_id(btf, t->type);
		if (t && btf_is_composite(t) && idx < btf_vlen(t)) {
			const struct btf_member *m = btf_members(t) + idx;

			/* anonymous members add no name */
			if (m->name_off)
				len += snprintf(
					out + len, sz - len, ".%s",
					btf__name_by_offset(btf, m->name_off));
			t = btf__type_by_id(btf, m->type);
		} else if (t && btf_is_array(t)) {
			len += snprintf(out + len, sz - len, "[%lu]", idx);
			t = btf__type_by_id(btf, btf_array(t)->type);
		}
	}
	out[len < sz ? len : sz - 1] = 0;
	if (len + 1 < sz)
		strcat(out, "\n");
}

/* The bytes of ELF section name of a BPF object in memory. */
static const void *elf_section(const void *obj, size_t len, const char *name,
			       size_t *size)
{
	const Elf64_Ehdr *eh = obj;
	const Elf64_Shdr *sh, *strs;

	assert_true(len > sizeof(*eh) && !memcmp(eh->e_ident, ELFMAG, SELFMAG));
	sh = (const Elf64_Shdr *)((const char *)obj + eh->e_shoff);
	strs = &sh[eh->e_shstrndx];
	for (int i = 0; i < eh->e_shnum; i++) {
		const char *n =
			(const char *)obj + strs->sh_offset + sh[i].sh_name;

		if (!strcmp(n, name)) {
			*size = sh[i].sh_size;
			return (const char *)obj + sh[i].sh_offset;
		}
	}
	return NULL;
}

/* All CO-RE relocations of an object, one "record.member..." a line. */
static char *core_relocations(const void *obj, size_t obj_len)
{
	const struct btf_ext_hdr *h;
	const char *raw, *sec, *end;
	const void *btf_raw;
	struct btf *btf;
	size_t size, btf_size;
	uint32_t rec_size;
	char *out = calloc(1, 65536);

	btf_raw = elf_section(obj, obj_len, ".BTF", &btf_size);
	raw = elf_section(obj, obj_len, ".BTF.ext", &size);
	assert_non_null(btf_raw);
	assert_non_null(raw);
	btf = btf__new(btf_raw, (uint32_t)btf_size);
	assert_non_null(btf);
	h = (const struct btf_ext_hdr *)raw;
	assert_int_equal(h->magic, 0xeB9F);
	assert_true(h->hdr_len >= sizeof(*h));
	assert_true(h->core_relo_len > 4);
	sec = raw + h->hdr_len + h->core_relo_off;
	end = sec + h->core_relo_len;
	rec_size = *(const uint32_t *)sec;
	assert_int_equal(rec_size, sizeof(struct core_relo));
	for (sec += 4; sec < end;) {
		uint32_t n = ((const uint32_t *)sec)[1];

		sec += 8;
		for (uint32_t i = 0; i < n; i++, sec += rec_size) {
			const struct core_relo *r = (const void *)sec;

			describe_access(
				btf, r->type_id,
				btf__str_by_offset(btf, r->access_str_off), out,
				65536);
		}
	}
	btf__free(btf);
	return out;
}

static void expect_relocation(const char *relos, const char *want)
{
	char line[160];

	snprintf(line, sizeof(line), "%s\n", want);
	if (!strstr(relos, line))
		fail_msg("no CO-RE relocation for %s among\n%s", want, relos);
}

/* Count calls of helper id in the object's programs. */
static int helper_calls(const void *obj, size_t obj_len, int id)
{
	struct bpf_object *o = bpf_object__open_mem(obj, obj_len, NULL);
	struct bpf_program *prog;
	int count = 0;

	assert_non_null(o);
	bpf_object__for_each_program(prog, o) {
		const struct bpf_insn *insn = bpf_program__insns(prog);
		size_t n = bpf_program__insn_cnt(prog);

		for (size_t i = 0; i < n; i++)
			if (insn[i].code == (BPF_JMP | BPF_CALL) &&
			    insn[i].src_reg == 0 && insn[i].imm == id)
				count++;
	}
	bpf_object__close(o);
	return count;
}

/*
 * Each rewritten read is a bpf_probe_read_kernel() of an address whose
 * field offsets carry CO-RE relocations, so libbpf fixes them for the
 * running kernel.
 */
static void core_relocations_of_reads(void **state)
{
	struct ember_compiled c;
	char *src = golden_source("chains"), *relos;

	(void)state;
	if (compile("chains.c", src, &c))
		fail_msg("%s", ember_errmsg());
	relos = core_relocations(c.obj, c.obj_len);
	expect_relocation(relos, "task_struct.real_parent");
	expect_relocation(relos, "task_struct.tgid");
	expect_relocation(relos, "task_struct.pid");
	expect_relocation(relos, "request.__data_len");
	expect_relocation(relos, "request.cmd_flags");
	expect_relocation(relos, "request.bio");
	expect_relocation(relos, "bio.bi_iter.bi_size");
	expect_relocation(relos, "task_struct.mm");
	expect_relocation(relos, "mm_struct.exe_file");
	expect_relocation(relos, "file.f_path.dentry");
	expect_relocation(relos, "dentry.d_name.name");
	/* &task->se.sum_exec_runtime: an address, still relocated */
	expect_relocation(relos, "task_struct.se.sum_exec_runtime");
	/* a bitfield is read by its relocated byte offset and size */
	expect_relocation(relos, "task_struct.sched_reset_on_fork");
	/* 113: BPF_FUNC_probe_read_kernel; chains.c has 16 implicit reads
	 * plus its own call */
	assert_true(helper_calls(c.obj, c.obj_len, 113) >= 17);
	free(relos);
	free(src);
	ember__compiled_free(&c);
}

/* The constants BTF cannot carry come from ember's prelude; those it can
 * carry (enums) come from the kernel's own types, without a clash. */
static void kernel_constants(void **state)
{
	struct ember_compiled c;

	(void)state;
	if (compile("constants.c",
		    "#include <linux/blkdev.h>\n"
		    "#include <linux/sched.h>\n"
		    "#include <linux/if_ether.h>\n"
		    "_Static_assert(REQ_OP_MASK == 0xff, \"op mask\");\n"
		    "_Static_assert(REQ_OP_WRITE == 1, \"BTF enum\");\n"
		    "_Static_assert(REQ_SYNC == 1ULL << __REQ_SYNC, "
		    "\"flag\");\n"
		    "_Static_assert(PF_KTHREAD == 0x200000, \"task flag\");\n"
		    "_Static_assert(AF_INET6 == 10, \"family\");\n"
		    "_Static_assert(IPPROTO_TCP == 6 && IPPROTO_ICMPV6 == 58,\n"
		    "\t       \"protocols\");\n"
		    "_Static_assert(ETH_P_IPV6 == 0x86DD && ETH_HLEN == 14,\n"
		    "\t       \"ethernet\");\n"
		    "_Static_assert(TC_ACT_SHOT == 2 && XDP_PASS == 2, "
		    "\"act\");\n"
		    "_Static_assert(TASK_COMM_LEN == 16, \"comm\");\n"
		    "_Static_assert(BPF_F_ALLOW_MULTI == 2 &&\n"
		    "\t       BPF_F_CURRENT_CPU == 0xffffffffULL, \"bpf\");\n"
		    "RAW_TRACEPOINT_PROBE(block_rq_issue)\n"
		    "{\n"
		    "\tstruct request *rq = (struct request *)ctx->args[0];\n"
		    "\tstruct task_struct *t = (void "
		    "*)bpf_get_current_task();\n"
		    "\n"
		    "\treturn (rq->cmd_flags & REQ_OP_MASK) == REQ_OP_WRITE "
		    "&&\n"
		    "\t       (rq->cmd_flags & REQ_SYNC) &&\n"
		    "\t       !(t->flags & PF_KTHREAD);\n"
		    "}\n",
		    &c))
		fail_msg("%s", ember_errmsg());
	ember__compiled_free(&c);
}

/* ---- errors ------------------------------------------------------------ */

static void error_writes(void **state)
{
	(void)state;
	expect_error(
		"RAW_TRACEPOINT_PROBE(sched_switch)\n"
		"{\n"
		"\tstruct task_struct *t = (void *)bpf_get_current_task();\n"
		"\tt->pid = 1;\n"
		"\treturn 0;\n"
		"}\n",
		"prog.c:4:2: error: 't->pid' is kernel memory, which a "
		"BPF program may read but not write; copy the value into "
		"a local variable and change the copy");
	expect_error(
		"RAW_TRACEPOINT_PROBE(sched_switch)\n"
		"{\n"
		"\tstruct task_struct *t = (void *)bpf_get_current_task();\n"
		"\tt->real_parent->flags |= 4;\n"
		"\treturn 0;\n"
		"}\n",
		"prog.c:4:2: error: 't->real_parent->flags' is kernel "
		"memory");
	expect_error("RAW_TRACEPOINT_PROBE(block_rq_issue)\n"
		     "{\n"
		     "\tstruct request *rq = (struct request *)ctx->args[0];\n"
		     "\trq->tag++;\n"
		     "\treturn 0;\n"
		     "}\n",
		     "prog.c:4:2: error: 'rq->tag' is kernel memory");
	expect_error("TRACEPOINT_PROBE(syscalls, sys_enter_openat)\n"
		     "{\n"
		     "\tchar *p = (char *)args->filename;\n"
		     "\t*p = 0;\n"
		     "\treturn 0;\n"
		     "}\n",
		     "prog.c:4:2: error: '*p' is user memory, which ember "
		     "does not write implicitly; use bpf_probe_write_user()");
	expect_error(
		"RAW_TRACEPOINT_PROBE(sched_switch)\n"
		"{\n"
		"\tstruct task_struct *t = (void *)bpf_get_current_task();\n"
		"\tchar buf[4] = {};\n"
		"\tbpf_probe_read_kernel(t->comm, 4, buf);\n"
		"\treturn 0;\n"
		"}\n",
		"prog.c:5:24: error: the destination of "
		"bpf_probe_read_kernel() is kernel memory ('t->comm')");
}

static void error_kernel_or_user(void **state)
{
	(void)state;
	expect_error(
		"static int first(const char *s)\n"
		"{\n"
		"\treturn s[0];\n"
		"}\n"
		"TRACEPOINT_PROBE(syscalls, sys_enter_openat)\n"
		"{\n"
		"\tstruct task_struct *t = (void *)bpf_get_current_task();\n"
		"\treturn first(t->comm) + first(args->filename);\n"
		"}\n",
		"prog.c:3:9: error: 's' may point to kernel or to user "
		"memory (it is given both); give the user pointer a "
		"__user type, or keep the two in separate variables");
}

static void error_inside_macro(void **state)
{
	(void)state;
	expect_error(
		"#define PID_OF(t) t->pid\n"
		"RAW_TRACEPOINT_PROBE(sched_switch)\n"
		"{\n"
		"\tstruct task_struct *t = (void *)bpf_get_current_task();\n"
		"\treturn PID_OF(t);\n"
		"}\n",
		"prog.c:5:9: error: macro 'PID_OF' reads kernel memory "
		"('pid') in its own text, which ember cannot rewrite; "
		"read the value outside the macro (BPF_CORE_READ(), or "
		"the macro's _CORE variant)");
	/* libbpf's PT_REGS_PARM1 on a pt_regs in kernel memory (raw
	 * sys_enter): PT_REGS_PARM1_CORE reads it */
	expect_error(
		"RAW_TRACEPOINT_PROBE(sys_enter)\n"
		"{\n"
		"\tstruct pt_regs *regs = (struct pt_regs *)ctx->args[0];\n"
		"\treturn PT_REGS_PARM1(regs);\n"
		"}\n",
		"prog.c:4:9: error: macro 'PT_REGS_PARM1' reads kernel "
		"memory ('di')");
}

static void error_unmappable(void **state)
{
	(void)state;
	/* a map helper reads its key itself: a void * gives no size */
	expect_error("struct { __uint(type, BPF_MAP_TYPE_HASH);\n"
		     "\t__type(key, u64); __type(value, u64);\n"
		     "\t__uint(max_entries, 8); } m SEC(\".maps\");\n"
		     "RAW_TRACEPOINT_PROBE(sched_switch)\n"
		     "{\n"
		     "\tvoid *t = (void *)bpf_get_current_task();\n"
		     "\treturn bpf_map_lookup_elem(&m, t) != 0;\n"
		     "}\n",
		     "prog.c:7:33: error: 't' points into kernel memory, "
		     "which a map helper cannot read; copy it into a local "
		     "variable with bpf_probe_read_kernel() and pass that");
	expect_error("RAW_TRACEPOINT_PROBE(sched_switch)\n"
		     "{\n"
		     "\tstruct sock *sk = (struct sock *)ctx->args[0];\n"
		     "\tsk->sk_data_ready(sk);\n"
		     "\treturn 0;\n"
		     "}\n",
		     "prog.c:4:2: error: 'sk->sk_data_ready' is a function "
		     "pointer in kernel memory");
	expect_error("struct flags { int a : 3; int b : 5; };\n"
		     "int syscall__openat(struct pt_regs *ctx, "
		     "struct flags __user *f)\n"
		     "{\n"
		     "\treturn f->b;\n"
		     "}\n",
		     "prog.c:4:9: error: 'f->b' is a bitfield in user "
		     "memory");
}

/* All errors of a text at once, each at its own place. */
static void errors_all_reported(void **state)
{
	struct ember_compiled c;
	const char *msg;

	(void)state;
	assert_int_equal(compile("prog.c",
				 "RAW_TRACEPOINT_PROBE(sched_switch)\n"
				 "{\n"
				 "\tstruct task_struct *t = (void "
				 "*)bpf_get_current_task();\n"
				 "\tt->pid = 1;\n"
				 "\tt->tgid = 2;\n"
				 "\treturn t->pid;\n"
				 "}\n",
				 &c),
			 -EINVAL);
	msg = ember_errmsg();
	assert_non_null(strstr(msg, "prog.c:4:2: error"));
	assert_non_null(strstr(msg, "prog.c:5:2: error"));
	assert_null(strstr(msg, "prog.c:6:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(golden_chains),
		cmocka_unit_test(golden_sources),
		cmocka_unit_test(golden_strings),
		cmocka_unit_test(golden_user),
		cmocka_unit_test(golden_untouched),
		cmocka_unit_test(golden_macro_args),
		cmocka_unit_test(golden_seed_disksnoop),
		cmocka_unit_test(core_relocations_of_reads),
		cmocka_unit_test(kernel_constants),
		cmocka_unit_test(error_writes),
		cmocka_unit_test(error_kernel_or_user),
		cmocka_unit_test(error_inside_macro),
		cmocka_unit_test(error_unmappable),
		cmocka_unit_test(errors_all_reported),
	};

	setenv("EMBER_TRACEFS", GOLDEN "/tracefs", 1);
	if (!getenv("EMBER_CACHE_DIR"))
		setenv("EMBER_CACHE_DIR", "ember-test-cache", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
