/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_backup.c: `pivault backup create|verify` (online backups of the data, signed) and
 * `pivault restore FILE DIR` (under the live keyring, with the shred ledger re-applied). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Verify file against the pinned public key and say so on standard output. */
static int print_verified(const char *file, const char *public_key_hex)
{
	char *summary = NULL;
	pv_rc rc = pv_backup_verify(file, public_key_hex, &summary);
	printf("%s: %s\n", file, rc ? pv_errmsg(NULL) : summary);
	pv_free(summary);
	return rc ? EXIT_FAIL : EXIT_OK;
}

/* The backup file the subcommand names (its one argument); NULL after the message. */
static const char *the_file(struct cli_args *a, int *code)
{
	return cli_one_arg(a, "one backup file is expected", "name the backup file", code);
}

static int run_create(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *file = the_file(a, &code);
	if (!file)
		return code;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *summary = NULL;
	pv_rc rc = pv_backup_create(v, &who, file, &summary);
	if (!rc)
		printf(a->common.json ? "%s\n" : "backup written to %s\n",
		       a->common.json ? summary : file);
	pv_free(summary);
	code = rc ? cli_fail(v, rc) : EXIT_OK;
	pv_vault_close(v);
	return code;
}

static int run_verify(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *file = the_file(a, &code), *pk = cli_opt(a, "--public-key");
	if (!file)
		return code;
	if (pk) /* no vault needed */
		return print_verified(file, pk);
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	char hex[65];
	pv_rc rc = pv_vault_public_key(v, hex);
	if (!rc)
		code = print_verified(file, hex);
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}

static const struct cli_cmd subs[] = {
	{ "create", "FILE [--json]", "take a consistent backup while the vault is in use",
	  "The database (only ciphertext and wrapped keys; the keyring is never in it) and a\n"
	  "trailer signed with the vault key.\n",
	  NULL, CLI_COMMON, run_create, NULL },
	{ "verify", "FILE [--public-key HEX]",
	  "check the signature and the image's SHA-256 without restoring",
	  "With the vault's public key: --public-key (as `pivault pubkey` prints it; no vault\n"
	  "needed), or the open vault's own; never the key the backup names. It prints the\n"
	  "key's fingerprint.\n",
	  (const struct cli_opt[]){ { "--public-key", NULL, "HEX", "the vault's public key", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_verify, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_backup = {
	.name = "backup",
	.summary = "online backups of the data: create, verify",
	.subs = subs,
};

static int run_restore(struct cli_args *a)
{
	const struct cli_common *c = &a->common;
	if (a->narg != 2)
		return cli_usage(a->prog, "restore takes the backup file and a new directory");
	if (!c->keyring)
		return cli_usage(a->prog, "name the live keyring with --keyring (or PIVAULT_KEYRING)");
	pv_key *key = cli_read_key(c, 0);
	if (!key)
		return EXIT_FAIL;
	pv_restore_result r;
	pv_rc rc = pv_restore(a->arg[0], a->arg[1], c->keyring, key, &r);
	pv_key_free(key);
	if (rc) {
		fprintf(stderr, "pivault: restore refused: %s\n", pv_errmsg(NULL));
		return EXIT_FAIL;
	}
	printf("restored %llu customers into %s (shred ledger: %llu removed again, %llu "
	       "re-wrapped)\n", (unsigned long long)r.customers, a->arg[1],
	       (unsigned long long)r.removed, (unsigned long long)r.rewrapped);
	return EXIT_OK;
}

const struct cli_cmd cli_cmd_restore = {
	.name = "restore",
	.args = "FILE DIR --keyring LIVE.keyring --key-file KEY",
	.summary = "restore a backup under the live keyring (restore FILE DIR)",
	.about = "Restore a backup into the new directory DIR under the live keyring (the one the\n"
		 "vault uses now; a backup holds no keys) with the root key, then re-apply the\n"
		 "shred ledger kept beside that keyring: customers shredded since the backup are\n"
		 "removed again, and data keys re-wrapped since are put back. On failure nothing\n"
		 "is left in DIR.\n",
	.flags = CLI_COMMON,
	.run = run_restore,
};
