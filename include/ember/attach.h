/* SPDX-License-Identifier: MIT */
/* Part of ember's public API; included by <ember/ember.h>. */
#ifndef EMBER_ATTACH_H
#define EMBER_ATTACH_H

#endif
