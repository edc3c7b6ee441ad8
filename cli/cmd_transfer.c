/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_transfer.c: `pivault transfer plan|list|show|assess|consent|exclusions|notify|
 * shred-excluded`: planning a transfer to a new holder, its impact assessment, the
 * notices to customers, and the customers who stay out of the package. */
#include "cli.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

int cli_print_exclusion(void *ctx, const char *customer, const char *reason)
{
	if (*(int *)ctx) {
		printf("{\"customer\":");
		cli_json_string(stdout, customer);
		printf(",\"reason\":");
		cli_json_string(stdout, reason);
		printf("}\n");
	} else {
		printf("%-16s %s\n", customer, reason);
	}
	return 0;
}

/* The plan the subcommand names (and, for consent, the customer): exactly n arguments;
 * NULL after the usage message. */
static const char *the_plan(struct cli_args *a, int n, int *code)
{
	if (a->narg != n) {
		*code = cli_usage(a->prog, n == 2 ? "consent takes PLAN and a customer id"
						  : "name the transfer plan (T-...)");
		return NULL;
	}
	return a->arg[0];
}

void cli_print_planned(const char *id, const char *vault_key, int json)
{
	char fp[PV_FINGERPRINT_SIZE];
	if (json) {
		printf("{\"transfer\":\"%s\"}\n", id);
		return;
	}
	printf("transfer plan %s recorded; next: pivault transfer assess %s, then pivault "
	       "transfer notify %s\n", id, id, id);
	if (pv_key_fingerprint(vault_key, fp) == PV_OK)
		printf("recipient vault key pinned: fingerprint %s (read it back to the recipient "
		       "by phone)\n", fp);
	else
		printf("no recipient vault key yet: its receipt cannot be confirmed until one is "
		       "pinned (pivault request transfer pin-key %s --recipient-vault-key KEY)\n", id);
}

static int run_plan(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "unexpected argument");
	pv_transfer_spec spec = {
		.recipient_name = cli_opt(a, "--recipient-name"),
		.recipient_contact = cli_opt(a, "--recipient-contact"),
		.recipient_key = cli_opt(a, "--recipient-key"),
		.recipient_vault_key = cli_opt(a, "--recipient-vault-key"),
		.recipient_country = cli_opt(a, "--recipient-country"),
		.legal_basis = cli_opt(a, "--legal-basis"),
		.scope = cli_opt(a, "--scope"),
		.fields = cli_opt(a, "--fields"),
		.purposes = cli_opt(a, "--purposes"),
		.deadline = cli_opt(a, "--deadline"),
	};
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *id = NULL;
	pv_rc rc = pv_transfer_plan(v, &who, &spec, &id);
	if (!rc)
		cli_print_planned(id, spec.recipient_vault_key, a->common.json);
	pv_free(id);
	return cli_done(v, rc, EXIT_OK);
}

/* list (no plan) and show PLAN: the plans as the library writes them. */
static int run_list(struct cli_args *a)
{
	int code = EXIT_FAIL, show = strcmp(a->cmd->name, "show") == 0;
	const char *plan = show ? the_plan(a, 1, &code) : NULL;
	if (show && !plan)
		return code;
	if (!show && a->narg)
		return cli_usage(a->prog, "unexpected argument");
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *text = NULL;
	pv_rc rc = pv_transfer_list(v, &who, plan, &text);
	if (!rc)
		code = cli_write_text(text, NULL);
	pv_free(text);
	return cli_done(v, rc, code);
}

static int run_assess(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *plan = the_plan(a, 1, &code);
	if (!plan)
		return code;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *text = NULL;
	pv_rc rc = pv_transfer_assessment(v, &who, plan,
					   cli_flag(a, "--html") ? PV_RENDER_HTML : PV_RENDER_JSON, &text);
	if (!rc)
		code = cli_write_text(text, cli_opt(a, "-o"));
	pv_free(text);
	return cli_done(v, rc, code);
}

