// SPDX-License-Identifier: MIT
/*
 * What BCC programs take from the kernel's headers, served by ember: the
 * running kernel's version and config (kernel_config.c), kernel macros and
 * inlines and constants (prelude/kernel_compat.h), lengths and field aliases
 * from BTF, kernel include directories, a text's own struct definitions,
 * static functions inlined and backend errors at the user's line, types of
 * loaded kernel modules (module BTF split on vmlinux's). The
 * golden rewrites are tests/golden/rewrite/kernel_compat and user_struct
 * (test_compile.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/btf.h>

#include "compiler/compile.h"
#include "compiler/digest.h"
#include "ember/ember.h"
#include "kernel/kernel_config.h"
#include "test_support.h"

static int compile(const char *text, struct ember_compiled *out)
{
	struct ember_compile_opts o = { .name = "prog.c" };

	return ember__compile(text, &o, out);
}

static void expect_compiles(const char *text)
{
	struct ember_compiled c;

	if (compile(text, &c))
		fail_msg("%s", ember_errmsg());
	ember__compiled_free(&c);
}

static void expect_error(const char *text, const char *want)
{
	struct ember_compiled c;

	assert_int_equal(compile(text, &c), -EINVAL);
	if (!strstr(ember_errmsg(), want))
		fail_msg("error message\n%s\ndoes not contain\n%s",
			 ember_errmsg(), want);
}

/* A config file's lines as the kernel's autoconf.h spells them; anything
 * that is not a well-formed CONFIG_NAME=VALUE is left out. */
static void config_text(void **state)
{
	static const char config[] = "# comment\n"
				     "CONFIG_A=y\n"
				     "CONFIG_B=m\n"
				     "# CONFIG_C is not set\n"
				     "CONFIG_D=\"a \\\"quoted\\\" string\"\n"
				     "CONFIG_E=42\n"
				     "CONFIG_F=0x1f\n"
				     "CONFIG_G=-3\n"
				     "CONFIG_H=\"unterminated\n"
				     "CONFIG_I=\"a\" \"b\"\n"
				     "CONFIG_J=12abc\n"
				     "CONFIG_K-L=y\n"
				     "CONFIG_M=n\n"
				     "CONFIG_N=y\r\n";
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(ember__kernel_config_text(config, sizeof(config) - 1,
						   "6.1.300-18-amd64", 4096,
						   &out, &len),
			 0);
	assert_int_equal(strlen(out), len);
	/* the sublevel saturates at 255, as KERNEL_VERSION() does */
	assert_non_null(strstr(out, "#define LINUX_VERSION_CODE 393727\n"));
	assert_non_null(strstr(out, "#define LINUX_VERSION_SUBLEVEL 300\n"));
	assert_non_null(strstr(out, "#define PAGE_SHIFT 12\n"));
	assert_non_null(strstr(out, "#define CONFIG_A 1\n"));
	assert_non_null(strstr(out, "#define CONFIG_B_MODULE 1\n"));
	assert_null(strstr(out, "define CONFIG_C"));
	assert_non_null(
		strstr(out, "#define CONFIG_D \"a \\\"quoted\\\" string\"\n"));
	assert_non_null(strstr(out, "#define CONFIG_E 42\n"));
	assert_non_null(strstr(out, "#define CONFIG_F 0x1f\n"));
	assert_non_null(strstr(out, "#define CONFIG_G -3\n"));
	assert_null(strstr(out, "define CONFIG_H"));
	assert_null(strstr(out, "define CONFIG_I"));
	assert_null(strstr(out, "define CONFIG_J"));
	assert_null(strstr(out, "define CONFIG_K"));
	assert_null(strstr(out, "define CONFIG_M"));
	assert_non_null(strstr(out, "#define CONFIG_N 1\n"));
	free(out);

	/* no config at all: the version alone */
	assert_int_equal(
		ember__kernel_config_text(NULL, 0, "6.18-rc1", 0, &out, &len),
		0);
	assert_non_null(strstr(out, "#define LINUX_VERSION_CODE 397824\n"));
	assert_null(strstr(out, "define CONFIG_"));
	assert_null(strstr(out, "PAGE_SIZE"));
	free(out);
}

