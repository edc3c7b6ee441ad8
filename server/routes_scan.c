/* SPDX-License-Identifier: Apache-2.0 */
/* routes_scan.c: personal information where it is not declared, the API twin of `pivault
 * scan`: an uploaded CSV body (read from memory, never written anywhere) against the
 * vault's schema, and the vault's own plain-text fields, each with ?min_confidence=N as
 * the command's --min-confidence, and the upload with ?name= (what its messages call the
 * file). The reply names columns and counts rows; it never holds a value. */
#define _GNU_SOURCE /* fmemopen */
#include "route.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One column as JSON, appended to the list ctx. */
static int column_json(void *ctx, const pv_scan_column *c)
{
	json_t *with = json_object();
	for (int k = 0; k < PV_PII_TYPES; k++)
		if (c->with[k])
			json_object_set_new(with, pv_pii_type_name((pv_pii_type)k),
					    json_integer((json_int_t)c->with[k]));
	return json_array_append_new(ctx, json_pack("{s:s,s:s?,s:I,s:o,s:s}", "name", c->name,
						    "declared", c->declared, "rows",
						    (json_int_t)c->rows, "with", with,
						    "suggestion", c->suggestion)) != 0;
}

static void scanned(struct pvs_call *c, pv_rc rc, json_t *columns, const char *counted,
		    uint64_t n)
{
	if (rc) {
		json_decref(columns);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:I,s:o}", counted, (json_int_t)n, "columns",
					 columns));
}

/* ?min_confidence=N (1 to 100; absent: the library's default) into o; 0, or -1 after a
 * 400. */
static int scan_opts(struct pvs_call *c, pv_scan_opts *o)
{
	const char *text = pvs_arg(c, "min_confidence");
	char *end = NULL;
	long n = text ? strtol(text, &end, 10) : 0;
	if (text && (*end || end == text || n < 1 || n > 100)) {
		pvs_error(c->out, 400, "bad_request", "min_confidence: a number from 1 to 100");
		return -1;
	}
	*o = (pv_scan_opts){ NULL, (int)n };
	return 0;
}

/* ?name=: what the caller calls the file in the messages of a malformed one (the client
 * sends the path its user gave; absent: "the request's body"): printable UTF-8 of at most
 * 255 bytes. The name, or NULL after a 400. */
static const char *body_name(struct pvs_call *c)
{
	const char *name = pvs_arg(c, "name");
	if (!name)
		return "the request's body";
	size_t n = strlen(name);
	int printable = n > 0 && n <= 255;
	for (size_t i = 0; printable && i < n; i++)
		printable = (unsigned char)name[i] >= 0x20 && name[i] != 0x7f;
	json_t *utf8 = printable ? json_string(name) : NULL; /* NULL: not UTF-8 */
	json_decref(utf8);
	if (!utf8)
		pvs_error(c->out, 400, "bad_request", "name: printable text of at most 255 bytes");
	return utf8 ? name : NULL;
}

/* The body is the CSV file: {"rows", "columns": [...]}. */
static void scan_csv(struct pvs_call *c)
{
	pv_scan_opts o;
	const char *name = body_name(c);
	if (!name)
		return;
	if (c->q->len == 0) {
		pvs_error(c->out, 400, "bad_request", "the body is the CSV file to scan");
		return;
	}
	if (scan_opts(c, &o))
		return;
	FILE *in = fmemopen((void *)c->q->body, c->q->len, "rb");
	if (!in) {
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
		return;
	}
	pv_access who = pvs_role_of(c);
	json_t *columns = json_array();
	uint64_t rows = 0;
	pv_rc rc = pv_scan_csv_stream(c->v, &who, in, name, &o, column_json, columns,
				      &rows);
	fclose(in);
	scanned(c, rc, columns, "rows", rows);
}

/* {"customers", "columns": [...]}. */
static void scan_vault(struct pvs_call *c)
{
	pv_scan_opts o;
	if (scan_opts(c, &o))
		return;
	pv_access who = pvs_reader_of(c);
	json_t *columns = json_array();
	uint64_t customers = 0;
	pv_rc rc = pv_scan_vault(c->v, &who, &o, column_json, columns, &customers);
	scanned(c, rc, columns, "customers", customers);
}

static const struct pvs_route routes[] = {
	{ "POST", "/v1/scan", PVS_SESSION, scan_csv, 0 },
	{ "GET", "/v1/scan/vault", PVS_SESSION, scan_vault, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_scan, routes);