static int run_consent(struct cli_args *a)
{
	int code = EXIT_FAIL, grant = cli_flag(a, "--grant");
	const char *plan = the_plan(a, 2, &code), *channel = cli_opt(a, "--channel");
	if (!plan)
		return code;
	if (grant == cli_flag(a, "--refuse") || !channel)
		return cli_usage(a->prog, "consent takes --grant or --refuse, and --channel");
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_transfer_consent(v, &who, plan, a->arg[1],
					grant ? PV_CONSENT_GRANTED : PV_CONSENT_WITHDRAWN, channel);
	if (!rc)
		printf("separate consent of %s to %s: %s\n", a->arg[1], plan,
		       grant ? "given" : "refused");
	return cli_done(v, rc, code);
}

static int run_exclusions(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *plan = the_plan(a, 1, &code);
	if (!plan)
		return code;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_transfer_exclusions(v, &who, plan, cli_print_exclusion, &a->common.json);
	return cli_done(v, rc, code);
}

static int run_notify(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *plan = the_plan(a, 1, &code), *tmpl_path = cli_opt(a, "--template");
	if (!plan)
		return code;
	char *tmpl = NULL;
	if (tmpl_path && !(tmpl = cli_read_text(tmpl_path, 1 << 20)))
		return EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (v) {
		pv_access who = cli_access(&a->common);
		uint64_t n = 0;
		pv_export_format form = cli_flag(a, "--jsonl") ? PV_EXPORT_JSONL : PV_EXPORT_CSV;
		pv_rc rc = pv_transfer_notify(v, &who, plan, tmpl, cli_opt(a, "--lang"), form,
					      stdout, &n);
		if (!rc)
			fprintf(stderr, "pivault: %llu notice%s rendered and recorded as queued\n",
				(unsigned long long)n, n == 1 ? "" : "s");
		code = cli_done(v, rc, code);
	}
	free(tmpl);
	return code;
}

static int run_pin_key(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *plan = the_plan(a, 1, &code), *key = cli_opt(a, "--recipient-vault-key");
	if (!plan)
		return code;
	if (!key)
		return cli_usage(a->prog, "pin-key takes --recipient-vault-key KEY");
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_transfer_pin_vault_key(v, &who, plan, key);
	char fp[PV_FINGERPRINT_SIZE];
	if (!rc && pv_key_fingerprint(key, fp) == PV_OK)
		printf("transfer %s: recipient vault key %s pinned\n", plan, fp);
	return cli_done(v, rc, code);
}

static int run_shred_excluded(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *plan = the_plan(a, 1, &code), *out_path = cli_opt(a, "-o");
	if (!plan)
		return code;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	uint64_t n = 0;
	char *cert = NULL;
	pv_rc rc = pv_transfer_shred_excluded(v, &who, plan, &n, &cert);
	if (cert) {
		code = cli_shredded(v, rc, cert, out_path);
		rc = PV_OK; /* said by cli_shredded */
		fprintf(stderr, "%llu customer%s of %s shredded%s%s\n", (unsigned long long)n,
			n == 1 ? "" : "s", plan, out_path ? "; certificate in " : "",
			out_path ? out_path : "");
	} else if (!rc) {
		printf("no customer of %s objected or asked for deletion\n", plan);
	}
	pv_free(cert);
	return cli_done(v, rc, code);
}

#define END_OPTS { NULL, NULL, NULL, NULL, NULL }
#define VAULT_KEY_OPT { "--recipient-vault-key", NULL, "KEY", \
	"the recipient vault's signing key, as its `pivault pubkey` prints it", NULL }

static const struct cli_opt plan_opts[] = {
	{ "--recipient-name", NULL, "N", "who receives the customers", NULL },
	{ "--recipient-contact", NULL, "C", "how to reach them", NULL },
	{ "--recipient-key", NULL, "FILE|age1...", "their age public key", NULL },
	VAULT_KEY_OPT,
	{ "--recipient-country", NULL, "CC", "their country (not CN: a cross-border provision)",
	  NULL },
	{ "--legal-basis", NULL, "B", "standard-contract, certification or security-assessment",
	  NULL },
	{ "--scope", NULL, "S", "all, consent:PURPOSE, category:CATEGORY or FIELD=VALUE", NULL },
	{ "--fields", NULL, "F,...", "the fields handed over", NULL },
	{ "--purposes", NULL, "P,...", "their purposes (default: as when collected)", NULL },
	{ "--deadline", NULL, "YYYY-MM-DD", "until when customers may object (default: 30 days)",
	  NULL },
	END_OPTS
};

