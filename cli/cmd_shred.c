/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_shred.c: `pivault shred ID...` destroys customers and prints the signed
 * destruction certificate; `pivault certificate verify FILE` checks one with only the
 * vault's public key, `certificate list` and `certificate show HASH` give back those the
 * shred ledger keeps; `pivault pubkey` prints that key. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cli_write_certificate(const char *cert, const char *out_path)
{
	int code = EXIT_OK;
	FILE *out = out_path ? cli_create(out_path) : stdout;
	if (!out) {
		fprintf(stderr, "pivault: shredded, but the certificate could not go to %s; "
			"here it is:\n", out_path);
		out = stdout;
		code = EXIT_FAIL;
	}
	fprintf(out, "%s\n", cert);
	if (out != stdout && fclose(out) != 0)
		code = EXIT_FAIL;
	return code;
}

int cli_shredded(pv_vault *v, pv_rc rc, const char *cert, const char *out_path)
{
	if (!cert)
		return rc ? cli_fail(v, rc) : EXIT_OK;
	int code = cli_write_certificate(cert, out_path);
	if (rc) {
		fprintf(stderr, "pivault: %s\n", pv_errmsg(v));
		if (code == EXIT_OK)
			code = EXIT_INCOMPLETE;
	}
	return code;
}

static int run_shred(struct cli_args *a)
{
	size_t n = (size_t)a->narg;
	const char *out_path = cli_opt(a, "-o");
	if (n == 0)
		return cli_usage(a->prog, "at least one customer id is required");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *cert = NULL;
	pv_rc rc = pv_shred(v, &who, (const char *const *)a->arg, n, &cert);
	code = cli_shredded(v, rc, cert, out_path);
	if (!rc && out_path && code == EXIT_OK)
		fprintf(stderr, "shredded %zu customer%s; certificate in %s\n", n, n == 1 ? "" : "s",
			out_path);
	pv_free(cert);
	pv_vault_close(v);
	return code;
}

#define END_OPTS { NULL, NULL, NULL, NULL, NULL }

const struct cli_cmd cli_cmd_shred = {
	.name = "shred",
	.args = "ID... [-o FILE] [--request REQ]",
	.summary = "destroy customers, with a signed destruction certificate",
	.about = "Destroy customers by crypto-shredding: their data keys, fields, index entries and\n"
		 "consents are deleted and the keys of their buckets replaced and overwritten in\n"
		 "place, so no earlier copy of the data can yield them. Prints the signed\n"
		 "destruction certificate (-o: writes it to FILE). Users need an approved request:\n"
		 "pivault request shred ID...\n\n"
		 "Exit status 3: the customers were shredded and the certificate written, but a\n"
		 "step after the shred failed (the shred ledger, the keyring's overwrite): the\n"
		 "message says what is left to do. Keep the certificate: the shred is not undone.\n",
	.opts = (const struct cli_opt[]){
		{ "-o", NULL, "FILE", "write the certificate to FILE (a new file)", NULL },
		END_OPTS },
	.flags = CLI_COMMON,
	.run = run_shred,
};

static int certificate_verify(struct cli_args *a)
{
	const char *file = a->narg == 1 ? a->arg[0] : NULL, *key = cli_opt(a, "--public-key");
	if (!file || !key)
		return cli_usage(a->prog, "verify takes FILE and --public-key HEX");
	char *text = cli_read_text(file, 8 << 20);
	if (!text)
		return EXIT_FAIL;
	char *summary = NULL;
	pv_rc rc = pv_certificate_verify(text, key, &summary);
	free(text);
	if (rc) {
		fprintf(stderr, "pivault: certificate %s: %s\n", file, pv_errmsg(NULL));
		return rc == PV_ERR_USAGE ? EXIT_USAGE : EXIT_FAIL;
	}
	printf("%s: %s\n", file, summary);
	pv_free(summary);
	return EXIT_OK;
}

/* What list and show gather from the ledger. */
struct kept {
	pv_vault *v;
	int json;
	size_t count;
	const char *want; /* show: the hash or its first digits */
	size_t matches;
	char *text;       /* show: the certificate found */
};

static int list_one(void *ctx, const pv_certificate_info *c)
{
	struct kept *k = ctx;
	unsigned nodes = 0, pending = 0; /* now, on every keyring node */
	int known = pv_certificate_nodes_pending(k->v, c->text, &nodes, &pending) == PV_OK;
	if (k->json) {
		fputs(k->count ? ",\n  {\"hash\": " : "[\n  {\"hash\": ", stdout);
		cli_json_string(stdout, c->hash);
		fputs(", \"time\": ", stdout);
		cli_json_string(stdout, c->time);
		printf(", \"customers\": %llu", (unsigned long long)c->customers);
		if (known)
			printf(", \"nodes\": %u, \"nodes_pending\": %u", nodes, pending);
		fputs("}", stdout);
	} else {
		printf("%s  %s  %llu customer%s", c->hash, c->time,
		       (unsigned long long)c->customers, c->customers == 1 ? "" : "s");
		if (known && pending)
			printf("  %u of %u keyring nodes pending (pivault node list)", pending, nodes);
		else if (known)
			printf("  complete on %u keyring node%s", nodes, nodes == 1 ? "" : "s");
		puts("");
	}
	k->count++;
	return 0;
}

