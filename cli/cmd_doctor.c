/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_doctor.c: `pivault doctor`: the security self-check's findings, each with how to
 * fix it, as text or JSON; exit status 1 when any is of high severity. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *severity_name(pv_severity s)
{
	return s == PV_SEVERITY_HIGH ? "high" : s == PV_SEVERITY_MEDIUM ? "medium" : "low";
}

/* What is printed: JSON objects are separated by commas. */
struct printer {
	int json;
	unsigned count[4];
};

static int print_finding(void *ctx, const pv_finding *f)
{
	struct printer *p = ctx;
	int first = !(p->count[1] + p->count[2] + p->count[3]);
	p->count[f->severity]++;
	if (p->json) {
		printf("%s\n  {\"check\":\"%s\",\"severity\":\"%s\",\"what\":", first ? "" : ",",
		       f->check, severity_name(f->severity));
		cli_json_string(stdout, f->what);
		fputs(",\"fix\":", stdout);
		cli_json_string(stdout, f->fix);
		fputs("}", stdout);
	} else {
		printf("%-6s  %s: %s\n        fix: %s\n", severity_name(f->severity), f->check,
		       f->what, f->fix);
	}
	return 0;
}

/* The number of days option name gives (1 to 100000), 0 when absent; -1 (message
 * printed) when it is not such a number. */
static long days_opt(struct cli_args *a, const char *name)
{
	const char *text = cli_opt(a, name);
	if (!text)
		return 0;
	char *end;
	unsigned long n = strtoul(text, &end, 10);
	if (*end || end == text || n == 0 || n > 100000) {
		cli_usage(a->prog, "a number of days from 1 is needed");
		return -1;
	}
	return (long)n;
}

/* The closing lines: the JSON's counts, or a summary; the exit status for high findings. */
static int print_totals(const struct printer *p, unsigned high)
{
	unsigned n = p->count[1] + p->count[2] + p->count[3];
	if (p->json)
		printf("%s],\"high\":%u,\"medium\":%u,\"low\":%u}\n", n ? "\n" : "",
		       p->count[PV_SEVERITY_HIGH], p->count[PV_SEVERITY_MEDIUM],
		       p->count[PV_SEVERITY_LOW]);
	else if (n)
		printf("%u finding%s: %u high, %u medium, %u low\n", n, n == 1 ? "" : "s",
		       p->count[PV_SEVERITY_HIGH], p->count[PV_SEVERITY_MEDIUM],
		       p->count[PV_SEVERITY_LOW]);
	else
		puts("no findings");
	return high ? EXIT_FAIL : EXIT_OK;
}

static int run_doctor(struct cli_args *a)
{
	long ck = days_opt(a, "--checkpoint-days"), bk = days_opt(a, "--backup-days"),
	     rot = days_opt(a, "--rotation-days");
	if (ck < 0 || bk < 0 || rot < 0)
		return EXIT_USAGE;
	if (a->narg)
		return cli_usage(a->prog, "doctor takes no argument");
	pv_doctor_opts o = { .checkpoint_days = (unsigned)ck, .backup_days = (unsigned)bk,
			     .rotation_days = (unsigned)rot, .as_of = cli_opt(a, "--as-of") };
	o.key_file = a->common.key_file;
	o.passphrase_file = getenv("PIVAULT_PASSPHRASE_FILE");
	o.password_file = getenv("PIVAULT_PASSWORD_FILE");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	struct printer p = { a->common.json, { 0 } };
	if (p.json)
		fputs("{\"findings\":[", stdout);
	unsigned high = 0;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_doctor(v, &who, &o, print_finding, &p, &high);
	if (rc) {
		if (p.json)
			puts("]}");
		code = cli_fail(v, rc);
	} else {
		code = print_totals(&p, high);
	}
	pv_vault_close(v);
	return code;
}

const struct cli_cmd cli_cmd_doctor = {
	.name = "doctor",
	.args = "[--json] [--checkpoint-days N] [--backup-days N] [--rotation-days N] "
		"[--as-of DATE]",
	.summary = "the security self-check: what this deployment gets wrong",
	.about = "Check what a careless deployment gets wrong: files of the vault, keyring, ledger\n"
		 "and backups that others may read or write; the root key or a password file inside\n"
		 "or beside the vault directory; core dumps enabled; no exported audit checkpoint in\n"
		 "N days (7); no backup in N days (7), or one that no longer verifies; keys not\n"
		 "rotated in N days (365), users disabled since the last root rotation; users without\n"
		 "their agreement or training; escrow copies unaccounted for; Argon2id settings under\n"
		 "the floor; a shred ledger lacking a committed shred's lines; data keys no key in\n"
		 "the keyring opens; an audit log that does not verify. Each finding says how to\n"
		 "fix it. Needs 'audit' (or the root secret); reads no customer value; one audit\n"
		 "entry. Exit status 1 when any finding is high.\n",
	.opts = (const struct cli_opt[]){
		{ "--checkpoint-days", NULL, "N", "days without an exported checkpoint (7)", NULL },
		{ "--backup-days", NULL, "N", "days without a backup (7)", NULL },
		{ "--rotation-days", NULL, "N", "days without a key rotation (365)", NULL },
		{ "--as-of", NULL, "DATE", "check as of this date", NULL },
		{ NULL, NULL, NULL, NULL, NULL } },
	.flags = CLI_COMMON,
	.run = run_doctor,
};
