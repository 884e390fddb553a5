/* Loaded as nobody: the error must name the missing capabilities. */
RAW_TRACEPOINT_PROBE(sys_enter)
{
	bpf_trace_printk("raw\n");
	return 0;
}
