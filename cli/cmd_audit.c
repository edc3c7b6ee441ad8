/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_audit.c: `pivault audit ...`: list who did what, sign and export checkpoints,
 * verify the whole log, and make and check Merkle proofs (check-proof needs no vault). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char audit_help[] =
	"usage: pivault audit SUBCOMMAND [OPTIONS]\n\n"
	"  alerts [--json]    bulk reads: exports, lists in clear, and users reading more\n"
	"                     customers in an hour than the threshold\n"
	"  threshold N        the bulk limit: customers a session may show in clear, and a\n"
	"                     user read in an hour before an alert (100; four eyes)\n"
	"  log [--customer ID] [--user U] [--since TIME] [--json]\n"
	"                     who did what; --customer: who touched that customer's data;\n"
	"                     here --user filters, and the acting user is given by --as\n"
	"  checkpoint [-o FILE]\n"
	"                     sign (size, chain head, Merkle root) and print it for a third\n"
	"                     party to keep (-o: write it to FILE)\n"
	"  verify [--checkpoint FILE]\n"
	"                     recompute the chain and every signature; with an exported\n"
	"                     checkpoint, also prove the log still holds what it signed\n"
	"  prove SEQ          an inclusion proof of entry SEQ against the latest checkpoint\n"
	"  consistency OLD_CHECKPOINT\n"
	"                     a proof that the log only grew since OLD_CHECKPOINT\n"
	"  check-proof PROOF [--checkpoint FILE [--old-checkpoint FILE] --public-key KEY]\n"
	"                     check a proof without the vault, against checkpoints signed\n"
	"                     by KEY: the vault's key as `pivault pubkey` prints it, got\n"
	"                     from the vault's owner (never the key a checkpoint names)\n";

/* Checkpoints and proofs are a few kilobytes. */
#define PROOF_MAX 65535

static int print_entry(void *ctx, const pv_audit_entry *e)
{
	int json = *(int *)ctx;
	if (json) {
		printf("{\"seq\":%llu,\"at\":", (unsigned long long)e->seq);
		cli_json_string(stdout, e->at);
		const char *names[] = { "user", "op", "ids", "purpose", "request", "outcome", "detail" };
		const char *vals[] = { e->user, e->op, e->ids, e->purpose, e->request, e->outcome,
				       e->detail };
		for (int i = 0; i < 7; i++) {
			printf(",\"%s\":", names[i]);
			cli_json_string(stdout, vals[i]);
		}
		puts("}");
	} else {
		/* long id lists are shortened on screen; --json gives them whole */
		size_t nids = *e->ids ? 1 : 0;
		for (const char *p = e->ids; *p; p++)
			nids += *p == ',';
		char ids[96];
		if (strlen(e->ids) < sizeof ids)
			snprintf(ids, sizeof ids, "%s", e->ids);
		else
			snprintf(ids, sizeof ids, "%.60s... (%zu ids)", e->ids, nids);
		printf("%6llu  %s  %-12s %-18s %-7s %s%s%s%s%s%s%s\n", (unsigned long long)e->seq,
		       e->at, e->user, e->op, e->outcome, ids, *e->purpose ? "  purpose=" : "",
		       e->purpose, *e->request ? "  request=" : "", e->request,
		       *e->detail ? "  " : "", e->detail);
	}
	return 0;
}

static int print_alert(void *ctx, const pv_audit_alert *a)
{
	if (*(int *)ctx) {
		printf("{\"seq\":%llu,\"at\":", (unsigned long long)a->seq);
		cli_json_string(stdout, a->at);
		fputs(",\"user\":", stdout);
		cli_json_string(stdout, a->user);
		fputs(",\"kind\":", stdout);
		cli_json_string(stdout, a->kind);
		fputs(",\"detail\":", stdout);
		cli_json_string(stdout, a->detail);
		puts("}");
	} else {
		printf("%6llu  %s  %-12s %-12s %s\n", (unsigned long long)a->seq, a->at, a->user,
		       a->kind, a->detail);
	}
	return 0;
}

