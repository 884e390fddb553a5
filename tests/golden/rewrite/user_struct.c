/* A tool's own copy of a kernel-private struct (BTF has the real one): the
 * text's definition is used, under another name. */
#include <linux/namei.h>
struct nameidata {
	struct path path;
	struct qstr last;
};

struct key {
	u64 a;
	u64 b;
};

BPF_HASH(counts, struct key);

int kprobe__lookup_fast(struct pt_regs *ctx, struct nameidata *nd)
{
	struct key k = { nd->last.len, 2 };

	counts.increment(k);
	return 0;
}
