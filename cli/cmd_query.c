/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_query.c: reading and changing customers: get, find, list, update, export. Values
 * are shown masked unless --clear is given and the role may see them in clear. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Parse the common options; other arguments are left in rest[] (nrest). Returns -1 on
 * a usage error, 1 when --help was asked, 0 otherwise. */
static int parse(struct cli_common *c, int argc, char **argv, char **rest, int *nrest)
{
	cli_common_init(c);
	*nrest = 0;
	for (int i = 1; i < argc; i++) {
		int k = cli_common_option(c, argc, argv, &i);
		if (k < 0)
			return -1;
		if (k)
			continue;
		if (strcmp(argv[i], "--help") == 0)
			return 1;
		rest[(*nrest)++] = argv[i];
	}
	return 0;
}

static void print_record(const pv_record *r, int json, int line_mode)
{
	size_t n = pv_record_field_count(r);
	if (json) {
		fputs("{\"id\":", stdout);
		cli_json_string(stdout, pv_record_id(r));
		for (size_t i = 0; i < n; i++) {
			const char *val = pv_record_field_value(r, i);
			if (!val)
				continue;
			putchar(',');
			cli_json_string(stdout, pv_record_field_name(r, i));
			putchar(':');
			cli_json_string(stdout, val);
		}
		fputs(",\"consents\":{", stdout);
		for (size_t i = 0; i < pv_record_consent_count(r); i++) {
			printf("%s", i ? "," : "");
			cli_json_string(stdout, pv_record_consent_purpose(r, i));
			printf(":%s", pv_record_consent_granted(r, i) ? "true" : "false");
		}
		puts("}}");
		return;
	}
	if (line_mode) {
		printf("%s", pv_record_id(r));
		for (size_t i = 0; i < n; i++) {
			const char *val = pv_record_field_value(r, i);
			if (val && *val && !strpbrk(val, "\r\n"))
				printf("  %s=%s", pv_record_field_name(r, i), val);
		}
		putchar('\n');
		return;
	}
	printf("id: %s\n", pv_record_id(r));
	for (size_t i = 0; i < n; i++) {
		const char *val = pv_record_field_value(r, i);
		if (!val)
			continue;
		printf("  %-18s ", pv_record_field_name(r, i));
		for (const char *p = val; *p; p++) { /* indent the lines of multi-line text */
			if (*p == '\r')
				continue;
			putchar(*p);
			if (*p == '\n')
				printf("  %-18s ", "");
		}
		putchar('\n');
	}
	for (size_t i = 0; i < pv_record_consent_count(r); i++)
		printf("  consent %-10s %s\n", pv_record_consent_purpose(r, i),
		       pv_record_consent_granted(r, i) ? "yes" : "no");
}

static const char get_help[] =
	"usage: pivault get ID... [--clear] [--json]\n\n"
	"Show customers, masked by default; --clear shows in clear the fields the role may see\n"
	"in clear. More customers in clear than the vault's bulk limit (default 100) take an\n"
	"approved request: pivault request get ID... --clear ...\n";

static int print_got(void *ctx, const pv_record *r)
{
	print_record(r, *(int *)ctx, 0);
	return 0;
}

int cmd_get(int argc, char **argv)
{
	struct cli_common c;
	char *ids[argc];
	int n, p = parse(&c, argc, argv, ids, &n);
	if (p)
		return p > 0 ? (fputs(get_help, stdout), fputs(cli_common_help, stdout), EXIT_OK)
			     : EXIT_USAGE;
	if (n == 0)
		return cli_usage("get", "a customer id is required");
	for (int i = 0; i < n; i++)
		if (ids[i][0] == '-') /* an option it does not know, never an id */
			return cli_usage("get", "unknown option");
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc = pv_get_many(v, &who, (const char *const *)ids, (size_t)n, print_got, &c.json);
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}

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

static const char find_help[] =
	"usage: pivault find --FIELD VALUE [--clear] [--json]\n\n"
	"Find customers by the exact value of an indexed field (for example --phone 13812345678\n"
	"or --id_number 11010519491231002X), through the blind index; the value is normalised\n"
	"as at import. Matching customers are shown as with 'get'.\n";

