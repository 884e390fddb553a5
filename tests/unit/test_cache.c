// SPDX-License-Identifier: MIT
/*
 * The cache as an attacker sees it (issue 8): entries swapped, patched,
 * truncated or symlinked, a precompiled prelude tampered with, directories
 * that are symbolic links, group-writable or another uid's, and processes
 * writing at once. Each case asserts what the user gets: the program they
 * wrote, and (where the cache is refused) one warning through the log.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "compiler/cache.h"
#include "compiler/codegen.h"
#include "compiler/compile.h"
#include "compiler/prelude_build.h"
#include "ember/ember.h"
#include "test_support.h"

#define NOBODY 65534

static const char prog_a[] = "BPF_HASH(seen_a, u32, u64);\n"
			     "int prog_a(void *ctx)\n"
			     "{\n"
			     "\tu32 k = 1;\n"
			     "\tseen_a.increment(k);\n"
			     "\treturn 0;\n"
			     "}\n";
static const char prog_b[] = "BPF_ARRAY(seen_b, u64, 4);\n"
			     "int prog_b(void *ctx)\n"
			     "{\n"
			     "\tbpf_trace_printk(\"injected\\n\");\n"
			     "\treturn 1;\n"
			     "}\n";

/* The directory holding a PCH built once, copied into each test's cache. */
static char template_dir[64];

struct log {
	int warnings;
	char last[2048];
};

static void capture(enum ember_log_level level, const char *msg, void *ctx)
{
	struct log *l = ctx;

	if (level != EMBER_LOG_WARN)
		return;
	l->warnings++;
	snprintf(l->last, sizeof(l->last), "%s", msg);
}

static int compile_logged(const char *text, struct log *l,
			  struct ember_compiled *out)
{
	struct ember_compile_opts o = { .name = "prog.c",
					.log = capture,
					.log_ctx = l };

	memset(l, 0, sizeof(*l));
	return ember__compile(text, &o, out);
}

/* Compile text and check that what came back is that program. */
static void expect_program(const char *text, const char *func,
			   const char *table, struct log *l)
{
	struct ember_compiled c;
	int err = compile_logged(text, l, &c);

	if (err)
		fail_msg("compile failed: %s", ember_errmsg());
	assert_int_equal(c.progs_cnt, 1);
	assert_string_equal(c.progs[0].name, func);
	assert_int_equal(c.tables_cnt, 1);
	assert_string_equal(c.tables[0].name, table);
	assert_non_null(strstr(c.rewritten, func));
	assert_non_null(memmem(c.obj, c.obj_len, func, strlen(func)));
	/* nothing of B's in A */
	if (strcmp(func, "prog_b"))
		assert_null(strstr(c.rewritten, "injected"));
	ember__compiled_free(&c);
}

/* As expect_program, and the user was warned exactly once, with a message
 * containing want and also (when not NULL). */
static void expect_warned(const char *text, const char *func, const char *table,
			  const char *want, const char *also)
{
	struct log l;

	expect_program(text, func, table, &l);
	assert_int_equal(l.warnings, 1);
	if (!strstr(l.last, want) || (also && !strstr(l.last, also)))
		fail_msg("warning: %s", l.last);
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	char *data = test_read_file(from, &len);
	FILE *f = fopen(to, "w");

	assert_non_null(data);
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	chmod(to, 0600);
	free(data);
}

/* A fresh cache directory (0700, ours) with the template's PCH in it. */
static char *fresh_cache(void)
{
	char *dir = strdup("/tmp/ember-test-cache-XXXXXX");
	char from[512], to[512], name[256];
	const char *suffix[] = { ".pch", ".sum", ".h" };

	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 3; i++) {
		DIR *d = opendir(template_dir);
		struct dirent *e;

		assert_non_null(d);
		while ((e = readdir(d))) {
			size_t l = strlen(e->d_name);

			if (strncmp(e->d_name, "prelude-", 8) ||
			    l < strlen(suffix[i]) ||
			    strcmp(e->d_name + l - strlen(suffix[i]),
				   suffix[i]))
				continue;
			snprintf(name, sizeof(name), "%s", e->d_name);
			snprintf(from, sizeof(from), "%s/%s", template_dir,
				 name);
			snprintf(to, sizeof(to), "%s/%s", dir, name);
			copy_file(from, to);
		}
		closedir(d);
	}
	setenv("EMBER_CACHE_DIR", dir, 1);
	return dir;
}

