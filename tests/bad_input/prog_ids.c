// SPDX-License-Identifier: MIT
/*
 * Print how many BPF programs, maps and links the kernel holds (by id, as
 * bpftool lists them): the bad-input test compares before and after.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long count(int cmd)
{
	union bpf_attr attr;
	long n = 0;
	__u32 id = 0;

	for (;;) {
		memset(&attr, 0, sizeof(attr));
		attr.start_id = id;
		if (syscall(SYS_bpf, cmd, &attr, sizeof(attr)))
			return errno == ENOENT ? n : -1;
		id = attr.next_id;
		n++;
	}
}

int main(void)
{
	printf("progs %ld maps %ld links %ld\n", count(BPF_PROG_GET_NEXT_ID),
	       count(BPF_MAP_GET_NEXT_ID), count(BPF_LINK_GET_NEXT_ID));
	return 0;
}
