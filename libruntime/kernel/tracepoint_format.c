// SPDX-License-Identifier: MIT
/*
 * Tracepoint format files → C structs for TRACEPOINT_PROBE's `args`.
 *
 * The declared types in a format file are kernel-internal spellings (u8,
 * sigset_t, xfs_ino_t, "void __seg_gs *", ...) that the BPF program may not
 * have in scope, so the struct is rebuilt from what the format states for
 * certain: offset, size and signedness. Only pointer types spelled with
 * plain C words or struct/union/enum tags are kept, so that args->filename
 * stays a `const char *` the rewriter and the user can reason about.
 */
#include "kernel/tracepoint_format.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "kernel/tracefs.h"
#include "kernel/tracepoint_btf.h"

#define TP_MAX_TOKENS 24
#define TP_TOKEN_MAX 64
#define TP_MAX_DIMS 4
#define TP_NAME_MAX 128
#define TP_TYPE_MAX 256
#define TP_MEMBER_MAX 512

/* Dimension markers besides a count. */
#define TP_DIM_EMPTY (-1L) /* "[]" */
#define TP_DIM_EXPR (-2L) /* "[SOMETHING]" that is not a number */

enum ember__tp_loc {
	TP_LOC_NONE,
	TP_LOC_DATA, /* __data_loc: u32 = (len << 16) | offset from the record */
	TP_LOC_REL, /* __rel_loc: same, offset relative to the field's end */
};

struct ember__tp_field {
	char name[TP_NAME_MAX];
	char type[TP_TYPE_MAX]; /* declared type without name and dims */
	long dims[TP_MAX_DIMS];
	int ndims;
	enum ember__tp_loc loc;
	unsigned long offset, size;
	bool is_signed;
	unsigned int lineno;
	/* Filled by ember__tp_member(). */
	char member[TP_MEMBER_MAX];
	unsigned long align;
};

struct ember__tp_tokens {
	char tok[TP_MAX_TOKENS][TP_TOKEN_MAX];
	int n;
	bool opaque; /* parentheses, commas...: a spelling we do not model */
};

static bool ember__tp_is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static bool ember__tp_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool ember__tp_in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* Words a field may not be named as a C member; C11, C23 and GNU. */
static const char *const ember__tp_keywords[] = {
	"auto",		"break",	 "case",	   "char",
	"const",	"continue",	 "default",	   "do",
	"double",	"else",		 "enum",	   "extern",
	"float",	"for",		 "goto",	   "if",
	"inline",	"int",		 "long",	   "register",
	"restrict",	"return",	 "short",	   "signed",
	"sizeof",	"static",	 "struct",	   "switch",
	"typedef",	"union",	 "unsigned",	   "void",
	"volatile",	"while",	 "_Alignas",	   "_Alignof",
	"_Atomic",	"_Bool",	 "_Complex",	   "_Generic",
	"_Imaginary",	"_Noreturn",	 "_Static_assert", "_Thread_local",
	"alignas",	"alignof",	 "bool",	   "constexpr",
	"false",	"nullptr",	 "static_assert",  "thread_local",
	"true",		"typeof",	 "typeof_unqual",  "asm",
	"__asm__",	"__attribute__", "__typeof__",	   "__extension__",
	"__inline",	"__inline__",	 "__restrict",	   "__restrict__",
	"__volatile__", "__const",	 "__signed__",	   NULL,
};

static const char *const ember__tp_qualifiers[] = {
	"const",	"volatile", "restrict",	    "__restrict",
	"__restrict__", "__const",  "__volatile__", NULL,
};

/* Words a pointee may be built from and still mean the same everywhere. */
static const char *const ember__tp_plain[] = {
	"void",	    "char",  "short",  "int",	"long", "signed",
	"unsigned", "float", "double", "_Bool", NULL,
};

static const char *ember__tp_int_type(unsigned long width, bool is_signed)
{
	switch (width) {
	case 1:
		return is_signed ? "__s8" : "__u8";
	case 2:
		return is_signed ? "__s16" : "__u16";
	case 4:
		return is_signed ? "__s32" : "__u32";
	case 8:
		return is_signed ? "__s64" : "__u64";
	}
	return NULL;
}

