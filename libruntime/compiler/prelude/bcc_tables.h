/* SPDX-License-Identifier: MIT */
/*
 * BCC's table vocabulary. For the parse, every table macro declares a
 * variable whose members are the table's methods, so `t.lookup(&k)` is a
 * well-typed call; ember then replaces each macro with a libbpf BTF map
 * definition and each method call with its helper (rewrite_tables.c). The
 * __ember_* macros below are what the rewritten method calls expand to.
 */
#ifndef __EMBER_BCC_TABLES_H
#define __EMBER_BCC_TABLES_H

#define __EMBER_TABLE_T(_K, _V)                                       \
	struct {                                                      \
		_K key;                                               \
		_V leaf;                                              \
		_V *(*lookup)(_K *);                                  \
		_V *(*lookup_or_init)(_K *, _V *);                    \
		_V *(*lookup_or_try_init)(_K *, _V *);                \
		int (*update)(_K *, _V *);                            \
		int (*insert)(_K *, _V *);                            \
		int (*delete)(_K *);                                  \
		void (*increment)(_K, ...);                           \
		void (*atomic_increment)(_K, ...);                    \
		int (*perf_submit)(void *, void *, __u64);            \
		int (*perf_submit_skb)(void *, __u64, void *, __u64); \
		__u64 (*perf_read)(__u64);                            \
		int (*perf_counter_value)(__u64, void *, __u64);      \
		int (*ringbuf_output)(void *, __u64, __u64);          \
		void *(*ringbuf_reserve)(__u64);                      \
		void (*ringbuf_submit)(void *, __u64);                \
		void (*ringbuf_discard)(void *, __u64);               \
		__u64 (*ringbuf_query)(__u64);                        \
		void (*call)(void *, __u64);                          \
		int (*get_stackid)(void *, __u64);                    \
		long (*redirect_map)(__u64, __u64);                   \
		int (*check_current_task)(__u64);                     \
		int (*push)(_V *, __u64);                             \
		int (*pop)(_V *);                                     \
		int (*peek)(_V *);                                    \
		int (*sock_map_update)(void *, void *, __u64);        \
		int (*sock_hash_update)(void *, void *, __u64);       \
		int (*msg_redirect_hash)(void *, void *, __u64);      \
		int (*msg_redirect_map)(void *, __u64, __u64);        \
		int (*sk_redirect_hash)(void *, void *, __u64);       \
		int (*sk_redirect_map)(void *, __u64, __u64);         \
		_V *(*sk_storage_get)(void *, void *, __u64);         \
		int (*sk_storage_delete)(void *);                     \
		_V *(*inode_storage_get)(void *, void *, __u64);      \
		int (*inode_storage_delete)(void *);                  \
		_V *(*task_storage_get)(void *, void *, __u64);       \
		int (*task_storage_delete)(void *);                   \
		_V *(*get_local_storage)(__u64);                      \
	}

/* Declarations for the parse; arguments past the types are checked by
 * ember when it rewrites the macro. */
#define __EMBER_SEL(_1, _2, _3, _4, _5, _6, _7, N, ...) N
#define BPF_TABLE(_kind, _K, _V, _name, ...) __EMBER_TABLE_T(_K, _V) _name
#define BPF_F_TABLE(_kind, _K, _V, _name, ...) __EMBER_TABLE_T(_K, _V) _name
#define BPF_TABLE_PINNED(_kind, _K, _V, _name, ...) \
	__EMBER_TABLE_T(_K, _V) _name
#define BPF_TABLE_PUBLIC(_kind, _K, _V, _name, ...) \
	__EMBER_TABLE_T(_K, _V) _name
#define BPF_TABLE_SHARED(_kind, _K, _V, _name, ...) \
	__EMBER_TABLE_T(_K, _V) _name

#define __EMBER_KV(_name, _K, _V, ...) __EMBER_TABLE_T(_K, _V) _name
/* name[, K=u64][, V=u64][, max] */
#define __EMBER_KV_DEFAULTS(...)                                    \
	__EMBER_SEL(__VA_ARGS__, _, _, _, __EMBER_KV4, __EMBER_KV3, \
		    __EMBER_KV2, __EMBER_KV1, _)                    \
	(__VA_ARGS__)
