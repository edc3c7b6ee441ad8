/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_transfer.c: `pivault transfer plan|list|show|assess|consent|exclusions|notify|
 * shred-excluded`: planning a transfer to a new holder, its impact assessment, the
 * notices to customers, and the customers who stay out of the package. */
#include "cli.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: pivault transfer plan --recipient-name N --recipient-contact C\n"
	"                             --recipient-key FILE|age1... [--recipient-vault-key KEY]\n"
	"                             [--recipient-country CC]\n"
	"                             [--legal-basis B] [--scope S] [--fields F,...]\n"
	"                             [--purposes P,...] [--deadline YYYY-MM-DD] [--json]\n"
	"       pivault transfer pin-key PLAN --recipient-vault-key KEY [--request REQ]\n"
	"       pivault transfer list [--json]\n"
	"       pivault transfer show PLAN\n"
	"       pivault transfer assess PLAN [--html] [-o FILE]\n"
	"       pivault transfer consent PLAN ID --grant|--refuse --channel CH\n"
	"       pivault transfer exclusions PLAN [--json]\n"
	"       pivault transfer notify PLAN --purpose P [--lang zh|en] [--template FILE]\n"
	"                               [--jsonl]\n"
	"       pivault transfer shred-excluded PLAN [-o CERT]\n\n"
	"plan records who receives the customers (name, contact, age public key, country,\n"
	"and the signing key of the recipient's vault: KEY as its `pivault pubkey` prints\n"
	"it; read the fingerprint back to the recipient by phone before you rely on it),\n"
	"which customers (scope: all, consent:PURPOSE, category:CATEGORY or FIELD=VALUE),\n"
	"which fields, for which purposes (default: the same as when collected) and until\n"
	"when customers may object (default: 30 days). A country other than CN makes it a\n"
	"cross-border provision: --legal-basis standard-contract, certification or\n"
	"security-assessment is required, and each customer's separate consent (consent).\n"
	"assess prints the impact assessment (PIPL art. 55-56; JSON, or --html), made once\n"
	"and kept three years. notify writes one notice per customer to standard output as\n"
	"a mail-merge file (CSV, or --jsonl) with contact details in clear, and records each\n"
	"notice as queued; redirect it only where such data may be. The purpose must cover\n"
	"names and contacts for the role; the audit entry naming every customer told is\n"
	"written before the first notice goes out. exclusions lists who\n"
	"stays out of the package and why; shred-excluded destroys those who objected or\n"
	"asked for deletion (users need an approved request).\n"
	"pin-key pins the recipient vault key to a plan made without one (once; it never\n"
	"changes). Its receipt is checked against that key alone, and a plan without one\n"
	"cannot be confirmed. Users need an approved request: pivault request transfer\n"
	"pin-key PLAN --recipient-vault-key KEY. list, show and assess print its fingerprint.\n";

struct opts {
	pv_transfer_spec spec;
	const char *pos[2];
	size_t npos;
	const char *out_path, *template_path, *lang, *channel;
	int html, jsonl, grant, refuse;
};

/* Parse the options after the subcommand; 0, or the exit code of a usage error. */
static int parse(int argc, char **argv, struct cli_common *c, struct opts *o)
{
	static const struct {
		const char *name;
		size_t off;
	} valued[] = {
		{ "--recipient-name", offsetof(struct opts, spec.recipient_name) },
		{ "--recipient-contact", offsetof(struct opts, spec.recipient_contact) },
		{ "--recipient-key", offsetof(struct opts, spec.recipient_key) },
		{ "--recipient-vault-key", offsetof(struct opts, spec.recipient_vault_key) },
		{ "--recipient-country", offsetof(struct opts, spec.recipient_country) },
		{ "--legal-basis", offsetof(struct opts, spec.legal_basis) },
		{ "--scope", offsetof(struct opts, spec.scope) },
		{ "--fields", offsetof(struct opts, spec.fields) },
		{ "--purposes", offsetof(struct opts, spec.purposes) },
		{ "--deadline", offsetof(struct opts, spec.deadline) },
		{ "-o", offsetof(struct opts, out_path) },
		{ "--template", offsetof(struct opts, template_path) },
		{ "--lang", offsetof(struct opts, lang) },
		{ "--channel", offsetof(struct opts, channel) },
	};
	for (int i = 2; i < argc; i++) {
		int k = cli_common_option(c, argc, argv, &i), found = 0;
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		for (size_t j = 0; j < sizeof valued / sizeof *valued && !found; j++)
			if (strcmp(argv[i], valued[j].name) == 0) {
				if (i + 1 >= argc)
					return cli_usage("transfer", "an option is missing its value");
				*(const char **)((char *)o + valued[j].off) = argv[++i];
				found = 1;
			}
		if (found)
			continue;
		if (strcmp(argv[i], "--html") == 0)
			o->html = 1;
		else if (strcmp(argv[i], "--jsonl") == 0)
			o->jsonl = 1;
		else if (strcmp(argv[i], "--grant") == 0)
			o->grant = 1;
		else if (strcmp(argv[i], "--refuse") == 0)
			o->refuse = 1;
		else if (argv[i][0] == '-' || o->npos == 2)
			return cli_usage("transfer", "unknown argument");
		else
			o->pos[o->npos++] = argv[i];
	}
	return 0;
}

static int print_exclusion(void *ctx, const char *customer, const char *reason)
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

