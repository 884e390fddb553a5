int kprobe__no_such_kernel_function(struct pt_regs *ctx)
{
	return 0;
}
