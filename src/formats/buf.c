/* SPDX-License-Identifier: Apache-2.0 */
/* buf.c: the growable, wiped text buffer. */
#include "buf.h"

#include "crypto.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(struct pv_buf *b, size_t n)
{
	if (b->oom)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *p = malloc(cap); /* not realloc: the old copy is wiped before it is freed */
	if (!p) {
		b->oom = 1;
		return -1;
	}
	if (b->p) {
		memcpy(p, b->p, b->len);
		pv_wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void pv_buf_add(struct pv_buf *b, const void *data, size_t n)
{
	if (reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void pv_buf_str(struct pv_buf *b, const char *s)
{
	pv_buf_add(b, s, strlen(s));
}

void pv_buf_json(struct pv_buf *b, const char *s)
{
	pv_buf_add(b, "\"", 1);
	const char *run = s;
	for (const unsigned char *p = (const unsigned char *)s;; p++) {
		if (*p && *p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		pv_buf_add(b, run, (size_t)((const char *)p - run));
		if (!*p)
			break;
		char esc[8];
		switch (*p) {
		case '"': pv_buf_add(b, "\\\"", 2); break;
		case '\\': pv_buf_add(b, "\\\\", 2); break;
		case '\n': pv_buf_add(b, "\\n", 2); break;
		case '\r': pv_buf_add(b, "\\r", 2); break;
		case '\t': pv_buf_add(b, "\\t", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			pv_buf_add(b, esc, 6);
		}
		run = (const char *)p + 1;
	}
	pv_buf_add(b, "\"", 1);
}

void pv_buf_csv(struct pv_buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		pv_buf_str(b, s);
		return;
	}
	pv_buf_add(b, "\"", 1);
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		pv_buf_add(b, s, (size_t)(q - s) + 1);
		pv_buf_add(b, "\"", 1);
	}
	pv_buf_str(b, s);
	pv_buf_add(b, "\"", 1);
}

void pv_buf_clear(struct pv_buf *b)
{
	if (b->p)
		pv_wipe(b->p, b->len);
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void pv_buf_free(struct pv_buf *b)
{
	if (b->p) {
		pv_wipe(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof *b);
}

void pv_json_wipe_strings(json_t *doc)
{
	const char *key;
	json_t *item;
	size_t i;
	if (json_is_string(doc)) {
		pv_wipe((char *)json_string_value(doc), json_string_length(doc));
	} else if (json_is_object(doc)) {
		json_object_foreach(doc, key, item)
			pv_json_wipe_strings(item);
	} else if (json_is_array(doc)) {
		json_array_foreach(doc, i, item)
			pv_json_wipe_strings(item);
	}
}
