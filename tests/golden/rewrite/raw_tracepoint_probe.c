RAW_TRACEPOINT_PROBE(sys_enter)
{
	long id = ctx->args[1];

	if (id == 39)
		bpf_trace_printk("getpid");
	return 0;
}
