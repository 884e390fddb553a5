#include <no/such/header.h>
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
	return 0;
}