static int check_proof(int argc, char **argv)
{
	const char *proof = NULL, *ck = NULL, *old = NULL, *key = NULL;
	static const char usage[] = "check-proof PROOF [--checkpoint FILE [--old-checkpoint FILE] "
				    "--public-key KEY]";
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--checkpoint") == 0 && i + 1 < argc)
			ck = argv[++i];
		else if (strcmp(argv[i], "--public-key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strcmp(argv[i], "--old-checkpoint") == 0 && i + 1 < argc)
			old = argv[++i];
		else if (!proof && argv[i][0] != '-')
			proof = argv[i];
		else
			return cli_usage("audit", usage);
	}
	if (!proof)
		return cli_usage("audit", "check-proof needs a proof file");
	if ((ck || old) && !key)
		return cli_usage("audit", "a checkpoint is checked against the vault's public key: "
				 "give --public-key KEY (as the vault's `pivault pubkey` prints it)");
	char *p = cli_read_text(proof, PROOF_MAX), *c = ck ? cli_read_text(ck, PROOF_MAX) : NULL, *o = old ? cli_read_text(old, PROOF_MAX) : NULL;
	int code = EXIT_FAIL;
	if (p && (!ck || c) && (!old || o)) {
		char *summary = NULL;
		pv_rc rc = pv_audit_check_proof(p, c, o, key, &summary);
		if (rc == PV_OK) {
			printf("valid: %s\n", summary);
			pv_free(summary);
			code = EXIT_OK;
		} else {
			fprintf(stderr, "pivault: invalid proof: %s\n", pv_errmsg(NULL));
			code = rc == PV_ERR_USAGE ? EXIT_USAGE : EXIT_FAIL;
		}
	}
	free(p);
	free(c);
	free(o);
	return code;
}

int cmd_audit(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs(audit_help, argc < 2 ? stderr : stdout);
		if (argc >= 2)
			fputs(cli_common_help, stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "check-proof") == 0)
		return check_proof(argc, argv);
	static const char *const subs[] = { "log", "checkpoint", "verify", "prove", "consistency",
					    "alerts", "threshold" };
	int known = 0;
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
		known |= strcmp(sub, subs[i]) == 0;
	if (!known)
		return cli_usage("audit", "unknown subcommand");
	struct cli_common c;
	cli_common_init(&c);
	pv_audit_filter f = { NULL, NULL, NULL };
	const char *out_path = NULL, *ck_path = NULL, *arg = NULL;
	for (int i = 2; i < argc; i++) {
		/* In `audit log`, --user filters by user; the acting user is PIVAULT_USER or --as. */
		if (strcmp(sub, "log") == 0 && strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
			f.user = argv[++i];
			continue;
		}
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		if (strcmp(argv[i], "--help") == 0) {
			fputs(audit_help, stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--customer") == 0 && i + 1 < argc) {
			f.customer = argv[++i];
		} else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			f.since = argv[++i];
		} else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			out_path = argv[++i];
		} else if (strcmp(argv[i], "--checkpoint") == 0 && i + 1 < argc) {
			ck_path = argv[++i];
		} else if (!arg && argv[i][0] != '-') {
			arg = argv[i];
		} else {
			return cli_usage("audit", "unknown argument");
		}
	}
	if (strcmp(sub, "threshold") == 0 && (!arg || atoi(arg) <= 0))
		return cli_usage("audit", "threshold needs a positive number");
	if ((strcmp(sub, "prove") == 0 || strcmp(sub, "consistency") == 0) && !arg)
		return cli_usage("audit", strcmp(sub, "prove") == 0 ? "prove needs SEQ"
								   : "consistency needs OLD_CHECKPOINT");
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_rc rc = PV_OK;
	char *text = NULL, *input = NULL;
	pv_access who = cli_access(&c);
	if (strcmp(sub, "log") == 0) {
		rc = pv_audit_log(v, &who, &f, print_entry, &c.json);
	} else if (strcmp(sub, "alerts") == 0) {
		rc = pv_audit_alerts(v, &who, print_alert, &c.json);
	} else if (strcmp(sub, "threshold") == 0) {
		rc = pv_audit_set_alert_threshold(v, &who, (unsigned)atoi(arg));
	} else if (strcmp(sub, "checkpoint") == 0) {
		rc = pv_audit_checkpoint(v, &who, &text);
	} else if (strcmp(sub, "verify") == 0) {
		if (ck_path && !(input = cli_read_text(ck_path, PROOF_MAX)))
			rc = PV_ERR_IO;
		else
			rc = pv_audit_verify(v, &who, input, &text);
		if (rc == PV_OK)
			printf("audit log verified: %s\n", text);
	} else if (strcmp(sub, "prove") == 0) {
		char *end;
		unsigned long long seq = strtoull(arg, &end, 10);
		rc = *end ? PV_ERR_USAGE : pv_audit_prove(v, &who, seq, &text);
	} else {
		if (!(input = cli_read_text(arg, PROOF_MAX)))
			rc = PV_ERR_IO;
		else
			rc = pv_audit_consistency(v, &who, input, &text);
	}
	if (rc == PV_OK && text && strcmp(sub, "verify") != 0) {
		FILE *out = out_path ? cli_create(out_path) : stdout;
		if (!out) {
			code = EXIT_FAIL;
		} else {
			fputs(text, out);
			if (out != stdout && fclose(out) != 0)
				code = EXIT_FAIL;
		}
	} else if (rc == PV_ERR_IO || rc == PV_ERR_USAGE) {
		code = rc == PV_ERR_USAGE ? cli_usage("audit", "SEQ must be a number") : EXIT_FAIL;
	} else if (rc) {
		code = cli_fail(v, rc);
	}
	pv_free(text);
	free(input);
	pv_vault_close(v);
	return code;
}
