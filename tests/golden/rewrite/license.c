/* BCC's license macro: the license section says what it defines */
#define BPF_LICENSE Dual BSD/GPL

int probe(void *ctx)
{
	return 0;
}
