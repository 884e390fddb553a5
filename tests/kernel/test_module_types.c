// SPDX-License-Identifier: MIT
/*
 * Types of a kernel module (module BTF, /sys/kernel/btf/nfs): a kprobe on
 * an nfs function that reads an nfs struct through CO-RE compiles, loads
 * (libbpf relocates against the module's BTF) and attaches where the
 * kernel has the nfs module and its BTF (the Debian 6.1 and 6.12 VMs; on
 * 5.10 vmlinux's BTF has the struct); where no BTF has it (this host: no
 * modules, no nfs), the user is told the type is missing at their line.
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

static const char text[] =
	"int kprobe__nfs_commit_done(struct pt_regs *ctx, void *task,\n"
	"			    void *calldata)\n"
	"{\n"
	"	struct nfs_commit_data *data = calldata;\n"
	"	return data->inode->i_ino + data->args.count;\n"
	"}\n";

static void module_struct(void **state)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "nfs.c" };
	struct ember_module *m = NULL;
	int err;

	(void)state;
	/* loaded where the kernel has it as a module: its BTF is in
	 * /sys/kernel/btf/nfs since Linux 5.11 (5.10 has the struct in
	 * vmlinux's BTF) */
	if (access("/sys/kernel/btf/nfs", R_OK) &&
	    system("modprobe nfs >/dev/null 2>&1"))
		fprintf(stderr, "no nfs module here\n");
	err = ember_module_compile(text, &o, &m);
	if (err) {
		/* only where no BTF has it */
		assert_int_not_equal(access("/sys/kernel/btf/nfs", R_OK), 0);
		assert_int_equal(err, -EINVAL);
		assert_non_null(strstr(ember_errmsg(),
				       "nfs.c:5:13: error: incomplete "
				       "definition of type 'struct "
				       "nfs_commit_data'"));
		return;
	}
	if (ember_module_load(m))
		fail_msg("%s", ember_errmsg());
	if (ember_module_attach_auto(m) < 0)
		fail_msg("%s", ember_errmsg());
	assert_int_equal(ember_module_link_cnt(m), 1);
	ember_module_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(module_struct),
	};

	test_require_root();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
