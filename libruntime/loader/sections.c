// SPDX-License-Identifier: MIT
/*
 * Program kinds by ELF section, one row each (libbpf's section_defs[]): what
 * a section prefix loads as, whether it loads with the module or on request,
 * and what ember_module_attach_auto() does with it. The compiler gives BCC's
 * conventional names their sections (compiler/rewrite_probe_sections.c);
 * every other function is in "ember/NAME".
 */
#include <string.h>

#include "loader/attach.h"

/* One row: ROW(prefix, kind, program type, flags, auto-attach, BCC macro). */
#define ROW(prefix_, kind_, type_, flags_, attach_, macro_)          \
	{                                                            \
		.prefix = prefix_, .kind = kind_,                    \
		.prog_type = BPF_PROG_TYPE_##type_, .flags = flags_, \
		.attach = attach_, .bcc_macro = macro_               \
	}
#define EAGER 0
#define ON_REQUEST EMBER_SEC_ON_REQUEST
#define RETURN EMBER_SEC_RETURN

static const struct ember_section_def section_defs[] = {
	ROW("tracepoint/", "tracepoint", TRACEPOINT, EAGER,
	    ember__attach_tracepoint_section, "TRACEPOINT_PROBE"),
	ROW("raw_tracepoint/", "raw tracepoint", RAW_TRACEPOINT, EAGER,
	    ember__attach_raw_tracepoint_section, "RAW_TRACEPOINT_PROBE"),
	ROW("kprobe/", "kprobe", KPROBE, ON_REQUEST,
	    ember__attach_kprobe_section, NULL),
	ROW("kretprobe/", "kretprobe", KPROBE, ON_REQUEST | RETURN,
	    ember__attach_kprobe_section, NULL),
	ROW("fentry/", "fentry", TRACING, ON_REQUEST, ember__attach_trampoline,
	    "KFUNC_PROBE"),
	ROW("fexit/", "fexit", TRACING, ON_REQUEST | RETURN,
	    ember__attach_trampoline, "KRETFUNC_PROBE"),
	ROW("fmod_ret/", "fmod_ret", TRACING, ON_REQUEST,
	    ember__attach_trampoline, "KMOD_RET"),
	ROW("lsm/", "lsm", LSM, ON_REQUEST, ember__attach_trampoline,
	    "LSM_PROBE"),
	/* plain functions: the host says what they are (attach, load_func) */
	ROW("ember/", "function", UNSPEC, ON_REQUEST, NULL, NULL),
};

const struct ember_section_def *ember__section_def(const char *section)
{
	for (size_t i = 0; i < sizeof(section_defs) / sizeof(*section_defs);
	     i++) {
		const char *prefix = section_defs[i].prefix;

		if (!strncmp(section, prefix, strlen(prefix)))
			return &section_defs[i];
	}
	return NULL;
}

const struct ember_section_def *ember__section_def_of(const char *prefix)
{
	for (size_t i = 0; i < sizeof(section_defs) / sizeof(*section_defs);
	     i++)
		if (!strcmp(section_defs[i].prefix, prefix))
			return &section_defs[i];
	return NULL;
}