static void drop_cache(char *dir)
{
	test_remove_tree(dir);
	free(dir);
}

static void path_of(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Compile a, then b, in dir: the names of their object entries. */
static void entries_of_a_and_b(const char *dir, char *a, char *b, size_t len)
{
	struct log l;

	expect_program(prog_a, "prog_a", "seen_a", &l);
	assert_int_equal(test_dir_entries(dir, "obj-", a, len), 1);
	expect_program(prog_b, "prog_b", "seen_b", &l);
	assert_int_equal(test_dir_entries(dir, "obj-", NULL, 0), 2);
	{
		DIR *d = opendir(dir);
		struct dirent *e;

		while ((e = readdir(d)))
			if (!strncmp(e->d_name, "obj-", 4) &&
			    strcmp(e->d_name, a))
				snprintf(b, len, "%s", e->d_name);
		closedir(d);
	}
}

static void write_bytes(const char *path, long off, const void *data,
			size_t len)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, off), (ssize_t)len);
	close(fd);
}

/*
 * The attack of issue 8: B's entry copied over A's, its key patched to
 * A's. The digest of B's bytes no longer matches: A is compiled afresh, and
 * the entry rebuilt (the next compile is quiet and still A).
 */
static void swapped_entry_patched_key(void **state)
{
	char *dir = fresh_cache();
	char a[256], b[256], pa[512], pb[512];
	unsigned char key[32];
	struct log l;
	FILE *f;

	(void)state;
	entries_of_a_and_b(dir, a, b, sizeof(a));
	path_of(pa, sizeof(pa), dir, a);
	path_of(pb, sizeof(pb), dir, b);
	f = fopen(pa, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 8, SEEK_SET), 0);
	assert_int_equal(fread(key, 1, sizeof(key), f), sizeof(key));
	fclose(f);
	copy_file(pb, pa);
	write_bytes(pa, 8, key, sizeof(key));

	expect_warned(prog_a, "prog_a", "seen_a", a, "damaged");
	expect_program(prog_a, "prog_a", "seen_a", &l);
	assert_int_equal(l.warnings, 0);
	drop_cache(dir);
}

/* The same without the patch: the entry says it was built from B. */
static void swapped_entry(void **state)
{
	char *dir = fresh_cache();
	char a[256], b[256], pa[512], pb[512];

	(void)state;
	entries_of_a_and_b(dir, a, b, sizeof(a));
	path_of(pa, sizeof(pa), dir, a);
	path_of(pb, sizeof(pb), dir, b);
	copy_file(pb, pa);
	expect_warned(prog_a, "prog_a", "seen_a", "built from other inputs",
		      NULL);
	drop_cache(dir);
}

/* A truncated entry and a flipped byte in the object are both refused. */
static void truncated_and_flipped_entries(void **state)
{
	char *dir = fresh_cache();
	char a[256], b[256], pa[512], pb[512];
	struct stat st;

	(void)state;
	entries_of_a_and_b(dir, a, b, sizeof(a));
	path_of(pa, sizeof(pa), dir, a);
	path_of(pb, sizeof(pb), dir, b);
	assert_int_equal(stat(pa, &st), 0);
	assert_int_equal(truncate(pa, st.st_size / 2), 0);
	expect_warned(prog_a, "prog_a", "seen_a", "damaged", NULL);
	assert_int_equal(truncate(pa, 20), 0);
	expect_warned(prog_a, "prog_a", "seen_a", "truncated", NULL);

	assert_int_equal(stat(pb, &st), 0);
	write_bytes(pb, st.st_size - 100, "\x90", 1);
	expect_warned(prog_b, "prog_b", "seen_b", "damaged", NULL);
	drop_cache(dir);
}

/* The name of the prelude- file ending in suffix in dir. */
static void prelude_file(const char *dir, const char *suffix, char *name,
			 size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (!strncmp(e->d_name, "prelude-", 8) && l > strlen(suffix) &&
		    !strcmp(e->d_name + l - strlen(suffix), suffix)) {
			snprintf(name, len, "%s", e->d_name);
			n++;
		}
	}
	closedir(d);
	assert_int_equal(n, 1);
}

