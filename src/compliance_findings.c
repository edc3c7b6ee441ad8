/* SPDX-License-Identifier: Apache-2.0 */
/* compliance_findings.c: the compliance report's findings, read off the facts its parts
 * gathered: each with a stable id, a severity (info, low, medium, high), the article of
 * the PIPL it relates to, and what was found in counts and ids, never a value. High ones
 * first. Every rule that judges a fact is here, in one list an auditor can read. */
#include "compliance_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STALE_CHECKPOINT_DAYS 7
#define STALE_BACKUP_DAYS 7
#define ROTATION_DAYS 365

enum sev { INFO, LOW, MEDIUM, HIGH };
static const char *const sev_name[] = { "info", "low", "medium", "high" };

static void add(json_t *list, enum sev s, const char *article, const char *id,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add(json_t *list, enum sev s, const char *article, const char *id,
		const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "id", id, "severity",
					      sev_name[s], "article", article, "what", what));
}

static json_int_t num(const json_t *doc, const char *section, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(doc, section), key));
}

static const char *text(const json_t *doc, const char *section, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(doc, section), key));
	return s ? s : "";
}

/* The strings of array a joined by ", " into out (cut short with "..."). */
static const char *joined(const json_t *a, char *out, size_t cap)
{
	size_t i, used = 0;
	json_t *x;
	out[0] = '\0';
	json_array_foreach(a, i, x) {
		const char *s = json_string_value(x);
		int n = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", s ? s : "?");
		if (n < 0 || (size_t)n >= cap - used) {
			snprintf(out + (cap > 4 ? cap - 4 : 0), 4, "...");
			break;
		}
		used += (size_t)n;
	}
	return out;
}

/* ---- Data ---- */

static void data_findings(const json_t *doc, json_t *f)
{
	char ids[600];
	json_int_t customers = num(doc, "encryption", "customers"),
		   failed = num(doc, "encryption", "failed");
	if (failed)
		add(f, HIGH, "art. 51", "encryption", "%lld of %lld customers' stored data does not "
		    "open under its key (a data key or sealed group fails authentication): %s",
		    (long long)failed, (long long)customers,
		    joined(json_object_get(json_object_get(doc, "encryption"), "failed_ids"), ids,
			   sizeof ids));
	else
		add(f, INFO, "art. 51", "encryption", "every stored value checked: %lld customers, "
		    "%lld sealed groups, %lld values, each authenticated under its own data key",
		    (long long)customers, (long long)num(doc, "encryption", "sealed_groups"),
		    (long long)num(doc, "encryption", "values"));
	json_int_t confidential = 0;
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(json_object_get(doc, "inventory"), "by_category"), i, x)
		if (strcmp(json_string_value(json_object_get(x, "sensitivity")), "confidential") == 0)
			confidential += json_integer_value(json_object_get(x, "values"));
	add(f, INFO, "art. 51", "inventory", "%lld customers, %lld values in %zu fields, "
	    "classified by category and sensitivity", (long long)customers,
	    (long long)num(doc, "encryption", "values"),
	    json_array_size(json_object_get(json_object_get(doc, "inventory"), "fields")));
	if (confidential)
		add(f, INFO, "art. 28", "sensitive-data", "%lld values are in fields declared "
		    "confidential (sensitive personal information)", (long long)confidential);
	json_t *fields = json_object_get(doc, "fields");
	if (json_array_size(json_object_get(fields, "without_retention")))
		add(f, MEDIUM, "art. 19", "fields-without-retention", "fields without a retention "
		    "rule that can end them: %s", joined(json_object_get(fields,
		    "without_retention"), ids, sizeof ids));
	if (json_array_size(json_object_get(fields, "without_purpose")))
		add(f, MEDIUM, "art. 6", "fields-without-purpose", "fields without a declared "
		    "purpose: %s", joined(json_object_get(fields, "without_purpose"), ids,
					   sizeof ids));
}

/* ---- Retention and consent ---- */