static pv_rc run_plan(pv_vault *v, const pv_access *who, const struct opts *o, int json)
{
	char *id = NULL;
	pv_rc rc = pv_transfer_plan(v, who, &o->spec, &id);
	if (!rc && json)
		printf("{\"transfer\":\"%s\"}\n", id);
	else if (!rc)
		printf("transfer plan %s recorded; next: pivault transfer assess %s, then pivault "
		       "transfer notify %s\n", id, id, id);
	char fp[PV_FINGERPRINT_SIZE];
	if (!rc && !json && pv_key_fingerprint(o->spec.recipient_vault_key, fp) == PV_OK)
		printf("recipient vault key pinned: fingerprint %s (read it back to the recipient "
		       "by phone)\n", fp);
	else if (!rc && !json)
		printf("no recipient vault key yet: its receipt cannot be confirmed until one is "
		       "pinned (pivault request transfer pin-key %s --recipient-vault-key KEY)\n", id);
	pv_free(id);
	return rc;
}

static pv_rc run_notify(pv_vault *v, const pv_access *who, const struct opts *o)
{
	char *tmpl = NULL;
	if (o->template_path && !(tmpl = cli_read_text(o->template_path, 1 << 20)))
		return PV_ERR_IO;
	uint64_t n = 0;
	pv_rc rc = pv_transfer_notify(v, who, o->pos[0], tmpl, o->lang,
				      o->jsonl ? PV_EXPORT_JSONL : PV_EXPORT_CSV, stdout, &n);
	if (!rc)
		fprintf(stderr, "pivault: %llu notice%s rendered and recorded as queued\n",
			(unsigned long long)n, n == 1 ? "" : "s");
	free(tmpl);
	return rc;
}

int cmd_transfer(int argc, char **argv)
{
	static const char *const subs[] = { "plan",	  "list",   "show",	"assess",
					    "consent",	  "exclusions", "notify", "shred-excluded",
					    "pin-key",	  NULL };
	int code;
	const char *sub = cli_subcommand(argc, argv, "transfer", help, subs, &code);
	if (!sub)
		return code;
	struct cli_common c;
	cli_common_init(&c);
	struct opts o = { 0 };
	if ((code = parse(argc, argv, &c, &o)))
		return code;
	int wants_plan = strcmp(sub, "plan") != 0 && strcmp(sub, "list") != 0;
	if (wants_plan && o.npos != 1 + (strcmp(sub, "consent") == 0))
		return cli_usage("transfer", strcmp(sub, "consent") == 0
						     ? "consent takes PLAN and a customer id"
						     : "name the transfer plan (T-...)");
	if (!wants_plan && o.npos)
		return cli_usage("transfer", "unexpected argument");
	if (strcmp(sub, "consent") == 0 && (o.grant == o.refuse || !o.channel))
		return cli_usage("transfer", "consent takes --grant or --refuse, and --channel");
	if (strcmp(sub, "pin-key") == 0 && !o.spec.recipient_vault_key)
		return cli_usage("transfer", "pin-key takes --recipient-vault-key KEY");
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc = PV_OK;
	char *text = NULL, *cert = NULL;
	code = EXIT_OK;
	if (strcmp(sub, "plan") == 0) {
		rc = run_plan(v, &who, &o, c.json);
	} else if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0) {
		rc = pv_transfer_list(v, &who, o.npos ? o.pos[0] : NULL, &text);
		if (!rc)
			code = cli_write_text(text, NULL);
	} else if (strcmp(sub, "assess") == 0) {
		rc = pv_transfer_assessment(v, &who, o.pos[0], o.html, &text);
		if (!rc)
			code = cli_write_text(text, o.out_path);
	} else if (strcmp(sub, "consent") == 0) {
		rc = pv_transfer_consent(v, &who, o.pos[0], o.pos[1], o.grant, o.channel);
		if (!rc)
			printf("separate consent of %s to %s: %s\n", o.pos[1], o.pos[0],
			       o.grant ? "given" : "refused");
	} else if (strcmp(sub, "exclusions") == 0) {
		rc = pv_transfer_exclusions(v, &who, o.pos[0], print_exclusion, &c.json);
	} else if (strcmp(sub, "notify") == 0) {
		rc = run_notify(v, &who, &o);
	} else if (strcmp(sub, "pin-key") == 0) {
		rc = pv_transfer_pin_vault_key(v, &who, o.pos[0], o.spec.recipient_vault_key);
		char fp[PV_FINGERPRINT_SIZE];
		if (!rc && pv_key_fingerprint(o.spec.recipient_vault_key, fp) == PV_OK)
			printf("transfer %s: recipient vault key %s pinned\n", o.pos[0], fp);
	} else {
		uint64_t n = 0;
		rc = pv_transfer_shred_excluded(v, &who, o.pos[0], &n, &cert);
		if (cert) {
			code = cli_shredded(v, rc, cert, o.out_path);
			rc = PV_OK; /* said by cli_shredded */
			fprintf(stderr, "%llu customer%s of %s shredded%s%s\n", (unsigned long long)n,
				n == 1 ? "" : "s", o.pos[0], o.out_path ? "; certificate in " : "",
				o.out_path ? o.out_path : "");
		}
		else if (!rc)
			printf("no customer of %s objected or asked for deletion\n", o.pos[0]);
	}
	if (rc)
		code = cli_fail(v, rc);
	pv_free(text);
	pv_free(cert);
	pv_vault_close(v);
	return code;
}
