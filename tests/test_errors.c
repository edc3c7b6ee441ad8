/* SPDX-License-Identifier: Apache-2.0 */
/* test_errors.c: one way to read an error, also for calls without a vault: pv_errmsg(NULL)
 * gives the calling thread's last such failure, naming the file or argument and never a
 * value; a success clears it; another thread's failure is not this thread's message. */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_calls_without_a_vault_say_why(void **state)
{
	(void)state;
	char *dir = pvt_tempdir();
	char *taken = pvt_path(dir, "taken");
	assert_int_equal(pvt_write_file(taken, "x", 1), 0);

	FILE *f = NULL;
	assert_rc_msg(NULL, pv_file_create(taken, &f), PV_ERR_EXISTS, "already exists");
	assert_null(f);
	assert_non_null(strstr(pv_errmsg(NULL), taken));

	char fp[PV_FINGERPRINT_SIZE];
	assert_rc_msg(NULL, pv_key_fingerprint("not-a-key", fp), PV_ERR_USAGE, "64 hex digits");
	assert_null(strstr(pv_errmsg(NULL), "not-a-key")); /* the argument is not repeated */

	char *missing = pvt_path(dir, "no-schema.yaml");
	assert_rc_msg(NULL, pv_schema_check_file(missing, NULL, NULL), PV_ERR_IO, missing);

	pv_key *key = NULL;
	assert_rc_msg(NULL, pv_key_from_file(missing, &key), PV_ERR_NOT_FOUND, missing);
	assert_null(key);
	/* one byte, not 32 */
	assert_rc_msg(NULL, pv_key_from_file(taken, &key), PV_ERR_BAD_KEY, "exactly 32 bytes");
	assert_rc_msg(NULL, pv_key_generate_file(taken), PV_ERR_EXISTS, "never written over");

	char *summary = (char *)"left as it was";
	assert_int_not_equal(pv_backup_verify(missing, NULL, &summary), PV_OK);
	assert_null(summary); /* never a summary on failure */
	assert_string_not_equal(pv_errmsg(NULL), "no error");

	/* a success clears the thread's message */
	char *fresh = pvt_path(dir, "fresh");
	assert_int_equal(pv_file_create(fresh, &f), PV_OK);
	assert_string_equal(pv_errmsg(NULL), "no error");
	fclose(f);

	free(fresh);
	free(missing);
	free(taken);
	pvt_rmtree(dir);
	free(dir);
}

static void *fail_elsewhere(void *arg)
{
	char fp[PV_FINGERPRINT_SIZE];
	int *rc = arg;
	*rc = pv_key_fingerprint("zz", fp);
	return NULL;
}

static void test_message_is_the_threads_own(void **state)
{
	(void)state;
	char fp[PV_FINGERPRINT_SIZE];
	assert_int_equal(pv_key_fingerprint(
				 "0000000000000000000000000000000000000000000000000000000000000000", fp),
			 PV_OK);
	assert_string_equal(pv_errmsg(NULL), "no error");
	pthread_t t;
	int rc = -1;
	assert_int_equal(pthread_create(&t, NULL, fail_elsewhere, &rc), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(rc, PV_ERR_USAGE);
	assert_string_equal(pv_errmsg(NULL), "no error"); /* that failure was the other thread's */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calls_without_a_vault_say_why),
		cmocka_unit_test(test_message_is_the_threads_own),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
