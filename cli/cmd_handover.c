/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_handover.c: `pivault handover export|import|confirm|verify-receipt`: the sealed
 * package that moves a transfer's customers to the recipient, the recipient's signed
 * receipt, and the sender's confirmation that shreds its copy. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: pivault handover export PLAN -o PACKAGE [--request REQ]\n"
	"       pivault handover import PACKAGE --identity KEYFILE [--sender-key PUBFILE]\n"
	"                               [--drop-unmapped] [--archive] [--receipt FILE]\n"
	"       pivault handover confirm RECEIPT [-o CERTIFICATES] [--request REQ]\n"
	"       pivault handover verify-receipt RECEIPT [--recipient-vault-key KEY]\n\n"
	"export writes the package of a transfer plan: an age file (to the recipient's key)\n"
	"holding a tar archive of the records, schema, consents, notices, the checklist and\n"
	"the manifest signed in minisign format. Users need an approved request: pivault\n"
	"request handover export PLAN. The recipient can open it with `age -d -i KEY` and\n"
	"check it with `minisign -V -p sender.pub -m manifest.json`.\n"
	"import (on the recipient's vault) verifies the whole package and imports it under\n"
	"this vault's keys and schema, all or nothing; fields this schema does not declare\n"
	"are refused unless --drop-unmapped. --sender-key pins the sender's minisign public\n"
	"key. Writes the signed receipt to --receipt (default PACKAGE.receipt.json).\n"
	"--archive imports a decommission archive (its keeper's copy of what a law keeps;\n"
	"the values it does not keep are empty, even where this schema requires them).\n"
	"confirm (on the sender's vault) checks the receipt against the package sent and the\n"
	"recipient vault key the plan pinned (transfer plan --recipient-vault-key, or transfer\n"
	"pin-key), never the key the receipt carries, then shreds every handed-over customer\n"
	"with destruction certificates naming the receipt (users need an approved request:\n"
	"pivault request handover confirm RECEIPT).\n"
	"verify-receipt makes the same checks on the sender's vault without confirming; with\n"
	"--recipient-vault-key KEY (as the recipient's `pivault pubkey` prints it) it needs\n"
	"no vault and checks the signature by KEY alone.\n";

/* Check a receipt with the recipient vault key (key, no vault) or, with v, against the
 * transfer it names and the key its plan pinned. */
static int verify_receipt(pv_vault *v, const pv_access *who, const char *path, const char *key)
{
	char *text = cli_read_text(path, 1 << 20), *summary = NULL;
	if (!text)
		return EXIT_FAIL;
	pv_rc rc = v ? pv_handover_check_receipt(v, who, text, &summary)
		     : pv_receipt_verify(text, key, &summary);
	free(text);
	if (rc)
		fprintf(stderr, "pivault: %s: %s\n", path, pv_errmsg(v));
	else
		printf("%s: %s\n", path, summary);
	pv_free(summary);
	return rc == PV_ERR_USAGE ? EXIT_USAGE : rc ? EXIT_FAIL : EXIT_OK;
}

static void print_summary(const char *what, const pv_handover_summary *s, int json)
{
	if (json)
		printf("{\"package\":\"%s\",\"root_hash\":\"%s\",\"records\":%llu,\"excluded\":%llu,"
		       "\"bytes\":%llu,\"seconds\":%.3f}\n", s->package_id, s->root_hash,
		       (unsigned long long)s->records, (unsigned long long)s->excluded,
		       (unsigned long long)s->bytes, s->seconds);
	else
		printf("%s package %s: %llu records (%llu left out), root hash %s, %.1f s\n", what,
		       s->package_id, (unsigned long long)s->records,
		       (unsigned long long)s->excluded, s->root_hash, s->seconds);
}

static pv_rc run_import(pv_vault *v, const pv_access *who, const char *package,
			const pv_handover_import_opts *o, const char *receipt_path, int json,
			int *code)
{
	char *receipt = NULL;
	pv_handover_summary s;
	cli_progress_begin(v, "handover import");
	pv_rc rc = pv_handover_import(v, who, package, o, &receipt, &s);
	cli_progress_end(v);
	if (rc)
		return rc;
	char *def = NULL;
	if (!receipt_path) {
		size_t n = strlen(package) + 16;
		if ((def = malloc(n)))
			snprintf(def, n, "%s.receipt.json", package);
		receipt_path = def;
	}
	FILE *f = receipt_path ? cli_create(receipt_path) : NULL;
	if (!f || fprintf(f, "%s\n", receipt) < 0 || fclose(f) != 0) {
		fprintf(stderr, "pivault: imported, but the receipt file %s was not written; here "
			"it is:\n%s\n", receipt_path ? receipt_path : "", receipt);
		*code = EXIT_FAIL;
	}
	print_summary("imported", &s, json);
	if (!json && *code == EXIT_OK)
		printf("receipt: %s (send it to the sender)\n", receipt_path);
	free(def);
	pv_free(receipt);
	return PV_OK;
}