static void ember__tp_tokenize(const char *type, struct ember__tp_tokens *t)
{
	const char *p = type;

	t->n = 0;
	t->opaque = false;
	while (*p) {
		size_t len;

		if (ember__tp_is_space(*p)) {
			p++;
			continue;
		}
		if (t->n == TP_MAX_TOKENS) {
			t->opaque = true;
			return;
		}
		if (*p == '*') {
			strcpy(t->tok[t->n++], "*");
			p++;
			continue;
		}
		if (!ember__tp_is_ident_char(*p)) {
			t->opaque = true;
			p++;
			continue;
		}
		for (len = 0; ember__tp_is_ident_char(p[len]); len++)
			;
		if (len >= TP_TOKEN_MAX) {
			t->opaque = true;
			p += len;
			continue;
		}
		memcpy(t->tok[t->n], p, len);
		t->tok[t->n][len] = '\0';
		t->n++;
		p += len;
	}
}

static bool ember__tp_has_star(const struct ember__tp_tokens *t)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->tok[i], "*") == 0)
			return true;
	return false;
}

/* "char", "const char", "char const": the element type of a C string. */
static bool ember__tp_is_char(const struct ember__tp_tokens *t)
{
	int chars = 0;

	if (t->opaque)
		return false;
	for (int i = 0; i < t->n; i++) {
		if (strcmp(t->tok[i], "char") == 0)
			chars++;
		else if (!ember__tp_in(t->tok[i], ember__tp_qualifiers))
			return false;
	}
	return chars == 1;
}

/*
 * A pointer type is kept when everything but stars and qualifiers is plain
 * C words or one struct/union/enum tag: then it means the same thing in the
 * BPF program as in the kernel, whatever headers are in scope.
 */
static bool ember__tp_pointer_keepable(const struct ember__tp_tokens *t)
{
	int bases = 0, tags = 0;

	if (t->opaque)
		return false;
	for (int i = 0; i < t->n; i++) {
		const char *s = t->tok[i];

		if (strcmp(s, "*") == 0 ||
		    ember__tp_in(s, ember__tp_qualifiers))
			continue;
		if (strcmp(s, "struct") == 0 || strcmp(s, "union") == 0 ||
		    strcmp(s, "enum") == 0) {
			if (i + 1 >= t->n ||
			    !ember__tp_is_ident_char(t->tok[i + 1][0]) ||
			    ember__tp_in(t->tok[i + 1], ember__tp_keywords))
				return false;
			tags++;
			i++;
			continue;
		}
		if (!ember__tp_in(s, ember__tp_plain))
			return false;
		bases++;
	}
	return (tags == 1 && bases == 0) || (tags == 0 && bases > 0);
}

/* Join tokens the way people write them: "const char *const *". */
static void ember__tp_join(const struct ember__tp_tokens *t, char *out,
			   size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; i < t->n; i++) {
		/* A star binds to what follows it: "*const", "**". */
		bool after_star = i > 0 && strcmp(t->tok[i - 1], "*") == 0;
		const char *sep = i == 0 || after_star ? "" : " ";
		int m = snprintf(out + n, len - n, "%s%s", sep, t->tok[i]);

		if (m < 0 || (size_t)m >= len - n)
			return;
		n += m;
	}
}

