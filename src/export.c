/* SPDX-License-Identifier: Apache-2.0 */
/* export.c: streaming export of every customer as CSV (RFC 4180) or JSON Lines, as the
 * caller's role sees them; one customer in memory at a time. What an export leaves out
 * because breach incidents sealed it is counted first, and can be asked for alone. */
#include "approvals.h"
#include "audit.h"
#include "consent.h"
#include "seal_gate.h"
#include "files.h"
#include "policy.h"
#include "record.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct export_ctx {
	pv_vault *v;
	int role;
	const pv_access *who;
	pv_export_format fmt;
	FILE *out;
	pv_rc rc;
};

/* Write s as one CSV field, quoted when it holds a comma, quote, CR or LF. */
static void csv_field(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* Write s as a JSON string. */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

/* The consent state of record r for consent column k: "yes", "no" or "". */
static const char *consent_value(const pv_vault *v, const pv_record *r, size_t k)
{
	const char *purpose = v->schema->purposes[v->schema->consents[k].purpose].name;
	for (size_t i = 0; i < pv_record_consent_count(r); i++)
		if (strcmp(pv_record_consent_purpose(r, i), purpose) == 0)
			return pv_record_consent_granted(r, i) ? "yes" : "no";
	return "";
}

static void write_header(struct export_ctx *e)
{
	const struct pv_schema *s = e->v->schema;
	csv_field(e->out, s->id_column);
	for (size_t i = 0; i < s->nfields; i++) {
		if (pv_policy_field_view(e->v, e->role, e->who, i) == PV_VIEW_HIDDEN)
			continue;
		fputc(',', e->out);
		csv_field(e->out, s->fields[i].name);
	}
	for (size_t k = 0; k < s->nconsents; k++) {
		fputc(',', e->out);
		csv_field(e->out, s->consents[k].column);
	}
	fputs("\r\n", e->out);
}

static int export_one(void *p, const struct pv_stored_customer *c)
{
	struct export_ctx *e = p;
	const struct pv_schema *s = e->v->schema;
	char **values;
	pv_record *r;
	int blocked = pv_read_blocked(e->v, e->who, c->rid, c->id);
	if (blocked == PV_BLOCK_SEALED) /* left out, and said so (seal_gate.h) */
		pv_seal_omitted_add(e->v, c->id);
	if (blocked) { /* without consent, restricted, objecting or sealed: left out */
		e->rc = blocked < 0 ? PV_ERR_STORE : PV_OK;
		return blocked < 0 ? -1 : 0;
	}
	e->rc = pv_open_customer(e->v, c, &values);
	if (!e->rc)
		e->rc = pv_record_build(e->v, e->role, e->who, c->id, c->rid, values, &r);
	if (e->rc)
		return -1;
	int csv = e->fmt == PV_EXPORT_CSV;
	if (csv)
		csv_field(e->out, c->id);
	else {
		fputc('{', e->out);
		json_string(e->out, s->id_column);
		fputc(':', e->out);
		json_string(e->out, c->id);
	}
	for (size_t i = 0; i < s->nfields; i++) {
		const char *val = pv_record_field_value(r, i);
		if (!val)
			continue;
		fputc(',', e->out);
		if (csv)
			csv_field(e->out, val);
		else {
			json_string(e->out, s->fields[i].name);
			fputc(':', e->out);
			json_string(e->out, val);
		}
	}
	for (size_t k = 0; k < s->nconsents; k++) {
		fputc(',', e->out);
		if (csv)
			csv_field(e->out, consent_value(e->v, r, k));
		else {
			json_string(e->out, s->consents[k].column);
			fputc(':', e->out);
			json_string(e->out, consent_value(e->v, r, k));
		}
	}
	fputs(csv ? "\r\n" : "}\n", e->out);
	pv_record_free(r);
	if (ferror(e->out)) {
		e->rc = pv_fail(e->v, PV_ERR_IO, "cannot write the export");
		return -1;
	}
	return 0;
}

static pv_rc consume_export(pv_vault *v, int role, const pv_access *who, pv_export_format fmt)
{
	struct pv_params p;
	pv_params_init(&p);
	pv_params_add(&p, "format", fmt == PV_EXPORT_CSV ? "csv" : "jsonl");
	pv_params_add(&p, "role", v->schema->roles[role].name);
	pv_params_add(&p, "purpose", who->purpose ? who->purpose : "");
	pv_params_add(&p, "clear", "yes");
	pv_rc rc = pv_approval_consume(v, "export", &p);
	pv_params_free(&p);
	return rc;
}

pv_rc pv_export(pv_vault *v, const pv_access *who, pv_export_format fmt, FILE *out)
{
	struct export_ctx e = { v, 0, who, fmt, out, PV_OK };
	pv_seal_omitted_reset(v);
	if (fmt != PV_EXPORT_CSV && fmt != PV_EXPORT_JSONL)
		return pv_fail(v, PV_ERR_USAGE, "unknown export format");
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_EXPORT, &e.role);
	if (rc)
		return pv_audit_failure(v, rc, "export", "*", who ? who->purpose : NULL);
	uint64_t count = 0;
	if (pv_vault_count(v, &count) != PV_OK)
		return PV_ERR_STORE;
	char detail[192];
	snprintf(detail, sizeof detail, "bulk read: %s, %s, %llu customers",
		 fmt == PV_EXPORT_CSV ? "csv" : "jsonl",
		 who->want_clear ? "clear where allowed" : "masked", (unsigned long long)count);
	if (pv_seal_omitted_count_stored(v) != 0) /* what the seal leaves out, said first */
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_seal_omitted_note(v, detail, sizeof detail);
	struct pv_audit_event ev = { "export", "*", who->purpose, NULL, "ok", detail };
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	/* A bulk export in clear needs a second person's approval, for this format, role
	 * and purpose. */
	rc = who->want_clear ? consume_export(v, e.role, who, fmt) : PV_OK;
	if (!rc)
		rc = pv_audit_append(v, &ev); /* fail closed: nothing is written without it */
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc) {
		(void)pv_store_rollback(v->store);
		return rc == PV_ERR_DENIED ? pv_audit_failure(v, rc, "export", "*", who->purpose) : rc;
	}
	if (fmt == PV_EXPORT_CSV)
		write_header(&e);
	pv_seal_omitted_reset(v); /* counted again as they are left out */
	int st = pv_store_customer_scan(v->store, NULL, 0, export_one, &e);
	if (st < 0 && !e.rc)
		e.rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!e.rc && fflush(out) != 0)
		e.rc = pv_fail(v, PV_ERR_IO, "cannot write the export");
	if (e.rc)
		return pv_audit_failure(v, e.rc, "export", "*", who->purpose);
	return pv_ok(v);
}