static int show_one(void *ctx, const pv_certificate_info *c)
{
	struct kept *k = ctx;
	if (strncmp(c->hash, k->want, strlen(k->want)) != 0)
		return 0;
	if (++k->matches == 1 && !(k->text = strdup(c->text)))
		return 1;
	return 0;
}

static int certificate_kept(struct cli_args *a)
{
	int show = strcmp(a->cmd->name, "show") == 0;
	struct kept k = { 0 };
	const char *out_path = show ? cli_opt(a, "-o") : NULL;
	if (a->narg > show)
		return cli_usage(a->prog, "unexpected argument");
	k.want = show && a->narg ? a->arg[0] : NULL;
	if (show && (!k.want || strlen(k.want) < 8 || strspn(k.want, "0123456789abcdef") !=
							     strlen(k.want)))
		return cli_usage(a->prog, "show takes the certificate's hash (at least its "
				 "first 8 hex digits, as 'certificate list' prints it)");
	struct cli_common c = a->common;
	k.json = c.json && !show;
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	k.v = v;
	pv_rc rc = pv_certificates(v, &who, show ? show_one : list_one, &k);
	if (rc) {
		free(k.text);
		code = cli_fail(v, rc);
		pv_vault_close(v);
		return code;
	}
	pv_vault_close(v);
	if (!show) {
		if (k.json)
			fputs(k.count ? "\n]\n" : "[]\n", stdout);
		return EXIT_OK;
	}
	if (k.matches != 1) {
		fprintf(stderr, "pivault: %s destruction certificate in the shred ledger has a hash "
			"beginning %s\n", k.matches ? "more than one" : "no", k.want);
		free(k.text);
		return EXIT_FAIL;
	}
	code = cli_write_text(k.text, out_path);
	free(k.text);
	return code;
}

static const struct cli_cmd certificate_subs[] = {
	{ "verify", "FILE --public-key HEX", "check a destruction certificate with only the "
	  "vault's public key",
	  "The key comes from 'pivault pubkey' on that vault, its fingerprint confirmed with its\n"
	  "owner; no vault is needed. The key the certificate names is never trusted alone.\n",
	  (const struct cli_opt[]){ { "--public-key", NULL, "HEX", "the vault's public key", NULL },
				    END_OPTS },
	  0, certificate_verify, NULL },
	{ "list", "[--json]", "the destruction certificates the shred ledger keeps",
	  "The ledger beside the keyring keeps every shred's certificate, whatever became of\n"
	  "the file it was written to, with the hash the audit log names. Needs a role with\n"
	  "'audit' or 'shred'.\n",
	  NULL, CLI_COMMON, certificate_kept, NULL },
	{ "show", "HASH [-o FILE]", "one of them, by its hash or its first digits",
	  "Needs a role with 'audit' or 'shred'.\n",
	  (const struct cli_opt[]){ { "-o", NULL, "FILE", "write it to FILE (a new file)", NULL },
				    END_OPTS },
	  CLI_COMMON, certificate_kept, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_certificate = {
	.name = "certificate",
	.summary = "verify a destruction certificate (certificate verify FILE)",
	.subs = certificate_subs,
};

static int run_pubkey(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "pubkey takes no argument");
	int code = EXIT_FAIL;
	const struct cli_common c = a->common;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	char hex[65], fp[PV_FINGERPRINT_SIZE];
	pv_rc rc = pv_vault_public_key(v, hex);
	if (!rc)
		rc = pv_key_fingerprint(hex, fp);
	if (rc)
		code = cli_fail(v, rc);
	else if (c.json)
		printf("{\"public_key\":\"%s\",\"fingerprint\":\"%s\"}\n", hex, fp);
	else {
		puts(hex);
		fprintf(stderr, "fingerprint %s\n", fp);
	}
	pv_vault_close(v);
	return code;
}

const struct cli_cmd cli_cmd_pubkey = {
	.name = "pubkey",
	.args = "[--json]",
	.summary = "print the vault's signing public key",
	.about = "Print the vault's Ed25519 public key (64 hex digits, on standard output), which\n"
		 "verifies its checkpoints, certificates, backups and handover receipts, and its\n"
		 "fingerprint (on standard error), to read out when another party pins the key\n"
		 "(e.g. a seller's transfer plan --recipient-vault-key).\n",
	.flags = CLI_COMMON,
	.run = run_pubkey,
};
