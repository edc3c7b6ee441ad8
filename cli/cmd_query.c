/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_query.c: reading and changing customers: get, find, list, update, export. Values
 * are shown masked unless --clear is given and the role may see them in clear. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

void cli_print_customer(const struct cli_customer *c, int json, int line_mode)
{
	if (json) {
		fputs("{\"id\":", stdout);
		cli_json_string(stdout, c->id);
		for (size_t i = 0; i < c->nfields; i++) {
			if (!c->values[i])
				continue;
			putchar(',');
			cli_json_string(stdout, c->names[i]);
			putchar(':');
			cli_json_string(stdout, c->values[i]);
		}
		fputs(",\"consents\":{", stdout);
		for (size_t i = 0; i < c->nconsents; i++) {
			printf("%s", i ? "," : "");
			cli_json_string(stdout, c->purposes[i]);
			printf(":%s", c->granted[i] ? "true" : "false");
		}
		puts("}}");
		return;
	}
	if (line_mode) {
		printf("%s", c->id);
		for (size_t i = 0; i < c->nfields; i++) {
			const char *val = c->values[i];
			if (val && *val && !strpbrk(val, "\r\n"))
				printf("  %s=%s", c->names[i], val);
		}
		putchar('\n');
		return;
	}
	printf("id: %s\n", c->id);
	for (size_t i = 0; i < c->nfields; i++) {
		const char *val = c->values[i];
		if (!val)
			continue;
		printf("  %-18s ", c->names[i]);
		for (const char *p = val; *p; p++) { /* indent the lines of multi-line text */
			if (*p == '\r')
				continue;
			putchar(*p);
			if (*p == '\n')
				printf("  %-18s ", "");
		}
		putchar('\n');
	}
	for (size_t i = 0; i < c->nconsents; i++)
		printf("  consent %-10s %s\n", c->purposes[i], c->granted[i] ? "yes" : "no");
}

static void print_record(const pv_record *r, int json, int line_mode)
{
	size_t n = pv_record_field_count(r), k = pv_record_consent_count(r);
	const char *names[n + 1], *values[n + 1], *purposes[k + 1];
	int granted[k + 1];
	for (size_t i = 0; i < n; i++) {
		names[i] = pv_record_field_name(r, i);
		values[i] = pv_record_field_value(r, i);
	}
	for (size_t i = 0; i < k; i++) {
		purposes[i] = pv_record_consent_purpose(r, i);
		granted[i] = pv_record_consent_granted(r, i);
	}
	struct cli_customer c = { pv_record_id(r), n, k, names, values, purposes, granted };
	cli_print_customer(&c, json, line_mode);
}

static int print_got(void *ctx, const pv_record *r)
{
	print_record(r, *(int *)ctx, 0);
	return 0;
}

static int run_get(struct cli_args *a)
{
	if (a->narg == 0)
		return cli_usage(a->prog, "a customer id is required");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_get_many(v, &who, (const char *const *)a->arg, (size_t)a->narg, print_got,
			       &a->common.json);
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}

const struct cli_cmd cli_cmd_get = {
	.name = "get",
	.args = "ID... [--clear] [--json]",
	.summary = "show one customer",
	.about = "Show customers, masked by default; --clear shows in clear the fields the role may\n"
		 "see in clear. More customers in clear than the vault's bulk limit (default 100)\n"
		 "take an approved request: pivault request get ID... --clear ...\n",
	.flags = CLI_COMMON,
	.run = run_get,
};

struct found {
	int json;
	int count;
};

static int show_found(void *ctx, const pv_record *r)
{
	struct found *f = ctx;
	print_record(r, f->json, 0);
	f->count++;
	return 0;
}

static int show_found_id(void *ctx, const char *id)
{
	struct found *f = ctx;
	if (f->json) {
		fputs("{\"id\":", stdout);
		cli_json_string(stdout, id);
		puts("}");
	} else {
		puts(id);
	}
	f->count++;
	return 0;
}

static int run_find(struct cli_args *a)
{
	if (a->narg != 2 || strncmp(a->arg[0], "--", 2) != 0 || !a->arg[0][2])
		return cli_usage(a->prog, "give one --FIELD VALUE");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	struct found f = { a->common.json, 0 };
	const char *field = a->arg[0] + 2, *value = a->arg[1];
	pv_rc rc = pv_find_records(v, &who, field, value, show_found, &f);
	if (rc == PV_ERR_FIND_ONLY) /* may find, not read: the ids */
		rc = pv_find(v, &who, field, value, show_found_id, &f);
	if (rc)
		code = cli_fail(v, rc);
	else if (f.count == 0) {
		fprintf(stderr, "pivault: no customer matches\n");
		code = EXIT_FAIL;
	}
	pv_vault_close(v);
	return code;
}

const struct cli_cmd cli_cmd_find = {
	.name = "find",
	.args = "--FIELD VALUE [--clear] [--json]",
	.summary = "find customers by an indexed field (find --FIELD VALUE)",
	.about = "Find customers by the exact value of an indexed field (for example --phone\n"
		 "13812345678 or --id_number 11010519491231002X), through the blind index; the value\n"
		 "is normalised as at import. Matching customers are shown as with 'get'.\n",
	.flags = CLI_COMMON | CLI_ANY_FIELD,
	.run = run_find,
};