/* LINUX_VERSION_CODE is what uname says the running kernel is. */
static void version_is_running_kernel(void **state)
{
	struct utsname u;
	unsigned int a = 0, b = 0, c = 0;
	char text[512];

	(void)state;
	assert_int_equal(uname(&u), 0);
	sscanf(u.release, "%u.%u.%u", &a, &b, &c);
	snprintf(text, sizeof(text),
		 "#if LINUX_VERSION_CODE != KERNEL_VERSION(%u, %u, %u)\n"
		 "#error \"LINUX_VERSION_CODE is not the running kernel's\"\n"
		 "#endif\n"
		 "#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 7, 0)\n"
		 "#error \"the old kernel's branch\"\n"
		 "#endif\n"
		 "_Static_assert(PAGE_SIZE == %ld, \"page size\");\n"
		 "int f(void *ctx) { return 0; }\n",
		 a, b, c, sysconf(_SC_PAGESIZE));
	expect_compiles(text);
}

/* CONFIG_* and IS_ENABLED() follow the running kernel's config. */
static void config_is_running_kernel(void **state)
{
	const char *text, *source;
	size_t len;
	bool found;

	(void)state;
	assert_int_equal(
		ember__kernel_config_header(&text, &len, &found, &source), 0);
	if (!found)
		test_skip("this kernel publishes no config (/proc/config.gz, "
			  "/boot/config-RELEASE)");
	/* BTF, which ember needs, is there only with CONFIG_DEBUG_INFO_BTF */
	expect_compiles("#ifndef CONFIG_DEBUG_INFO_BTF\n"
			"#error \"CONFIG_DEBUG_INFO_BTF is not defined\"\n"
			"#endif\n"
			"#if !IS_ENABLED(CONFIG_BPF_SYSCALL) || "
			"!IS_BUILTIN(CONFIG_BPF_SYSCALL)\n"
			"#error \"IS_ENABLED(CONFIG_BPF_SYSCALL) is 0\"\n"
			"#endif\n"
			"#if IS_ENABLED(CONFIG_EMBER_NO_SUCH_OPTION) || "
			"IS_MODULE(CONFIG_BPF_SYSCALL)\n"
			"#error \"an unset option reads as set\"\n"
			"#endif\n"
#if defined(__x86_64__)
			"#ifndef CONFIG_X86_64\n"
			"#error \"CONFIG_X86_64 is not defined\"\n"
			"#endif\n"
#endif
			"int f(void *ctx) { return 0; }\n");
}

static void put_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/*
 * The config's part of the PCH key (no header generated on a cache hit):
 * it changes with every input the header is made from (the file read
 * first, or the next one when the first is missing or a .gz the header
 * could not inflate, the release, the page size), and not with a file the
 * header does not read.
 */
static void config_digest_follows_files(void **state)
{
	static const char gz_damaged[] = "\x1f\x8b garbage";
	char dir[] = "/tmp/ember-config-XXXXXX", boot[64], proc[64];
	struct ember_digest d[8];
	unsigned long page = 4096;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(boot, sizeof(boot), "%s/config-6.1.0", dir);
	snprintf(proc, sizeof(proc), "%s/config.gz", dir);
	put_file(boot, "CONFIG_A=y\n", 11);
	put_file(proc, "gz one", 6);
	ember__kernel_config_files_digest(boot, proc, "6.1.0", page, &d[0]);
	put_file(proc, "gz two", 6);
	ember__kernel_config_files_digest(boot, proc, "6.1.0", page, &d[1]);
	/* a plain first file is the source: the second is not read */
	assert_true(ember__digest_equal(&d[0], &d[1]));
	put_file(boot, "CONFIG_A=m\n", 11);
	ember__kernel_config_files_digest(boot, proc, "6.1.0", page, &d[2]);
	assert_false(ember__digest_equal(&d[1], &d[2]));
	ember__kernel_config_files_digest(boot, proc, "6.1.1", page, &d[3]);
	assert_false(ember__digest_equal(&d[2], &d[3]));
	ember__kernel_config_files_digest(boot, proc, "6.1.0", 16384, &d[4]);
	assert_false(ember__digest_equal(&d[2], &d[4]));
	/* a damaged .gz first: the header falls through to the second */
	put_file(boot, gz_damaged, sizeof(gz_damaged) - 1);
	ember__kernel_config_files_digest(boot, proc, "6.1.0", page, &d[5]);
	put_file(proc, "gz one", 6);
	ember__kernel_config_files_digest(boot, proc, "6.1.0", page, &d[6]);
	assert_false(ember__digest_equal(&d[5], &d[6]));
	/* no first file: the second decides */
	unlink(boot);
	ember__kernel_config_files_digest(boot, proc, "6.1.0", page, &d[7]);
	assert_false(ember__digest_equal(&d[6], &d[7]));
	put_file(proc, "gz two", 6);
	ember__kernel_config_files_digest(boot, proc, "6.1.0", page, &d[0]);
	assert_false(ember__digest_equal(&d[7], &d[0]));
	test_remove_tree(dir);
}

