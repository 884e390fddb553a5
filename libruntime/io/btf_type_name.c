// SPDX-License-Identifier: MIT
/*
 * BTF types and their C spellings, both ways: "const struct x *[4]" for a
 * type id (event field descriptions), and the type id a spelling a user
 * gives names (event types), added to the BTF when only its parts are there.
 */
#include "io/btf_type_name.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Deeper than this is a cycle in a malformed BTF. */
#define MAX_DEPTH 32

static const char *type_name(const struct btf *btf, const struct btf_type *t)
{
	const char *s = btf__name_by_offset(btf, t->name_off);

	return s ? s : "";
}

/* ---------------------------------------------------------------- */
/* Spelling a type the way C would                                   */

static void spell(FILE *f, const struct btf *btf, __u32 id, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const char *name;

	if (!id) {
		fputs("void", f);
		return;
	}
	if (!t || depth > MAX_DEPTH) {
		fputs("?", f);
		return;
	}
	name = type_name(btf, t);
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPEDEF:
		fputs(name, f);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FWD:
		fprintf(f, "%s %s",
			btf_is_union(t) || (btf_is_fwd(t) && btf_kflag(t))
				? "union"
			: btf_is_any_enum(t) ? "enum"
					     : "struct",
			*name ? name : "<anon>");
		break;
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
		fputs(btf_is_const(t) ? "const " : "volatile ", f);
		spell(f, btf, t->type, depth + 1);
		break;
	case BTF_KIND_PTR:
		spell(f, btf, t->type, depth + 1);
		fputs(" *", f);
		break;
	case BTF_KIND_ARRAY: {
		/* int[2][3]: the element's spelling, then every dimension */
		const struct btf_type *e = t;
		__u32 elem = id;
		int n = 0;

		while (e && btf_is_array(e) && n++ < MAX_DEPTH) {
			elem = btf_array(e)->type;
			e = btf__type_by_id(btf, elem);
		}
		spell(f, btf, elem, depth + 1);
		for (e = t, n = 0; e && btf_is_array(e) && n++ < MAX_DEPTH;
		     e = btf__type_by_id(btf, btf_array(e)->type))
			fprintf(f, "[%u]", btf_array(e)->nelems);
		break;
	}
	case BTF_KIND_FUNC_PROTO:
		fputs("<function>", f);
		break;
	default:
		spell(f, btf, t->type, depth + 1);
		break;
	}
}

char *ember__btf_type_spelling(const struct btf *btf, __u32 id)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	spell(f, btf, id, 0);
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

/* ---------------------------------------------------------------- */
/* Finding a type by its spelling                                    */

#define S BTF_INT_SIGNED
/* C base types by their two spellings (gcc names "long" "long int" in BTF,
 * clang "long"; "unsigned" is "unsigned int"), size and encoding. */
static const struct {
	const char *c, *alt;
	int size, enc;
} base_types[] = {
	{ "char", NULL, 1, S | BTF_INT_CHAR },
	{ "signed char", NULL, 1, S | BTF_INT_CHAR },
	{ "unsigned char", NULL, 1, BTF_INT_CHAR },
	{ "short", "short int", 2, S },
	{ "unsigned short", "short unsigned int", 2, 0 },
	{ "int", "signed", 4, S },
	{ "unsigned int", "unsigned", 4, 0 },
	{ "long", "long int", 8, S },
	{ "unsigned long", "long unsigned int", 8, 0 },
	{ "long long", "long long int", 8, S },
	{ "unsigned long long", "long long unsigned int", 8, 0 },
	{ "_Bool", "bool", 1, BTF_INT_BOOL },
};

/* u32, __s16, uint64_t, int8_t: the kernel's and stdint's fixed-width
 * integers by name. Returns the size in bytes (0: not one of them). */
static int fixed_width(const char *name, int *enc)
{
	static const struct {
		const char *fmt;
		int enc;
	} forms[] = {
		{ "u%u%n", 0 },	  { "s%u%n", S },      { "__u%u%n", 0 },
		{ "__s%u%n", S }, { "uint%u_t%n", 0 }, { "int%u_t%n", S }
	};
	unsigned int bits;
	size_t i;
	int end;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		end = 0;
		if (sscanf(name, forms[i].fmt, &bits, &end) == 1 && end &&
		    !name[end] &&
		    (bits == 8 || bits == 16 || bits == 32 || bits == 64)) {
			*enc = forms[i].enc;
			return (int)bits / 8;
		}
	}
	return 0;
}
#undef S