/* Element width of a flexible array, which the format reports as size 0. */
static unsigned long ember__tp_elem_width(const struct ember__tp_tokens *t)
{
	static const struct {
		const char *name;
		unsigned long width;
	} named[] = {
		{ "u8", 1 },	   { "s8", 1 },	      { "__u8", 1 },
		{ "__s8", 1 },	   { "uint8_t", 1 },  { "int8_t", 1 },
		{ "bool", 1 },	   { "_Bool", 1 },    { "u16", 2 },
		{ "s16", 2 },	   { "__u16", 2 },    { "__s16", 2 },
		{ "uint16_t", 2 }, { "int16_t", 2 },  { "u32", 4 },
		{ "s32", 4 },	   { "__u32", 4 },    { "__s32", 4 },
		{ "uint32_t", 4 }, { "int32_t", 4 },  { "pid_t", 4 },
		{ "u64", 8 },	   { "s64", 8 },      { "__u64", 8 },
		{ "__s64", 8 },	   { "uint64_t", 8 }, { "int64_t", 8 },
		{ "size_t", 8 },   { "loff_t", 8 },
	};
	int words = 0, longs = 0, typedefs = 0;
	bool has_char = false, has_short = false, has_double = false;
	const char *word = NULL;

	if (t->opaque)
		return 0;
	if (ember__tp_has_star(t))
		return 8;
	for (int i = 0; i < t->n; i++) {
		const char *s = t->tok[i];

		if (ember__tp_in(s, ember__tp_qualifiers))
			continue;
		words++;
		word = s;
		if (strcmp(s, "char") == 0)
			has_char = true;
		else if (strcmp(s, "short") == 0)
			has_short = true;
		else if (strcmp(s, "long") == 0)
			longs++;
		else if (strcmp(s, "double") == 0)
			has_double = true;
		else if (!ember__tp_in(s, ember__tp_plain))
			typedefs++;
	}
	if (words == 1 && typedefs == 1) {
		for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
			if (strcmp(named[i].name, word) == 0)
				return named[i].width;
		return 0;
	}
	if (typedefs || words == 0)
		return 0;
	if (has_char)
		return 1;
	if (has_short)
		return 2;
	if (longs || has_double)
		return 8;
	return 4;
}

/*
 * Syscall tracepoints print signed:0 for every argument ("int dfd; size:8;
 * signed:0"), so a plainly signed declared type wins over that column:
 * args->dfd < 0 must work as it does with BCC.
 */
static bool ember__tp_declared_signed(const struct ember__tp_tokens *t)
{
	static const char *const signed_names[] = {
		"s8",	 "s16",	    "s32",    "s64",	 "__s8",    "__s16",
		"__s32", "__s64",   "int8_t", "int16_t", "int32_t", "int64_t",
		"pid_t", "ssize_t", "loff_t", NULL,
	};
	bool has_signed = false, has_char = false, has_int_word = false;
	int words = 0;

	if (t->opaque || ember__tp_has_star(t))
		return false;
	for (int i = 0; i < t->n; i++) {
		const char *s = t->tok[i];

		if (ember__tp_in(s, ember__tp_qualifiers))
			continue;
		words++;
		if (ember__tp_in(s, signed_names))
			return words == 1 && i == t->n - 1;
		if (strcmp(s, "unsigned") == 0 || strcmp(s, "void") == 0 ||
		    strcmp(s, "_Bool") == 0 || strcmp(s, "float") == 0 ||
		    strcmp(s, "double") == 0 ||
		    !ember__tp_in(s, ember__tp_plain))
			return false;
		if (strcmp(s, "signed") == 0)
			has_signed = true;
		else if (strcmp(s, "char") == 0)
			has_char = true;
		else
			has_int_word = true;
	}
	/* Plain "char" has implementation-defined signedness: trust signed:. */
	return words > 0 && (has_signed || (has_int_word && !has_char));
}

static bool ember__tp_valid_ident(const char *s)
{
	if (!s[0] || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (; *s; s++)
		if (!ember__tp_is_ident_char(*s))
			return false;
	return true;
}

static void ember__tp_dims_text(const struct ember__tp_field *f, char *out,
				size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; i < f->ndims; i++) {
		int m = snprintf(out + n, len - n, "[%ld]", f->dims[i]);

		if (m < 0 || (size_t)m >= len - n)
			return;
		n += m;
	}
}

