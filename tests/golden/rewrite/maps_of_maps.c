/* maps of maps: the inner map's definition is the outer map's last member */
struct pair {
	int a;
	int b;
};

BPF_ARRAY(inner, int, 8);
BPF_TABLE("hash", int, u64, inner_hash, 16);
BPF_ARRAY_OF_MAPS(outer, "inner", 4);
BPF_HASH_OF_MAPS(by_int, "inner_hash", 8);
BPF_HASH_OF_MAPS(by_pair, struct pair, "inner", 8);

int probe(void *ctx)
{
	int i = 0;
	struct pair p = { 1, 2 };
	void *m = outer.lookup(&i);

	if (m)
		bpf_map_lookup_elem(m, &i);
	m = by_int.lookup(&i);
	m = by_pair.lookup(&p);
	return m != 0;
}

BPF_HASH_OF_MAPS(defaults, "inner");
BPF_HASH_OF_MAPS(keyed, u64, "inner_hash");
