/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_handover.c: `pivault handover export|import|confirm|verify-receipt`: the sealed
 * package that moves a transfer's customers to the recipient, the recipient's signed
 * receipt, and the sender's confirmation that shreds its copy. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

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

void cli_print_handover_summary(const char *what, const pv_handover_summary *s, int json)
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
	cli_print_handover_summary("imported", &s, json);
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

/* The package, plan or receipt the subcommand names (its one argument); NULL after the
 * usage message. */
static const char *the_file(struct cli_args *a, int *code)
{
	return cli_one_arg(a, "one argument is expected", "name the plan, package or receipt", code);
}

static int run_export(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *plan = the_file(a, &code), *out_path = cli_opt(a, "-o");
	if (!plan)
		return code;
	if (!out_path)
		return cli_usage(a->prog, "export needs -o PACKAGE");
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_handover_summary s;
	cli_progress_begin(v, "handover export");
	pv_rc rc = pv_handover_export(v, &who, plan, out_path, &s);
	cli_progress_end(v);
	if (!rc)
		cli_print_handover_summary("exported", &s, a->common.json);
	return cli_done(v, rc, EXIT_OK);
}

static int run_import_cmd(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *package = the_file(a, &code), *key_path = cli_opt(a, "--sender-key");
	if (!package)
		return code;
	pv_handover_import_opts io = { .identity_file = cli_opt(a, "--identity") };
	if (cli_flag(a, "--drop-unmapped"))
		io.flags |= PV_HANDOVER_DROP_UNMAPPED;
	if (cli_flag(a, "--archive"))
		io.flags |= PV_HANDOVER_ARCHIVE;
	if (!io.identity_file)
		return cli_usage(a->prog, "import needs --identity KEYFILE");
	char *sender_key = key_path ? cli_read_text(key_path, 1 << 20) : NULL;
	if (key_path && !sender_key)
		return EXIT_FAIL;
	io.sender_key = sender_key;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (v) {
		pv_access who = cli_access(&a->common);
		code = EXIT_OK;
		pv_rc rc = run_import(v, &who, package, &io, cli_opt(a, "--receipt"),
				      a->common.json, &code);
		code = cli_done(v, rc, code);
	}
	free(sender_key);
	return code;
}

static int run_confirm_cmd(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *receipt = the_file(a, &code);
	if (!receipt)
		return code;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	code = EXIT_OK;
	pv_rc rc = run_confirm(v, &who, receipt, cli_opt(a, "-o"), &code);
	return cli_done(v, rc, code);
}

static int run_verify_receipt(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *receipt = the_file(a, &code), *key = cli_opt(a, "--recipient-vault-key");
	if (!receipt)
		return code;
	if (key)
		return verify_receipt(NULL, NULL, receipt, key);
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	code = verify_receipt(v, &who, receipt, NULL);
	pv_vault_close(v);
	return code;
}

#define END_OPTS { NULL, NULL, NULL, NULL, NULL }

static const struct cli_cmd subs[] = {
	{ "export", "PLAN -o PACKAGE [--request REQ]", "write the sealed package of a transfer plan",
	  "An age file (to the recipient's key) holding a tar archive of the records, schema,\n"
	  "consents, notices, the checklist and the manifest signed in minisign format. Users\n"
	  "need an approved request: pivault request handover export PLAN. The recipient can\n"
	  "open it with `age -d -i KEY` and check it with `minisign -V -p sender.pub -m\n"
	  "manifest.json`.\n",
	  (const struct cli_opt[]){ { "-o", NULL, "PACKAGE", "the package file to write", NULL },
				    END_OPTS },
	  CLI_COMMON, run_export, NULL },
	{ "import", "PACKAGE --identity KEYFILE [--sender-key PUBFILE] [--drop-unmapped] "
	  "[--archive] [--receipt FILE]",
	  "import a package into this (the recipient's) vault, all or nothing",
	  "The whole package is verified, then imported under this vault's keys and schema;\n"
	  "fields this schema does not declare are refused unless --drop-unmapped. Writes the\n"
	  "signed receipt (default PACKAGE.receipt.json).\n",
	  (const struct cli_opt[]){
		  { "--identity", NULL, "KEYFILE", "the recipient's age identity", NULL },
		  { "--sender-key", NULL, "PUBFILE", "pin the sender's minisign public key", NULL },
		  { "--drop-unmapped", NULL, NULL, "leave out fields this schema does not declare",
		    NULL },
		  { "--archive", NULL, NULL, "a decommission archive (the values it does not keep "
		    "are empty, even where this schema requires them)", NULL },
		  { "--receipt", NULL, "FILE", "where the signed receipt goes", NULL },
		  END_OPTS },
	  CLI_COMMON, run_import_cmd, NULL },
	{ "confirm", "RECEIPT [-o CERTIFICATES] [--request REQ]",
	  "check the receipt (on the sender's vault), then shred every handed-over customer",
	  "The receipt is checked against the package sent and the recipient vault key the\n"
	  "plan pinned (transfer plan --recipient-vault-key, or transfer pin-key), never the\n"
	  "key the receipt carries; destruction certificates name the receipt. Users need an\n"
	  "approved request: pivault request handover confirm RECEIPT.\n",
	  (const struct cli_opt[]){ { "-o", NULL, "FILE", "write the certificates to FILE", NULL },
				    END_OPTS },
	  CLI_COMMON, run_confirm_cmd, NULL },
	{ "verify-receipt", "RECEIPT [--recipient-vault-key KEY]",
	  "make confirm's checks without confirming",
	  "With --recipient-vault-key KEY (as the recipient's `pivault pubkey` prints it) it\n"
	  "needs no vault and checks the signature by KEY alone.\n",
	  (const struct cli_opt[]){ { "--recipient-vault-key", NULL, "KEY",
				      "the recipient vault's public key", NULL },
				    END_OPTS },
	  CLI_COMMON, run_verify_receipt, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_handover = {
	.name = "handover",
	.summary = "the sealed handover package: export, import, confirm",
	.subs = subs,
};
