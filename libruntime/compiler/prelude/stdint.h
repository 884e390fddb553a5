/* SPDX-License-Identifier: MIT */
/*
 * What a program's #include <stdint.h> gets: clang's own header, with its
 * 64-bit types spelt as the kernel spells them. For the bpf target clang's
 * int64_t is long, the kernel's (linux/types.h, kernel_types.h) long long:
 * two typedefs of one name with different types are an error in C.
 */
#ifndef __EMBER_STDINT_H
#define __EMBER_STDINT_H

#pragma push_macro("__INT64_TYPE__")
#pragma push_macro("__UINT64_TYPE__")
#undef __INT64_TYPE__
#undef __UINT64_TYPE__
#define __INT64_TYPE__ long long
#define __UINT64_TYPE__ unsigned long long
#include_next <stdint.h>
#pragma pop_macro("__INT64_TYPE__")
#pragma pop_macro("__UINT64_TYPE__")

#endif
