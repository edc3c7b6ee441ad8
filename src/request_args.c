/* SPDX-License-Identifier: Apache-2.0 */
/* request_args.c: a request's bound parameters, as kept for the approver to read, turned
 * into a JSON object, so that a front end shows exactly what the operation bound (ids,
 * names of fields, digests of files, dates, counts: never a personal value) key by key. */
#include "approvals.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CUT_MARK " ..." /* what params_shown appends to a text it cut */

/* s[0..n) with pv_params_add's escapes ("\\n", "\\\\") undone, appended to *acc. */
static int append_unescaped(char **acc, const char *s, size_t n)
{
	size_t have = *acc ? strlen(*acc) : 0;
	char *t = realloc(*acc, have + n + 1);
	if (!t)
		return -1;
	*acc = t;
	size_t o = have;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 'n' || s[i + 1] == '\\')) {
			t[o++] = s[i + 1] == 'n' ? '\n' : '\\';
			i++;
		} else {
			t[o++] = s[i];
		}
	}
	t[o] = '\0';
	return 0;
}

/* One "key=value" piece into obj; a piece without '=' continues the previous value (a ';'
 * that was in it). */
static int add_piece(json_t *obj, const char *piece, size_t n, char **key, char **value)
{
	const char *eq = memchr(piece, '=', n);
	if (!eq && *key)
		return append_unescaped(value, ";", 1) || append_unescaped(value, piece, n) ||
			       json_object_set_new(obj, *key, json_string(*value));
	free(*key);
	free(*value);
	*key = *value = NULL;
	if (!eq)
		return 0;
	if (append_unescaped(key, piece, (size_t)(eq - piece)) ||
	    append_unescaped(value, eq + 1, n - (size_t)(eq - piece) - 1))
		return -1;
	return json_object_set_new(obj, *key, json_string(*value));
}

char *pv_request_args_json(const char *shown)
{
	size_t len = strlen(shown), cut = strlen(CUT_MARK);
	int truncated = len >= cut && strcmp(shown + len - cut, CUT_MARK) == 0;
	if (truncated)
		len -= cut;
	json_t *obj = json_object();
	char *key = NULL, *value = NULL;
	int bad = !obj;
	for (size_t at = 0; !bad && at < len;) {
		size_t n = strcspn(shown + at, ";");
		if (n > len - at)
			n = len - at;
		if (n)
			bad = add_piece(obj, shown + at, n, &key, &value) != 0;
		at += n + 1;
	}
	if (!bad && truncated)
		bad = json_object_set_new(obj, "truncated", json_true()) != 0;
	free(key);
	free(value);
	char *text = bad ? NULL : json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	return text;
}
