// SPDX-License-Identifier: MIT
/*
 * Where a verifier rejection is reported when only the kernel's log says
 * it: line 0 (the compiler's "no line") is never shown as the place.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "ember/ember.h"
#include "loader/verifier_log.h"

static const char *first_line(void)
{
	static char buf[512];
	const char *m = ember_errmsg();

	strncpy(buf, m, sizeof(buf) - 1);
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

/* the last line before the rejection with a line number is the place */
static void test_line_zero_skipped(void **state)
{
	const char *log = "0: (b7) r1 = 0\n"
			  "; s += i; @ prog.c:6\n"
			  "1: (0f) r1 += r2\n"
			  "; @ prog.c:0\n"
			  "2: (ad) if r2 < r0 goto pc-2\n"
			  "infinite loop detected at insn 2\n";

	(void)state;
	assert_int_equal(ember__verifier_error(EINVAL, "p", log, NULL),
			 -EINVAL);
	assert_string_equal(first_line(),
			    "the BPF verifier rejected program 'p' at "
			    "prog.c:6: s += i;");
}

/* no line at all: the instruction, and no made-up line */
static void test_no_line_known(void **state)
{
	const char *log = "0: (b7) r1 = 0\n"
			  "; @ prog.c:0\n"
			  "1: (ad) if r2 < r0 goto pc-2\n"
			  "infinite loop detected at insn 1\n";

	(void)state;
	assert_int_equal(ember__verifier_error(EINVAL, "p", log, NULL),
			 -EINVAL);
	assert_string_equal(first_line(),
			    "the BPF verifier rejected program 'p' at "
			    "instruction 1 (no source line is known for it)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_zero_skipped),
		cmocka_unit_test(test_no_line_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
