TRACEPOINT_PROBE(.., ..)
{
	return 0;
}