pv_rc pv_export_sealed(pv_vault *v, const pv_access *who, uint64_t *n, char *incident,
			size_t len)
{
	*n = 0;
	if (incident && len)
		incident[0] = '\0';
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_EXPORT, &role);
	if (rc)
		return pv_audit_failure(v, rc, "export summary", "*", who ? who->purpose : NULL);
	if (pv_seal_omitted_count_stored(v) != 0) /* as an export counts them, first */
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	char detail[160] = "what an export leaves out";
	pv_seal_omitted_note(v, detail, sizeof detail);
	struct pv_audit_event ev = { "export summary", NULL, who ? who->purpose : NULL, NULL, "ok",
				     detail };
	if ((rc = pv_audit_append(v, &ev)) != PV_OK)
		return rc;
	*n = pv_sealed_left_out(v, incident, len);
	return pv_ok(v);
}

pv_rc pv_export_file(pv_vault *v, const pv_access *who, pv_export_format fmt, const char *path)
{
	if (who && who->want_clear)
		return pv_fail(v, PV_ERR_USAGE, "clear values go to standard output only, never "
			       "straight to a file (an export in clear cannot be written to %s)",
			       path);
	FILE *out = NULL;
	pv_rc rc = pv_file_create(path, &out);
	if (rc)
		return pv_fail(v, rc, "cannot create %s: %s", path, rc == PV_ERR_EXISTS
			       ? "something is there already (pivault writes only new files, never "
				 "over a file or through a link)" : strerror(errno));
	rc = pv_export(v, who, fmt, out);
	if (fclose(out) != 0 && !rc)
		rc = pv_fail(v, PV_ERR_IO, "cannot write the export to %s: %s", path,
			     strerror(errno));
	if (rc)
		unlink(path); /* nothing half-written left behind */
	return rc ? rc : pv_ok(v);
}