/* Program A again, new text each time: never in the object cache. */
static const char *new_prog_a(char *buf, size_t len)
{
	static int n;

	snprintf(buf, len,
		 "BPF_HASH(seen_a, u32, u64);\n"
		 "int prog_a(void *ctx) { return %d; }\n",
		 ++n);
	return buf;
}

/*
 * A tampered precompiled prelude (a byte changed in place, or truncated) is
 * not handed to clang: it is rebuilt and the program compiles as written.
 */
static void tampered_pch(void **state)
{
	char *dir = fresh_cache();
	char name[256], path[512];
	struct stat st;
	struct log l;

	(void)state;
	assert_int_equal(test_dir_entries(dir, "prelude-", NULL, 0), 3);
	assert_int_equal(test_dir_entries(dir, "obj-", NULL, 0), 0);
	prelude_file(dir, ".pch", name, sizeof(name));
	path_of(path, sizeof(path), dir, name);
	assert_int_equal(stat(path, &st), 0);
	/* a byte in the middle: clang might well load it */
	write_bytes(path, st.st_size / 2, "\x01\x02\x03\x04", 4);
	expect_warned(prog_a, "prog_a", "seen_a", name, "SHA-256 differs");
	/* rebuilt: the next new program is quiet */
	expect_program(prog_b, "prog_b", "seen_b", &l);
	assert_int_equal(l.warnings, 0);

	assert_int_equal(truncate(path, st.st_size - 1), 0);
	expect_warned("BPF_HASH(seen_a, u32, u64);\nint prog_a(void *ctx) { "
		      "return 2; }\n",
		      "prog_a", "seen_a", "SHA-256 differs", NULL);
	drop_cache(dir);
}

/*
 * The kernel types text served beside the PCH, a byte changed in place
 * (clang would read it as the types' source): refused with the PCH, both
 * rebuilt, the program compiled as written.
 */
static void tampered_kernel_types(void **state)
{
	char *dir = fresh_cache();
	char name[256], path[512], text[128];
	struct stat st;
	struct log l;

	(void)state;
	prelude_file(dir, ".h", name, sizeof(name));
	path_of(path, sizeof(path), dir, name);
	assert_int_equal(stat(path, &st), 0);
	write_bytes(path, st.st_size / 2, "}", 1);
	expect_warned(new_prog_a(text, sizeof(text)), "prog_a", "seen_a", name,
		      "SHA-256 differs");
	expect_program(new_prog_a(text, sizeof(text)), "prog_a", "seen_a", &l);
	assert_int_equal(l.warnings, 0);
	drop_cache(dir);
}

/*
 * The kernel types file beside the PCH carries where each line of its text
 * begins (compiler/prelude_build.h), which codegen hands clang instead of
 * the text being scanned: one start after each newline, all within the
 * text. A file laid out otherwise is refused.
 */
static void kernel_types_line_starts(void **state)
{
	char *dir = fresh_cache();
	char name[256], path[512];
	struct ember_prelude_types t;
	size_t len, lines = 1, i, last;
	char *file;

	(void)state;
	prelude_file(dir, ".h", name, sizeof(name));
	path_of(path, sizeof(path), dir, name);
	file = test_read_file(path, &len);
	assert_non_null(file);
	assert_int_equal(ember__prelude_types_read(file, len, &t), 0);
	assert_ptr_equal(t.text, file);
	assert_true(t.len > 1000000);
	assert_int_equal(strlen(t.text), t.len);
	for (i = 0; i < t.len; i++)
		lines += t.text[i] == '\n';
	assert_int_equal(t.lines, lines);
	assert_int_equal(t.line_starts[0], 0);
	for (i = 1; i < t.lines; i++)
		assert_int_equal(t.text[t.line_starts[i] - 1], '\n');
	/* the same table clang makes of the text */
	{
		unsigned int *starts;
		size_t cnt;

		assert_int_equal(ember__codegen_line_starts(t.text, t.len,
							    &starts, &cnt),
				 0);
		assert_int_equal(cnt, t.lines);
		assert_memory_equal(starts, t.line_starts,
				    cnt * sizeof(*starts));
		free(starts);
	}
	/* cut short, a start out of order, past the text, the footer's
	 * magic, the text's length */
	assert_int_equal(ember__prelude_types_read(file, len - 4, &t),
			 -EBADMSG);
	assert_int_equal(ember__prelude_types_read(file, 16, &t), -EBADMSG);
	assert_int_equal(ember__prelude_types_read(file, len, &t), 0);
	last = t.lines - 1;
	((unsigned int *)t.line_starts)[last] = t.line_starts[last - 1];
	assert_int_equal(ember__prelude_types_read(file, len, &t), -EBADMSG);
	((unsigned int *)t.line_starts)[last] = (unsigned int)t.len + 1;
	assert_int_equal(ember__prelude_types_read(file, len, &t), -EBADMSG);
	file[len - 1] ^= 1;
	assert_int_equal(ember__prelude_types_read(file, len, &t), -EBADMSG);
	file[len - 1] ^= 1;
	file[len - 24] ^= 1;
	assert_int_equal(ember__prelude_types_read(file, len, &t), -EBADMSG);
	free(file);
	drop_cache(dir);
}