#define __EMBER_KV1(n) __EMBER_TABLE_T(__u64, __u64) n
#define __EMBER_KV2(n, K) __EMBER_TABLE_T(K, __u64) n
#define __EMBER_KV3(n, K, V) __EMBER_TABLE_T(K, V) n
#define __EMBER_KV4(n, K, V, m) __EMBER_TABLE_T(K, V) n
#define BPF_HASH(...) __EMBER_KV_DEFAULTS(__VA_ARGS__)
#define BPF_PERCPU_HASH(...) __EMBER_KV_DEFAULTS(__VA_ARGS__)
#define BPF_LRU_HASH(...) __EMBER_KV_DEFAULTS(__VA_ARGS__)
#define BPF_LPM_TRIE(...) __EMBER_KV_DEFAULTS(__VA_ARGS__)
/* BCC: BPF_SOCKHASH(name[, K=u32][, max]): sockets as values */
#define __EMBER_SH_DEFAULTS(...)                                        \
	__EMBER_SEL(__VA_ARGS__, _, _, _, _, __EMBER_SH3, __EMBER_SH2, \
		    __EMBER_SH1, _)                                     \
	(__VA_ARGS__)
#define __EMBER_SH1(n) __EMBER_TABLE_T(__u32, __u32) n
#define __EMBER_SH2(n, K) __EMBER_TABLE_T(K, __u32) n
#define __EMBER_SH3(n, K, m) __EMBER_TABLE_T(K, __u32) n
#define BPF_SOCKHASH(...) __EMBER_SH_DEFAULTS(__VA_ARGS__)

/* name[, V=u64][, max] with an int key */
#define __EMBER_V_DEFAULTS(...)                                      \
	__EMBER_SEL(__VA_ARGS__, _, _, _, _, __EMBER_V3, __EMBER_V2, \
		    __EMBER_V1, _)                                   \
	(__VA_ARGS__)
#define __EMBER_V1(n) __EMBER_TABLE_T(int, __u64) n
#define __EMBER_V2(n, V) __EMBER_TABLE_T(int, V) n
#define __EMBER_V3(n, V, m) __EMBER_TABLE_T(int, V) n
#define BPF_ARRAY(...) __EMBER_V_DEFAULTS(__VA_ARGS__)
#define BPF_PERCPU_ARRAY(...) __EMBER_V_DEFAULTS(__VA_ARGS__)

/* name[, K=int][, max=64]: u64 counts */
#define __EMBER_H_DEFAULTS(...)                                      \
	__EMBER_SEL(__VA_ARGS__, _, _, _, _, __EMBER_H3, __EMBER_H2, \
		    __EMBER_H1, _)                                   \
	(__VA_ARGS__)
#define __EMBER_H1(n) __EMBER_TABLE_T(int, __u64) n
#define __EMBER_H2(n, K) __EMBER_TABLE_T(K, __u64) n
#define __EMBER_H3(n, K, m) __EMBER_TABLE_T(K, __u64) n
#define BPF_HISTOGRAM(...) __EMBER_H_DEFAULTS(__VA_ARGS__)

#define BPF_STACK_TRACE(_name, ...) __EMBER_TABLE_T(int, __u64) _name
#define BPF_STACK_TRACE_BUILDID(_name, ...) __EMBER_TABLE_T(int, __u64) _name
#define BPF_PERF_OUTPUT(_name) __EMBER_TABLE_T(int, __u32) _name
#define BPF_PERF_ARRAY(_name, ...) __EMBER_TABLE_T(int, __u32) _name
#define BPF_RINGBUF_OUTPUT(_name, ...) __EMBER_TABLE_T(int, __u32) _name
#define BPF_PROG_ARRAY(_name, ...) __EMBER_TABLE_T(int, __u32) _name
#define BPF_DEVMAP(_name, ...) __EMBER_TABLE_T(int, __u32) _name
#define BPF_CPUMAP(_name, ...) __EMBER_TABLE_T(int, __u32) _name
#define BPF_XSKMAP(_name, ...) __EMBER_TABLE_T(int, __u32) _name
#define BPF_CGROUP_ARRAY(_name, ...) __EMBER_TABLE_T(int, __u32) _name
#define BPF_SOCKMAP(_name, ...) __EMBER_TABLE_T(int, __u32) _name
/* Maps of maps: the key type may be given or not (BCC has both forms), and
 * a lookup gives the inner map, whatever its type: keys are not checked. */
