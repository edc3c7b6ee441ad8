/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_init.c: `pivault init DIR --schema FILE` creates a vault and its keyring;
 * `pivault keygen FILE` writes a new random root key file. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char init_help[] =
	"usage: pivault init DIR --schema FILE [--keyring FILE] [--key-file FILE] [--slots N]\n\n"
	"Create a vault in DIR (a new or empty directory): a SQLite database, a vault id, the\n"
	"key hierarchy and the keyring (default DIR.keyring, outside DIR), with the schema\n"
	"stored inside. The root secret is a 32-byte key file (--key-file, PIVAULT_KEY_FILE)\n"
	"or a passphrase (PIVAULT_PASSPHRASE_FILE, or asked twice on the terminal), stretched\n"
	"with Argon2id. It is never taken on the command line.\n\n"
	"The first administrator is created too: --admin NAME (default admin), with the role\n"
	"admin and a password from PIVAULT_PASSWORD_FILE or asked twice on the terminal.\n"
	"Daily work then uses users' passwords; the root secret stays for recovery.\n\n"
	"  --schema FILE    the YAML schema (required)\n"
	"  --admin NAME     the first administrator's user name (default admin)\n"
	"  --slots N        keyring bucket slots, a power of two (default 262144)\n";

int cmd_init(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c);
	const char *dir = NULL, *schema = NULL, *admin = "admin";
	pv_create_opts opts = { 0 };
	for (int i = 1; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		if (strcmp(argv[i], "--help") == 0) {
			fputs(init_help, stdout);
			fputs(cli_common_help, stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc)
			schema = argv[++i];
		else if (strcmp(argv[i], "--admin") == 0 && i + 1 < argc)
			admin = argv[++i];
		else if (strcmp(argv[i], "--slots") == 0 && i + 1 < argc)
			opts.keyring_slots = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (argv[i][0] == '-')
			return cli_usage("init", "unknown option or missing value");
		else if (!dir)
			dir = argv[i];
		else
			return cli_usage("init", "one directory only");
	}
	if (!dir)
		dir = c.vault;
	if (!dir || !schema)
		return cli_usage("init", "a directory and --schema FILE are required");
	opts.schema_path = schema;
	opts.keyring_path = c.keyring;
#ifdef PV_TESTING
	opts.kdf_fast = 1; /* pivault-test only, for the CLI tests: never the shipped command */
#endif
	pv_key *key = cli_read_key(&c, 1);
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
	if (rc) {
		int code = cli_fail(v, rc);
		pv_vault_close(v);
		return code;
	}
	if (c.json) {
		printf("{\"vault\":");
		cli_json_string(stdout, dir);
		printf(",\"vault_id\":\"%s\"}\n", pv_vault_id(v));
	} else {
		printf("created vault %s (id %s) with administrator %s\n", dir, pv_vault_id(v), admin);
	}
	pv_vault_close(v);
	return EXIT_OK;
}

int cmd_keygen(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		if (argc == 2 && strcmp(argv[1], "--help") == 0) {
			puts("usage: pivault keygen FILE\n\nWrite a new random 32-byte root key to FILE "
			     "(mode 0600; an existing file is never overwritten).");
			return EXIT_OK;
		}
		return cli_usage("keygen", "one file name is required");
	}
	pv_rc rc = pv_key_generate_file(argv[1]);
	if (rc) {
		fprintf(stderr, "pivault: cannot write key file %s: %s\n", argv[1], pv_strerror(rc));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