static pv_rc run_confirm(pv_vault *v, const pv_access *who, const char *receipt_path,
			 const char *out_path, int *code)
{
	char *receipt = cli_read_text(receipt_path, 1 << 20);
	if (!receipt) {
		*code = EXIT_FAIL;
		return PV_OK;
	}
	struct cli_cert_sink sink;
	if (cli_cert_sink_open(&sink, out_path) != 0) {
		free(receipt);
		*code = EXIT_FAIL;
		return PV_OK;
	}
	uint64_t n = 0;
	cli_progress_begin(v, "handover confirm");
	pv_rc rc = pv_handover_confirm(v, who, receipt, cli_keep_certificate, &sink, &n);
	cli_progress_end(v);
	if (cli_cert_sink_close(&sink) != 0)
		*code = EXIT_FAIL;
	if (!rc)
		fprintf(stderr, "handover confirmed: %llu customers shredded, %lu certificate%s\n",
			(unsigned long long)n, sink.count, sink.count == 1 ? "" : "s");
	free(receipt);
	return rc;
}

int cmd_handover(int argc, char **argv)
{
	static const char *const subs[] = { "export", "import", "confirm", "verify-receipt", NULL };
	int code;
	const char *sub = cli_subcommand(argc, argv, "handover", help, subs, &code);
	if (!sub)
		return code;
	struct cli_common c;
	cli_common_init(&c);
	const char *pos = NULL, *out_path = NULL, *receipt_path = NULL, *sender_key_path = NULL;
	const char *vault_key = NULL;
	pv_handover_import_opts io = { 0 };
	for (int i = 2; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out_path = argv[++i];
		else if (strcmp(argv[i], "--identity") == 0 && i + 1 < argc)
			io.identity_file = argv[++i];
		else if (strcmp(argv[i], "--sender-key") == 0 && i + 1 < argc)
			sender_key_path = argv[++i];
		else if (strcmp(argv[i], "--receipt") == 0 && i + 1 < argc)
			receipt_path = argv[++i];
		else if (strcmp(argv[i], "--recipient-vault-key") == 0 && i + 1 < argc)
			vault_key = argv[++i];
		else if (strcmp(argv[i], "--drop-unmapped") == 0)
			io.flags |= PV_HANDOVER_DROP_UNMAPPED;
		else if (strcmp(argv[i], "--archive") == 0)
			io.flags |= PV_HANDOVER_ARCHIVE;
		else if (argv[i][0] == '-' || pos)
			return cli_usage("handover", "unknown argument");
		else
			pos = argv[i];
	}
	if (!pos)
		return cli_usage("handover", "name the plan, package or receipt");
	int verify = strcmp(sub, "verify-receipt") == 0;
	if (verify && vault_key)
		return verify_receipt(NULL, NULL, pos, vault_key);
	if (vault_key)
		return cli_usage("handover", "--recipient-vault-key goes with verify-receipt (the key "
				 "confirm accepts is the one the plan pinned)");
	if (strcmp(sub, "export") == 0 && !out_path)
		return cli_usage("handover", "export needs -o PACKAGE");
	if (strcmp(sub, "import") == 0 && !io.identity_file)
		return cli_usage("handover", "import needs --identity KEYFILE");
	char *sender_key = sender_key_path ? cli_read_text(sender_key_path, 1 << 20) : NULL;
	if (sender_key_path && !sender_key)
		return EXIT_FAIL;
	io.sender_key = sender_key;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v) {
		free(sender_key);
		return code;
	}
	pv_access who = cli_access(&c);
	pv_rc rc;
	if (verify) {
		code = verify_receipt(v, &who, pos, NULL);
		free(sender_key);
		pv_vault_close(v);
		return code;
	}
	code = EXIT_OK;
	if (strcmp(sub, "export") == 0) {
		pv_handover_summary s;
		cli_progress_begin(v, "handover export");
		rc = pv_handover_export(v, &who, pos, out_path, &s);
		cli_progress_end(v);
		if (!rc)
			print_summary("exported", &s, c.json);
	} else if (strcmp(sub, "import") == 0) {
		rc = run_import(v, &who, pos, &io, receipt_path, c.json, &code);
	} else {
		rc = run_confirm(v, &who, pos, out_path, &code);
	}
	if (rc)
		code = cli_fail(v, rc);
	free(sender_key);
	pv_vault_close(v);
	return code;
}
