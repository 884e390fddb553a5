// SPDX-License-Identifier: MIT
#include "compiler/translate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <clang-c/Index.h>

#include "compiler/clang_args.h"
#include "compiler/codegen.h"
#include "compiler/object_calls.h"
#include "compiler/compile.h"
#include "compiler/edits.h"
#include "compiler/include_check.h"
#include "compiler/include_check_parsed.h"
#include "compiler/prelude_build.h"
#include "compiler/rewriter.h"
#include "error.h"
#include "timing.h"

#define MAIN_PATH EMBER_VIRTUAL_MAIN_PATH
#define VINC EMBER_VIRTUAL_INCLUDE_DIR
#define KERNEL_TYPES "/ember/kernel_types.h"

static int (*const rewriters[])(struct ember_rewriter *) = {
	ember__rewrite_calls,	      ember__rewrite_probe_sections,
	ember__rewrite_tables,	      ember__rewrite_inline,
	ember__rewrite_packet_fields, ember__rewrite_kernel_reads,
	ember__rewrite_trace_printk,
};

static const char *display_file(CXFile file, CXFile main_file, const char *name,
				CXString *owned)
{
	if (clang_File_isEqual(file, main_file))
		return name;
	*owned = clang_getFileName(file);
	return clang_getCString(*owned) ? clang_getCString(*owned) : "?";
}

/* Collect parse diagnostics: errors into *errors, warnings (with clang's
 * [-Wflag]) into *warnings. Returns the number of errors. */
static size_t parse_diagnostics(CXTranslationUnit tu, CXFile main_file,
				const char *name, char **errors,
				char **warnings)
{
	unsigned int i, n = clang_getNumDiagnostics(tu);
	size_t nerr = 0;

	for (i = 0; i < n; i++) {
		CXDiagnostic d = clang_getDiagnostic(tu, i);
		enum CXDiagnosticSeverity sev = clang_getDiagnosticSeverity(d);
		CXString msg = clang_getDiagnosticSpelling(d);
		CXString opt = clang_getDiagnosticOption(d, NULL);
		CXString fname = { 0 };
		CXFile file;
		unsigned int line, col;
		const char *shown, *flag = clang_getCString(opt);
		char *w = NULL;

		clang_getExpansionLocation(clang_getDiagnosticLocation(d),
					   &file, &line, &col, NULL);
		shown = file ? display_file(file, main_file, name, &fname)
			     : name;
		if (sev >= CXDiagnostic_Error) {
			ember__diag_append(errors, name, shown, line, col,
					   "error", clang_getCString(msg));
			nerr++;
		} else if (sev == CXDiagnostic_Warning &&
			   asprintf(&w, flag && *flag ? "%s [%s]" : "%s",
				    clang_getCString(msg), flag) >= 0) {
			ember__diag_append(warnings, name, shown, line, col,
					   "warning", w);
			free(w);
		}
		if (fname.data)
			clang_disposeString(fname);
		clang_disposeString(opt);
		clang_disposeString(msg);
		clang_disposeDiagnostic(d);
	}
	return nerr;
}

/*
 * The BPF backend's errors carry an LLVM node dump ("pass by value not
 * supported 0x55..: i64 = GlobalAddress<...> 0, FILE:L:C") at a location
 * clang cannot map: say the message alone at FILE:L:C, with what to do, and
 * drop the note about the location. True when the line was handled.
 */
