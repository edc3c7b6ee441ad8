/* SPDX-License-Identifier: Apache-2.0 */
/* buf.h: a growable byte buffer for building text (JSON lines, CSV rows, checklists)
 * that may hold personal data: it is wiped when it grows and when it is freed. */
#ifndef PV_BUF_H
#define PV_BUF_H

#include <stddef.h>

struct pv_buf {
	char *p;
	size_t len, cap;
	int oom; /* set once an append failed; later appends do nothing */
};

void pv_buf_add(struct pv_buf *b, const void *data, size_t n);
void pv_buf_str(struct pv_buf *b, const char *s);
/* s as a JSON string, quotes included. */
void pv_buf_json(struct pv_buf *b, const char *s);
/* s as one RFC 4180 CSV field (quoted when it holds a comma, quote, CR or LF). */
void pv_buf_csv(struct pv_buf *b, const char *s);
/* Forget the contents (wiped), keep the memory. */
void pv_buf_clear(struct pv_buf *b);
/* Wipe and free. */
void pv_buf_free(struct pv_buf *b);

/* Wipe every string value held in a JSON document (objects and arrays walked), before
 * json_decref frees them: jansson frees its copies without wiping. */
struct json_t;
void pv_json_wipe_strings(struct json_t *doc);

#endif
