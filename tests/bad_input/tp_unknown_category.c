TRACEPOINT_PROBE(nocategory, noevent)
{
	return 0;
}
