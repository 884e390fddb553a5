// SPDX-License-Identifier: MIT
/*
 * Compiled (not run) by the header tests, once per public header and
 * language: EMBER_HEADER (given with -D) must compile alone.
 */
#include EMBER_HEADER

/* ISO C wants a translation unit to declare something. */
typedef int ember_header_test;