/* Lengths the kernel fixes by #define are those of the running kernel's
 * arrays. */
static void lengths_from_btf(void **state)
{
	(void)state;
	expect_compiles(
		"#include <linux/netdevice.h>\n"
		"#include <linux/dcache.h>\n"
		"_Static_assert(IFNAMSIZ == sizeof(((struct net_device *)0)"
		"->name), \"IFNAMSIZ\");\n"
		"_Static_assert(DISK_NAME_LEN == sizeof(((struct gendisk *)0)"
		"->disk_name), \"DISK_NAME_LEN\");\n"
		"#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)\n"
		"_Static_assert(DNAME_INLINE_LEN == sizeof(((struct dentry *)0)"
		"->d_shortname.string), \"DNAME_INLINE_LEN\");\n"
		"#else\n"
		"_Static_assert(DNAME_INLINE_LEN == sizeof(((struct dentry *)0)"
		"->d_iname), \"DNAME_INLINE_LEN\");\n"
		"#endif\n"
		"int f(void *ctx) { return 0; }\n");
}

/* The kernel's macros compute what the kernel's do. */
static void macros(void **state)
{
	(void)state;
	expect_compiles(
		"_Static_assert(DIV_ROUND_UP(7, 2) == 4, \"\");\n"
		"_Static_assert(round_up(9, 8) == 16, \"\");\n"
		"_Static_assert(GENMASK(7, 4) == 0xf0, \"\");\n"
		"_Static_assert(S_ISREG(0100644) && !S_ISDIR(0100644), \"\");\n"
		"_Static_assert(ntohs(0x1234) == 0x3412, \"\");\n"
		"_Static_assert(be32_to_cpu(0x12345678) == 0x78563412, \"\");\n"
		"_Static_assert(O_TMPFILE == 020200000, \"\");\n"
		"int f(void *ctx) {\n"
		"\tu64 n = 17;\n"
		"\tu32 r = do_div(n, 5);\n"
		"\tr += min(3, r) + max(3, r) + min_t(u8, 300, r) +\n"
		"\t     clamp(r, 1, 4) + max_t(u32, r, 9);\n"
		"\treturn r + n + div_u64(n, 2) + READ_ONCE(r) +\n"
		"\t       likely(r) + NAME_MAX + SCM_RIGHTS + EPERM;\n"
		"}\n");
}

/* Every kernel include directory resolves, to the BTF types. */
static void include_dirs(void **state)
{
	(void)state;
	expect_compiles(
		"#include <rdma/ib_verbs.h>\n"
		"#include <kvm/iodev.h>\n"
		"#include <sound/core.h>\n"
		"#include <uapi/linux/in6.h>\n"
		"int f(struct in6_addr *a) { return a->s6_addr[0]; }\n");
}

/* The socket and device tables take every argument form BCC's do. */
static void socket_table_forms(void **state)
{
	(void)state;
	expect_compiles("struct sock_key { u32 ip; u32 port; };\n"
			"BPF_SOCKHASH(by_key, struct sock_key, 65535);\n"
			"BPF_SOCKHASH(by_u32);\n"
			"BPF_SOCKHASH(by_u64, u64);\n"
			"BPF_SOCKMAP(socks, 16);\n"
			"BPF_CGROUP_ARRAY(cgroups, 4);\n"
			"BPF_XSKMAP(xsks, 4);\n"
			"BPF_DEVMAP(devs, 4);\n"
			"BPF_CPUMAP(cpus, 4);\n"
			"BPF_ARRAY(inner, u32, 4);\n"
			"BPF_ARRAY_OF_MAPS(outer_a, \"inner\", 4);\n"
			"BPF_HASH_OF_MAPS(outer_h, \"inner\", 4);\n"
			"BPF_HASH_OF_MAPS(outer_k, u64, \"inner\", 4);\n"
			"int f(struct sk_msg_md *msg)\n"
			"{\n"
			"\tstruct sock_key k = {};\n"
			"\treturn by_key.msg_redirect_hash(msg, &k, 0);\n"
			"}\n");
}

/* A table type named through a macro (BCC's examples pass it as -D). */
static void table_type_from_macro(void **state)
{
	struct ember_compile_opts o = { .name = "prog.c" };
	const char *flags[] = { "-DMAPTYPE=\"percpu_array\"" };
	struct ember_compiled c;

	(void)state;
	o.cflags = flags;
	o.cflags_cnt = 1;
	if (ember__compile("BPF_TABLE(MAPTYPE, u32, long, drops, 256);\n"
			   "int f(struct xdp_md *ctx) { return 0; }\n",
			   &o, &c))
		fail_msg("%s", ember_errmsg());
	assert_non_null(strstr(c.rewritten, "BPF_MAP_TYPE_PERCPU_ARRAY"));
	ember__compiled_free(&c);
}

