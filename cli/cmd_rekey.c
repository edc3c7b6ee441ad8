/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_rekey.c: `pivault rekey [--data]` rotates keys: new bucket keys re-wrapping every
 * data key, or (--data) new data keys re-sealing every customer's fields; prints a
 * one-line summary (or JSON). `pivault rekey --root` replaces the root secret. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* The new root secret: a key file, or a passphrase read from the first line of a file. */
static pv_key *new_root_key(const char *key_file, const char *pass_file)
{
	pv_key *key = NULL;
	if (key_file) {
		if (pv_key_from_file(key_file, &key) != PV_OK)
			fprintf(stderr, "pivault: new key file %s must hold exactly 32 bytes\n",
				key_file);
		return key;
	}
	char *pass = cli_read_password(pass_file, NULL, 0);
	if (pass && pv_key_from_passphrase(pass, strlen(pass), &key) != PV_OK)
		fprintf(stderr, "pivault: the new passphrase cannot be used\n");
	cli_wipe_free(pass);
	return key;
}

/* rekey --root: the vault opened with the current root secret, the new one from a file. */
static int rekey_root(pv_vault *v, const pv_access *who, const char *key_file,
		      const char *pass_file)
{
	pv_key *key = new_root_key(key_file, pass_file);
	if (!key)
		return EXIT_FAIL;
	pv_rc rc = pv_vault_rekey_root(v, who, key);
	pv_key_free(key);
	if (rc)
		return cli_fail(v, rc);
	/* true: the library refuses a new secret equal to the old, and the old one sealed
	 * only the master key replaced now */
	printf("rekey: root secret and master key replaced; keyring and every active user's "
	       "access sealed anew, disabled users left out. Keep the new %s offline; the old "
	       "one opens nothing in these files any more (a copy of the keyring file taken "
	       "before keeps its bucket keys: run `pivault rekey` too if one may have "
	       "leaked). Take a new backup: older ones do not restore with the new secret.\n",
	       key_file ? "key file" : "passphrase");
	return EXIT_OK;
}

static void print_summary(const pv_rekey_result *res, int data, int json)
{
	if (json) {
		printf("{\"kind\":\"%s\",\"buckets\":%llu,\"customers\":%llu,\"resumed\":%s,"
		       "\"seconds\":%.3f}\n", data ? "data" : "buckets",
		       (unsigned long long)res->buckets, (unsigned long long)res->customers,
		       res->resumed ? "true" : "false", res->seconds);
	} else if (data) {
		printf("rekey: %llu customers re-encrypted under new data keys in %.1f s%s\n",
		       (unsigned long long)res->customers, res->seconds,
		       res->resumed ? " (went on from an interrupted rekey)" : "");
	} else {
		printf("rekey: %llu bucket keys replaced, %llu data keys re-wrapped in %.1f s%s\n",
		       (unsigned long long)res->buckets, (unsigned long long)res->customers,
		       res->seconds, res->resumed ? " (went on from an interrupted rekey)" : "");
	}
}

int cmd_rekey(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault rekey [--data] [--json]\n"
		"       pivault rekey --root --new-key-file FILE | --new-passphrase-file FILE\n\n"
		"Rotate keys. Without --data, every bucket key in the keyring is replaced by a new\n"
		"random one and every customer's data key is re-wrapped under it (no field is\n"
		"re-encrypted); the re-wrapped keys go to the shred ledger beside the keyring, so\n"
		"backups made before stay restorable. With --data, every customer gets a new data\n"
		"key and its fields are re-encrypted under it. Either runs in batches, each\n"
		"committed on its own: if it is interrupted, every customer stays readable and\n"
		"running it again goes on from where it stopped. Needs the 'rekey' operation.\n"
		"--root replaces the root secret (opened with the current one: --key-file or\n"
		"PIVAULT_PASSPHRASE_FILE) and the vault's master key: the keyring's slots and\n"
		"every active user's access are sealed under the new master, disabled users are\n"
		"left out, and the old secret, old users' passwords and older copies of the\n"
		"database open nothing current. No data is re-encrypted; users keep their\n"
		"passwords.\n";
	struct cli_common c;
	cli_common_init(&c);
	int data = 0, root = 0;
	const char *new_key_file = NULL, *new_pass_file = NULL;
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
		} else if (strcmp(argv[i], "--data") == 0) {
			data = 1;
		} else if (strcmp(argv[i], "--root") == 0) {
			root = 1;
		} else if (strcmp(argv[i], "--new-key-file") == 0 && i + 1 < argc) {
			new_key_file = argv[++i];
		} else if (strcmp(argv[i], "--new-passphrase-file") == 0 && i + 1 < argc) {
			new_pass_file = argv[++i];
		} else {
			return cli_usage("rekey", "unknown argument");
		}
	}
	if (root && (data || !new_key_file == !new_pass_file))
		return cli_usage("rekey", "--root takes one of --new-key-file and "
				 "--new-passphrase-file (and not --data)");
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	if (root) {
		code = rekey_root(v, &who, new_key_file, new_pass_file);
		pv_vault_close(v);
		return code;
	}
	pv_rekey_result res;
	cli_progress_begin(v, "rekey");
	pv_rc rc = pv_rekey(v, &who, data, &res);
	cli_progress_end(v);
	if (rc)
		code = cli_fail(v, rc);
	else
		print_summary(&res, data, c.json);
	pv_vault_close(v);
	return code;
}