static void retention_findings(const json_t *doc, json_t *f)
{
	char ids[600];
	const json_t *rt = json_object_get(doc, "retention");
	json_int_t past = num(doc, "retention", "past_due_customers"),
		   held = num(doc, "retention", "held_past_due");
	if (past)
		add(f, HIGH, "art. 19, 47", "past-retention", "%lld customers hold values past "
		    "their retention date and under no legal hold (%lld values past due in all): "
		    "%s", (long long)past, (long long)num(doc, "retention", "past_due_values"),
		    joined(json_object_get(rt, "past_due_ids"), ids, sizeof ids));
	if (held)
		add(f, INFO, "art. 19", "held-past-retention", "%lld customers past their "
		    "retention date are kept under a legal hold: %s", (long long)held,
		    joined(json_object_get(rt, "held_ids"), ids, sizeof ids));
	/* Values whose due date cannot be computed (a rule applies, but none of its from date
	 * fields holds a date): the count comes from pv_retention_value_due (retention_due.c),
	 * the computation the retention plan's "undetermined" list and
	 * pv_retention_undetermined_count use. */
	json_int_t undetermined = num(doc, "retention", "undetermined_values");
	if (undetermined)
		add(f, MEDIUM, "art. 19, 47", "retention-undetermined", "%lld values have no "
		    "computable retention due date (every date field their rule counts from is "
		    "empty; listed by retention plan): kept with no end", (long long)undetermined);
	json_int_t in_force = num(doc, "holds", "in_force");
	if (in_force)
		add(f, INFO, "art. 19", "holds", "%lld legal holds in force", (long long)in_force);
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(doc, "consents"), i, c)
		if (json_is_true(json_object_get(c, "consent_required")))
			add(f, INFO, "art. 14, 15", "consent", "purpose %s: consent in force for %lld "
			    "customers, withdrawn or refused by %lld",
			    json_string_value(json_object_get(c, "purpose")),
			    (long long)json_integer_value(json_object_get(c, "granted")),
			    (long long)json_integer_value(json_object_get(c, "withdrawn")));
}

/* ---- Requests, reads, approvals ---- */

static void request_findings(const json_t *doc, json_t *f)
{
	json_int_t overdue = num(doc, "dsr", "overdue"), late = num(doc, "dsr", "closed_late"),
		   open = num(doc, "dsr", "open");
	if (overdue)
		add(f, HIGH, "art. 50", "dsr-overdue", "%lld data-subject requests are past their "
		    "deadline and still open", (long long)overdue);
	if (late)
		add(f, MEDIUM, "art. 50", "dsr-late", "%lld data-subject requests were closed after "
		    "their deadline", (long long)late);
	add(f, INFO, "art. 44-50", "dsr", "%lld data-subject requests recorded, %lld open within "
	    "their deadline", (long long)num(doc, "dsr", "total"), (long long)open);
	char kinds[300] = "";
	const char *k;
	json_t *n;
	json_object_foreach(json_object_get(json_object_get(doc, "alerts"), "by_kind"), k, n) {
		size_t used = strlen(kinds);
		snprintf(kinds + used, sizeof kinds - used, "%s%lld %s", used ? ", " : "",
			 (long long)json_integer_value(n), k);
	}
	if (num(doc, "alerts", "count"))
		add(f, MEDIUM, "art. 51", "bulk-reads", "%lld bulk reads in the audit log (%s)",
		    (long long)num(doc, "alerts", "count"), kinds);
	if (num(doc, "approvals", "pending"))
		add(f, INFO, "art. 51", "approvals-pending", "%lld four-eyes requests wait for a "
		    "decision", (long long)num(doc, "approvals", "pending"));
	add(f, INFO, "art. 51", "approvals", "%lld four-eyes requests: %lld approved, %lld used, "
	    "%lld rejected, %lld expired", (long long)num(doc, "approvals", "total"),
	    (long long)num(doc, "approvals", "approved"), (long long)num(doc, "approvals", "used"),
	    (long long)num(doc, "approvals", "rejected"),
	    (long long)num(doc, "approvals", "expired"));
}

/* ---- Incidents, transfers, certificates ---- */

static void incident_findings(const json_t *doc, json_t *f)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(json_object_get(doc, "incidents"), "items"), i, it) {
		const char *state = json_string_value(json_object_get(it, "state"));
		enum sev s = strcmp(state, "open") == 0 ? HIGH : strcmp(state, "contained") == 0
			     ? MEDIUM : strcmp(state, "notified") == 0 ? LOW : INFO;
		add(f, s, "art. 57", "incident", "incident %s (%s, detected %s) is %s; %lld "
		    "customers in its scope", json_string_value(json_object_get(it, "id")),
		    json_string_value(json_object_get(it, "kind")),
		    json_string_value(json_object_get(it, "detected_at")), state,
		    (long long)json_integer_value(json_object_get(it, "customers")));
	}
	if (!num(doc, "incidents", "total"))
		add(f, INFO, "art. 57", "incident", "no incident recorded");
	if (num(doc, "transfers", "total"))
		add(f, INFO, "art. 22", "transfers", "%lld transfers to a new holder recorded",
		    (long long)num(doc, "transfers", "total"));
	if (num(doc, "transfers", "cross_border"))
		add(f, INFO, "art. 38, 39", "cross-border", "%lld transfers go outside mainland "
		    "China", (long long)num(doc, "transfers", "cross_border"));
	add(f, INFO, "art. 47", "certificates", "%lld destruction certificates kept, naming %lld "
	    "customers (last: %s)", (long long)num(doc, "certificates", "count"),
	    (long long)num(doc, "certificates", "customers"), text(doc, "certificates", "last"));
}