static bool backend_line(FILE *f, const char *p, size_t ll,
			 const struct ember_rewriter *rw)
{
	static const struct {
		const char *msg, *hint, *said; /* said: instead of msg */
	} known[] = {
		{ "pass by value not supported",
		  "a struct passed by value to a function that is not "
		  "inlined; pass a pointer, or drop noinline",
		  NULL },
		{ "aggregate returns are not supported",
		  "a struct returned by a function that is not inlined; "
		  "return it through a pointer, or drop noinline",
		  NULL },
		{ "too many args to",
		  "a function that is not inlined takes at most five, in "
		  "registers r1-r5; pass a pointer to a struct, or drop "
		  "noinline",
		  "too many arguments in a call" },
		{ "stack arguments are not supported",
		  "a function that is not inlined takes at most five, in "
		  "registers r1-r5; pass a pointer to a struct, or drop "
		  "noinline",
		  "too many arguments in a call" },
		{ "variadic functions are not supported",
		  "a call to a variadic function that is not inlined", NULL },
		{ "unsupported dynamic stack allocation",
		  "a variable-length array or alloca()", NULL },
	};
	static const char unmapped[] =
		"could not determine the original source location";
	const char *err = memmem(p, ll, ": error: ", 9), *loc;
	size_t nl = strlen(rw->name), i;
	unsigned int line, col;
	int used = 0;

	if (memmem(p, ll, unmapped, sizeof(unmapped) - 1))
		return true;
	if (!err)
		return false;
	err += 9;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strncmp(err, known[i].msg, strlen(known[i].msg)))
			break;
	if (i == sizeof(known) / sizeof(known[0]))
		return false;
	/* the last ", NAME:L:C" of the line is the user's place */
	for (loc = p + ll; loc > err; loc--)
		if (loc[-1] == ' ' && loc[-2] == ',' &&
		    (size_t)(p + ll - loc) > nl && !strncmp(loc, rw->name, nl))
			break;
	if (loc > err &&
	    sscanf(loc + nl, ":%u:%u%n", &line, &col, &used) == 2 &&
	    loc + nl + used == p + ll) {
		col = ember__edits_map_column(&rw->edits, rw->text, rw->len,
					      line, col);
		fprintf(f, "%s:%u:%u: error: %s (%s)\n", rw->name, line, col,
			known[i].said ?: known[i].msg, known[i].hint);
	} else {
		fprintf(f, "%s: error: %s (%s)\n", rw->name,
			known[i].said ?: known[i].msg, known[i].hint);
	}
	return true;
}

/*
 * Codegen diagnostics name the user's file through #line; columns there are
 * columns of the rewritten text: map them back.
 */
static char *map_codegen_diags(const char *diags,
			       const struct ember_rewriter *rw,
			       const char *rewritten)
{
	static const char vinc[] = VINC "/";
	const char *p = diags, *body = strstr(rewritten, "\n#line 1 \"");
	size_t nl = strlen(rw->name), ml = strlen(MAIN_PATH);
	unsigned int header_lines = 0;
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	/* Inside a macro's expansion clang names the rewritten file itself:
	 * its lines after the #line directive are the user's lines. */
	body = body ? strchr(body + 1, '\n') : NULL; /* end of #line */
	for (const char *q = rewritten; body && q <= body; q++)
		header_lines += *q == '\n';
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		unsigned int line, col;
		int used = 0;

		if (backend_line(f, p, ll, rw)) {
			/* said at the user's line, or nothing to say */
		} else if (!strncmp(p, rw->name, nl) &&
			   sscanf(p + nl, ":%u:%u:%n", &line, &col, &used) ==
				   2 &&
			   used) {
			col = ember__edits_map_column(&rw->edits, rw->text,
						      rw->len, line, col);
			fprintf(f, "%s:%u:%u:%.*s\n", rw->name, line, col,
				(int)(ll - nl - used), p + nl + used);
		} else if (body && !strncmp(p, MAIN_PATH, ml) &&
			   sscanf(p + ml, ":%u:%u:%n", &line, &col, &used) ==
				   2 &&
			   used && line > header_lines) {
			line -= header_lines;
			col = ember__edits_map_column(&rw->edits, rw->text,
						      rw->len, line, col);
			fprintf(f, "%s:%u:%u:%.*s\n", rw->name, line, col,
				(int)(ll - ml - used), p + ml + used);
		} else if (!strncmp(p, vinc, sizeof(vinc) - 1) &&
			   memmem(p, ll, ": note: ", 8)) {
			/* inside ember's prelude: nothing the user wrote */
		} else {
			char *line_text = strndup(p, ll);
			char *shown = line_text ? ember__user_paths(line_text,
								    rw->name)
						: NULL;

			fprintf(f, "%s\n", shown ? shown : "?");
			free(shown);
			free(line_text);
		}
		p += ll + (eol ? 1 : 0);
	}
	fclose(f);
	return out;
}

