/* SPDX-License-Identifier: Apache-2.0 */
/* routes_customers.c: reading customers: one by id, and finding through the blind index
 * (the records, or only their ids for a role that may find but not read). */
#include "route.h"

#include <jansson.h>
#include <string.h>

static void get_customer(struct pvs_call *c)
{
	pv_access who = pvs_reader_of(c);
	pv_record *r = NULL;
	pv_rc rc = pv_get(c->v, &who, c->param, &r);
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		pvs_json(c->out, 200, pvs_record_json(r));
	pv_record_free(r);
}

/* The one query argument that names a field (not role, purpose or clear). */
struct field_arg {
	const char *name, *value;
	int count;
};

static void pick_field(void *ctx, const char *k, const char *v)
{
	struct field_arg *f = ctx;
	if (strcmp(k, "role") == 0 || strcmp(k, "purpose") == 0 || strcmp(k, "clear") == 0)
		return;
	f->count++;
	f->name = k;
	f->value = v ? v : "";
}

static int found_record(void *ctx, const pv_record *r)
{
	return json_array_append_new(ctx, pvs_record_json(r)) != 0;
}

static int found_id(void *ctx, const char *id)
{
	return json_array_append_new(ctx, json_string(id)) != 0;
}

/* Find through the blind index, as `pivault find --FIELD VALUE`: the records, or only
 * their ids for a role that may find but not read. */
static void find_customers(struct pvs_call *c)
{
	struct field_arg f = { NULL, NULL, 0 };
	c->q->each_arg(c->q->conn, pick_field, &f);
	if (f.count != 1) {
		pvs_error(c->out, 400, "bad_request", "give exactly one indexed field to find by "
			  "(for example ?phone=...)");
		return;
	}
	pv_access who = pvs_reader_of(c);
	json_t *list = json_array();
	pv_rc rc = pv_find_records(c->v, &who, f.name, f.value, found_record, list);
	const char *key = "customers";
	if (rc == PV_ERR_FIND_ONLY) {
		json_array_clear(list);
		rc = pv_find(c->v, &who, f.name, f.value, found_id, list);
		key = "ids";
	}
	if (rc) {
		json_decref(list);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o}", key, list));
}

static const struct pvs_route routes[] = {
	{ "GET", "/v1/customers", PVS_SESSION, find_customers, 1 },
	{ "GET", "/v1/customers/{id}", PVS_SESSION, get_customer, 1 },
};
PVS_ROUTE_TABLE(pvs_routes_customers, routes);