/* Decide the member declaration and its natural alignment. */
static void ember__tp_member(struct ember__tp_field *f)
{
	struct ember__tp_tokens t;
	char name[TP_NAME_MAX + 2], type[TP_TYPE_MAX], dims[64];
	const char *it;

	ember__tp_tokenize(f->type, &t);
	snprintf(name, sizeof(name), "%s%s", f->name,
		 ember__tp_in(f->name, ember__tp_keywords) ? "_" : "");

	if (f->loc != TP_LOC_NONE) {
		it = ember__tp_int_type(f->size, false);
		if (it) {
			snprintf(f->member, sizeof(f->member), "%s %s_loc_%s",
				 it, f->loc == TP_LOC_DATA ? "data" : "rel",
				 f->name);
			f->align = f->size;
			return;
		}
		goto bytes;
	}

	if (f->ndims) {
		long count = 1;
		bool flex = false, expr = false;

		for (int i = 0; i < f->ndims; i++) {
			if (f->dims[i] == TP_DIM_EMPTY)
				flex = true;
			else if (f->dims[i] == TP_DIM_EXPR)
				expr = true;
			else if (__builtin_mul_overflow(count, f->dims[i],
							&count))
				expr = true; /* no field has so many: bytes */
		}
		if (f->size == 0 && (flex || count == 0)) {
			/* Flexible array: only its start is known. */
			unsigned long w = ember__tp_elem_width(&t);

			it = ember__tp_int_type(w, f->is_signed);
			if (ember__tp_is_char(&t) || !it) {
				snprintf(f->member, sizeof(f->member),
					 "char %s[0]", name);
				f->align = 1;
			} else {
				snprintf(f->member, sizeof(f->member),
					 "%s %s[0]", it, name);
				f->align = w;
			}
			return;
		}
		if (!flex && !expr && count > 0 &&
		    f->size % (unsigned long)count == 0) {
			unsigned long w = f->size / count;

			ember__tp_dims_text(f, dims, sizeof(dims));
			if (w == 1 && ember__tp_is_char(&t)) {
				snprintf(f->member, sizeof(f->member),
					 "char %s%s", name, dims);
				f->align = 1;
				return;
			}
			it = ember__tp_int_type(w, f->is_signed);
			if (it) {
				snprintf(f->member, sizeof(f->member),
					 "%s %s%s", it, name, dims);
				f->align = w;
				return;
			}
		}
		goto bytes;
	}

	if (!t.opaque && ember__tp_has_star(&t) && f->size == 8) {
		if (ember__tp_pointer_keepable(&t)) {
			ember__tp_join(&t, type, sizeof(type));
			snprintf(f->member, sizeof(f->member), "%s%s%s", type,
				 strcmp(t.tok[t.n - 1], "*") == 0 ? "" : " ",
				 name);
		} else {
			snprintf(f->member, sizeof(f->member), "void *%s",
				 name);
		}
		f->align = 8;
		return;
	}

	it = ember__tp_int_type(f->size,
				f->is_signed || ember__tp_declared_signed(&t));
	if (it) {
		snprintf(f->member, sizeof(f->member), "%s %s", it, name);
		f->align = f->size;
		return;
	}
bytes:
	/* Sizes no integer type has (structs by value, odd arrays). */
	snprintf(f->member, sizeof(f->member), "char %s[%lu]", name, f->size);
	f->align = 1;
}

/* Parse "<type> <name>[dims]" (or "__data_loc <type>[] <name>"). */
static int ember__tp_parse_decl(const char *decl, size_t len,
				struct ember__tp_field *f)
{
	char buf[TP_TYPE_MAX + TP_NAME_MAX + 64];
	char *end, *name;
	long dims[TP_MAX_DIMS];
	int ndims = 0;

	if (len >= sizeof(buf))
		return ember__error(EINVAL,
				    "line %u: field declaration too long",
				    f->lineno);
	memcpy(buf, decl, len);
	buf[len] = '\0';
	end = buf + len;
	while (end > buf && ember__tp_is_space(end[-1]))
		*--end = '\0';

	/* Trailing dimensions, right to left. */
	while (end > buf && end[-1] == ']') {
		char *open = end - 1, *num_end;
		long v;

		while (open > buf && *open != '[')
			open--;
		if (*open != '[')
			return ember__error(EINVAL,
					    "line %u: unbalanced ']' in '%s'",
					    f->lineno, buf);
		if (ndims == TP_MAX_DIMS)
			return ember__error(
				EINVAL, "line %u: too many array dimensions",
				f->lineno);
		if (open + 1 == end - 1) {
			v = TP_DIM_EMPTY;
		} else {
			errno = 0;
			v = strtol(open + 1, &num_end, 0);
			if (errno || num_end != end - 1 || v < 0)
				v = TP_DIM_EXPR;
		}
		memmove(dims + 1, dims, ndims * sizeof(dims[0]));
		dims[0] = v;
		ndims++;
		*open = '\0';
		end = open;
		while (end > buf && ember__tp_is_space(end[-1]))
			*--end = '\0';
	}

