// SPDX-License-Identifier: MIT
/*
 * What every attach kind shares: loading the function with the type the
 * attachment needs, recording the attachment under a readable description,
 * and the list of what a module has attached.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "loader/attach.h"
#include "loader/libbpf_log.h"

int ember__attach_prepare(struct ember_module *m, const char *fn_name,
			  enum bpf_prog_type type, const char *what,
			  struct ember_prog **p)
{
	int err = ember__attach_lookup(m, fn_name, p);

	if (err)
		return err;
	err = ember__module_load_prog(m, *p, type, EMBER_CTX_PT_REGS);
	if (err)
		return ember__error_prefix(-err, "cannot attach '%s' to %s",
					   fn_name, what);
	return 0;
}

int ember__attach_record(struct ember_module *m, struct ember_prog *p,
			 struct bpf_link *l, const char *what,
			 struct ember_link **out)
{
	const char *libbpf_says = ember__libbpf_log_end();
	int err;

	if (!l) {
		err = errno ? errno : EINVAL;
		return ember__error(err, "cannot attach '%s' to %s: %s%s%s",
				    p->name, what, strerror(err),
				    *libbpf_says ? "\n" : "", libbpf_says);
	}
	ember__module_logf(m, EMBER_LOG_DEBUG, "attached '%s' to %s", p->name,
			   what);
	return ember__module_add_attachment(m, l, NULL, NULL, what, p->name,
					    out);
}

static void close_fd(void *data)
{
	int *fd = data;

	close(*fd);
	free(fd);
}

int ember__attach_record_fd(struct ember_module *m, struct ember_prog *p,
			    int fd, const char *what, struct ember_link **out)
{
	int *owned = malloc(sizeof(*owned));

	if (!owned) {
		close(fd);
		return ember__error(ENOMEM, "out of memory");
	}
	*owned = fd;
	ember__module_logf(m, EMBER_LOG_DEBUG, "attached '%s' to %s", p->name,
			   what);
	return ember__module_add_attachment(m, NULL, close_fd, owned, what,
					    p->name, out);
}

int ember__attach_ifindex(const char *ifname)
{
	unsigned int i;

	if (!ifname || !*ifname)
		return ember__error(EINVAL, "interface name needed");
	i = if_nametoindex(ifname);
	if (!i)
		return ember__error(ENODEV,
				    "no network interface '%s' in this "
				    "network namespace",
				    ifname);
	return (int)i;
}

struct ember_link *ember_module_next_link(const struct ember_module *m,
					  const struct ember_link *prev)
{
	struct ember_link *k;

	/* The list is newest first: the next in attach order is the one
	 * just before prev. */
	if (!m || !m->links || m->links == prev)
		return NULL;
	for (k = m->links; k->next != prev; k = k->next)
		if (!k->next)
			return NULL; /* prev is not this module's */
	return k;
}

const char *ember_link_description(const struct ember_link *link)
{
	return link ? link->what : NULL;
}
