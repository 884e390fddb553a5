/* compiles with a warning: the kernel has no %f */
int f(void *ctx)
{
	bpf_trace_printk("load %f\n", 1);
	return 0;
}