/* A struct passed by value to a function kept out of line: the backend's
 * error at the user's call, without LLVM's node dump. */
static void noinline_by_value(void **state)
{
	static const char text[] =
		"struct pair { u64 a; u64 b; };\n"
		"static __attribute__((noinline)) int add(struct pair p)\n"
		"{\n"
		"\treturn p.a + p.b;\n"
		"}\n"
		"int f(void *ctx)\n"
		"{\n"
		"\tstruct pair p = { 1, 2 };\n"
		"\treturn add(p);\n"
		"}\n";
	struct ember_compiled c;

	(void)state;
	expect_error(text, "prog.c:9:9: error: pass by value not supported");
	assert_null(strstr(ember_errmsg(), "0x"));
	assert_null(strstr(ember_errmsg(), "ember-virtual"));
	assert_null(strstr(ember_errmsg(), "note:"));
	/* without noinline it is inlined, as BCC does */
	{
		char *inlined = strdup(text);
		char *at = strstr(inlined, "__attribute__((noinline)) ");

		memmove(at, at + 26, strlen(at + 26) + 1);
		assert_int_equal(compile(inlined, &c), 0);
		ember__compiled_free(&c);
		free(inlined);
	}
}

/*
 * A kernel module's type: a module BTF split on the running kernel's
 * vmlinux BTF, written where EMBER_MODULE_BTF_DIR points (this machine's
 * kernel has no modules). Its struct refers to a vmlinux type, which the
 * module types must not define again.
 */
static void module_types(void **state)
{
	static const char text[] =
		"int kprobe__ember_mod_fn(struct pt_regs *ctx,\n"
		"			 struct ember_mod_req *r)\n"
		"{\n"
		"	return r->len + r->owner->pid;\n"
		"}\n";
	char dir[] = "/tmp/ember-module-btf.XXXXXX", path[64];
	struct btf *base, *mod;
	struct ember_compiled c;
	const void *raw;
	__u32 raw_len;
	int ptr, i, task;
	FILE *f;

	(void)state;
	base = btf__parse("/sys/kernel/btf/vmlinux", NULL);
	assert_non_null(base);
	mod = btf__new_empty_split(base);
	assert_non_null(mod);
	i = btf__find_by_name_kind(base, "int", BTF_KIND_INT);
	task = btf__find_by_name_kind(base, "task_struct", BTF_KIND_STRUCT);
	assert_true(i > 0 && task > 0);
	ptr = btf__add_ptr(mod, task);
	assert_true(btf__add_struct(mod, "ember_mod_req", 16) > 0);
	assert_int_equal(btf__add_field(mod, "owner", ptr, 0, 0), 0);
	assert_int_equal(btf__add_field(mod, "len", i, 64, 0), 0);
	raw = btf__raw_data(mod, &raw_len);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ember_mod", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(raw, 1, raw_len, f), raw_len);
	assert_int_equal(fclose(f), 0);

	/* no module has it: the user sees the missing type at their line */
	setenv("EMBER_MODULE_BTF_DIR", "/nonexistent", 1);
	expect_error(text, "prog.c:4:10: error: incomplete definition of type "
			   "'struct ember_mod_req'");
	/* loaded: the module's type, read at its offsets */
	setenv("EMBER_MODULE_BTF_DIR", dir, 1);
	if (compile(text, &c))
		fail_msg("%s", ember_errmsg());
	assert_non_null(strstr(c.rewritten, "__ember_kread(r->len)"));
	ember__compiled_free(&c);
	/* gone again: not served from the cache as if it were there */
	setenv("EMBER_MODULE_BTF_DIR", "/nonexistent", 1);
	expect_error(text, "incomplete definition of type "
			   "'struct ember_mod_req'");
	unsetenv("EMBER_MODULE_BTF_DIR");
	unlink(path);
	rmdir(dir);
	btf__free(mod);
	btf__free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_text),
		cmocka_unit_test(version_is_running_kernel),
		cmocka_unit_test(config_is_running_kernel),
		cmocka_unit_test(config_digest_follows_files),
		cmocka_unit_test(lengths_from_btf),
		cmocka_unit_test(macros),
		cmocka_unit_test(include_dirs),
		cmocka_unit_test(noinline_by_value),
		cmocka_unit_test(socket_table_forms),
		cmocka_unit_test(table_type_from_macro),
		cmocka_unit_test(module_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