static void rewriter_free(struct ember_rewriter *rw)
{
	size_t i;

	ember__edits_free(&rw->edits);
	free(rw->errors);
	free(rw->warnings);
	for (i = 0; i < rw->tables_cnt; i++) {
		free(rw->tables[i].name);
		free(rw->tables[i].kind);
		free(rw->tables[i].event_type);
		free(rw->tables[i].pin_path);
	}
	free(rw->tables);
	/* programs are handed over to the result or freed by the caller */
}

static int compose_final(const struct ember_compile_opts *o,
			 const struct ember_rewriter *rw, const char *body,
			 const char *program_h, char **out, size_t *out_len)
{
	FILE *f = open_memstream(out, out_len);

	if (!f)
		return -ENOMEM;
	fprintf(f,
		"/* Plain eBPF C rewritten by ember from %s. */\n"
		"#include <ember/prelude.h>\n%s"
		"#line 1 \"%s\"\n%s",
		o->name, program_h, o->name, body);
	/* As BCC: GPL unless the text says otherwise with its own license
	 * variable or with #define BPF_LICENSE Dual BSD/GPL. */
	if (!rw->has_license)
		fprintf(f, "\nchar _license[] SEC(\"license\") = %s;\n",
			rw->license_macro ? "__EMBER_STR(BPF_LICENSE)"
					  : "\"GPL\"");
	/* clang puts into BTF only the types of globals and function
	 * signatures: name each submitted event type in one, so the host can
	 * decode events by field name. */
	for (size_t i = 0; i < rw->tables_cnt; i++)
		if (rw->tables[i].event_type)
			fprintf(f,
				"static __attribute__((used)) void "
				"__ember_event_%s(%s *e) {}\n",
				rw->tables[i].name, rw->tables[i].event_type);
	return fclose(f) ? -ENOMEM : 0;
}

/* One translation, as its steps fill it in. */
struct translation {
	const struct ember_compile_job *job;
	const char *text;
	size_t len;
	const struct ember_compile_opts *o; /* name, cflags, log */
	struct ember_compiled *out;
	const char **args;
	size_t nargs;
	struct CXUnsavedFile *unsaved;
	unsigned int unsaved_cnt;
	char *types_remap; /* -remap-file's "FROM;TO" for the parse */
	/* the job's files, and the kernel types mapped from types_path */
	struct ember_virtual_file *files;
	size_t files_cnt;
	void *types_map;
	size_t types_map_len;
	struct ember_codegen_lines types_lines;
	CXIndex index;
	bool own_index; /* not the process's (ember__translate_prepare) */
	CXTranslationUnit tu;
	struct ember_rewriter rw;
	char *body;
	size_t body_len;
};

static const char *pch_path(const struct translation *c)
{
	return c->job->pch_path;
}

static const char *host_triple(const struct translation *c)
{
	return c->job->host_triple;
}

/*
 * The kernel types file beside the PCH (prelude_build.h), mapped: codegen
 * is handed the text, so its compressed copy in the PCH is never inflated,
 * and its line starts, so the text is not scanned for them. The host
 * checked the file's SHA-256.
 */