/* ---- Audit log, keys, backup ---- */

static void audit_findings(const json_t *doc, json_t *f)
{
	const json_t *a = json_object_get(doc, "audit");
	if (!json_is_true(json_object_get(a, "verified")))
		add(f, HIGH, "art. 54", "audit-chain", "the audit log does not verify: %s",
		    text(doc, "audit", "result"));
	else
		add(f, INFO, "art. 54", "audit-chain", "the audit log's %lld entries verify (chain, "
		    "Merkle tree, stored checkpoints)", (long long)num(doc, "audit", "entries"));
	json_t *age = json_object_get(a, "checkpoint_age_days");
	if (json_is_null(age))
		add(f, MEDIUM, "art. 54", "checkpoint", "no audit checkpoint was ever exported: not "
		    "recorded");
	else if (json_integer_value(age) > STALE_CHECKPOINT_DAYS)
		add(f, LOW, "art. 54", "checkpoint", "the last exported audit checkpoint is %lld "
		    "days old (%s)", (long long)json_integer_value(age),
		    text(doc, "audit", "last_checkpoint_exported"));
}

static void key_finding(const json_t *doc, json_t *f, const char *last, const char *agekey,
			const char *kind)
{
	json_int_t days = num(doc, "keys", agekey);
	if (days <= ROTATION_DAYS)
		return;
	if (strcmp(text(doc, "keys", last), "not recorded") == 0)
		add(f, MEDIUM, "art. 51", "key-rotation", "the %s were never rotated (%lld days "
		    "old)", kind, (long long)days);
	else
		add(f, LOW, "art. 51", "key-rotation", "the %s were last rotated %lld days ago",
		    kind, (long long)days);
}

static void keeping_findings(const json_t *doc, json_t *f)
{
	key_finding(doc, f, "last_bucket_rotation", "bucket_key_age_days", "bucket keys");
	key_finding(doc, f, "last_root_rotation", "root_key_age_days", "root secret and master "
		    "key");
	const char *ver = text(doc, "backup", "verification");
	if (strcmp(text(doc, "backup", "last"), "not recorded") == 0)
		add(f, MEDIUM, "art. 51", "backup", "no backup of this vault: not recorded");
	else if (strcmp(ver, "fails") == 0)
		add(f, HIGH, "art. 51", "backup", "the last backup (%s) does not verify: %s",
		    text(doc, "backup", "last"), text(doc, "backup", "reason"));
	else if (strcmp(ver, "missing") == 0)
		add(f, LOW, "art. 51", "backup", "the last backup (%s) is no longer where it was "
		    "written, so it was not verified", text(doc, "backup", "last"));
	else if (num(doc, "backup", "age_days") > STALE_BACKUP_DAYS)
		add(f, MEDIUM, "art. 51", "backup", "the last backup is %lld days old",
		    (long long)num(doc, "backup", "age_days"));
	else
		add(f, INFO, "art. 51", "backup", "the last backup (%s) verifies",
		    text(doc, "backup", "last"));
	char names[600];
	const json_t *staff = json_object_get(doc, "staff");
	if (json_array_size(json_object_get(staff, "without_agreement")))
		add(f, MEDIUM, "art. 51", "staff-agreement", "active users without a confidentiality "
		    "agreement on record: %s", joined(json_object_get(staff, "without_agreement"),
						      names, sizeof names));
	if (json_array_size(json_object_get(staff, "without_training")))
		add(f, MEDIUM, "art. 51", "staff-training", "active users without current privacy "
		    "training: %s", joined(json_object_get(staff, "without_training"), names,
					   sizeof names));
}

/* The findings, high ones first (in the order found within a severity). */
static json_t *by_severity(json_t *found)
{
	json_t *out = json_array();
	for (int s = HIGH; s >= INFO; s--) {
		size_t i;
		json_t *x;
		json_array_foreach(found, i, x)
			if (strcmp(json_string_value(json_object_get(x, "severity")), sev_name[s]) == 0)
				json_array_append(out, x);
	}
	return out;
}

pv_rc pv_report_findings(struct pv_report *r)
{
	json_t *found = json_array();
	if (!found)
		return pv_fail(r->v, PV_ERR_NOMEM, "out of memory");
	data_findings(r->doc, found);
	retention_findings(r->doc, found);
	request_findings(r->doc, found);
	incident_findings(r->doc, found);
	audit_findings(r->doc, found);
	keeping_findings(r->doc, found);
	json_t *sorted = by_severity(found);
	json_decref(found);
	if (!sorted || json_object_set_new(r->doc, "findings", sorted))
		return pv_fail(r->v, PV_ERR_NOMEM, "out of memory");
	return PV_OK;
}
