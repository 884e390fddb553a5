int tracepoint__sched__no_such_event(void *ctx)
{
	return 0;
}
