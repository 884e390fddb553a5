/* SPDX-License-Identifier: MIT */
/* Part of ember's public API; included by <ember/ember.h>. */
#ifndef EMBER_TABLE_H
#define EMBER_TABLE_H

#endif
