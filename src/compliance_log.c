/* SPDX-License-Identifier: Apache-2.0 */
/* compliance_log.c: the compliance report's facts read from the audit log: customers read
 * per user and declared purpose, and per day over the last thirty days; the bulk reads the
 * log shows (audit_alerts.c); whether the chain and its checkpoints verify, and the last
 * checkpoint exported and stored; when the keys were made and last rotated; the last
 * backup and whether it still verifies where it was written. What the log does not hold
 * is said to be "not recorded". */
#include "compliance_report.h"

#include "audit.h"
#include "audit_alerts.h"
#include "dates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DAYS 30
#define AT_MAX 32
#define NOT_RECORDED "not recorded"

struct log_facts {
	struct pv_report *r;
	uint64_t entries;
	char first_at[AT_MAX], checkpoint_at[AT_MAX], backup_at[AT_MAX];
	char rekey_at[AT_MAX], root_at[AT_MAX];
	char backup_path[512];
	json_t *readers; /* "user\npurpose" -> {user, purpose, entries, customers, all} */
	uint64_t per_day[DAYS];
};

static long day_of(const char *at)
{
	int y, m, d;
	return pv_date_parse(at, &y, &m, &d) == 0 ? pv_days_from_civil(y, m, d) : -1;
}

static void copy_at(char out[AT_MAX], const char *at)
{
	snprintf(out, AT_MAX, "%s", at);
}

/* Customers an entry names ("*": all of them, counted apart). */
static uint64_t ids_named(const char *ids)
{
	if (!*ids || strcmp(ids, "*") == 0)
		return 0;
	uint64_t n = 1;
	for (const char *p = ids; *p; p++)
		n += *p == ',';
	return n;
}

static int is_read(const struct pv_audit_row *e)
{
	static const char *const ops[] = { "read", "find", "list", "export" };
	if (strcmp(e->outcome, "ok") != 0)
		return 0;
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		if (strcmp(e->op, ops[i]) == 0)
			return 1;
	return 0;
}

static void count_read(struct log_facts *f, const struct pv_audit_row *e)
{
	const char *purpose = *e->purpose ? e->purpose : "(none declared)";
	char key[256];
	snprintf(key, sizeof key, "%s\n%s", e->user, purpose);
	json_t *o = json_object_get(f->readers, key);
	if (!o) {
		o = json_pack("{s:s, s:s, s:i, s:i, s:i}", "user", e->user, "purpose", purpose,
			      "entries", 0, "customers", 0, "all_customers", 0);
		json_object_set_new(f->readers, key, o);
	}
	uint64_t n = ids_named(e->ids);
	json_int_t all = strcmp(e->ids, "*") == 0;
	json_object_set_new(o, "entries",
			    json_integer(json_integer_value(json_object_get(o, "entries")) + 1));
	json_object_set_new(o, "customers", json_integer(
		json_integer_value(json_object_get(o, "customers")) + (json_int_t)n));
	json_object_set_new(o, "all_customers", json_integer(
		json_integer_value(json_object_get(o, "all_customers")) + all));
	long k = f->r->today - day_of(e->at);
	if (k >= 0 && k < DAYS)
		f->per_day[DAYS - 1 - k] += n;
}

static int log_entry(void *ctx, const struct pv_audit_row *e)
{
	struct log_facts *f = ctx;
	if (!f->entries++)
		copy_at(f->first_at, e->at);
	if (is_read(e))
		count_read(f, e);
	if (strcmp(e->outcome, "ok") != 0)
		return 0;
	if (strcmp(e->op, "audit checkpoint") == 0)
		copy_at(f->checkpoint_at, e->at);
	else if (strcmp(e->op, "backup create") == 0) {
		copy_at(f->backup_at, e->at);
		snprintf(f->backup_path, sizeof f->backup_path, "%s", e->detail);
	} else if (strcmp(e->op, "rekey") == 0)
		copy_at(f->rekey_at, e->at);
	else if (strcmp(e->op, "rekey root") == 0)
		copy_at(f->root_at, e->at);
	return 0;
}

/* ---- Sections ---- */

static json_t *reads(struct log_facts *f)
{
	json_t *users = json_array(), *days = json_array();
	const char *key;
	json_t *o;
	json_object_foreach(f->readers, key, o)
		json_array_append(users, o);
	for (int k = 0; k < DAYS; k++) {
		char day[11];
		int y, m, d;
		pv_civil_from_days(f->r->today - (DAYS - 1 - k), &y, &m, &d);
		snprintf(day, sizeof day, "%04d-%02d-%02d", y, m, d);
		json_array_append_new(days, json_pack("{s:s, s:I}", "day", day, "customers",
						      (json_int_t)f->per_day[k]));
	}
	return json_pack("{s:o, s:o}", "by_user_purpose", users, "by_day", days);
}

