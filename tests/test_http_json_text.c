/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_json_text.c: the read path's JSON text (server/json_text.c) is the same text
 * as jansson's compact dump of the same values: every ASCII character, escapes, multibyte
 * UTF-8 up to four bytes, the empty string; text that is not UTF-8 (a stray continuation
 * byte, a truncated sequence, an overlong form, a surrogate, past U+10FFFF) is refused as
 * jansson refuses it; a reply from failed text is the 500 a failed dump gives, its buffer
 * gone; and records of a sample vault, masked and clear, give exactly pvs_record_json's
 * dump. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pivault.h"
#include "route.h"

/* jansson's compact text of s as a JSON string (malloc'd), or NULL when it refuses s. */
static char *jansson_string(const char *s)
{
	json_t *j = json_string(s);
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	return text;
}

static void same_as_jansson(const char *s)
{
	struct pvs_text t = { 0 };
	pvs_text_string(&t, s);
	char *want = jansson_string(s);
	assert_non_null(want);
	assert_false(t.failed);
	assert_string_equal(t.s, want);
	free(want);
	free(t.s);
}

static void refused_as_jansson_refuses(const char *s)
{
	struct pvs_text t = { 0 };
	pvs_text_string(&t, s);
	assert_true(t.failed);
	assert_null(jansson_string(s));
	free(t.s);
}

static void strings_escape_as_jansson(void **state)
{
	(void)state;
	char one[2] = { 0, 0 };
	for (int c = 1; c < 0x80; c++) { /* every ASCII character alone */
		one[0] = (char)c;
		same_as_jansson(one);
	}
	same_as_jansson("");
	same_as_jansson("plain text, no escapes at all");
	same_as_jansson("a \"quoted\" back\\slash / slash\ttab\nline\r\b\f\x01\x1f\x7f end");
	same_as_jansson("\xc3\xa9t\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 "
			"\xe2\x80\xa8 \xef\xbb\xbf \xf4\x8f\xbf\xbf");
	same_as_jansson("\xe5\xbc\xa0\xe4\xb8\x89 +86 138-0013-8000 \xef\xbc\x91\xef\xbc\x93");
}

static void text_not_utf8_refused(void **state)
{
	(void)state;
	refused_as_jansson_refuses("stray \x80 continuation");
	refused_as_jansson_refuses("truncated \xe4\xb8");
	refused_as_jansson_refuses("truncated at the end \xf0\x9f\x98");
	refused_as_jansson_refuses("overlong \xc0\xaf");
	refused_as_jansson_refuses("overlong \xe0\x80\xaf");
	refused_as_jansson_refuses("surrogate \xed\xa0\x80");
	refused_as_jansson_refuses("past U+10FFFF \xf4\x90\x80\x80");
	refused_as_jansson_refuses("\xff");

	struct pvs_text t = { 0 };
	pvs_text_str(&t, "{\"value\":");
	pvs_text_string(&t, "bad \xc3");
	struct pvs_reply out = { 0 };
	pvs_text_reply(&out, 200, &t);
	assert_int_equal(out.status, 500);
	assert_non_null(strstr(out.body, "internal_error"));
	assert_null(t.s);
	free(out.body);
}

/* Every record of a small vault, masked and (as admin) clear, as pvs_record_json dumps it. */
static void records_as_pvs_record_json(void **state)
{
	(void)state;
	char *tmp = pvt_tempdir(), *dir = pvt_path(tmp, "vault"), *key = pvt_path(tmp, "k");
	pv_vault *v = pvt_sample_vault(dir, key, 20, 5, NULL);
	const pv_access views[] = { { "admin", "service", PV_WANT_MASKED },
				    { "admin", "service", PV_WANT_CLEAR } };
	for (size_t w = 0; w < 2; w++)
		for (int k = 1; k <= 20; k++) {
			char id[16];
			snprintf(id, sizeof id, "C%08d", k);
			pv_record *r = NULL;
			assert_ok(v, pv_get(v, &views[w], id, &r));
			json_t *j = pvs_record_json(r);
			char *want = json_dumps(j, JSON_COMPACT);
			json_decref(j);
			struct pvs_text t = { 0 };
			pvs_text_record(&t, r);
			assert_false(t.failed);
			assert_string_equal(t.s, want);
			free(want);
			free(t.s);
			pv_record_free(r);
		}
	pv_vault_close(v);
	pvt_rmtree(tmp);
	free(key);
	free(dir);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strings_escape_as_jansson),
		cmocka_unit_test(text_not_utf8_refused),
		cmocka_unit_test(records_as_pvs_record_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
