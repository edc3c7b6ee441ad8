/* SPDX-License-Identifier: Apache-2.0 */
/* location.c: where a store lives, as one string: an SQLite file's path, or a PostgreSQL
 * URI, postgresql://[user@]host[:port][,host2...]/database[?param=value&...], whose
 * parameter schema=NAME (pivault's own, never passed to libpq) names the PostgreSQL schema
 * the vault is kept in. A location never holds a password: libpq reads it from PGPASSWORD
 * or PGPASSFILE, so that no command line and no vault directory carries one. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const remote_schemes[] = { "postgresql://", "postgres://" };

int pv_store_location_is_postgresql(const char *location)
{
	for (size_t i = 0; i < sizeof remote_schemes / sizeof *remote_schemes; i++)
		if (strncmp(location, remote_schemes[i], strlen(remote_schemes[i])) == 0)
			return 1;
	return 0;
}

/* The query's parameter at p (after '?' or '&'): 1 when it is named name. */
static int param_named(const char *p, const char *name)
{
	size_t n = strlen(name);
	return strncmp(p, name, n) == 0 && p[n] == '=';
}

int pv_store_location_check(const char *location, char *err, size_t errlen)
{
	if (!pv_store_location_is_postgresql(location)) {
		snprintf(err, errlen, "a store is a postgresql:// URI (without it: the vault "
			 "directory's own SQLite file)");
		return -1;
	}
	const char *authority = strstr(location, "://") + 3;
	size_t len = strcspn(authority, "/?");
	const char *at = memchr(authority, '@', len);
	if (at && memchr(authority, ':', (size_t)(at - authority))) {
		snprintf(err, errlen, "the store's URI holds a password: give it in PGPASSFILE or "
			 "PGPASSWORD instead, never on a command line or in a vault's directory");
		return -1;
	}
	for (const char *q = strchr(location, '?'); q; q = strchr(q + 1, '&'))
		if (param_named(q + 1, "password")) {
			snprintf(err, errlen, "the store's URI holds a password parameter: give the "
				 "password in PGPASSFILE or PGPASSWORD instead");
			return -1;
		}
	return 0;
}

/* The location without its schema parameter (malloc'd); the schema's value, when one is
 * there, into schema (truncated to cap). */
static char *split_schema(const char *location, char *schema, size_t cap)
{
	size_t n = strlen(location);
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	const char *q = strchr(location, '?');
	size_t head = q ? (size_t)(q - location) : n;
	memcpy(out, location, head);
	size_t o = head;
	if (schema && cap)
		schema[0] = '\0';
	while (q) {
		const char *param = q + 1;
		const char *next = strchr(param, '&');
		size_t plen = next ? (size_t)(next - param) : strlen(param);
		if (param_named(param, "schema")) {
			if (schema && cap)
				snprintf(schema, cap, "%.*s", (int)(plen - 7), param + 7);
		} else if (plen) {
			char sep = o == head ? '?' : '&';
			out[o++] = sep;
			memcpy(out + o, param, plen);
			o += plen;
		}
		q = next;
	}
	out[o] = '\0';
	return out;
}

char *pv_store_location_conninfo(const char *location, char *schema, size_t cap)
{
	return split_schema(location, schema, cap);
}

char *pv_store_location_with_schema(const char *location, const char *schema)
{
	char *base = split_schema(location, NULL, 0);
	if (!base)
		return NULL;
	size_t n = strlen(base) + strlen(schema) + 16;
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "%s%cschema=%s", base, strchr(base, '?') ? '&' : '?', schema);
	free(base);
	return out;
}
