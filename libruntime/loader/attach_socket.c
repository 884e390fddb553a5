// SPDX-License-Identifier: MIT
/*
 * Socket filters (SO_ATTACH_BPF): on a socket of the caller's, or on a raw
 * packet socket ember opens on an interface (BCC's attach_raw_socket). The
 * filter lives as long as its socket; detaching removes it from the
 * caller's socket only if the descriptor still names the same socket (it
 * may have been closed and its number reused).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "loader/attach.h"

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif
#ifndef SO_DETACH_BPF
#define SO_DETACH_BPF SO_DETACH_FILTER
#endif

struct sock_filter_att {
	int fd;
	dev_t dev;
	ino_t ino;
};

static void remove_filter(void *data)
{
	struct sock_filter_att *s = data;
	struct stat st;
	int zero = 0;

	if (!fstat(s->fd, &st) && st.st_dev == s->dev && st.st_ino == s->ino)
		setsockopt(s->fd, SOL_SOCKET, SO_DETACH_BPF, &zero,
			   sizeof(zero));
	free(s);
}

int ember_module_attach_socket_filter(struct ember_module *m,
				      const char *fn_name, int sock_fd,
				      struct ember_link **link)
{
	struct sock_filter_att *s;
	struct ember_prog *p;
	struct stat st;
	char what[64];
	int prog_fd, err;

	snprintf(what, sizeof(what), "socket filter on fd %d", sock_fd);
	if (sock_fd < 0 || fstat(sock_fd, &st))
		return ember__error(EBADF,
				    "cannot attach '%s' to %s: not an "
				    "open file descriptor",
				    fn_name ? fn_name : "?", what);
	if (!S_ISSOCK(st.st_mode))
		return ember__error(ENOTSOCK,
				    "cannot attach '%s' to %s: not "
				    "a socket",
				    fn_name ? fn_name : "?", what);
	err = ember__attach_prepare(m, fn_name, BPF_PROG_TYPE_SOCKET_FILTER,
				    what, &p);
	if (err)
		return err;
	prog_fd = bpf_program__fd(p->prog);
	if (setsockopt(sock_fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd,
		       sizeof(prog_fd)))
		return ember__error(errno, "cannot attach '%s' to %s: %s",
				    fn_name, what, strerror(errno));
	s = malloc(sizeof(*s));
	if (!s) {
		setsockopt(sock_fd, SOL_SOCKET, SO_DETACH_BPF, &prog_fd,
			   sizeof(prog_fd));
		return ember__error(ENOMEM, "out of memory");
	}
	s->fd = sock_fd;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	ember__module_logf(m, EMBER_LOG_DEBUG, "attached '%s' to %s", fn_name,
			   what);
	return ember__module_add_attachment(m, NULL, remove_filter, s, what,
					    fn_name, link);
}

int ember_module_attach_raw_socket(struct ember_module *m, const char *fn_name,
				   const char *ifname, int *sock_fd,
				   struct ember_link **link)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ember_prog *p;
	char what[64];
	int ifindex, prog_fd, fd, err;

	if (!sock_fd)
		return ember__error(EINVAL, "raw socket: sock_fd needed");
	*sock_fd = -1;
	ifindex = ember__attach_ifindex(ifname);
	if (ifindex < 0)
		return ifindex;
	snprintf(what, sizeof(what), "raw socket on %s", ifname);
	err = ember__attach_prepare(m, fn_name, BPF_PROG_TYPE_SOCKET_FILTER,
				    what, &p);
	if (err)
		return err;
	/* Protocol 0 receives nothing until bound: the filter is in place
	 * before the first packet arrives. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ember__error(errno,
				    "cannot attach '%s' to %s: "
				    "socket(AF_PACKET): %s",
				    fn_name, what, strerror(errno));
	prog_fd = bpf_program__fd(p->prog);
	sll.sll_ifindex = ifindex;
	sll.sll_protocol = htons(ETH_P_ALL);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd,
		       sizeof(prog_fd)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = errno;
		close(fd);
		return ember__error(err, "cannot attach '%s' to %s: %s",
				    fn_name, what, strerror(err));
	}
	err = ember__attach_record_fd(m, p, fd, what, link);
	if (!err)
		*sock_fd = fd;
	return err;
}
