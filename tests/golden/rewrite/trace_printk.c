int forms(void *ctx)
{
	char buf[] = "prebuilt %d\n";
	u64 a = 1, b = 2, c = 3;

	bpf_trace_printk("no arguments\n");
	bpf_trace_printk("three %d %u %llx\n", a, b, c);
	bpf_trace_printk("concatenated " "literal %d", a);
	bpf_trace_printk(
		"spans lines %d\n",
		a);
	bpf_trace_printk(buf, sizeof(buf), a);
	if (bpf_trace_printk("as a value") < 0)
		return 1;
	return 0;
}
