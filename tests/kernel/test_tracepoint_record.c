// SPDX-License-Identifier: MIT
/*
 * A tracepoint's format is kept in the cache for the boot
 * (compiler/tracepoint_record.h): an event the kernel registers again with
 * another format, as a reloaded module's or a dynamic event made again, is
 * compiled with its new format, even when the kernel gives it its old id.
 * Here a uprobe event whose argument is a u32, then, made again, a u64: a
 * program asserting the argument's size compiles each time, with the cache
 * kept between the two.
 */
#include <errno.h>
#include <fcntl.h>
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

#define EVENTS "/sys/kernel/tracing/uprobe_events"
#define EVENT "ember_tprec/ev"

static char cache_dir[] = "/tmp/ember-test-tprec-XXXXXX";

/* Write one line to uprobe_events (appending): 0 or -errno. */
static int uprobe_events(const char *line)
{
	int fd = open(EVENTS, O_WRONLY | O_APPEND | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, line, strlen(line));
	if (n != (ssize_t)strlen(line))
		err = n < 0 ? -errno : -EIO;
	close(fd);
	return err;
}

static int event_id(void)
{
	char *text =
		test_read_file("/sys/kernel/tracing/events/" EVENT "/id", NULL);
	int id = text ? atoi(text) : -1;

	free(text);
	return id;
}

/* Compile a program that holds only if the argument has size bytes. */
static void expect_size(int size)
{
	char text[512];
	struct ember_module_opts o = { .sz = sizeof(o), .name = "tprec.c" };
	struct ember_module *m = NULL;

	snprintf(text, sizeof(text),
		 "_Static_assert(sizeof(((struct "
		 "tracepoint__ember_tprec__ev *)0)->a) == %d, \"a's size\");\n"
		 "TRACEPOINT_PROBE(ember_tprec, ev)\n"
		 "{\n"
		 "\treturn args->a != 0;\n"
		 "}\n",
		 size);
	if (ember_module_compile(text, &o, &m))
		fail_msg("a of %d bytes: %s", size, ember_errmsg());
	ember_module_free(m);
}

static void event_made_again(void **state)
{
	char probe[1024], self[512];
	ssize_t n;
	int id;

	(void)state;
	test_require_root();
	if (access(EVENTS, W_OK))
		test_skip("no uprobe_events in tracefs");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = 0;
	assert_non_null(mkdtemp(cache_dir));
	setenv("EMBER_CACHE_DIR", cache_dir, 1);

	/* the program's entry point: any address of its text will do, the
	 * event is never enabled */
	snprintf(probe, sizeof(probe), "p:" EVENT " %s:0x%lx a=%%ax:u32\n",
		 self, 0x1000ul);
	uprobe_events("-:" EVENT "\n");
	assert_int_equal(uprobe_events(probe), 0);
	id = event_id();
	expect_size(4);
	expect_size(4); /* the format from the cache */

	assert_int_equal(uprobe_events("-:" EVENT "\n"), 0);
	snprintf(probe, sizeof(probe), "p:" EVENT " %s:0x%lx a=%%ax:u64\n",
		 self, 0x1000ul);
	assert_int_equal(uprobe_events(probe), 0);
	print_message("id %d, made again: %d\n", id, event_id());
	expect_size(8);

	assert_int_equal(uprobe_events("-:" EVENT "\n"), 0);
	test_remove_tree(cache_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(event_made_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