static int map_kernel_types(struct translation *c)
{
	const char *path = c->job->types_path;
	struct ember_prelude_types types;
	struct stat st;
	void *map;
	int fd, err = 0;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		err = errno;
	else if (!S_ISREG(st.st_mode) || st.st_size < 1)
		err = EBADMSG;
	if (err) {
		if (fd >= 0)
			close(fd);
		return ember__error(err,
				    "the kernel types beside the "
				    "precompiled prelude: %s",
				    strerror(err));
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return ember__error(errno, "mapping the kernel types: %s",
				    strerror(errno));
	c->types_map = map;
	c->types_map_len = (size_t)st.st_size;
	if (ember__prelude_types_read(map, c->types_map_len, &types))
		return ember__error(EBADMSG, "the kernel types beside the "
					     "precompiled prelude are not "
					     "laid out as this compiler "
					     "writes them");
	c->files[c->files_cnt++] =
		(struct ember_virtual_file){ VINC KERNEL_TYPES, types.text,
					     types.len };
	c->types_lines =
		(struct ember_codegen_lines){ VINC KERNEL_TYPES,
					      types.line_starts, types.lines };
	return 0;
}

/* The parse's flags (clang_args.h) and its in-memory files. */
static int parse_args(struct translation *c)
{
	const struct ember_compile_opts *o = c->o;
	const struct ember_compile_job *j = c->job;
	const char **args;
	size_t i, n;
	int err;

	c->args = args = calloc(2 * EMBER_CLANG_ARGS_MAX + 8 + o->cflags_cnt +
					c->job->kh_args_cnt +
					ember__clang_common_args_cnt,
				sizeof(*args));
	c->files = calloc(j->files_cnt + 1, sizeof(*c->files));
	c->unsaved = calloc(j->files_cnt + 2, sizeof(*c->unsaved));
	if (!args || !c->files || !c->unsaved)
		return ember__error(ENOMEM, "out of memory");
	memcpy(c->files, j->files, j->files_cnt * sizeof(*c->files));
	c->files_cnt = j->files_cnt;
	err = map_kernel_types(c);
	if (err)
		return err;
	n = ember__clang_parse_args(args, host_triple(c));
	/* the tree's include dirs and -include linux/kconfig.h, which must
	 * come before the prelude */
	for (i = 0; i < c->job->kh_args_cnt; i++)
		args[n++] = c->job->kh_args[i];
	if (pch_path(c)) {
		n += ember__clang_pch_args(args + n, pch_path(c), true);
	} else {
		args[n++] = "-include";
		args[n++] = VINC "/ember/prelude.h";
	}
	args[n++] = "-include";
	args[n++] = VINC "/ember/program.h";
	/*
	 * The kernel types: libclang copies each unsaved file it is given
	 * (2-3 MB here, 2-3 ms), and clang inflates the PCH's own copy of a
	 * file as soon as a location near it is looked up (every parse).
	 * Named instead as the contents of the checked file (cc1's
	 * -remap-file), they are read only if a location in them is shown,
	 * which a parse hardly ever does (codegen is handed the mapping).
	 * The file goes on after the text (prelude_build.h): no location of
	 * the PCH's points there.
	 */
	if (c->types_map) {
		if (asprintf(&c->types_remap, "%s;%s", VINC KERNEL_TYPES,
			     j->types_path) < 0) {
			c->types_remap = NULL;
			return ember__error(ENOMEM, "out of memory");
		}
		args[n++] = "-Xclang";
		args[n++] = "-remap-file";
		args[n++] = "-Xclang";
		args[n++] = c->types_remap;
	}
	for (i = 0; i < ember__clang_common_args_cnt; i++)
		args[n++] = ember__clang_common_args[i];
	for (i = 0; i < o->cflags_cnt; i++)
		args[n++] = o->cflags[i];
	c->nargs = n;
	c->unsaved[c->unsaved_cnt++] =
		(struct CXUnsavedFile){ MAIN_PATH, c->text, c->len };
	for (i = 0; i < j->files_cnt; i++)
		c->unsaved[c->unsaved_cnt++] = (struct CXUnsavedFile){
			c->files[i].path, c->files[i].text, c->files[i].len
		};
	return 0;
}

/* excludeDeclarationsFromPCH: walking the AST then visits only the user's
 * declarations, not the precompiled kernel types. */
static CXIndex new_index(void)
{
	return clang_createIndex(1, 0);
}

static CXIndex process_index;

void ember__translate_prepare(void)
{
	if (!process_index) {
		process_index = new_index();
		/* nor crash recovery's signal handlers (which the index sets
		 * unless LIBCLANG_DISABLE_CRASH_RECOVERY is): a crash is the
		 * copy's (compiler_server.c) */
		clang_toggleCrashRecovery(0);
	}
	ember__codegen_prepare();
}

void ember__translate_release(void)
{
	ember__codegen_release();
}

/* Parse the user's text as written (BCC vocabulary). */
static int parse(struct translation *c)
{
	const struct ember_compile_opts *o = c->o;
	int err;

	c->index = process_index;
	if (!c->index) {
		c->index = new_index();
		c->own_index = true;
	}
	if (clang_parseTranslationUnit2(
		    c->index, MAIN_PATH, c->args, (int)c->nargs, c->unsaved,
		    c->unsaved_cnt,
		    CXTranslationUnit_DetailedPreprocessingRecord,
		    &c->tu) != CXError_Success)
		return ember__error(EINVAL, "%s: libclang could not parse",
				    o->name);
	c->rw = (struct ember_rewriter){ .tu = c->tu,
					 .main_file = clang_getFile(c->tu,
								    MAIN_PATH),
					 .text = c->text,
					 .len = c->len,
					 .name = o->name };
	if (parse_diagnostics(c->tu, c->rw.main_file, o->name, &c->rw.errors,
			      &c->rw.warnings))
		return ember__error(EINVAL, "%s", c->rw.errors);
	err = ember__check_inclusions(c->tu, MAIN_PATH, o->name, c->text,
				      c->len);
	return err;
}

/* Rewriters, then the edits applied to the user's text. A user error in one
 * does not stop the others: report everything at once. */
static int rewrite(struct translation *c)
{
	const struct ember_compile_opts *o = c->o;
	struct ember_rewriter *rw = &c->rw;
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(rewriters) / sizeof(rewriters[0]); i++) {
		int e = rewriters[i](rw);

		if (e && e != -EINVAL) {
			err = e;
			break;
		}
	}
	if (rw->error_cnt)
		return ember__error(EINVAL, "%s", rw->errors);
	/* each one is loaded (or kept for loading) as its own program */
	if (rw->progs_cnt > EMBER_PROGRAMS_MAX)
		return ember__error(
			E2BIG,
			"%s: error: %zu functions would be BPF "
			"programs, more than the %d a module may have",
			o->name, rw->progs_cnt, EMBER_PROGRAMS_MAX);
	if (!err)
		err = ember__edits_apply(&rw->edits, c->text, c->len, &c->body,
					 &c->body_len);
	if (!err)
		err = compose_final(o, rw, c->body, c->job->program_h,
				    &c->out->rewritten, &c->out->rewritten_len);
	if (err)
		ember__error(-err, "rewriting %s: %s", o->name, strerror(-err));
	return err;
}

