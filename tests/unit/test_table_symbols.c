// SPDX-License-Identifier: MIT
/*
 * Symbolization without privileges: kernel symbols from a kallsyms-format
 * file made here (order, aliases, modules, restricted addresses), and user
 * symbols of this very process (its own ELF .symtab, libc's .dynsym).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "test_support.h"

static const char kallsyms[] =
	"ffffffff81000100 T do_thing\n"
	"ffffffff81000000 t _stext_local\n"
	"ffffffff81000000 T _stext\n"
	"0000000000000000 A fixed_percpu_data\n"
	"ffffffff81000200 t helper\n"
	"ffffffffc0001000 t ext4_read\t[ext4]\n"
	"ffffffffc0002000 T bpf_prog_abc_handler\t[bpf]\n";

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/ember-kallsyms-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static struct ember_symbolizer *with_kallsyms(const char *path)
{
	struct ember_symbolizer_opts o = { .sz = sizeof(o),
					   .kallsyms_path = path };
	struct ember_symbolizer *s = NULL;

	assert_int_equal(ember_symbolizer_new(&o, &s), 0);
	return s;
}

static const char *show(const struct ember_sym *sym, unsigned int flags)
{
	static char buf[256];

	ember_sym_snprintf(sym, buf, sizeof(buf), flags);
	return buf;
}

static void kernel_symbols(void **state)
{
	char *path = write_tmp(kallsyms);
	struct ember_symbolizer *s = with_kallsyms(path);
	struct ember_sym sym;
	uint64_t addr;

	(void)state;
	assert_int_equal(ember_symbolize_kernel(s, 0xffffffff81000123, &sym),
			 0);
	assert_string_equal(sym.name, "do_thing");
	assert_null(sym.module);
	assert_int_equal(sym.offset, 0x23);
	assert_string_equal(show(&sym, EMBER_SYM_OFFSET | EMBER_SYM_MODULE),
			    "do_thing+0x23");
	/* two names at one address: the global one */
	assert_int_equal(ember_symbolize_kernel(s, 0xffffffff81000010, &sym),
			 0);
	assert_string_equal(sym.name, "_stext");
	assert_int_equal(ember_symbolize_kernel(s, 0xffffffffc0001008, &sym),
			 0);
	assert_string_equal(show(&sym, EMBER_SYM_MODULE), "ext4_read [ext4]");
	assert_string_equal(show(&sym, 0), "ext4_read");
	assert_int_equal(ember_symbolize_kernel(s, 0xffffffffc0002000, &sym),
			 0);
	assert_string_equal(show(&sym, EMBER_SYM_OFFSET | EMBER_SYM_MODULE),
			    "bpf_prog_abc_handler+0x0 [bpf]");
	/* below the first symbol (absolute symbols are not code) */
	assert_int_equal(ember_symbolize_kernel(s, 0x1000, &sym), -ENOENT);
	assert_string_equal(show(NULL, 0), "[unknown]");
	assert_int_equal(ember_symbolizer_kernel_addr(s, "helper", &addr), 0);
	assert_int_equal(addr, 0xffffffff81000200);
	assert_int_equal(ember_symbolizer_kernel_addr(s, "nope", &addr),
			 -ENOENT);
	ember_symbolizer_free(s);
	unlink(path);
	free(path);
}

static void kernel_restricted(void **state)
{
	char *path = write_tmp("0000000000000000 T _stext\n"
			       "0000000000000000 T do_thing\n");
	struct ember_symbolizer *s = with_kallsyms(path);
	struct ember_sym sym;

	(void)state;
	assert_int_equal(ember_symbolize_kernel(s, 0xffffffff81000000, &sym),
			 -EACCES);
	assert_non_null(strstr(ember_errmsg(), "kptr_restrict"));
	ember_symbolizer_free(s);
	unlink(path);
	free(path);
	s = with_kallsyms("/nonexistent/kallsyms");
	assert_int_equal(ember_symbolize_kernel(s, 1, &sym), -ENOENT);
	ember_symbolizer_free(s);
}

/* Something of ours to find in our own symbol table. */
__attribute__((noinline)) int ember_test_marker_function(int x)
{
	return x * 3 + 1;
}

static void user_symbols(void **state)
{
	struct ember_symbolizer *s = NULL;
	uintptr_t fn = (uintptr_t)&ember_test_marker_function;
	uintptr_t libc_fn = (uintptr_t)&getpid;
	struct ember_sym sym;

	(void)state;
	assert_int_equal(ember_symbolizer_new(NULL, &s), 0);
	assert_int_equal(ember_symbolize_user(s, getpid(), fn + 4, &sym), 0);
	assert_string_equal(sym.name, "ember_test_marker_function");
	assert_int_equal(sym.offset, 4);
	assert_non_null(strstr(sym.module, "unit_test_table_symbols"));
	/* libc: stripped, found through .dynsym (or its debug file) */
	assert_int_equal(ember_symbolize_user(s, getpid(), libc_fn, &sym), 0);
	assert_non_null(strstr(sym.name, "getpid"));
	assert_int_equal(sym.offset, 0);
	assert_non_null(strstr(sym.module, "libc"));
	assert_int_equal(ember_symbolize_user(s, getpid(), 0x10, &sym),
			 -ENOENT);
	ember_symbolizer_forget_pid(s, getpid());
	assert_int_equal(ember_symbolize_user(s, getpid(), fn, &sym), 0);
	assert_string_equal(sym.name, "ember_test_marker_function");
	/* pid_max is at most 2^22: this one cannot exist */
	assert_int_equal(ember_symbolize_user(s, 1 << 23, fn, &sym), -ESRCH);
	ember_symbolizer_free(s);
	assert_int_equal(ember_test_marker_function(1), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_symbols),
		cmocka_unit_test(kernel_restricted),
		cmocka_unit_test(user_symbols),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
