/* SPDX-License-Identifier: Apache-2.0 */
/* test_hooks.c: the hook settings, all off. Release builds have no code that sets them. */
#include "test_hooks.h"

struct pv_test_hooks pv_test_hooks;
