/* compiles only with --cflag -DMYFLAG=2 */
#if MYFLAG != 2
#error "MYFLAG is not 2"
#endif
int f(void *ctx)
{
	return MYFLAG;
}
