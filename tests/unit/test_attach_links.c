// SPDX-License-Identifier: MIT
/*
 * Without privileges: the list of a module's attachments (order,
 * descriptions, detaching one, freeing the rest), binary lookup, feature names, and USDT support compiled into
 * exactly the programs that read USDT arguments.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ember/ember.h"
#include "loader/attach.h"
#include "loader/module.h"

static char detached[64];

static void note_detach(void *data)
{
	strcat(detached, (const char *)data);
}

static struct ember_module *compiled(const char *text)
{
	struct ember_module_opts o = { .sz = sizeof(o), .name = "unit.c" };
	struct ember_module *m = NULL;

	if (ember_module_compile(text, &o, &m))
		fail_msg("compile failed: %s", ember_errmsg());
	return m;
}

static void links_in_attach_order(void **state)
{
	struct ember_module *m = compiled("int f(void *ctx) { return 0; }");
	struct ember_module *other = compiled("int g(void *ctx) { return 0; }");
	struct ember_link *a, *b, *c, *k, *foreign;

	(void)state;
	detached[0] = 0;
	assert_null(ember_module_next_link(m, NULL));
	assert_int_equal(ember__module_add_attachment(m, NULL, note_detach, "a",
						      "kind one", "f", &a),
			 0);
	assert_int_equal(ember__module_add_attachment(m, NULL, note_detach, "b",
						      "kind two", "f", &b),
			 0);
	assert_int_equal(ember__module_add_attachment(m, NULL, note_detach, "c",
						      "kind three", NULL, &c),
			 0);
	assert_int_equal(ember_module_link_cnt(m), 3);
	k = ember_module_next_link(m, NULL);
	assert_ptr_equal(k, a);
	assert_string_equal(ember_link_description(k), "kind one → f");
	k = ember_module_next_link(m, k);
	assert_ptr_equal(k, b);
	k = ember_module_next_link(m, k);
	assert_ptr_equal(k, c);
	assert_string_equal(ember_link_description(k), "kind three");
	assert_null(ember_module_next_link(m, k));

	/* detach the middle one alone */
	assert_int_equal(ember_link_detach(b), 0);
	assert_string_equal(detached, "b");
	assert_int_equal(ember_module_link_cnt(m), 2);
	assert_ptr_equal(ember_module_next_link(m, a), c);

	/* a link of another module is not a position in this one */
	assert_int_equal(ember__module_add_attachment(other, NULL, note_detach,
						      "x", "x", "g", &foreign),
			 0);
	assert_null(ember_module_next_link(m, foreign));
	assert_null(ember_module_next_link(NULL, NULL));
	assert_null(ember_link_description(NULL));

	/* freeing detaches the rest */
	ember_module_free(m);
	assert_int_equal(strlen(detached), 3);
	assert_non_null(strchr(detached, 'a'));
	assert_non_null(strchr(detached, 'c'));
	ember_module_free(other);
	assert_non_null(strchr(detached, 'x'));
}

static void binaries_and_names(void **state)
{
	char buf[4096];

	(void)state;
	assert_int_equal(ember_find_binary("c", 0, buf, sizeof(buf)), 0);
	assert_int_equal(access(buf, R_OK), 0);
	assert_int_equal(ember_find_binary("/bin/sh", 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/bin/sh");
	assert_int_equal(
		ember_find_binary("/no/such/file", 0, buf, sizeof(buf)),
		-ENOENT);
	assert_int_equal(ember_find_binary(NULL, 0, buf, sizeof(buf)), -EINVAL);
	for (int f = 0; f < EMBER_FEATURE__CNT; f++)
		assert_non_null(ember_feature_name((enum ember_feature)f));
	assert_string_equal(ember_feature_name(EMBER_FEATURE_FENTRY),
			    "fentry/fexit");
}

static bool has_map(const struct ember_module *m, const char *name)
{
	struct bpf_object *obj = bpf_object__open_mem(
		m->compiled.obj, m->compiled.obj_len, NULL);
	bool found;

	assert_non_null(obj);
	found = bpf_object__find_map_by_name(obj, name) != NULL;
	bpf_object__close(obj);
	return found;
}

static void usdt_support_only_where_read(void **state)
{
	struct ember_table *t;
	struct ember_module *m;

	(void)state;
	m = compiled("int on_probe(struct pt_regs *ctx)\n"
		     "{\n"
		     "	u64 a = 0; char s[8];\n"
		     "	bpf_usdt_readarg(1, ctx, &a);\n"
		     "	bpf_usdt_readarg_p(2, ctx, s, sizeof(s));\n"
		     "	return a == 0;\n"
		     "}\n");
	assert_true(has_map(m, "__bpf_usdt_specs"));
	assert_true(has_map(m, "__bpf_usdt_ip_to_spec_id"));
	ember_module_free(m);

	/* everyone else: no extra tables */
	m = compiled("int on_probe(struct pt_regs *ctx) { return 0; }");
	assert_false(has_map(m, "__bpf_usdt_specs"));
	ember_module_free(m);

	/* not loaded: no tables (and no fds) yet */
	m = compiled("int on_probe(struct pt_regs *ctx) { return 0; }");
	assert_int_equal(ember_module_table(m, "x", &t), -ENODEV);
	ember_module_free(m);
}

/* What a function's section makes of it: when it loads, what auto-attach
 * does, for sections the compiler gives and libbpf's own. */
static void kinds_by_section(void **state)
{
	const struct ember_section_def *d;
	struct ember_module *m;

	(void)state;
	d = ember__section_def("kretprobe/do_sys_open");
	assert_non_null(d);
	assert_string_equal(d->prefix, "kretprobe/");
	assert_int_equal(d->prog_type, BPF_PROG_TYPE_KPROBE);
	assert_true(d->flags & EMBER_SEC_ON_REQUEST);
	assert_true(d->flags & EMBER_SEC_RETURN);
	d = ember__section_def("tracepoint/sched/sched_switch");
	assert_non_null(d);
	assert_false(d->flags & EMBER_SEC_ON_REQUEST);
	assert_non_null(d->attach);
	d = ember__section_def("ember/helper");
	assert_non_null(d);
	assert_true(d->flags & EMBER_SEC_ON_REQUEST);
	assert_null(d->attach);
	/* libbpf's sections: loaded with the module, never auto-attached */
	assert_null(ember__section_def("xdp"));
	assert_null(ember__section_def("uprobe/bin:fn"));
	assert_ptr_equal(ember__section_def_of("fexit/"),
			 ember__section_def("fexit/vfs_read"));

	/* the compiler's sections for BCC's names are rows of the table */
	m = compiled(
		"int kprobe__vfs_read(void *ctx) { return 0; }\n"
		"int kfunc__vmlinux__vfs_write(void *ctx) { return 0; }\n"
		"int tracepoint__sched__sched_switch(void *a) { return 0; }\n"
		"int plain(void *ctx) { return 0; }\n");
	assert_int_equal(m->progs_cnt, 4);
	for (size_t i = 0; i < m->progs_cnt; i++)
		assert_non_null(ember__section_def(m->progs[i].section));
	ember_module_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(links_in_attach_order),
		cmocka_unit_test(binaries_and_names),
		cmocka_unit_test(usdt_support_only_where_read),
		cmocka_unit_test(kinds_by_section),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