/* Compile new text in other: this process then remembers other's PCH, not
 * the one of the cache it comes back to. */
static void forget_checked(const char *other, const char *back)
{
	char text[128];
	struct log l;

	setenv("EMBER_CACHE_DIR", other, 1);
	expect_program(new_prog_a(text, sizeof(text)), "prog_a", "seen_a", &l);
	setenv("EMBER_CACHE_DIR", back, 1);
}

/*
 * The PCH, once hashed, is remembered in the cache by its files' identity:
 * the next process uses the record instead of hashing (the record is not
 * written anew). A damaged record is reported; the files are hashed again
 * and recorded again.
 */
static void remembered_check(void **state)
{
	char *other = fresh_cache(), *dir = fresh_cache();
	char rec[256], path[512], text[128];
	struct stat before, after;
	struct log l;

	(void)state;
	expect_program(new_prog_a(text, sizeof(text)), "prog_a", "seen_a", &l);
	assert_int_equal(l.warnings, 0);
	assert_int_equal(
		test_dir_entries(dir, "pch-checked-", rec, sizeof(rec)), 1);
	path_of(path, sizeof(path), dir, rec);
	assert_int_equal(stat(path, &before), 0);

	forget_checked(other, dir);
	expect_program(new_prog_a(text, sizeof(text)), "prog_a", "seen_a", &l);
	assert_int_equal(l.warnings, 0);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);

	write_bytes(path, before.st_size / 2, "\x55\xaa", 2);
	forget_checked(other, dir);
	expect_warned(new_prog_a(text, sizeof(text)), "prog_a", "seen_a", rec,
		      "damaged");
	assert_int_equal(test_dir_entries(dir, "pch-checked-", NULL, 0), 1);
	assert_int_equal(stat(path, &after), 0);
	assert_int_not_equal(after.st_ino, before.st_ino);
	forget_checked(other, dir);
	expect_program(new_prog_a(text, sizeof(text)), "prog_a", "seen_a", &l);
	assert_int_equal(l.warnings, 0);
	drop_cache(dir);
	drop_cache(other);
}

/* Refused directories: one warning, the program compiled, nothing
 * written into the directory. */
static void expect_refused_dir(const char *dir, const char *why)
{
	expect_warned(prog_a, "prog_a", "seen_a", why,
		      "; compiling without it");
	assert_int_equal(test_dir_entries(dir, "obj-", NULL, 0), 0);
}

static void symlinked_dir(void **state)
{
	char *dir = fresh_cache();
	char link[512];

	(void)state;
	path_of(link, sizeof(link), dir, "link");
	assert_int_equal(symlink(dir, link), 0);
	setenv("EMBER_CACHE_DIR", link, 1);
	expect_refused_dir(dir, "is a symbolic link");
	/* a trailing slash must not make it followed */
	strcat(link, "/");
	setenv("EMBER_CACHE_DIR", link, 1);
	expect_refused_dir(dir, "is a symbolic link");
	drop_cache(dir);
}

static void group_writable_dir(void **state)
{
	char *dir = fresh_cache();

	(void)state;
	assert_int_equal(chmod(dir, 0770), 0);
	expect_refused_dir(dir, "writable by its group or others (mode 0770)");
	assert_int_equal(chmod(dir, 0703), 0);
	expect_refused_dir(dir, "writable by its group or others (mode 0703)");
	drop_cache(dir);
}

