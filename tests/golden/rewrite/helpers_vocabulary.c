/* BCC's helpers.h vocabulary beyond tables: constants, byte order, masks,
 * libc builtins without an #include */
#include <uapi/linux/ptrace.h>

struct rec {
	char name[16];
	u64 value;
};

BPF_PERF_ARRAY(cycles, 4);
BPF_STACK_TRACE(stacks, 128);
BPF_ARRAY(last, struct rec, 1);

int probe(struct pt_regs *ctx)
{
	struct rec r, copy;
	int k = 0;
	u64 v = cycles.perf_read(CUR_CPU_IDENTIFIER);

	memset(&r, 0, sizeof(r));
	__builtin_memcpy(r.name, "probe", 6);
	memcpy(&copy, &r, sizeof(r));
	if (copy.value != r.value)
		return 0;
	r.value = v & MASK(48);
	r.value += bpf_ntohll(r.value) + bpf_htons(1) + (u64)bpf_ntoh128(2);
	r.value += bcc_get_stackid((uintptr_t)&stacks, ctx, 0);
	r.value += BPF_MAX_STACK_DEPTH + (u64)(MASK128(70) >> 64);
	last.update(&k, &r);
	return 0;
}
