// SPDX-License-Identifier: MIT
/*
 * Event decoding (io/event_decode.c, io/btf_value.c): BTF + bytes. The
 * input's first part is a small program that builds the BTF with libbpf's
 * btf__add_*() (so the BTF is always what libbpf itself accepts, as a
 * module's is), ending at 0xff; the rest is the event's bytes. The last
 * type built is the event type: it is described, every field is read by
 * name through each getter, and the event is formatted as text and JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <ember/output.h>
#include <ember/table.h>

#include "io/event_decode.h"

struct reader {
	const uint8_t *p;
	size_t left;
};

static unsigned int byte(struct reader *r)
{
	if (!r->left)
		return 0xff;
	r->left--;
	return *r->p++;
}

/* An id among those built so far (1..n), or 0 (void) now and then. */
static int pick(struct reader *r, int n)
{
	unsigned int b = byte(r);

	return b == 0xfe || n == 0 ? 0 : 1 + (int)(b % (unsigned int)n);
}

static int build(struct btf *btf, struct reader *r, char *type_name,
		 size_t tn_size)
{
	static const unsigned int int_sizes[] = { 1, 2, 4, 8, 16 };
	int n = 0, last = 0, id, i, cnt;
	char name[16];

	snprintf(type_name, tn_size, "int");
	for (;;) {
		unsigned int op = byte(r);

		if (op == 0xff || n > 64)
			break;
		snprintf(name, sizeof(name), "t%d", n);
		switch (op % 10) {
		case 0: /* integer: size, signed/char/bool */
			id = btf__add_int(btf, op & 0x10 ? "char" : name,
					  int_sizes[byte(r) % 5], byte(r) % 8);
			break;
		case 1:
		case 2: /* struct or union with up to 8 members */
			cnt = (int)(byte(r) % 9);
			id = op % 10 == 1
				     ? btf__add_struct(btf, name, byte(r) % 256)
				     : btf__add_union(btf, name, byte(r) % 256);
			for (i = 0; id > 0 && i < cnt; i++) {
				char fname[16];
				unsigned int bits = byte(r) % 128,
					     width = byte(r) % 70;

				snprintf(fname, sizeof(fname), "%sf%d",
					 byte(r) % 7 ? "" : "_", i);
				/* anonymous members now and then */
				if (btf__add_field(btf,
						   byte(r) % 5 ? fname : NULL,
						   pick(r, n), bits,
						   width < 64 ? 0 : width - 64))
					break;
			}
			break;
		case 3:
			id = btf__add_array(btf, 1, pick(r, n), byte(r) % 40);
			break;
		case 4:
			id = btf__add_ptr(btf, pick(r, n));
			break;
		case 5:
			id = btf__add_typedef(btf, name, pick(r, n));
			break;
		case 6:
			id = btf__add_enum(btf, name, 1u << (byte(r) % 4));
			cnt = (int)(byte(r) % 5);
			for (i = 0; id > 0 && i < cnt; i++) {
				char vname[16];

				snprintf(vname, sizeof(vname), "%s_v%d", name,
					 i);
				btf__add_enum_value(btf, vname,
						    (int8_t)byte(r));
			}
			break;
		case 7:
			id = btf__add_float(btf, name, byte(r) & 1 ? 8 : 4);
			break;
		case 8:
			id = btf__add_const(btf, pick(r, n));
			break;
		default:
			id = btf__add_volatile(btf, pick(r, n));
			break;
		}
		if (id <= 0)
			continue;
		n = id;
		last = id;
		switch (op % 10) {
		case 1:
		case 2:
			snprintf(type_name, tn_size, "%s %s",
				 op % 10 == 1 ? "struct" : "union", name);
			break;
		case 0:
			if (op & 0x10)
				break;
			/* fallthrough */
		case 5:
			snprintf(type_name, tn_size, "%s", name);
			break;
		case 6:
			snprintf(type_name, tn_size, "enum %s", name);
			break;
		default:
			break;
		}
	}
	return last;
}

static void read_fields(struct ember_event_type *et,
			const struct ember_event *ev)
{
	size_t i, cnt = ember_event_type_field_cnt(et);
	char buf[64];

	for (i = 0; i < cnt && i < 16; i++) {
		const struct ember_event_field *f =
			ember_event_type_field(et, i);
		uint64_t u;
		int64_t s;
		double d;
		const void *p;
		size_t size;

		if (!f || !f->name)
			abort();
		ember_event_field_u64(ev, f->name, &u);
		ember_event_field_i64(ev, f->name, &s);
		ember_event_field_double(ev, f->name, &d);
		ember_event_field_str(ev, f->name, buf, sizeof(buf));
		/* names may repeat (anonymous members inline): the bytes
		 * handed out are those of the first, inside the event */
		p = ember_event_field_ptr(ev, f->name, &size);
		if (p &&
		    ((const char *)p < (const char *)ev->data ||
		     (size_t)((const char *)p - (const char *)ev->data) + size >
			     ev->size))
			abort();
		if (f->kind == EMBER_FIELD_STRUCT) {
			char path[128];

			snprintf(path, sizeof(path), "%s.f0", f->name);
			ember_event_type_field_by_name(et, path);
			ember_event_field_u64(ev, path, &u);
		}
	}
	ember_event_type_field_by_name(et, "f0");
	ember_event_type_field_by_name(et, "f0.f1.f2");
	ember_event_field_u64(ev, NULL, &(uint64_t){ 0 });
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	struct btf *btf = btf__new_empty();
	struct ember_event_type *et = NULL;
	char type_name[64], buf[256];
	int n;

	if (!btf)
		return 0;
	/* id 1: the array index type */
	btf__add_int(btf, "unsigned int", 4, 0);
	build(btf, &r, type_name, sizeof(type_name));
	if (!ember__event_type_from_btf(btf, type_name, &et)) {
		struct ember_event ev = { et, r.p, r.left };

		read_fields(et, &ev);
		n = ember_event_format(&ev, 0, buf, sizeof(buf));
		if (n >= 0 && (size_t)n < sizeof(buf) &&
		    strlen(buf) != (size_t)n)
			abort();
		ember_event_format(&ev, EMBER_FORMAT_JSON, buf, sizeof(buf));
		ember_event_format(&ev, 0, NULL, 0);
		ember_event_type_free(et);
	}
	btf__free(btf);
	return 0;
}