/* Root: a directory chowned to nobody. Others: a directory root owns. */
static void other_uid_dir(void **state)
{
	char *dir = fresh_cache();
	char want[64];

	(void)state;
	if (geteuid() == 0) {
		assert_int_equal(chown(dir, NOBODY, NOBODY), 0);
		snprintf(want, sizeof(want), "owned by uid %d, not by uid 0",
			 NOBODY);
		expect_refused_dir(dir, want);
	} else {
		setenv("EMBER_CACHE_DIR", "/usr", 1);
		expect_refused_dir("/usr", "owned by uid 0");
	}
	drop_cache(dir);
}

/* Entries that are symbolic links, FIFOs or another uid's files. */
static void hostile_entry_files(void **state)
{
	char *dir = fresh_cache();
	char *elsewhere = fresh_cache();
	char a[256], b[256], pa[512], copy[512];
	struct stat st;

	(void)state;
	setenv("EMBER_CACHE_DIR", dir, 1);
	entries_of_a_and_b(dir, a, b, sizeof(a));
	path_of(pa, sizeof(pa), dir, a);
	/* a symbolic link to a valid copy of A's own entry */
	path_of(copy, sizeof(copy), elsewhere, a);
	copy_file(pa, copy);
	assert_int_equal(unlink(pa), 0);
	assert_int_equal(symlink(copy, pa), 0);
	expect_warned(prog_a, "prog_a", "seen_a", "is a symbolic link", NULL);
	/* rebuilt in place as a regular file */
	assert_int_equal(lstat(pa, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* a FIFO must not hang the compile */
	assert_int_equal(unlink(pa), 0);
	assert_int_equal(mkfifo(pa, 0600), 0);
	expect_warned(prog_a, "prog_a", "seen_a", "not a regular file", NULL);

	/* group-writable, then (as root) another uid's */
	copy_file(copy, pa);
	assert_int_equal(chmod(pa, 0620), 0);
	expect_warned(prog_a, "prog_a", "seen_a", "writable by its group",
		      NULL);
	if (geteuid() == 0) {
		copy_file(copy, pa);
		assert_int_equal(chown(pa, NOBODY, NOBODY), 0);
		expect_warned(prog_a, "prog_a", "seen_a", "owned by uid 65534",
			      NULL);
	}
	drop_cache(elsewhere);
	drop_cache(dir);
}

/* Children compiling text in the current cache at once: all must succeed
 * with the right program, leaving whole entries and no temporary files. */
static void run_children(int n, const char *text)
{
	pid_t pids[16];
	int i, status;

	for (i = 0; i < n; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct ember_compiled c;
			struct log l;
			int bad = compile_logged(text, &l, &c) ||
				  c.progs_cnt != 1 ||
				  strcmp(c.progs[0].name, "prog_a") ||
				  l.warnings;

			if (bad)
				fprintf(stderr, "child: %s / %s\n",
					ember_errmsg(), l.last);
			_exit(bad);
		}
	}
	for (i = 0; i < n; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

/* n children compile A at once in dir: one entry each, no leftovers. */
static void expect_concurrent(const char *dir, int n)
{
	struct log l;

	setenv("EMBER_CACHE_DIR", dir, 1);
	run_children(n, prog_a);
	assert_int_equal(test_dir_entries(dir, "prelude-", NULL, 0), 3);
	assert_int_equal(test_dir_entries(dir, "obj-", NULL, 0), 1);
	assert_int_equal(test_dir_entries(dir, ".tmp-", NULL, 0), 0);
	expect_program(prog_a, "prog_a", "seen_a", &l);
	assert_int_equal(l.warnings, 0);
}

static void concurrent_writers(void **state)
{
	char *dir = fresh_cache();

	(void)state;
	expect_concurrent(dir, 8);
	drop_cache(dir);
}

/* Two processes meet an empty cache: one builds the PCH, both compile. */
static void concurrent_first_pch(void **state)
{
	char dir[] = "/tmp/ember-test-cache-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	expect_concurrent(dir, 2);
	test_remove_tree(dir);
}

/* Where the cache goes: created 0700; root's default ignores HOME. */
static void location_and_mode(void **state)
{
	char *dir = fresh_cache();
	char sub[512];
	struct ember_cache c;
	struct stat st;

	(void)state;
	path_of(sub, sizeof(sub), dir, "new/deeper");
	setenv("EMBER_CACHE_DIR", sub, 1);
	assert_int_equal(ember__cache_open(&c, NULL, NULL), 0);
	assert_string_equal(c.path, sub);
	ember__cache_close(&c);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	*strrchr(sub, '/') = 0;
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	if (geteuid() == 0) {
		/* sudo -E: HOME is a user's; root's cache is not there */
		char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

		unsetenv("EMBER_CACHE_DIR");
		setenv("HOME", dir, 1);
		setenv("XDG_CACHE_HOME", dir, 1);
		assert_int_equal(ember__cache_open(&c, NULL, NULL), 0);
		assert_string_equal(c.path, "/var/cache/ember");
		ember__cache_close(&c);
		unsetenv("XDG_CACHE_HOME");
		if (home)
			setenv("HOME", home, 1);
		free(home);
	}
	drop_cache(dir);
}

/* A file name with its modification time set seconds ago. */
static void aged_file(const char *dir, const char *name, long seconds)
{
	char path[512];
	struct timespec t[2];
	int fd;

	path_of(path, sizeof(path), dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= seconds;
	t[1] = t[0];
	assert_int_equal(futimens(fd, t), 0);
	close(fd);
}

static bool exists(const char *dir, const char *name)
{
	char path[512];

	path_of(path, sizeof(path), dir, name);
	return access(path, F_OK) == 0;
}

/* Pruning keeps the newest entries of the kind, others' and fresh
 * temporary files; it removes a crashed writer's old temporary files. */
static void prune_keeps_newest(void **state)
{
	char *dir = fresh_cache();
	struct ember_cache c;
	char name[64];

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "obj-%02d.bin", i);
		aged_file(dir, name, 100 * (10 - i)); /* obj-09 newest */
	}
	aged_file(dir, "other-00.bin", 5000);
	aged_file(dir, ".tmp-1-0-obj-old.bin", 7200);
	aged_file(dir, ".tmp-1-1-obj-new.bin", 10);
	assert_int_equal(ember__cache_open(&c, NULL, NULL), 0);
	ember__cache_prune(&c, "obj-", ".bin", 4);
	ember__cache_close(&c);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "obj-%02d.bin", i);
		if (exists(dir, name) != (i >= 6))
			fail_msg("%s: %s", name, i >= 6 ? "removed" : "kept");
	}
	assert_true(exists(dir, "other-00.bin"));
	assert_false(exists(dir, ".tmp-1-0-obj-old.bin"));
	assert_true(exists(dir, ".tmp-1-1-obj-new.bin"));
	drop_cache(dir);
}

