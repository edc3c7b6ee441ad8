/* SPDX-License-Identifier: Apache-2.0 */
/* test_enrol.c: a key sealed to both halves of an enrolment code (pv_enrol_seal) opens
 * only with both, in their order: not with one half twice, not with the halves swapped,
 * not with another code's half, not once changed. */
#include "testutil.h"

#include "crypto.h"
#include "enrol_code.h"

#include <string.h>

static void test_both_halves_needed(void **state)
{
	(void)state;
	assert_int_equal(pv_crypto_init(), 0);
	char a[PV_ENROL_HALF_TEXT], b[PV_ENROL_HALF_TEXT], c[PV_ENROL_HALF_TEXT];
	uint8_t pk_a[32], pk_b[32], pk_c[32], key[32], got[32], sealed[PV_ENROL_SEALED];
	pv_enrol_half_new(a, pk_a);
	pv_enrol_half_new(b, pk_b);
	pv_enrol_half_new(c, pk_c);
	pv_random(key, sizeof key);
	pv_enrol_seal(sealed, key, pk_a, pk_b);
	assert_int_equal(pv_enrol_open(got, sealed, a, b), 0);
	assert_memory_equal(got, key, sizeof got);
	assert_int_equal(pv_enrol_open(got, sealed, b, a), -1);
	assert_int_equal(pv_enrol_open(got, sealed, a, a), -1);
	assert_int_equal(pv_enrol_open(got, sealed, b, b), -1);
	assert_int_equal(pv_enrol_open(got, sealed, a, c), -1);
	assert_int_equal(pv_enrol_open(got, sealed, c, b), -1);
	assert_int_equal(pv_enrol_open(got, sealed, a, "not a half"), -1);
	sealed[40] ^= 1;
	assert_int_equal(pv_enrol_open(got, sealed, a, b), -1);
	uint8_t zero[32] = { 0 };
	assert_memory_equal(got, zero, sizeof got); /* wiped on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_halves_needed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
