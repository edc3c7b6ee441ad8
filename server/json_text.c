/* SPDX-License-Identifier: Apache-2.0 */
/* json_text.c: JSON text written straight into one growing buffer, for the replies on the
 * read path (a record, a list of records), where building a tree of jansson values and
 * dumping it cost more than the read's own work. The text is the same as jansson's
 * compact dump of the same values (test_http_json_text holds them against each other):
 * members in the order written, strings escaped as jansson escapes them, and text that is
 * not UTF-8 refused (the reply becomes a 500, as json_dumps's NULL makes it). */
#include "route.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pvs_text_raw(struct pvs_text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 1024;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *grown = realloc(t->s, cap);
		if (!grown) {
			t->failed = 1;
			return;
		}
		t->s = grown;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

void pvs_text_str(struct pvs_text *t, const char *s)
{
	pvs_text_raw(t, s, strlen(s));
}

/* The length of the UTF-8 sequence at s (1 to 4), or 0 when it is not one (overlong
 * forms, surrogates and code points past U+10FFFF are not UTF-8). */
static size_t utf8_sequence(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
		   : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* One character below 0x20, or a quote or backslash, as jansson escapes it. */
static void escape(struct pvs_text *t, unsigned char c)
{
	char seq[8];
	const char *named = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b"
			    : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
			    : c == '\t' ? "\\t" : NULL;
	if (!named) {
		snprintf(seq, sizeof seq, "\\u%04X", c);
		named = seq;
	}
	pvs_text_str(t, named);
}

void pvs_text_string(struct pvs_text *t, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	pvs_text_raw(t, "\"", 1);
	while (*p) {
		size_t n = utf8_sequence(p);
		if (!n) {
			t->failed = 1;
			return;
		}
		if (n == 1 && (*p < 0x20 || *p == '"' || *p == '\\')) {
			pvs_text_raw(t, (const char *)run, (size_t)(p - run));
			escape(t, *p);
			run = p + 1;
		}
		p += n;
	}
	pvs_text_raw(t, (const char *)run, (size_t)(p - run));
	pvs_text_raw(t, "\"", 1);
}

void pvs_text_record(struct pvs_text *t, const pv_record *r)
{
	pvs_text_str(t, "{\"id\":");
	pvs_text_string(t, pv_record_id(r));
	pvs_text_str(t, ",\"fields\":{");
	const char *sep = "";
	for (size_t i = 0; i < pv_record_field_count(r); i++) {
		pv_field_view view = pv_record_field_view(r, i);
		if (view == PV_SHOWN_HIDDEN)
			continue;
		pvs_text_str(t, sep);
		pvs_text_string(t, pv_record_field_name(r, i));
		pvs_text_str(t, ":{\"value\":");
		pvs_text_string(t, pv_record_field_value(r, i));
		pvs_text_str(t, view == PV_SHOWN_CLEAR ? ",\"shown\":\"clear\"}"
						       : ",\"shown\":\"masked\"}");
		sep = ",";
	}
	pvs_text_str(t, "},\"consents\":{");
	sep = "";
	for (size_t i = 0; i < pv_record_consent_count(r); i++) {
		pvs_text_str(t, sep);
		pvs_text_string(t, pv_record_consent_purpose(r, i));
		pvs_text_str(t, pv_record_consent_granted(r, i) ? ":true" : ":false");
		sep = ",";
	}
	pvs_text_str(t, "}}");
}

void pvs_text_reply(struct pvs_reply *out, unsigned status, struct pvs_text *t)
{
	if (t->failed || !t->s) {
		if (t->s)
			sodium_memzero(t->s, t->len);
		free(t->s);
		pvs_json(out, status, NULL); /* the 500 a failed dump gives */
	} else {
		out->status = status;
		out->type = "application/json";
		out->body = t->s;
	}
	*t = (struct pvs_text){ 0 };
}
