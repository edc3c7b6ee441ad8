/* SPDX-License-Identifier: Apache-2.0 */
/* compliance_text.c: the compliance report as a text summary for a terminal: the findings
 * as a table (severity, article, id, what), then the main figures of each part. */
#include "compliance_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long long num(const json_t *doc, const char *section, const char *key)
{
	return (long long)json_integer_value(json_object_get(json_object_get(doc, section), key));
}

static const char *str(const json_t *doc, const char *section, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(doc, section), key));
	return s ? s : "";
}

static void findings(FILE *out, const json_t *doc)
{
	const json_t *list = json_object_get(doc, "findings");
	fprintf(out, "Findings (%zu)\n  %-8s %-12s %-26s %s\n", json_array_size(list), "SEVERITY",
		"ARTICLE", "ID", "WHAT");
	size_t i;
	json_t *f;
	json_array_foreach(list, i, f)
		fprintf(out, "  %-8s %-12s %-26s %s\n",
			json_string_value(json_object_get(f, "severity")),
			json_string_value(json_object_get(f, "article")),
			json_string_value(json_object_get(f, "id")),
			json_string_value(json_object_get(f, "what")));
}

static void inventory(FILE *out, const json_t *doc)
{
	fprintf(out, "\nInventory: %lld customers\n  %-10s %-13s %7s %10s\n",
		num(doc, "inventory", "customers"), "CATEGORY", "SENSITIVITY", "FIELDS", "VALUES");
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(json_object_get(doc, "inventory"), "by_category"), i, x)
		if (json_integer_value(json_object_get(x, "fields")))
			fprintf(out, "  %-10s %-13s %7lld %10lld\n",
				json_string_value(json_object_get(x, "category")),
				json_string_value(json_object_get(x, "sensitivity")),
				(long long)json_integer_value(json_object_get(x, "fields")),
				(long long)json_integer_value(json_object_get(x, "values")));
}

static void reads(FILE *out, const json_t *doc)
{
	fprintf(out, "\nReads per user and purpose\n  %-20s %-16s %8s %10s\n", "USER", "PURPOSE",
		"ENTRIES", "CUSTOMERS");
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(json_object_get(doc, "reads"), "by_user_purpose"), i, x)
		fprintf(out, "  %-20s %-16s %8lld %10lld\n",
			json_string_value(json_object_get(x, "user")),
			json_string_value(json_object_get(x, "purpose")),
			(long long)json_integer_value(json_object_get(x, "entries")),
			(long long)json_integer_value(json_object_get(x, "customers")));
}

static void figures(FILE *out, const json_t *doc)
{
	fprintf(out, "\nEncryption: %lld customers checked, %lld failed, %lld sealed groups\n",
		num(doc, "encryption", "customers"), num(doc, "encryption", "failed"),
		num(doc, "encryption", "sealed_groups"));
	fprintf(out, "Retention: %lld customers past due, %lld held past due, %lld values "
		"undetermined\n", num(doc, "retention", "past_due_customers"),
		num(doc, "retention", "held_past_due"), num(doc, "retention", "undetermined_values"));
	fprintf(out, "Requests: %lld in all, %lld open, %lld overdue, %lld closed late\n",
		num(doc, "dsr", "total"), num(doc, "dsr", "open"), num(doc, "dsr", "overdue"),
		num(doc, "dsr", "closed_late"));
	fprintf(out, "Bulk-read alerts: %lld; approvals: %lld (%lld pending); incidents: %lld; "
		"transfers: %lld (%lld cross-border); destruction certificates: %lld\n",
		num(doc, "alerts", "count"), num(doc, "approvals", "total"),
		num(doc, "approvals", "pending"), num(doc, "incidents", "total"),
		num(doc, "transfers", "total"), num(doc, "transfers", "cross_border"),
		num(doc, "certificates", "count"));
	fprintf(out, "Audit log: %lld entries, %s; last checkpoint exported: %s\n",
		num(doc, "audit", "entries"),
		json_is_true(json_object_get(json_object_get(doc, "audit"), "verified"))
			? "verified" : "DOES NOT VERIFY",
		str(doc, "audit", "last_checkpoint_exported"));
	fprintf(out, "Keys: bucket keys last rotated %s, root %s\n",
		str(doc, "keys", "last_bucket_rotation"), str(doc, "keys", "last_root_rotation"));
	fprintf(out, "Backup: last %s, %s\n", str(doc, "backup", "last"),
		str(doc, "backup", "verification"));
	fprintf(out, "Staff: %lld active; %zu without agreement, %zu without training\n",
		num(doc, "staff", "active"),
		json_array_size(json_object_get(json_object_get(doc, "staff"), "without_agreement")),
		json_array_size(json_object_get(json_object_get(doc, "staff"), "without_training")));
}

char *pv_report_text(const json_t *doc)
{
	char *text = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return NULL;
	fprintf(out, "Compliance audit report (PIPL art. 54): vault %s, as of %s, made %s by %s\n\n",
		json_string_value(json_object_get(doc, "vault")),
		json_string_value(json_object_get(doc, "as_of")),
		json_string_value(json_object_get(doc, "made")),
		json_string_value(json_object_get(doc, "made_by")));
	findings(out, doc);
	inventory(out, doc);
	reads(out, doc);
	figures(out, doc);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
