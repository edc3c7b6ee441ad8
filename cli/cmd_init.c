/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_init.c: `pivault init DIR --schema FILE` creates a vault and its keyring;
 * `pivault keygen FILE` writes a new random root key file. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* The vault made: its directory and id. */
static void print_created(const char *dir, pv_vault *v, const char *admin, int json)
{
	if (json) {
		printf("{\"vault\":");
		cli_json_string(stdout, dir);
		printf(",\"vault_id\":\"%s\"}\n", pv_vault_id(v));
	} else {
		printf("created vault %s (id %s) with administrator %s\n", dir, pv_vault_id(v), admin);
	}
}

static int run_init(struct cli_args *a)
{
	const struct cli_common *c = &a->common;
	const char *schema = cli_opt(a, "--schema"), *admin = cli_opt(a, "--admin");
	const char *slots = cli_opt(a, "--slots");
	const char *dir = a->narg ? a->arg[0] : c->vault;
	if (a->narg > 1)
		return cli_usage(a->prog, "one directory only");
	if (!dir || !schema)
		return cli_usage(a->prog, "a directory and --schema FILE are required");
	if (!admin)
		admin = "admin";
	pv_create_opts opts = { .schema_path = schema, .keyring_path = c->keyring };
	if (slots)
		opts.keyring_slots = (uint32_t)strtoul(slots, NULL, 10);
#ifdef PV_TESTING
	/* pivault-test only, for the CLI tests: never the shipped command */
	opts.kdf_cost = PV_KDF_FAST;
#endif
	pv_key *key = cli_read_key(c, 1);
	if (!key)
		return EXIT_FAIL;
	char prompt[128];
	snprintf(prompt, sizeof prompt, "password for the administrator %s: ", admin);
	char *pass = cli_read_password(getenv("PIVAULT_PASSWORD_FILE"), prompt, 1);
	if (!pass) {
		pv_key_free(key);
		return EXIT_FAIL;
	}
	opts.admin_user = admin;
	opts.admin_password = pass;
	opts.admin_password_len = strlen(pass);
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(dir, &opts, key, &v);
	pv_key_free(key);
	cli_wipe_free(pass);
	int code = rc ? cli_fail(v, rc) : EXIT_OK;
	if (!rc)
		print_created(dir, v, admin, c->json);
	pv_vault_close(v);
	return code;
}

const struct cli_cmd cli_cmd_init = {
	.name = "init",
	.args = "DIR --schema FILE [--keyring FILE] [--key-file FILE] [--slots N] [--store URI]",
	.summary = "create a vault from a schema",
	.about = "Create a vault in DIR (a new or empty directory): a SQLite database, a vault id,\n"
		 "the key hierarchy and the keyring (default DIR.keyring, outside DIR), with the\n"
		 "schema stored inside. The root secret is a 32-byte key file (--key-file,\n"
		 "PIVAULT_KEY_FILE) or a passphrase (PIVAULT_PASSPHRASE_FILE, or asked twice on the\n"
		 "terminal), stretched with Argon2id. It is never taken on the command line.\n\n"
		 "The first administrator is created too: --admin NAME (default admin), with the\n"
		 "role admin and a password from PIVAULT_PASSWORD_FILE or asked twice on the\n"
		 "terminal. Daily work then uses users' passwords; the root secret stays for\n"
		 "recovery.\n\n"
		 "With --store postgresql://[user@]host[:port]/db[?schema=NAME] (or PIVAULT_STORE)\n"
		 "the data goes to a PostgreSQL schema of its own (default pv_ and the vault id's\n"
		 "first 16 hex digits) instead of a SQLite file; DIR then holds the file 'store'\n"
		 "saying where, which later commands follow. The password comes from PGPASSFILE\n"
		 "or PGPASSWORD, never from the URI.\n",
	.opts = (const struct cli_opt[]){
		{ "--schema", NULL, "FILE", "the YAML schema (required)", NULL },
		{ "--admin", NULL, "NAME", "the first administrator's user name (default admin)",
		  NULL },
		{ "--slots", NULL, "N", "keyring bucket slots, a power of two (default 262144)", NULL },
		{ NULL, NULL, NULL, NULL, NULL } },
	.flags = CLI_COMMON,
	.run = run_init,
};

static int run_keygen(struct cli_args *a)
{
	if (a->narg != 1)
		return cli_usage(a->prog, "one file name is required");
	pv_rc rc = pv_key_generate_file(a->arg[0]);
	if (rc) {
		fprintf(stderr, "pivault: cannot write key file %s: %s\n", a->arg[0], pv_strerror(rc));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

const struct cli_cmd cli_cmd_keygen = {
	.name = "keygen",
	.args = "FILE",
	.summary = "write a new random 32-byte key file",
	.about = "Write a new random 32-byte root key to FILE (mode 0600; an existing file is never\n"
		 "overwritten).\n",
	.run = run_keygen,
};
