/* Checked as nobody: tracefs is root's (0700), so the args struct comes
 * from the kernel's BTF (struct trace_event_raw_sched_process_exec). */
TRACEPOINT_PROBE(sched, sched_process_exec)
{
	bpf_trace_printk("exec %d %d\n", args->pid, args->old_pid);
	return args->data_loc_filename & 0xffff;
}