static int list_one(void *ctx, const pv_record *r)
{
	print_record(r, *(int *)ctx, 1);
	return 0;
}

void cli_print_sealed_left_out(uint64_t n, const char *incident)
{
	if (!n)
		return;
	fflush(stdout);
	fprintf(stderr, "pivault: %llu sealed customer%s left out (%s%s): not shown until an "
		"approved 'incident release'\n", (unsigned long long)n, n == 1 ? "" : "s",
		strncmp(incident, "INC-", 4) ? "" : "incident ", incident);
}

/* The sealed customers a list or an export left out, on standard error (the output
 * stays what it is). */
static void say_sealed_left_out(pv_vault *v)
{
	char incident[64];
	uint64_t n = pv_sealed_left_out(v, incident, sizeof incident);
	cli_print_sealed_left_out(n, incident);
}

static int run_list(struct cli_args *a)
{
	size_t limit = 50;
	const char *lim = cli_opt(a, "--limit");
	if (lim) {
		char *end;
		limit = strtoul(lim, &end, 10);
		if (*end || limit == 0)
			return cli_usage(a->prog, "--limit needs a positive number");
	}
	if (a->narg)
		return cli_usage(a->prog, "list takes no argument");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *next = NULL;
	pv_rc rc = pv_list(v, &who, cli_opt(a, "--after"), limit, list_one, &a->common.json, &next);
	if (!rc)
		say_sealed_left_out(v);
	if (rc)
		code = cli_fail(v, rc);
	else if (next && !a->common.json) {
		fflush(stdout);
		fprintf(stderr, "more: pivault list --after %s\n", next);
	}
	pv_free(next);
	pv_vault_close(v);
	return code;
}

const struct cli_cmd cli_cmd_list = {
	.name = "list",
	.args = "[--limit N] [--after ID] [--json]",
	.summary = "list customers, masked, a page at a time",
	.about = "List customers in id order, one line each with the fields the role sees (masked\n"
		 "unless --clear), N at a time (default 50); continue with --after the last id shown.\n"
		 "Customers sealed by a breach incident are left out; standard error says how\n"
		 "many and which incident.\n",
	.opts = (const struct cli_opt[]){
		{ "--limit", NULL, "N", "customers per page (default 50)", NULL },
		{ "--after", NULL, "ID", "start after this customer id", NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	},
	.flags = CLI_COMMON,
	.run = run_list,
};

static int run_update(struct cli_args *a)
{
	int n = a->narg;
	char **rest = a->arg;
	if (n < 2)
		return cli_usage(a->prog, "an id and at least one FIELD=VALUE are required");
	for (int i = 1; i < n; i++)
		if (!strchr(rest[i], '=') || rest[i][0] == '=')
			return cli_usage(a->prog, "changes are written FIELD=VALUE");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	const char *fields[n], *values[n];
	for (int i = 1; i < n; i++) {
		char *eq = strchr(rest[i], '=');
		*eq = '\0';
		fields[i - 1] = rest[i];
		values[i - 1] = eq + 1;
	}
	pv_rc rc = pv_update_fields(v, &who, rest[0], fields, values, (size_t)n - 1);
	if (rc)
		code = cli_fail(v, rc);
	for (int i = 0; !rc && i < n - 1; i++)
		printf("updated %s: %s\n", rest[0], fields[i]);
	pv_vault_close(v);
	return code;
}

const struct cli_cmd cli_cmd_update = {
	.name = "update",
	.args = "ID FIELD=VALUE...",
	.summary = "change fields of a customer (update ID FIELD=VALUE...)",
	.about = "Change fields (or consent columns, yes/no) of a customer. Each value is validated\n"
		 "and normalised as at import; all changes apply together or not at all.\n",
	.flags = CLI_COMMON,
	.run = run_update,
};

static int run_export(struct cli_args *a)
{
	pv_export_format fmt = PV_EXPORT_CSV;
	const char *f = cli_opt(a, "--format"), *outpath = cli_opt(a, "-o");
	if (f && strcmp(f, "jsonl") == 0)
		fmt = PV_EXPORT_JSONL;
	else if (f && strcmp(f, "csv") != 0)
		return cli_usage(a->prog, "--format is csv or jsonl");
	if (a->narg)
		return cli_usage(a->prog, "export takes no argument");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = outpath ? pv_export_file(v, &who, fmt, outpath) : pv_export(v, &who, fmt, stdout);
	if (!rc && !outpath && fflush(stdout) != 0)
		code = EXIT_FAIL;
	if (!rc)
		say_sealed_left_out(v);
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}

const struct cli_cmd cli_cmd_export = {
	.name = "export",
	.args = "[--format csv|jsonl] [-o FILE] [--clear]",
	.summary = "export every customer as CSV or JSON Lines",
	.about = "Stream every customer as CSV (default) or JSON Lines, as the role sees them:\n"
		 "masked unless --clear, and then clear only where the role may see clear values.\n"
		 "Customers sealed by a breach incident are left out; standard error says how\n"
		 "many and which incident, and so does the audit entry.\n",
	.opts = (const struct cli_opt[]){
		{ "--format", NULL, "FORMAT", "csv (the default) or jsonl", NULL },
		{ "-o", NULL, "FILE", "write to FILE (a new file) instead of standard output", NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	},
	.flags = CLI_COMMON,
	.run = run_export,
};