static const struct cli_cmd subs[] = {
	{ "plan", "--recipient-name N --recipient-contact C --recipient-key FILE|age1... "
	  "[--recipient-vault-key KEY] [--recipient-country CC] [--legal-basis B] [--scope S] "
	  "[--fields F,...] [--purposes P,...] [--deadline YYYY-MM-DD] [--json]",
	  "record who receives which customers, which fields, for which purposes",
	  "Read the recipient vault key's fingerprint back to the recipient by phone before\n"
	  "you rely on it. A country other than CN makes it a cross-border provision:\n"
	  "--legal-basis is required, and each customer's separate consent (consent).\n",
	  plan_opts, CLI_COMMON, run_plan, NULL },
	{ "pin-key", "PLAN --recipient-vault-key KEY [--request REQ]",
	  "pin the recipient vault key to a plan made without one (once; it never changes)",
	  "Its receipt is checked against that key alone, and a plan without one cannot be\n"
	  "confirmed. Users need an approved request: pivault request transfer pin-key PLAN\n"
	  "--recipient-vault-key KEY.\n",
	  (const struct cli_opt[]){ VAULT_KEY_OPT, END_OPTS }, CLI_COMMON, run_pin_key, NULL },
	{ "list", "[--json]", "the transfer plans, with their vault keys' fingerprints", NULL,
	  NULL, CLI_COMMON, run_list, NULL },
	{ "show", "PLAN", "one transfer plan", NULL, NULL, CLI_COMMON, run_list, NULL },
	{ "assess", "PLAN [--html] [-o FILE]",
	  "the impact assessment (PIPL art. 55-56; JSON, or --html), made once, kept three years",
	  NULL,
	  (const struct cli_opt[]){ { "--html", NULL, NULL, "as an HTML page", NULL },
				    { "-o", NULL, "FILE", "write it to FILE (a new file)", NULL },
				    END_OPTS },
	  CLI_COMMON, run_assess, NULL },
	{ "consent", "PLAN ID --grant|--refuse --channel CH",
	  "record a customer's separate consent to a cross-border transfer", NULL,
	  (const struct cli_opt[]){ { "--grant", NULL, NULL, "consent given", NULL },
				    { "--refuse", NULL, NULL, "consent refused", NULL },
				    { "--channel", NULL, "CH", "how it was given", NULL },
				    END_OPTS },
	  CLI_COMMON, run_consent, NULL },
	{ "exclusions", "PLAN [--json]", "who stays out of the package, and why", NULL, NULL,
	  CLI_COMMON, run_exclusions, NULL },
	{ "notify", "PLAN --purpose P [--lang zh|en] [--template FILE] [--jsonl]",
	  "one notice per customer on standard output, each recorded as queued",
	  "A mail-merge file (CSV, or --jsonl) with contact details in clear: redirect it only\n"
	  "where such data may be. The purpose must cover names and contacts for the role;\n"
	  "the audit entry naming every customer told is written before the first notice.\n",
	  (const struct cli_opt[]){ { "--lang", NULL, "zh|en", "the notice's language", NULL },
				    { "--template", NULL, "FILE", "the notice's text", NULL },
				    { "--jsonl", NULL, NULL, "JSON Lines instead of CSV", NULL },
				    END_OPTS },
	  CLI_COMMON, run_notify, NULL },
	{ "shred-excluded", "PLAN [-o CERT]",
	  "destroy those who objected or asked for deletion (users need an approved request)",
	  NULL,
	  (const struct cli_opt[]){ { "-o", NULL, "FILE", "write the certificate to FILE", NULL },
				    END_OPTS },
	  CLI_COMMON, run_shred_excluded, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_transfer = {
	.name = "transfer",
	.summary = "plan a transfer to a new holder: assessment, notices, objections",
	.subs = subs,
};