static int build_template(void **state)
{
	struct ember_compiled c;
	struct log l;

	(void)state;
	snprintf(template_dir, sizeof(template_dir),
		 "/tmp/ember-test-cache-XXXXXX");
	if (!mkdtemp(template_dir))
		return -1;
	setenv("EMBER_CACHE_DIR", template_dir, 1);
	if (compile_logged(prog_a, &l, &c)) {
		fprintf(stderr, "%s\n", ember_errmsg());
		return -1;
	}
	ember__compiled_free(&c);
	return test_dir_entries(template_dir, "prelude-", NULL, 0) == 3 ? 0
									: -1;
}

static int drop_template(void **state)
{
	(void)state;
	test_remove_tree(template_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(swapped_entry_patched_key),
		cmocka_unit_test(swapped_entry),
		cmocka_unit_test(truncated_and_flipped_entries),
		cmocka_unit_test(tampered_pch),
		cmocka_unit_test(tampered_kernel_types),
		cmocka_unit_test(kernel_types_line_starts),
		cmocka_unit_test(remembered_check),
		cmocka_unit_test(symlinked_dir),
		cmocka_unit_test(group_writable_dir),
		cmocka_unit_test(other_uid_dir),
		cmocka_unit_test(hostile_entry_files),
		cmocka_unit_test(concurrent_writers),
		cmocka_unit_test(concurrent_first_pch),
		cmocka_unit_test(location_and_mode),
		cmocka_unit_test(prune_keeps_newest),
	};

	return cmocka_run_group_tests(tests, build_template, drop_template);
}