	name = end;
	while (name > buf && ember__tp_is_ident_char(name[-1]))
		name--;
	if (name == end || (*name >= '0' && *name <= '9'))
		return ember__error(EINVAL, "line %u: no field name in '%.*s'",
				    f->lineno, (int)len, decl);
	if (strlen(name) >= sizeof(f->name))
		return ember__error(EINVAL, "line %u: field name too long",
				    f->lineno);
	strcpy(f->name, name);
	*name = '\0';

	/* What is left is the type. */
	while (name > buf && ember__tp_is_space(name[-1]))
		*--name = '\0';
	{
		char *type = buf;
		size_t tl;

		while (ember__tp_is_space(*type))
			type++;
		if (!*type)
			return ember__error(EINVAL,
					    "line %u: field %s has no type",
					    f->lineno, f->name);
		if (strncmp(type, "__data_loc", 10) == 0 &&
		    (ember__tp_is_space(type[10]) || !type[10])) {
			f->loc = TP_LOC_DATA;
			type += 10;
		} else if (strncmp(type, "__rel_loc", 9) == 0 &&
			   (ember__tp_is_space(type[9]) || !type[9])) {
			f->loc = TP_LOC_REL;
			type += 9;
		}
		while (ember__tp_is_space(*type))
			type++;
		tl = strlen(type);
		if (tl >= sizeof(f->type))
			return ember__error(EINVAL,
					    "line %u: type of %s too long",
					    f->lineno, f->name);
		memcpy(f->type, type, tl + 1);
	}
	if (f->loc == TP_LOC_NONE) {
		memcpy(f->dims, dims, ndims * sizeof(dims[0]));
		f->ndims = ndims;
	}
	return 0;
}

static int ember__tp_number(const char *line, const char *key,
			    unsigned long *out, bool required,
			    unsigned int lineno)
{
	const char *p = strstr(line, key);
	char *end;

	if (!p) {
		if (required)
			return ember__error(EINVAL, "line %u: no '%s' in '%s'",
					    lineno, key, line);
		*out = 0;
		return 0;
	}
	p += strlen(key);
	errno = 0;
	*out = strtoul(p, &end, 10);
	if (errno || end == p || *p == '-')
		return ember__error(EINVAL, "line %u: bad %s value in '%s'",
				    lineno, key, line);
	return 0;
}

/* 1: a field line parsed into *f; 0: some other line; <0: error. */
static int ember__tp_parse_line(const char *line, unsigned int lineno,
				struct ember__tp_field *f)
{
	const char *decl, *semi;
	unsigned long sgn;
	int err;

	while (ember__tp_is_space(*line))
		line++;
	if (strncmp(line, "field:", 6) != 0)
		return 0;
	memset(f, 0, sizeof(*f));
	f->lineno = lineno;
	decl = line + 6;
	semi = strchr(decl, ';');
	if (!semi)
		return ember__error(EINVAL,
				    "line %u: no ';' after field in '%s'",
				    lineno, line);
	err = ember__tp_parse_decl(decl, semi - decl, f);
	if (!err)
		err = ember__tp_number(semi, "offset:", &f->offset, true,
				       lineno);
	if (!err)
		err = ember__tp_number(semi, "size:", &f->size, true, lineno);
	/* Very old kernels print no signed: column. */
	if (!err)
		err = ember__tp_number(semi, "signed:", &sgn, false, lineno);
	if (err)
		return err;
	if (f->offset > INT_MAX || f->size > INT_MAX)
		return ember__error(EINVAL, "line %u: field %s out of range",
				    lineno, f->name);
	f->is_signed = sgn != 0;
	return 1;
}

