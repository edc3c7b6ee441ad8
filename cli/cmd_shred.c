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

int cmd_shred(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault shred ID... [-o FILE] [--request REQ]\n\n"
		"Destroy customers by crypto-shredding: their data keys, fields, index entries and\n"
		"consents are deleted and the keys of their buckets replaced and overwritten in\n"
		"place, so no earlier copy of the data can yield them. Prints the signed\n"
		"destruction certificate (-o: writes it to FILE). Users need an approved request:\n"
		"pivault request shred ID...\n\n"
		"Exit status 3: the customers were shredded and the certificate written, but a\n"
		"step after the shred failed (the shred ledger, the keyring's overwrite): the\n"
		"message says what is left to do. Keep the certificate: the shred is not undone.\n";
	struct cli_common c;
	cli_common_init(&c);
	char *ids[argc];
	size_t n = 0;
	const char *out_path = NULL;
	for (int i = 1; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		if (strcmp(argv[i], "--help") == 0) {
			fputs(help, stdout);
			fputs(cli_common_help, stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			out_path = argv[++i];
		} else if (argv[i][0] == '-') {
			return cli_usage("shred", "unknown option");
		} else {
			ids[n++] = argv[i];
		}
	}
	if (n == 0)
		return cli_usage("shred", "at least one customer id is required");
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	char *cert = NULL;
	pv_rc rc = pv_shred(v, &who, (const char *const *)ids, n, &cert);
	code = cli_shredded(v, rc, cert, out_path);
	if (!rc && out_path && code == EXIT_OK)
		fprintf(stderr, "shredded %zu customer%s; certificate in %s\n", n, n == 1 ? "" : "s",
			out_path);
	pv_free(cert);
	pv_vault_close(v);
	return code;
}

static int certificate_verify(int argc, char **argv)
{
	const char *file = NULL, *key = NULL;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--public-key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (!file && argv[i][0] != '-')
			file = argv[i];
		else
			return cli_usage("certificate", "verify FILE --public-key HEX");
	}
	if (!file || !key)
		return cli_usage("certificate", "verify FILE --public-key HEX");
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
	int json;
	size_t count;
	const char *want; /* show: the hash or its first digits */
	size_t matches;
	char *text;       /* show: the certificate found */
};

static int list_one(void *ctx, const pv_certificate_info *c)
{
	struct kept *k = ctx;
	if (k->json) {
		fputs(k->count ? ",\n  {\"hash\": " : "[\n  {\"hash\": ", stdout);
		cli_json_string(stdout, c->hash);
		fputs(", \"time\": ", stdout);
		cli_json_string(stdout, c->time);
		printf(", \"customers\": %llu}", (unsigned long long)c->customers);
	} else {
		printf("%s  %s  %llu customer%s\n", c->hash, c->time,
		       (unsigned long long)c->customers, c->customers == 1 ? "" : "s");
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

static int certificate_kept(int argc, char **argv, int show)
{
	struct cli_common c;
	cli_common_init(&c);
	struct kept k = { 0 };
	const char *out_path = NULL;
	for (int i = 2; i < argc; i++) {
		int o = cli_common_option(&c, argc, argv, &i);
		if (o < 0)
			return EXIT_USAGE;
		if (o)
			continue;
		if (show && strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out_path = argv[++i];
		else if (show && !k.want && argv[i][0] != '-')
			k.want = argv[i];
		else
			return cli_usage("certificate", show ? "show HASH [-o FILE]" : "list [--json]");
	}
	if (show && (!k.want || strlen(k.want) < 8 || strspn(k.want, "0123456789abcdef") !=
							     strlen(k.want)))
		return cli_usage("certificate", "show takes the certificate's hash (at least its "
				 "first 8 hex digits, as 'certificate list' prints it)");
	k.json = c.json && !show;
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
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

int cmd_certificate(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault certificate verify FILE --public-key HEX\n"
		"       pivault certificate list [--json]\n"
		"       pivault certificate show HASH [-o FILE]\n\n"
		"verify: check a destruction certificate with only the vault's public key (from\n"
		"'pivault pubkey' on that vault, its fingerprint confirmed with its owner); no\n"
		"vault is needed. The key the certificate names is never trusted alone.\n"
		"list: the destruction certificates the shred ledger beside the keyring keeps\n"
		"(every shred's, whatever became of the file it was written to), with the hash\n"
		"the audit log names. show: one of them, by its hash or its first digits.\n"
		"list and show need a role with 'audit' or 'shred'.\n";
	static const char *const subs[] = { "verify", "list", "show", NULL };
	int code;
	const char *sub = cli_subcommand(argc, argv, "certificate", help, subs, &code);
	if (!sub)
		return code;
	if (strcmp(sub, "verify") == 0)
		return certificate_verify(argc, argv);
	return certificate_kept(argc, argv, strcmp(sub, "show") == 0);
}

int cmd_pubkey(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault pubkey [--json]\n\n"
		"Print the vault's Ed25519 public key (64 hex digits, on standard output), which\n"
		"verifies its checkpoints, certificates, backups and handover receipts, and its\n"
		"fingerprint (on standard error), to read out when another party pins the key\n"
		"(e.g. a seller's transfer plan --recipient-vault-key).\n";
	struct cli_common c;
	int code;
	pv_vault *v = cli_open_plain(argc, argv, "pubkey", help, &c, &code);
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
