#include <uapi/linux/ptrace.h>
#include <linux/blkdev.h>

int kprobe__blk_start_request(struct pt_regs *ctx, struct request *req)
{
	return 0;
}

int syscall__execve(struct pt_regs *ctx,
		    const char __user *filename,
		    const char __user *const __user *argv)
{
	char buf[32];

	bpf_probe_read_user_str(buf, sizeof(buf), filename);
	return 0;
}

int kretprobe__sys_read(struct pt_regs *ctx)
{
	long ret = PT_REGS_RC(ctx);
	return ret < 0;
}