static int ember__tp_cmp_offset(const void *a, const void *b)
{
	const struct ember__tp_field *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	/* Zero-sized fields first at a shared offset; then file order. */
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->lineno < y->lineno ? -1 : x->lineno > y->lineno;
}

static int ember__tp_parse_all(const char *text, struct ember__tp_field **out,
			       size_t *count)
{
	struct ember__tp_field *fields = NULL, *grown;
	size_t n = 0, cap = 0;
	unsigned int lineno = 0;
	const char *p = text;
	char *line = NULL;
	int err = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		lineno++;
		free(line);
		line = strndup(p, len);
		if (!line) {
			err = ember__error(ENOMEM, "out of memory");
			break;
		}
		p += len + (nl ? 1 : 0);
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(fields, cap * sizeof(*fields));
			if (!grown) {
				err = ember__error(ENOMEM, "out of memory");
				break;
			}
			fields = grown;
		}
		err = ember__tp_parse_line(line, lineno, &fields[n]);
		if (err < 0)
			break;
		n += err;
		err = 0;
	}
	free(line);
	if (err) {
		free(fields);
		return err;
	}
	*out = fields;
	*count = n;
	return 0;
}

int ember__tracepoint_struct_from_format(const char *format_text,
					 const char *struct_name, char **c_text)
{
	struct ember__tp_field *fields = NULL;
	size_t n = 0, text_len = 0;
	unsigned long end = 0, max_align = 1;
	bool packed = false;
	char *text = NULL;
	FILE *out;
	int err;

	*c_text = NULL;
	if (!struct_name || !ember__tp_valid_ident(struct_name))
		return ember__error(EINVAL, "invalid struct name '%s'",
				    struct_name ? struct_name : "(null)");
	if (!format_text)
		return ember__error(EINVAL, "no format text");
	err = ember__tp_parse_all(format_text, &fields, &n);
	if (err)
		return ember__error_prefix(-err, "tracepoint format");
	if (!n) {
		free(fields);
		return ember__error(EINVAL,
				    "tracepoint format has no field lines");
	}
	qsort(fields, n, sizeof(*fields), ember__tp_cmp_offset);

	for (size_t i = 0; i < n; i++) {
		struct ember__tp_field *f = &fields[i];

		if (f->offset < end) {
			err = ember__error(
				EINVAL,
				"tracepoint format: field %s at offset %lu "
				"overlaps the previous field (ends at %lu)",
				f->name, f->offset, end);
			goto out;
		}
		end = f->offset + f->size;
		if (strncmp(f->name, "common_", 7) == 0)
			continue;
		ember__tp_member(f);
		if (f->offset % f->align)
			packed = true;
		if (f->align > max_align)
			max_align = f->align;
	}

	out = open_memstream(&text, &text_len);
	if (!out) {
		err = ember__error(ENOMEM, "out of memory");
		goto out;
	}
	fprintf(out, "struct %s {\n", struct_name);
	end = 0;
	for (size_t i = 0; i < n; i++) {
		struct ember__tp_field *f = &fields[i];

		if (strncmp(f->name, "common_", 7) == 0)
			continue;
		if (f->offset > end)
			fprintf(out, "\tchar __pad_%lu[%lu];\n", end,
				f->offset - end);
		fprintf(out, "\t%s;\n", f->member);
		end = f->offset + f->size;
	}
	/* Only common fields, or common fields after the last real one. */
	if (fields[n - 1].offset + fields[n - 1].size > end)
		fprintf(out, "\tchar __pad_%lu[%lu];\n", end,
			fields[n - 1].offset + fields[n - 1].size - end);
	/*
	 * Explicit pads already place every member; packing is needed only
	 * when a member sits off its natural alignment, and aligned() keeps
	 * the compiler's knowledge of the record's alignment for the rest.
	 */
	if (packed)
		fprintf(out, "} __attribute__((packed, aligned(%lu)));\n",
			max_align);
	else
		fprintf(out, "};\n");
	if (fclose(out) || !text) {
		free(text);
		text = NULL;
		err = ember__error(ENOMEM, "out of memory");
		goto out;
	}
	*c_text = text;
out:
	free(fields);
	return err;
}