static int find_base(struct btf *btf, const char *name)
{
	static const int kinds[] = { BTF_KIND_TYPEDEF, BTF_KIND_INT,
				     BTF_KIND_FLOAT,   BTF_KIND_STRUCT,
				     BTF_KIND_UNION,   BTF_KIND_ENUM,
				     BTF_KIND_ENUM64 };
	size_t i;
	int id, size, enc;

	if (!strncmp(name, "struct ", 7))
		return btf__find_by_name_kind(btf, name + 7, BTF_KIND_STRUCT);
	if (!strncmp(name, "union ", 6))
		return btf__find_by_name_kind(btf, name + 6, BTF_KIND_UNION);
	if (!strncmp(name, "enum ", 5)) {
		id = btf__find_by_name_kind(btf, name + 5, BTF_KIND_ENUM);
		return id > 0 ? id
			      : btf__find_by_name_kind(btf, name + 5,
						       BTF_KIND_ENUM64);
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		id = btf__find_by_name_kind(btf, name, kinds[i]);
		if (id > 0)
			return id;
	}
	/* the other spelling, or a base type the program never used: still
	 * a type we know */
	for (i = 0; i < sizeof(base_types) / sizeof(base_types[0]); i++) {
		const char *c = base_types[i].c, *alt = base_types[i].alt;
		const char *other = strcmp(name, c) ? c : alt;

		if (strcmp(name, c) && (!alt || strcmp(name, alt)))
			continue;
		id = other ? btf__find_by_name_kind(btf, other, BTF_KIND_INT)
			   : 0;
		return id > 0 ? id
			      : btf__add_int(btf, c, base_types[i].size,
					     base_types[i].enc);
	}
	size = fixed_width(name, &enc);
	if (size)
		return btf__add_int(btf, name, size, enc);
	if (!strcmp(name, "float"))
		return btf__add_float(btf, "float", 4);
	if (!strcmp(name, "double"))
		return btf__add_float(btf, "double", 8);
	return -ENOENT;
}

/* "const struct x *[4]" → base "struct x", 1 pointer, dims {4}. */
#define MAX_DIMS 8
struct spelling {
	char base[256];
	int ptrs;
	__u32 dims[MAX_DIMS];
	int ndims;
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_spelling(const char *name, struct spelling *sp)
{
	char buf[256], *s, *e, *sp2;
	int i;

	memset(sp, 0, sizeof(*sp));
	if (strlen(name) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, name);
	s = trim(buf);
	/* dimensions, outermost (leftmost) first */
	while ((e = s + strlen(s)) > s && e[-1] == ']') {
		char *open = strrchr(s, '[');
		char *end;
		unsigned long n;

		if (!open || sp->ndims == MAX_DIMS)
			return -EINVAL;
		n = strtoul(open + 1, &end, 0);
		if (end == open + 1 || *trim(end) != ']' || n > UINT32_MAX)
			return -EINVAL;
		for (i = sp->ndims++; i > 0; i--)
			sp->dims[i] = sp->dims[i - 1];
		sp->dims[0] = (__u32)n;
		*open = '\0';
		s = trim(s);
	}
	while ((e = s + strlen(s)) > s && e[-1] == '*') {
		sp->ptrs++;
		e[-1] = '\0';
		s = trim(s);
	}
	/* qualifiers change nothing about the bytes */
	for (;;) {
		if (!strncmp(s, "const ", 6))
			s = trim(s + 6);
		else if (!strncmp(s, "volatile ", 9))
			s = trim(s + 9);
		else
			break;
	}
	/* collapse inner runs of spaces: "unsigned  long" */
	for (sp2 = sp->base; *s && sp2 < sp->base + sizeof(sp->base) - 1; s++)
		if (!isspace((unsigned char)*s) ||
		    (sp2 > sp->base && sp2[-1] != ' '))
			*sp2++ = isspace((unsigned char)*s) ? ' ' : *s;
	*sp2 = '\0';
	for (sp2 = sp->base; *sp2; sp2++)
		if (!isalnum((unsigned char)*sp2) && *sp2 != '_' && *sp2 != ' ')
			return -EINVAL;
	return sp->base[0] ? 0 : -EINVAL;
}

int ember__btf_type_by_spelling(struct btf *btf, const char *name)
{
	struct spelling sp;
	int id, i, idx;

	if (parse_spelling(name, &sp))
		return ember__error(EINVAL, "cannot parse type name '%s'",
				    name);
	id = find_base(btf, sp.base);
	if (id <= 0)
		return ember__error(ENOENT,
				    "type '%s' is not in the program's BTF",
				    sp.base);
	for (i = 0; i < sp.ptrs && id > 0; i++)
		id = btf__add_ptr(btf, id);
	if (sp.ndims) {
		idx = find_base(btf, "unsigned int");
		if (idx <= 0)
			return ember__error(ENOMEM, "cannot add to BTF");
		for (i = sp.ndims; i-- > 0 && id > 0;)
			id = btf__add_array(btf, idx, id, sp.dims[i]);
	}
	if (id <= 0)
		return ember__error(ENOMEM, "cannot add '%s' to BTF", name);
	return id;
}
