/* SPDX-License-Identifier: Apache-2.0 */
/* test_control.c: pv_test_control, compiled into the test builds of the library only
 * (see CMakeLists.txt): the one way a test turns a hook of test_hooks.h on or off. */
#include "pivault_testing.h"
#include "test_hooks.h"
#include "vault.h"

pv_rc pv_test_control(pv_vault *v, pv_test_hook hook, uint64_t number, const char *path)
{
	switch (hook) {
	case PV_TEST_REKEY_STOP:
		if (!v)
			return PV_ERR_USAGE;
		pv_test_hooks.rekey_stop_vault = number ? v : NULL;
		pv_test_hooks.rekey_stop_batches = (unsigned)number;
		return PV_OK;
	case PV_TEST_IMPORT_HOLD:
		pv_test_hooks.import_hold_path = path;
		return PV_OK;
	case PV_TEST_AUDIT_FAULT:
		if (!v)
			return PV_ERR_USAGE;
		v->audit_fault = number != 0;
		return PV_OK;
	case PV_TEST_AUDIT_SPLIT_MIN:
		pv_test_hooks.audit_split_min = number;
		return PV_OK;
	case PV_TEST_CORE_PATTERN:
		pv_test_hooks.core_pattern_path = path;
		return PV_OK;
	}
	return PV_ERR_USAGE;
}