static int ember__tp_check_name(const char *what, const char *s)
{
	if (!s || !*s || strchr(s, '/') || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return ember__error(EINVAL, "invalid tracepoint %s '%s'", what,
				    s ? s : "(null)");
	return 0;
}

/* Whole tracefs file: st_size is 0 there, so read until EOF. */
static int ember__tp_read(const char *category, const char *event,
			  const char *file, char **text)
{
	char path[PATH_MAX], *buf = NULL, *grown;
	size_t n = 0, cap = 0;
	int fd, err;

	err = ember__tp_check_name("category", category);
	if (!err)
		err = ember__tp_check_name("event", event);
	if (!err)
		err = ember__tracefs_path(path, sizeof(path), "events/%s/%s/%s",
					  category, event, file);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT || err == ENOTDIR)
			return ember__error(
				ENOENT,
				"tracepoint %s:%s does not exist (no %s)",
				category, event, path);
		return ember__error(err, "cannot open %s: %s", path,
				    strerror(err));
	}
	for (;;) {
		ssize_t r;

		if (cap - n < 4096 + 1) {
			cap = cap ? cap * 2 : 8192;
			grown = realloc(buf, cap);
			if (!grown) {
				err = ember__error(ENOMEM, "out of memory");
				break;
			}
			buf = grown;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			err = ember__error(err, "cannot read %s: %s", path,
					   strerror(err));
			break;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*text = buf;
	return 0;
}

/* Whether tracefs is mounted (or mountable) where ember looks for it. */
static bool tracefs_usable(void)
{
	const char *root;

	return !ember__tracefs_root(&root);
}

int ember__tracepoint_format(const char *category, const char *event,
			     char **format)
{
	int err;

	*format = NULL;
	err = ember__tp_read(category, event, "format", format);
	if (err == -EACCES || err == -EPERM || !tracefs_usable()) {
		/* tracefs is root's (0700): the kernel's BTF, which anyone
		 * may read, describes the same record */
		int e = ember__tracepoint_format_from_btf(category, event,
							  format);

		if (e == -ENOMEM)
			return ember__error(ENOMEM, "out of memory");
		if (e && !strncmp(event, "sys_enter_", 10))
			return ember__error(
				-err,
				"tracepoint %s:%s: its format file cannot be "
				"read (%s) and the kernel's BTF does not name "
				"this system call's arguments (it names them "
				"only when the kernel kept the call's body, "
				"__do_sys_%s, as a function); check it as root",
				category, event, strerror(-err), event + 10);
		if (e)
			return ember__error(
				-err,
				"tracepoint %s:%s: its format file cannot be "
				"read (%s) and the kernel's BTF has no record "
				"for it",
				category, event, strerror(-err));
		err = 0;
	}
	return err;
}

int ember__tracepoint_struct_of(const char *category, const char *event,
				const char *format, const char *struct_name,
				char **c_text)
{
	int err = ember__tracepoint_struct_from_format(format, struct_name,
						       c_text);

	if (err)
		return ember__error_prefix(-err, "tracepoint %s:%s", category,
					   event);
	return 0;
}

int ember__tracepoint_struct(const char *category, const char *event,
			     const char *struct_name, char **c_text)
{
	char *format;
	int err;

	*c_text = NULL;
	err = ember__tracepoint_format(category, event, &format);
	if (err)
		return err;
	err = ember__tracepoint_struct_of(category, event, format, struct_name,
					  c_text);
	free(format);
	return err;
}

int ember__tracepoint_id(const char *category, const char *event)
{
	char *text, *end;
	long id;
	int err;

	err = ember__tp_read(category, event, "id", &text);
	if (err)
		return err;
	errno = 0;
	id = strtol(text, &end, 10);
	if (errno || end == text || id <= 0 || id > INT_MAX ||
	    (*end && *end != '\n')) {
		err = ember__error(EINVAL, "tracepoint %s:%s: bad id '%s'",
				   category, event, text);
		free(text);
		return err;
	}
	free(text);
	return (int)id;
}
