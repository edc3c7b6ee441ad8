/* SPDX-License-Identifier: Apache-2.0 */
/* pivault_testing.h: the one switch tests use to bend libpivault. It exists only in the
 * test builds of the library (pivault_testing_static, linked by the tests, the fuzz
 * targets and pivault-test); the release library and command have no such symbol, so no
 * program built against them can reach a hook. */
#ifndef PIVAULT_TESTING_H
#define PIVAULT_TESTING_H

#include "pivault.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pv_test_hook {
	/* v's next rekey stops after number batches (0: never), as if the process died
	 * there, reporting PV_ERR_IO. */
	PV_TEST_REKEY_STOP = 1,
	/* Imports in this process wait, between two committed chunks (no transaction open),
	 * until a file exists at path (NULL: no waiting), so that a test can look at the vault
	 * while an import is surely under way. Set before the import starts. */
	PV_TEST_IMPORT_HOLD = 2,
	/* Every audit append on v fails (number 1) or works again (0), as storage that fails. */
	PV_TEST_AUDIT_FAULT = 3,
	/* Audit logs of at least number entries are verified in two runs split at a
	 * checkpoint (0: the default, 65536). Process-wide. */
	PV_TEST_AUDIT_SPLIT_MIN = 4,
	/* The doctor reads the kernel's core pattern from path (NULL: the real one).
	 * Process-wide. */
	PV_TEST_CORE_PATTERN = 5
} pv_test_hook;

/* Set hook; v is needed by the hooks that act on a handle. PV_ERR_USAGE for an unknown
 * hook or a missing handle. Not thread-safe: tests set hooks before starting work. */
PV_API PV_CHECK pv_rc pv_test_control(pv_vault *v, pv_test_hook hook, uint64_t number,
				      const char *path);

#ifdef __cplusplus
}
#endif
#endif
