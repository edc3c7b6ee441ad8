/* SPDX-License-Identifier: Apache-2.0 */
/* test_hooks.h: the few places where a test may bend the library (stop a rekey as if the
 * process died, hold an import between chunks, make audit appends fail, verify short logs
 * in two runs, read another core pattern). All zero means no hook; only pv_test_control
 * (test_control.c), which exists in the test builds alone, ever sets one. */
#ifndef PV_TEST_HOOKS_H
#define PV_TEST_HOOKS_H

#include <stdint.h>

struct pv_vault;

struct pv_test_hooks {
	const struct pv_vault *rekey_stop_vault; /* this handle's next rekey stops ... */
	unsigned rekey_stop_batches;             /* ... after this many batches */
	const char *import_hold_path;            /* imports wait between chunks until it exists */
	uint64_t audit_split_min;                /* logs this long verify in two runs (0: default) */
	const char *core_pattern_path;           /* read instead of /proc/sys/kernel/core_pattern */
};

extern struct pv_test_hooks pv_test_hooks;

#endif
