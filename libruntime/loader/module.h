/* SPDX-License-Identifier: MIT */
/*
 * ember_module internals shared by the loader's files.
 *
 * Loading model: one libbpf object (the "main" object) creates every table
 * and loads every program whose section names its type. Functions without
 * one ("ember/NAME") are loaded later, when the host says what they are
 * (attach or load-as): a fresh libbpf object is opened from the same ELF,
 * its tables are pointed at the main object's (bpf_map__reuse_fd) and only
 * that function is loaded, with the requested program type.
 */
#ifndef EMBER_MODULE_H
#define EMBER_MODULE_H

#include <stdbool.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "compiler/compile.h"
#include "ember/ember.h"

struct ember_prog {
	char *name;
	char *section;
	struct bpf_object *own_obj; /* set for programs loaded on request */
	struct bpf_program *prog; /* NULL until loaded */
	int ctx_mode; /* EMBER_CTX_* of prelude/syscall_ctx.h it was loaded with */
};

struct ember_link {
	struct ember_module *module;
	struct bpf_link *link; /* NULL when detach is set */
	/* An attachment that is not one libbpf link (a link fd libbpf 1.1
	 * cannot wrap, a tc filter, a socket filter, one link per CPU):
	 * detach(data) undoes it and frees data. */
	void (*detach)(void *data);
	void *data;
	/* A second fd of the perf event (tracepoint, kprobe, uprobe) behind
	 * link (-1 if none):
	 * closing link detaches the program, closing this releases the event
	 * (release.c). */
	int perf_fd;
	/* "tracepoint syscalls:sys_enter_execve → hello" */
	char *what;
	struct ember_link *next;
};

struct ember__table_set; /* io/table_impl.h */

struct ember_module {
	struct ember_compiled compiled;
	char *name;
	char *text; /* the caller's program text: to quote a rejected line */
	unsigned int debug_flags;
	ember_log_fn log;
	void *log_ctx;
	struct bpf_object *obj; /* the main object: tables + typed programs */
	struct ember_prog *progs;
	size_t progs_cnt;
	struct ember_link *links;
	size_t links_cnt;
	/* The tables, built by io/table.c on first use (one allocation, freed
	 * with the module). */
	struct ember__table_set *tables;
	bool loaded;
};

/* A module with no program yet: name and text copied (text may be NULL).
 * NULL when out of memory. */
struct ember_module *ember__module_alloc(const char *name, const char *text,
					 unsigned int debug_flags,
					 ember_log_fn log, void *log_ctx);
/* Make m's programs from m->compiled once it is filled (a compile or a
 * prebuilt object): 0 or -ENOMEM. */
int ember__module_take_compiled(struct ember_module *m);

/* Detach and free one attachment (unlinked from its module's list). */
void ember__link_free(struct ember_link *link);
/* Detach every attachment of m, each program's runs done when it returns,
 * spending one kernel grace period rather than one per perf event
 * (release.c). */
void ember__module_release_links(struct ember_module *m);

struct ember_prog *ember__module_find_prog(const struct ember_module *m,
					   const char *name);
/* As above, with the error a caller reports: -EINVAL, -ENOENT. */
int ember__module_prog(const struct ember_module *m, const char *fn_name,
		       struct ember_prog **p);
/* Values of __ember_ctx_mode (prelude/syscall_ctx.h). */
#define EMBER_CTX_PT_REGS 0
#define EMBER_CTX_SYS_ENTER 1
#define EMBER_CTX_SYS_EXIT 2

/*
 * Make sure prog is loaded as type (with ctx_mode, EMBER_CTX_*); loads it on
 * request when it has no section type. -EINVAL when it is loaded with
 * another type.
 */
int ember__module_load_prog(struct ember_module *m, struct ember_prog *p,
			    enum bpf_prog_type type, int ctx_mode);
/*
 * Record an attachment: libbpf link l, or (l NULL) one that detach(data)
 * undoes. Its description is "what → fn" (just what when fn is NULL).
 * Owns l or data from the call on, also on failure. Returns 0 or -errno.
 */
int ember__module_add_attachment(struct ember_module *m, struct bpf_link *l,
				 void (*detach)(void *data), void *data,
				 const char *what, const char *fn,
				 struct ember_link **out);
/* The libbpf map of table name in the loaded module, or NULL. */
struct bpf_map *ember__module_map(const struct ember_module *m,
				  const char *name);
/* The fd of table name when its map has the given type (what names the
 * kind in the error: "perf output (BPF_PERF_OUTPUT)"). Sets the message;
 * -ENOENT, -EINVAL (other type), -ENODEV (module not loaded). */
int ember__module_map_of_type(const struct ember_module *m, const char *name,
			      enum bpf_map_type type, const char *what,
			      int *fd);
/* What the compiler recorded about a BCC table, or NULL (e.g. a map the
 * text declared in libbpf's own SEC(".maps") form). */
const struct ember_table_decl *
ember__module_table_decl(const struct ember_module *m, const char *name);
/* The loaded object's BTF (types of keys, values and events), or NULL. */
const struct btf *ember__module_btf(const struct ember_module *m);

void ember__module_logf(const struct ember_module *m,
			enum ember_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