/* Compile the plain eBPF C to a BPF object. */
static int codegen(struct translation *c)
{
	const struct ember_compile_opts *o = c->o;
	struct ember_compiled *out = c->out;
	const char **args = c->args;
	char *diags = NULL;
	size_t i, n = 0;
	int err;

	if (c->job->headers) {
		/* cc1 without the driver: the kernel's headers want __GNUC__ */
		args[n++] = "-fgnuc-version=4.2.1";
		for (i = 0; i < c->job->kh_args_cnt; i++)
			args[n++] = c->job->kh_args[i];
	}
	if (pch_path(c))
		n += ember__clang_pch_args(args + n, pch_path(c), false);
	for (i = 0; i < ember__clang_common_args_cnt; i++)
		args[n++] = ember__clang_common_args[i];
	for (i = 0; i < o->cflags_cnt; i++)
		args[n++] = o->cflags[i];
	err = ember__codegen_bpf(
		&(struct ember_codegen_input){
			.main_path = MAIN_PATH,
			.main_text = out->rewritten,
			.main_len = out->rewritten_len,
			.files = c->files,
			.files_cnt = c->files_cnt,
			.args = args,
			.args_cnt = n,
			.host_triple = host_triple(c),
			.lines = c->types_map ? &c->types_lines : NULL },
		&out->obj, &out->obj_len, &diags);
	if (err) {
		char *mapped =
			diags ? map_codegen_diags(diags, &c->rw, out->rewritten)
			      : NULL;

		ember__error(-err, "%s",
			     mapped ? mapped : "code generation failed");
		free(mapped);
		free(diags);
		return err;
	}
	free(diags);
	/* what the verifier would refuse without a line */
	return ember__check_object_calls(&c->rw, out->obj, out->obj_len);
}

