/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_scan.c: `pivault scan FILE.csv` and `pivault scan` on a vault: which columns or text
 * fields hold personal information their declaration does not cover, how many rows of each
 * kind, and the schema change suggested; never a value. Text or JSON. */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the text form calls each kind, in the plural. */
static const char *kind_noun(pv_pii_type t)
{
	switch (t) {
	case PV_PII_RESIDENT_ID: return "resident ID numbers";
	case PV_PII_PHONE: return "phone numbers";
	case PV_PII_BANK_CARD: return "bank card numbers";
	case PV_PII_USCC: return "USCC codes";
	case PV_PII_EMAIL: return "e-mail addresses";
	case PV_PII_PASSPORT: return "passport numbers";
	case PV_PII_ADDRESS: return "addresses";
	case PV_PII_NAME: return "names";
	}
	return "unknown";
}

/* n with thousands separated by commas (1,234), into buf. */
static const char *count_text(uint64_t n, char *buf, size_t cap)
{
	char digits[24];
	int len = snprintf(digits, sizeof digits, "%" PRIu64, n);
	size_t o = 0;
	for (int i = 0; i < len && o + 2 < cap; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

static void print_json(struct cli_scan_printer *p, const pv_scan_column *c)
{
	printf("%s\n  {\"name\":", p->shown ? "," : "");
	cli_json_string(stdout, c->name);
	fputs(",\"declared\":", stdout);
	if (c->declared)
		cli_json_string(stdout, c->declared);
	else
		fputs("null", stdout);
	printf(",\"rows\":%" PRIu64 ",\"found\":{", c->rows);
	for (int k = 0, first = 1; k < PV_PII_TYPES; k++) {
		if (!c->with[k])
			continue;
		printf("%s\"%s\":%" PRIu64, first ? "" : ",", pv_pii_type_name((pv_pii_type)k),
		       c->with[k]);
		first = 0;
	}
	fputs("},\"suggestion\":", stdout);
	cli_json_string(stdout, c->suggestion);
	fputs("}", stdout);
}

static void print_text(struct cli_scan_printer *p, const pv_scan_column *c)
{
	char a[32], b[32];
	printf("%s %s (%s): ", p->what, c->name, c->declared ? c->declared : "not in the schema");
	if (c->rows == 0) {
		printf("%s\n", c->suggestion);
		return;
	}
	for (int k = 0, first = 1; k < PV_PII_TYPES; k++) {
		if (!c->with[k])
			continue;
		if (first)
			printf("%s of %s rows hold %s", count_text(c->with[k], a, sizeof a),
			       count_text(c->rows, b, sizeof b), kind_noun((pv_pii_type)k));
		else
			printf(", %s %s", count_text(c->with[k], a, sizeof a),
			       kind_noun((pv_pii_type)k));
		first = 0;
	}
	printf("; %s\n", c->suggestion);
}

int cli_scan_print_column(void *ctx, const pv_scan_column *c)
{
	struct cli_scan_printer *p = ctx;
	if (p->json)
		print_json(p, c);
	else
		print_text(p, c);
	p->shown++;
	return 0;
}

void cli_scan_print_end(const struct cli_scan_printer *p, uint64_t rows, const char *rows_what)
{
	char n[32];
	if (p->json)
		printf("%s],\"%s\":%" PRIu64 "}\n", p->shown ? "\n" : "", rows_what, rows);
	else if (!p->shown)
		printf("no undeclared personal information in %s %s\n", count_text(rows, n, sizeof n),
		       rows_what);
}

int cli_scan_confidence(struct cli_args *a)
{
	const char *text = cli_opt(a, "--min-confidence");
	if (!text)
		return 0;
	char *end;
	long n = strtol(text, &end, 10);
	if (*end || end == text || n < 1 || n > 100) {
		cli_usage(a->prog, "--min-confidence takes a number from 1 to 100");
		return -1;
	}
	return (int)n;
}

static int scan_file(struct cli_args *a, const pv_scan_opts *o)
{
	struct cli_scan_printer p = { a->common.json, "column", 0 };
	uint64_t rows = 0;
	if (p.json)
		fputs("{\"columns\":[", stdout);
	pv_rc rc = pv_scan_csv(a->arg[0], o, cli_scan_print_column, &p, &rows);
	if (rc) {
		if (p.json)
			puts("]}");
		return cli_fail(NULL, rc);
	}
	cli_scan_print_end(&p, rows, "rows");
	return EXIT_OK;
}

static int scan_vault(struct cli_args *a, const pv_scan_opts *o)
{
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	struct cli_scan_printer p = { a->common.json, "field", 0 };
	uint64_t customers = 0;
	pv_access who = cli_access(&a->common);
	if (p.json)
		fputs("{\"fields\":[", stdout);
	cli_progress_begin(v, "scanning");
	pv_rc rc = pv_scan_vault(v, &who, o, cli_scan_print_column, &p, &customers);
	cli_progress_end(v);
	if (rc) {
		if (p.json)
			puts("]}");
		return cli_done(v, rc, EXIT_FAIL);
	}
	cli_scan_print_end(&p, customers, "customers");
	return cli_done(v, PV_OK, EXIT_OK);
}

static int run_scan(struct cli_args *a)
{
	int min = cli_scan_confidence(a);
	if (min < 0)
		return EXIT_USAGE;
	if (a->narg > 1)
		return cli_usage(a->prog, "one CSV file at most is scanned");
	pv_scan_opts o = { cli_opt(a, "--schema"), min };
	if (a->narg == 1)
		return scan_file(a, &o);
	if (o.schema_path)
		return cli_usage(a->prog, "--schema is for a CSV file; a vault has its own");
	return scan_vault(a, &o);
}

const struct cli_cmd cli_cmd_scan = {
	.name = "scan",
	.args = "[FILE.csv [--schema FILE]] [--min-confidence N] [--json]",
	.summary = "find personal information no declaration covers, in a CSV file or the vault",
	.about = "With FILE.csv: read its columns (the header names them) and report those holding\n"
		 "personal information (resident IDs, phones, bank cards, USCC codes, e-mails,\n"
		 "passports, addresses, names in context), how many rows of each kind, and the\n"
		 "schema change suggested. --schema FILE: columns it declares with a type of\n"
		 "their own are not read, and a text column's mask covers its kind (name, address,\n"
		 "free_text). Needs no vault.\n"
		 "Without a file: the same for the vault's fields declared as text, read from the\n"
		 "opened values of every customer; needs 'scan', reads only the text fields the\n"
		 "role sees in clear, and writes one audit entry first.\n"
		 "No value is ever printed: names of columns and counts only.\n",
	.opts = (const struct cli_opt[]){
		{ "--schema", NULL, "FILE", "the schema declaring the CSV file's columns", NULL },
		{ "--min-confidence", NULL, "N", "report spans of this confidence or more (50)",
		  NULL },
		{ NULL, NULL, NULL, NULL, NULL } },
	.flags = CLI_COMMON,
	.run = run_scan,
};
