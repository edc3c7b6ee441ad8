/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_keyring.c: `pivault keyring escrow --to KEY -o FILE` writes the keyring sealed to an
 * escrow key for disaster recovery; `pivault keyring escrow-key FILE` makes such a key;
 * `pivault keyring replay-ledger` re-applies the shred ledger to a store put back by
 * other means (a PostgreSQL point-in-time recovery). */
#include "cli.h"

#include <string.h>

static int run_escrow_key(struct cli_args *a)
{
	if (a->narg != 1)
		return cli_usage(a->prog, "escrow-key takes SECRET_FILE");
	char pk[65];
	pv_rc rc = pv_escrow_keygen(a->arg[0], pk);
	if (rc) {
		fprintf(stderr, "pivault: cannot write %s: %s\n", a->arg[0],
			rc == PV_ERR_EXISTS ? "it exists already" : pv_strerror(rc));
		return EXIT_FAIL;
	}
	puts(pk);
	return EXIT_OK;
}

static int run_escrow(struct cli_args *a)
{
	const char *to = cli_opt(a, "--to"), *out = cli_opt(a, "-o");
	if (!to || !out || a->narg)
		return cli_usage(a->prog, "escrow takes --to PUBLIC_KEY -o FILE");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_keyring_escrow(v, &who, to, out);
	if (rc)
		code = cli_fail(v, rc);
	else
		printf("escrow copy of the keyring written to %s\n", out);
	pv_vault_close(v);
	return code;
}

static int run_replay_ledger(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "replay-ledger takes no arguments");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_restore_result r;
	pv_rc rc = pv_vault_replay_ledger(v, &r);
	if (rc)
		code = cli_fail(v, rc);
	else
		printf("shred ledger re-applied: %llu customers removed again, %llu data keys "
		       "re-wrapped; %llu customers\n", (unsigned long long)r.removed,
		       (unsigned long long)r.rewrapped, (unsigned long long)r.customers);
	pv_vault_close(v);
	return code;
}

static const struct cli_cmd subs[] = {
	{ "replay-ledger", "", "re-apply the shred ledger after the store was put back",
	  "After the vault's store was put back by other means than pivault restore (a\n"
	  "PostgreSQL point-in-time recovery or base backup, a DBA's restore of the database):\n"
	  "customers shredded since are removed again and data keys re-wrapped since are put\n"
	  "back from the ledger beside the live keyring, so every customer not shredded reads.\n"
	  "On a vault that was not put back it changes nothing. The root key only.\n",
	  NULL, CLI_COMMON, run_replay_ledger, NULL },
	{ "escrow", "--to PUBLIC_KEY -o FILE", "write the keyring sealed to an escrow key",
	  "The vault records each copy; a destruction certificate names the copies made before\n"
	  "it, which still hold the destroyed keys until renewed.\n",
	  (const struct cli_opt[]){ { "--to", NULL, "PUBLIC_KEY", "the escrow key (X25519, hex)",
				      NULL },
				    { "-o", NULL, "FILE", "the escrow copy to write", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_escrow, NULL },
	{ "escrow-key", "SECRET_FILE", "write a new escrow secret key, print its public key", NULL,
	  NULL, 0, run_escrow_key, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_keyring = {
	.name = "keyring",
	.summary = "escrow copies of the keyring for disaster recovery; the shred ledger replayed",
	.about = "An escrow copy is the keyring sealed to an escrow key (X25519), kept apart for\n"
		 "disaster recovery.\n",
	.subs = subs,
};