#define __EMBER_MAPS_T                         \
	struct {                               \
		void *(*lookup)(const void *); \
		int (*delete)(const void *);   \
	}
#define BPF_ARRAY_OF_MAPS(_name, ...) __EMBER_MAPS_T _name
#define BPF_HASH_OF_MAPS(_name, ...) __EMBER_MAPS_T _name
#define BPF_QUEUE(_name, _V, ...) __EMBER_TABLE_T(int, _V) _name
#define BPF_STACK(_name, _V, ...) __EMBER_TABLE_T(int, _V) _name
#define BPF_SK_STORAGE(_name, _V) __EMBER_TABLE_T(int, _V) _name
#define BPF_INODE_STORAGE(_name, _V) __EMBER_TABLE_T(int, _V) _name
#define BPF_TASK_STORAGE(_name, _V) __EMBER_TABLE_T(int, _V) _name
#define BPF_CGROUP_STORAGE(_name, _V) __EMBER_TABLE_T(int, _V) _name
#define BPF_PERCPU_CGROUP_STORAGE(_name, _V) __EMBER_TABLE_T(int, _V) _name

/* ---- what rewritten method calls use ---- */

/* lookup; if missing, insert init (only if still missing) and look again */
#define __ember_lookup_or_try_init(map, key, init)                        \
	({                                                                \
		typeof(init) __v = bpf_map_lookup_elem(map, key);         \
		if (!__v) {                                               \
			bpf_map_update_elem(map, key, init, BPF_NOEXIST); \
			__v = bpf_map_lookup_elem(map, key);              \
		}                                                         \
		__v;                                                      \
	})
/* BCC's legacy form returns 0 from the enclosing function on failure */
#define __ember_lookup_or_init(map, key, init)                                 \
	({                                                                     \
		typeof(init) __v = __ember_lookup_or_try_init(map, key, init); \
		if (!__v)                                                      \
			return 0;                                              \
		__v;                                                           \
	})
#define __ember_increment_by(map, k, n, add)                                 \
	({                                                                   \
		typeof(*(map)->key) __k = (k);                               \
		typeof(*(map)->value) *__v = bpf_map_lookup_elem(map, &__k); \
		if (__v) {                                                   \
			add;                                                 \
		} else {                                                     \
			typeof(*(map)->value) __ember_n = (n);               \
			if (bpf_map_update_elem(map, &__k, &__ember_n,       \
						BPF_NOEXIST) &&              \
			    (__v = bpf_map_lookup_elem(map, &__k)))          \
				add;                                         \
		}                                                            \
	})
#define __ember_increment(map, k, n) \
	__ember_increment_by(map, k, n, (*__v += (n)))
#define __ember_atomic_increment(map, k, n) \
	__ember_increment_by(map, k, n, __sync_fetch_and_add(__v, (n)))

/* Ring buffers have no kernel-side loss counter: count failures here so the
 * host can report them (__ember_ringbuf_drops is declared by the rewrite of
 * the first BPF_RINGBUF_OUTPUT). */
#define __ember_count_drop(slot)                                           \
	({                                                                 \
		__u32 __s = (slot);                                        \
		__u64 *__d =                                               \
			bpf_map_lookup_elem(&__ember_ringbuf_drops, &__s); \
		if (__d)                                                   \
			__sync_fetch_and_add(__d, 1);                      \
	})
#define __ember_ringbuf_output(map, slot, data, size, flags)           \
	({                                                             \
		long __r = bpf_ringbuf_output(map, data, size, flags); \
		if (__r)                                               \
			__ember_count_drop(slot);                      \
		__r;                                                   \
	})
#define __ember_ringbuf_reserve(map, slot, size)               \
	({                                                     \
		void *__p = bpf_ringbuf_reserve(map, size, 0); \
		if (!__p)                                      \
			__ember_count_drop(slot);              \
		__p;                                           \
	})

#endif