int cmd_find(int argc, char **argv)
{
	struct cli_common c;
	char *rest[argc];
	int n, p = parse(&c, argc, argv, rest, &n);
	if (p)
		return p > 0 ? (fputs(find_help, stdout), fputs(cli_common_help, stdout), EXIT_OK)
			     : EXIT_USAGE;
	if (n != 2 || strncmp(rest[0], "--", 2) != 0 || !rest[0][2])
		return cli_usage("find", "give one --FIELD VALUE");
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	struct found f = { c.json, 0 };
	pv_rc rc = pv_find_records(v, &who, rest[0] + 2, rest[1], show_found, &f);
	if (rc == PV_ERR_FIND_ONLY) /* may find, not read: the ids */
		rc = pv_find(v, &who, rest[0] + 2, rest[1], show_found_id, &f);
	if (rc)
		code = cli_fail(v, rc);
	else if (f.count == 0) {
		fprintf(stderr, "pivault: no customer matches\n");
		code = EXIT_FAIL;
	}
	pv_vault_close(v);
	return code;
}

static const char list_help[] =
	"usage: pivault list [--limit N] [--after ID] [--json]\n\n"
	"List customers in id order, one line each with the fields the role sees (masked\n"
	"unless --clear), N at a time (default 50); continue with --after the last id shown.\n";

static int list_one(void *ctx, const pv_record *r)
{
	print_record(r, *(int *)ctx, 1);
	return 0;
}

int cmd_list(int argc, char **argv)
{
	struct cli_common c;
	char *rest[argc];
	int n, p = parse(&c, argc, argv, rest, &n);
	if (p)
		return p > 0 ? (fputs(list_help, stdout), fputs(cli_common_help, stdout), EXIT_OK)
			     : EXIT_USAGE;
	size_t limit = 50;
	const char *after = NULL;
	for (int i = 0; i < n; i++) {
		if (strcmp(rest[i], "--limit") == 0 && i + 1 < n) {
			char *end;
			limit = strtoul(rest[++i], &end, 10);
			if (*end || limit == 0)
				return cli_usage("list", "--limit needs a positive number");
		} else if (strcmp(rest[i], "--after") == 0 && i + 1 < n) {
			after = rest[++i];
		} else {
			return cli_usage("list", "unknown argument");
		}
	}
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	char *next = NULL;
	pv_rc rc = pv_list(v, &who, after, limit, list_one, &c.json, &next);
	if (rc)
		code = cli_fail(v, rc);
	else if (next && !c.json) {
		fflush(stdout);
		fprintf(stderr, "more: pivault list --after %s\n", next);
	}
	pv_free(next);
	pv_vault_close(v);
	return code;
}

static const char update_help[] =
	"usage: pivault update ID FIELD=VALUE...\n\n"
	"Change fields (or consent columns, yes/no) of a customer. Each value is validated and\n"
	"normalised as at import; all changes apply together or not at all.\n";

int cmd_update(int argc, char **argv)
{
	struct cli_common c;
	char *rest[argc];
	int n, p = parse(&c, argc, argv, rest, &n);
	if (p)
		return p > 0 ? (fputs(update_help, stdout), fputs(cli_common_help, stdout), EXIT_OK)
			     : EXIT_USAGE;
	if (n < 2)
		return cli_usage("update", "an id and at least one FIELD=VALUE are required");
	if (rest[0][0] == '-')
		return cli_usage("update", "unknown option");
	for (int i = 1; i < n; i++)
		if (!strchr(rest[i], '=') || rest[i][0] == '=')
			return cli_usage("update", "changes are written FIELD=VALUE");
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
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

static const char export_help[] =
	"usage: pivault export [--format csv|jsonl] [-o FILE] [--clear]\n\n"
	"Stream every customer as CSV (default) or JSON Lines, as the role sees them: masked\n"
	"unless --clear, and then clear only where the role may see clear values.\n";

int cmd_export(int argc, char **argv)
{
	struct cli_common c;
	char *rest[argc];
	int n, p = parse(&c, argc, argv, rest, &n);
	if (p)
		return p > 0 ? (fputs(export_help, stdout), fputs(cli_common_help, stdout), EXIT_OK)
			     : EXIT_USAGE;
	pv_export_format fmt = PV_EXPORT_CSV;
	const char *outpath = NULL;
	for (int i = 0; i < n; i++) {
		if (strcmp(rest[i], "--format") == 0 && i + 1 < n) {
			const char *f = rest[++i];
			if (strcmp(f, "csv") == 0)
				fmt = PV_EXPORT_CSV;
			else if (strcmp(f, "jsonl") == 0)
				fmt = PV_EXPORT_JSONL;
			else
				return cli_usage("export", "--format is csv or jsonl");
		} else if (strcmp(rest[i], "-o") == 0 && i + 1 < n) {
			outpath = rest[++i];
		} else {
			return cli_usage("export", "unknown argument");
		}
	}
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc = outpath ? pv_export_file(v, &who, fmt, outpath) : pv_export(v, &who, fmt, stdout);
	if (!rc && !outpath && fflush(stdout) != 0)
		code = EXIT_FAIL;
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}
