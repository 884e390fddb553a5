/* ember check must fail with the user's own line:col */
int hello(void *ctx)
{
	return nope;
}
