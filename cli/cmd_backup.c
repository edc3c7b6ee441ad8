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

int cmd_backup(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault backup create FILE [--json]\n"
		"       pivault backup verify FILE [--public-key HEX]\n\n"
		"create takes a consistent backup while the vault is in use: the database (only\n"
		"ciphertext and wrapped keys; the keyring is never in it) and a trailer signed with\n"
		"the vault key. verify checks the signature and the image's SHA-256 without\n"
		"restoring, with the vault's public key: --public-key (as `pivault pubkey` prints\n"
		"it), or the open vault's own; never the key the backup names. It prints the\n"
		"key's fingerprint.\n";
	static const char *const subs[] = { "create", "verify", NULL };
	int code;
	const char *sub = cli_subcommand(argc, argv, "backup", help, subs, &code);
	if (!sub)
		return code;
	struct cli_common c;
	cli_common_init(&c);
	const char *file = NULL, *pk = NULL;
	for (int i = 2; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		if (strcmp(argv[i], "--public-key") == 0 && i + 1 < argc)
			pk = argv[++i];
		else if (argv[i][0] == '-' || file)
			return cli_usage("backup", "unknown argument");
		else
			file = argv[i];
	}
	if (!file)
		return cli_usage("backup", "name the backup file");
	if (strcmp(sub, "verify") == 0 && pk) /* no vault needed */
		return print_verified(file, pk);
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc;
	code = EXIT_OK;
	if (strcmp(sub, "create") == 0) {
		char *summary = NULL;
		rc = pv_backup_create(v, &who, file, &summary);
		if (!rc)
			printf(c.json ? "%s\n" : "backup written to %s\n", c.json ? summary : file);
		pv_free(summary);
	} else {
		char hex[65];
		rc = pv_vault_public_key(v, hex);
		if (!rc) {
			code = print_verified(file, hex);
		}
	}
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}

int cmd_restore(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault restore FILE DIR --keyring LIVE.keyring --key-file KEY\n\n"
		"Restore a backup into the new directory DIR under the live keyring (the one the\n"
		"vault uses now; a backup holds no keys) with the root key, then re-apply the\n"
		"shred ledger kept beside that keyring: customers shredded since the backup are\n"
		"removed again, and data keys re-wrapped since are put back. On failure nothing\n"
		"is left in DIR.\n";
	struct cli_common c;
	cli_common_init(&c);
	const char *pos[2] = { NULL, NULL };
	int npos = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(help, stdout);
			return EXIT_OK;
		}
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		if (argv[i][0] == '-' || npos == 2)
			return cli_usage("restore", "unknown argument");
		pos[npos++] = argv[i];
	}
	if (npos != 2)
		return cli_usage("restore", "restore takes the backup file and a new directory");
	if (!c.keyring)
		return cli_usage("restore", "name the live keyring with --keyring (or PIVAULT_KEYRING)");
	pv_key *key = cli_read_key(&c, 0);
	if (!key)
		return EXIT_FAIL;
	pv_restore_result r;
	pv_rc rc = pv_restore(pos[0], pos[1], c.keyring, key, &r);
	pv_key_free(key);
	if (rc) {
		fprintf(stderr, "pivault: restore refused: %s\n", pv_errmsg(NULL));
		return EXIT_FAIL;
	}
	printf("restored %llu customers into %s (shred ledger: %llu removed again, %llu "
	       "re-wrapped)\n", (unsigned long long)r.customers, pos[1],
	       (unsigned long long)r.removed, (unsigned long long)r.rewrapped);
	return EXIT_OK;
}
