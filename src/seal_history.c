/* SPDX-License-Identifier: Apache-2.0 */
/* seal_history.c: when each incident's seal was set and lifted, and by whom (see
 * seal_history.h), in the protected setting "incident_seal_history": one tab-separated
 * line per incident ever sealed, rewritten whole at each seal and release. */
#include "seal_history.h"
#include "authz_mac.h"
#include "dates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETTING "incident_seal_history"

/* The setting's text (malloc'd, NUL-terminated; "" when absent) or NULL (store message). */
static char *history_text(pv_vault *v)
{
	uint8_t *val = NULL;
	size_t len = 0;
	int got = pv_authz_meta_get(v, SETTING, &val, &len);
	if (got < 0)
		return NULL;
	char *text = malloc(got == 0 ? len + 1 : 1);
	if (!text) {
		free(val);
		pv_store_note_failure(v->store, "out of memory");
		return NULL;
	}
	if (got == 0)
		memcpy(text, val, len);
	text[got == 0 ? len : 0] = '\0';
	free(val);
	return text;
}

/* The line of incident id in text, or NULL; *len its length without the newline. */
static const char *line_of(const char *text, const char *id, size_t *len)
{
	size_t idlen = strlen(id);
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (n > idlen && strncmp(p, id, idlen) == 0 && p[idlen] == '\t') {
			*len = n;
			return p;
		}
		p += n + (p[n] == '\n');
	}
	return NULL;
}

/* Field i (0: the id) of a line into out ("" for "-"). */
static void field(const char *line, size_t len, int i, char *out, size_t n)
{
	const char *p = line, *end = line + len;
	for (; i > 0 && p < end; i--) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		p = tab ? tab + 1 : end;
	}
	size_t k = strcspn(p, "\t\n");
	if (p + k > end)
		k = (size_t)(end - p);
	if (k == 1 && *p == '-')
		k = 0;
	snprintf(out, n, "%.*s", (int)k, p);
}

static void parse(const char *line, size_t len, struct pv_seal_history *h)
{
	field(line, len, 1, h->sealed_at, sizeof h->sealed_at);
	field(line, len, 2, h->sealed_by, sizeof h->sealed_by);
	field(line, len, 3, h->released_at, sizeof h->released_at);
	field(line, len, 4, h->released_by, sizeof h->released_by);
	field(line, len, 5, h->approved_by, sizeof h->approved_by);
}

int pv_seal_history_get(pv_vault *v, const char *id, struct pv_seal_history *h)
{
	memset(h, 0, sizeof *h);
	char *text = history_text(v);
	if (!text)
		return -1;
	size_t len = 0;
	const char *line = line_of(text, id, &len);
	if (line)
		parse(line, len, h);
	free(text);
	return line ? 0 : 1;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* The setting with incident id's line replaced by (or added as) h's. */
static int put(pv_vault *v, const char *text, const char *id, const struct pv_seal_history *h)
{
	size_t len = 0, cap = strlen(text) + 512;
	const char *old = line_of(text, id, &len);
	char *out = malloc(cap);
	if (!out)
		return pv_store_note_failure(v->store, "out of memory"), -1;
	size_t at = 0;
	if (old) { /* the lines before and after the old one, kept */
		memcpy(out, text, (size_t)(old - text));
		at = (size_t)(old - text);
		const char *rest = old + len + (old[len] == '\n');
		memcpy(out + at, rest, strlen(rest));
		at += strlen(rest);
	} else {
		memcpy(out, text, strlen(text));
		at = strlen(text);
	}
	at += (size_t)snprintf(out + at, cap - at, "%s\t%s\t%s\t%s\t%s\t%s\n", id,
			       or_dash(h->sealed_at), or_dash(h->sealed_by),
			       or_dash(h->released_at), or_dash(h->released_by),
			       or_dash(h->approved_by));
	int rc = pv_authz_meta_put(v, SETTING, out, at);
	free(out);
	return rc;
}

/* Change incident id's history with change(h, ctx) and store it. */
static int update(pv_vault *v, const char *id,
		  void (*change)(pv_vault *, struct pv_seal_history *, const void *),
		  const void *ctx)
{
	char *text = history_text(v);
	if (!text)
		return -1;
	struct pv_seal_history h;
	memset(&h, 0, sizeof h);
	size_t len = 0;
	const char *line = line_of(text, id, &len);
	if (line)
		parse(line, len, &h);
	change(v, &h, ctx);
	int rc = put(v, text, id, &h);
	free(text);
	return rc;
}

static void on_seal(pv_vault *v, struct pv_seal_history *h, const void *ctx)
{
	if (*(const int *)ctx && h->sealed_at[0])
		return; /* adds to the seal in force: since its first time */
	pv_time_now(h->sealed_at, sizeof h->sealed_at);
	snprintf(h->sealed_by, sizeof h->sealed_by, "%s", v->principal);
}

int pv_seal_history_sealed(pv_vault *v, const char *id, int was_in_force)
{
	return update(v, id, on_seal, &was_in_force);
}

static void on_release(pv_vault *v, struct pv_seal_history *h, const void *ctx)
{
	pv_time_now(h->released_at, sizeof h->released_at);
	snprintf(h->released_by, sizeof h->released_by, "%s", v->principal);
	snprintf(h->approved_by, sizeof h->approved_by, "%s", (const char *)ctx);
}

int pv_seal_history_released(pv_vault *v, const char *id, const char *approver)
{
	return update(v, id, on_release, approver ? approver : "");
}
