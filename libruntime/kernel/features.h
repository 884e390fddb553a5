/* SPDX-License-Identifier: MIT */
/*
 * What the running kernel can do, found by trying: each check loads (and
 * where loading is not the whole story, attaches) a tiny program once per
 * process. Guessing from kallsyms or the version lies: fentry symbols exist
 * on kernels that refuse fentry programs.
 */
#ifndef EMBER_KERNEL_FEATURES_H
#define EMBER_KERNEL_FEATURES_H

#include "ember/ember.h"

/*
 * 1 (yes), 0 (no) or a negative errno (cannot tell: no BPF program loads at
 * all, usually missing privileges). *why (optional) receives a sentence
 * explaining the answer, in static storage. Thread-safe; answers are cached,
 * "cannot tell" is not.
 */
int ember__feature(enum ember_feature f, const char **why);

#endif
