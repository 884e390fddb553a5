TRACEPOINT_PROBE(syscalls)
{
	return 0;
}
