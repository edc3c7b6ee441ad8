/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_import.c: `pivault import FILE.csv` streams customers into the vault, reporting
 * each bad row by line, column and reason, with a progress line on a terminal. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct import_ui {
	int tty;
	int json;
	unsigned long shown;
};

#define ERRORS_SHOWN 50

static void on_error(void *ctx, uint64_t line, const char *column, const char *reason)
{
	struct import_ui *ui = ctx;
	if (ui->json || ui->shown++ >= ERRORS_SHOWN)
		return;
	if (ui->tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "line %llu%s%s: %s\n", (unsigned long long)line, column ? ", column " : "",
		column ? column : "", reason);
}

/* The import's progress (stage "import": bytes of the input read). */
static void on_progress(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
	(void)ctx, (void)stage;
	if (total)
		fprintf(stderr, "\r\033[Kimporting: %.1f of %.1f MB (%d%%)", (double)done / 1e6,
			(double)total / 1e6, (int)(100.0 * (double)done / (double)total));
	else
		fprintf(stderr, "\r\033[Kimporting: %.1f MB", (double)done / 1e6);
}

void cli_print_import_summary(const struct cli_import_summary *s, int ok, const char *reject)
{
	printf("%s %llu of %llu rows in %.2f s (%.0f rows/s)", ok ? "imported" : "imported none",
	       s->imported, s->read, s->seconds,
	       s->seconds > 0 ? (double)s->imported / s->seconds : 0.0);
	if (s->rejected)
		printf("; %llu rejected%s%s", s->rejected, reject ? ", written masked to " : "",
		       reject ? reject : "");
	putchar('\n');
	if (*s->dropped)
		printf("dropped columns: %s\n", s->dropped);
	if (*s->warnings)
		printf("warnings: %s\n", s->warnings);
	if (s->ndup) {
		printf("possible duplicates (same value, different customer ids; not merged):\n");
		for (size_t i = 0; i < s->ndup && i < 20; i++)
			printf("  %s: %s\n", s->dup_field(s->ctx, i), s->dup_ids(s->ctx, i));
		if (s->ndup > 20)
			printf("  ... %zu groups in all (--json lists up to 1000)\n", s->ndup);
	}
	if (s->sealed)
		printf("%llu sealed customer%s left out of the duplicates (%s): not shown until an "
		       "approved release\n", s->sealed, s->sealed == 1 ? "" : "s",
		       s->sealed_incident ? s->sealed_incident : "");
}

static const char *dup_field(const void *ctx, size_t i)
{
	return pv_import_duplicate_field(ctx, i);
}

static const char *dup_ids(const void *ctx, size_t i)
{
	return pv_import_duplicate_ids(ctx, i);
}

static void print_summary(const pv_import_result *r, int rc_ok, const char *reject)
{
	char incident[64];
	uint64_t sealed = pv_import_sealed_left_out(r, incident, sizeof incident);
	struct cli_import_summary s = { pv_import_rows_imported(r), pv_import_rows_read(r),
					pv_import_rows_rejected(r), pv_import_seconds(r),
					pv_import_dropped_columns(r), pv_import_warnings(r),
					pv_import_duplicate_count(r), dup_field, dup_ids, r,
					sealed, incident };
	cli_print_import_summary(&s, rc_ok, reject);
}

/* After the import: the problems beyond those shown, and the summary or JSON. */
static void print_result(const pv_import_result *res, pv_rc rc, const struct import_ui *ui,
			 const char *reject_path)
{
	if (ui->tty)
		fputs("\r\033[K", stderr);
	if (ui->shown > ERRORS_SHOWN)
		fprintf(stderr, "... %lu problems in all\n", ui->shown);
	if (res && ui->json) {
		char *j = pv_import_json(res);
		if (j)
			printf("%s\n", j);
		pv_free(j);
	} else if (res && (rc == PV_OK || rc == PV_ERR_INPUT)) {
		print_summary(res, rc == PV_OK, reject_path);
	}
}

static int run_import(struct cli_args *a)
{
	pv_import_opts opts = { 0 };
	const char *threads = cli_opt(a, "--threads");
	opts.reject_path = cli_opt(a, "--reject-file");
	if (cli_flag(a, "--drop-undeclared"))
		opts.flags |= PV_IMPORT_DROP_UNDECLARED;
	if (threads)
		opts.threads = (unsigned)strtoul(threads, NULL, 10);
	if (a->narg != 1)
		return cli_usage(a->prog, a->narg ? "one input file only" : "a CSV file is required");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	struct import_ui ui = { isatty(2), a->common.json, 0 };
	opts.on_error = on_error;
	opts.ctx = &ui;
	if (ui.tty)
		pv_vault_on_progress(v, on_progress, NULL);
	pv_access who = cli_access(&a->common);
	pv_import_result *res = NULL;
	pv_rc rc = pv_import_csv(v, &who, a->arg[0], &opts, &res);
	print_result(res, rc, &ui, opts.reject_path);
	code = rc ? cli_fail(v, rc) : EXIT_OK;
	pv_import_free(res);
	pv_vault_close(v);
	return code;
}

const struct cli_cmd cli_cmd_import = {
	.name = "import",
	.args = "FILE.csv [--reject-file F] [--drop-undeclared] [--threads N] [--json]",
	.summary = "import customers from a CSV file",
	.about = "Import customers from RFC 4180 CSV (UTF-8, a header row naming schema columns;\n"
		 "'-' reads standard input). Every value is validated and normalised, then\n"
		 "encrypted; every bad row is reported by line, column and reason (never its value).\n"
		 "By default the import is all-or-nothing: one bad row and nothing is written.\n",
	.opts = (const struct cli_opt[]){
		{ "--reject-file", NULL, "F", "import the good rows; write the bad ones to F, masked",
		  NULL },
		{ "--drop-undeclared", NULL, NULL, "ignore columns the schema does not declare (else "
		  "refused)", NULL },
		{ "--threads", NULL, "N", "worker threads (default: one per core)", NULL },
		{ NULL, NULL, NULL, NULL, NULL } },
	.flags = CLI_COMMON,
	.run = run_import,
};
