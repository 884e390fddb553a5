/* SPDX-License-Identifier: MIT */
/* Part of ember's public API; included by <ember/ember.h>. */
#ifndef EMBER_OUTPUT_H
#define EMBER_OUTPUT_H

#endif