/* The programs, tables and warnings the rewriters found go with it. */
static int collect(struct translation *c)
{
	struct ember_compiled *out = c->out;

	out->progs = c->rw.progs;
	out->progs_cnt = c->rw.progs_cnt;
	c->rw.progs = NULL;
	c->rw.progs_cnt = 0;
	out->tables = c->rw.tables;
	out->tables_cnt = c->rw.tables_cnt;
	c->rw.tables = NULL;
	c->rw.tables_cnt = 0;
	out->warnings = c->rw.warnings;
	c->rw.warnings = NULL;
	return 0;
}

/* The parse's tree: once rewritten, codegen needs nothing of it, and the
 * compile's peak memory is the larger of the two, not their sum. */
static int release_tree(struct translation *c)
{
	if (c->tu)
		clang_disposeTranslationUnit(c->tu);
	if (c->own_index)
		clang_disposeIndex(c->index);
	c->own_index = false;
	c->tu = NULL;
	c->index = NULL;
	c->rw.tu = NULL;
	return 0;
}

/* What parse_args to codegen hold. */
static void release_parse(struct translation *c)
{
	size_t i;

	for (i = 0; i < c->rw.progs_cnt; i++) {
		free(c->rw.progs[i].name);
		free(c->rw.progs[i].section);
	}
	free(c->rw.progs);
	rewriter_free(&c->rw);
	free(c->body);
	release_tree(c);
	free(c->args);
	free(c->unsaved);
	free(c->types_remap);
	free(c->files);
	if (c->types_map)
		munmap(c->types_map, c->types_map_len);
}

int ember__translate(const struct ember_compile_job *job, bool generate,
		     ember_log_fn log, void *log_ctx,
		     struct ember_compiled *out)
{
	struct ember_compile_opts o = { .name = job->name,
					.cflags = job->cflags,
					.cflags_cnt = job->cflags_cnt,
					.log = log,
					.log_ctx = log_ctx };
	struct translation c = { .job = job,
				 .text = job->text,
				 .len = job->len,
				 .o = &o,
				 .out = out };
	int err;

	memset(out, 0, sizeof(*out));
	err = parse_args(&c);
	err = err ?: EMBER_TIMED(&o, "parse (in the compiler)", parse(&c));
	err = err
		      ?: EMBER_TIMED(&o, "rewriters (in the compiler)",
				     rewrite(&c));
	if (generate) {
		err = err ?: release_tree(&c);
		err = err
			      ?: EMBER_TIMED(&o, "codegen (in the compiler)",
					     codegen(&c));
	}
	err = err ?: collect(&c);
	if (err) {
		ember__compiled_log_warnings(out->warnings ? out->warnings
							   : c.rw.warnings,
					     log, log_ctx);
		ember__compiled_free(out);
	}
	release_parse(&c);
	return err;
}
