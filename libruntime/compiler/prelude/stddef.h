/* SPDX-License-Identifier: MIT */
/*
 * What a program's #include <stddef.h> gets: clang's own header, with
 * wchar_t spelt as the kernel spells it (u16 in the kernel's types, int in
 * clang's header: two typedefs of one name with different types are an
 * error in C).
 */
#ifndef __EMBER_STDDEF_H
#define __EMBER_STDDEF_H

#pragma push_macro("__WCHAR_TYPE__")
#undef __WCHAR_TYPE__
#define __WCHAR_TYPE__ unsigned short
#include_next <stddef.h>
#pragma pop_macro("__WCHAR_TYPE__")

#endif