static int alert_one(void *ctx, const pv_audit_alert *a)
{
	json_t *o = ctx;
	json_t *kinds = json_object_get(o, "by_kind");
	json_object_set_new(kinds, a->kind, json_integer(
		json_integer_value(json_object_get(kinds, a->kind)) + 1));
	json_object_set_new(o, "count",
			    json_integer(json_integer_value(json_object_get(o, "count")) + 1));
	json_t *items = json_object_get(o, "items");
	if (json_array_size(items) < PV_REPORT_IDS_MAX)
		json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:s}", "seq",
			(json_int_t)a->seq, "at", a->at, "user", a->user, "kind", a->kind));
	return 0;
}

/* A time as the log wrote it, or "not recorded". */
static json_t *at_or_none(const char *at)
{
	return json_string(*at ? at : NOT_RECORDED);
}

/* Whole days from at to the report's day, or null when at is not recorded. */
static json_t *age(const struct log_facts *f, const char *at)
{
	long day = *at ? day_of(at) : -1;
	return day < 0 ? json_null() : json_integer(f->r->today - day);
}

static pv_rc audit_state(struct log_facts *f, json_t **out)
{
	pv_vault *v = f->r->v;
	char *report = NULL;
	pv_rc rc = pv_audit_verify_quiet(v, NULL, &report);
	if (rc && rc != PV_ERR_CORRUPT) {
		free(report);
		return rc;
	}
	struct pv_audit_checkpoint c;
	int st = pv_store_audit_checkpoint_last(v->store, UINT64_MAX, &c);
	*out = json_pack("{s:I, s:b, s:s, s:o, s:o, s:o, s:o}", "entries",
			 (json_int_t)f->entries, "verified", rc == PV_OK, "result",
			 report ? report : "", "last_checkpoint_exported",
			 at_or_none(f->checkpoint_at), "checkpoint_age_days",
			 age(f, f->checkpoint_at), "last_checkpoint_stored",
			 st == 0 ? json_string(c.at) : json_string(NOT_RECORDED),
			 "checkpoint_size", st == 0 ? json_integer((json_int_t)c.size)
						    : json_null());
	free(report);
	return *out ? PV_OK : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}

static json_t *keys(const struct log_facts *f)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "vault_created",
			 at_or_none(f->first_at), "vault_age_days", age(f, f->first_at),
			 "last_bucket_rotation", at_or_none(f->rekey_at), "bucket_key_age_days",
			 age(f, *f->rekey_at ? f->rekey_at : f->first_at), "last_root_rotation",
			 at_or_none(f->root_at), "root_key_age_days",
			 age(f, *f->root_at ? f->root_at : f->first_at));
}

/* The last backup, and whether it verifies where the log says it was written. */
static json_t *backup(const struct log_facts *f)
{
	const char *verified = NOT_RECORDED, *why = "";
	struct stat st;
	char hex[65];
	if (*f->backup_at && stat(f->backup_path, &st) != 0)
		verified = "missing";
	else if (*f->backup_at && pv_vault_public_key(f->r->v, hex) == PV_OK) {
		int good = pv_backup_verify(f->backup_path, hex, NULL) == PV_OK;
		verified = good ? "verified" : "fails";
		why = good ? "" : pv_errmsg(NULL);
	}
	return json_pack("{s:o, s:o, s:s, s:s, s:s}", "last", at_or_none(f->backup_at),
			 "age_days", age(f, f->backup_at), "file",
			 *f->backup_at ? f->backup_path : NOT_RECORDED, "verification", verified,
			 "reason", why);
}

pv_rc pv_report_log(struct pv_report *r)
{
	struct log_facts f = { .r = r, .readers = json_object() };
	json_t *alerts = json_pack("{s:i, s:{}, s:[]}", "count", 0, "by_kind", "items");
	json_t *audit = NULL;
	pv_rc rc = f.readers && alerts ? PV_OK : pv_fail(r->v, PV_ERR_NOMEM, "out of memory");
	if (!rc && pv_store_audit_scan(r->v->store, 1, log_entry, &f) < 0)
		rc = pv_fail(r->v, PV_ERR_STORE, "audit log: %s", pv_store_errmsg(r->v->store));
	if (!rc)
		rc = pv_audit_alerts_each(r->v, alert_one, alerts);
	if (!rc)
		rc = audit_state(&f, &audit);
	if (!rc) {
		json_object_set_new(r->doc, "reads", reads(&f));
		json_object_set_new(r->doc, "alerts", json_incref(alerts));
		json_object_set_new(r->doc, "audit", audit);
		json_object_set_new(r->doc, "keys", keys(&f));
		json_object_set_new(r->doc, "backup", backup(&f));
	}
	json_decref(alerts);
	json_decref(f.readers);
	return rc;
}
