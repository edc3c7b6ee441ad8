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

/* A number of days from argv[*i + 1]; 0 (usage error) when absent or not a number. */
static unsigned days_arg(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		return 0;
	char *end;
	unsigned long n = strtoul(argv[++*i], &end, 10);
	return *end || n == 0 || n > 100000 ? 0 : (unsigned)n;
}

int cmd_doctor(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault doctor [--json] [--checkpoint-days N] [--backup-days N]\n"
		"                      [--rotation-days N] [--as-of DATE]\n\n"
		"Check what a careless deployment gets wrong: files of the vault, keyring, ledger\n"
		"and backups that others may read or write; the root key or a password file inside\n"
		"or beside the vault directory; core dumps enabled; no exported audit checkpoint in\n"
		"N days (7); no backup in N days (7), or one that no longer verifies; keys not\n"
		"rotated in N days (365), users disabled since the last root rotation; users without\n"
		"their agreement or training; escrow copies unaccounted for; Argon2id settings under\n"
		"the floor; a shred ledger lacking a committed shred's lines; data keys no key in\n"
		"the keyring opens; an audit log that does not verify. Each finding says how to\n"
		"fix it. Needs 'audit' (or the root secret); reads no customer value; one audit\n"
		"entry. Exit status 1 when any finding is high.\n";
	struct cli_common c;
	cli_common_init(&c);
	pv_doctor_opts o = { 0 };
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(help, stdout);
			fputs(cli_common_help, stdout);
			return EXIT_OK;
		}
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		unsigned *days = strcmp(argv[i], "--checkpoint-days") == 0 ? &o.checkpoint_days
				 : strcmp(argv[i], "--backup-days") == 0   ? &o.backup_days
				 : strcmp(argv[i], "--rotation-days") == 0 ? &o.rotation_days
									   : NULL;
		if (days && !(*days = days_arg(argc, argv, &i)))
			return cli_usage("doctor", "a number of days from 1 is needed");
		else if (!days && strcmp(argv[i], "--as-of") == 0 && i + 1 < argc)
			o.as_of = argv[++i];
		else if (!days)
			return cli_usage("doctor", "unknown argument");
	}
	o.key_file = c.key_file;
	o.passphrase_file = getenv("PIVAULT_PASSPHRASE_FILE");
	o.password_file = getenv("PIVAULT_PASSWORD_FILE");
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	struct printer p = { c.json, { 0 } };
	if (p.json)
		fputs("{\"findings\":[", stdout);
	unsigned high = 0;
	pv_access who = cli_access(&c);
	pv_rc rc = pv_doctor(v, &who, &o, print_finding, &p, &high);
	if (rc) {
		if (p.json)
			puts("]}");
		code = cli_fail(v, rc);
	} else if (p.json) {
		printf("%s],\"high\":%u,\"medium\":%u,\"low\":%u}\n", p.count[1] + p.count[2] +
		       p.count[3] ? "\n" : "", p.count[PV_SEVERITY_HIGH],
		       p.count[PV_SEVERITY_MEDIUM], p.count[PV_SEVERITY_LOW]);
		code = high ? EXIT_FAIL : EXIT_OK;
	} else {
		unsigned n = p.count[1] + p.count[2] + p.count[3];
		if (n)
			printf("%u finding%s: %u high, %u medium, %u low\n", n, n == 1 ? "" : "s",
			       p.count[PV_SEVERITY_HIGH], p.count[PV_SEVERITY_MEDIUM],
			       p.count[PV_SEVERITY_LOW]);
		else
			puts("no findings");
		code = high ? EXIT_FAIL : EXIT_OK;
	}
	pv_vault_close(v);
	return code;
}
