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

static int run_rekey(struct cli_args *a)
{
	int data = cli_flag(a, "--data"), root = cli_flag(a, "--root");
	const char *new_key_file = cli_opt(a, "--new-key-file");
	const char *new_pass_file = cli_opt(a, "--new-passphrase-file");
	if (a->narg)
		return cli_usage(a->prog, "rekey takes no argument");
	if (root && (data || !new_key_file == !new_pass_file))
		return cli_usage(a->prog, "--root takes one of --new-key-file and "
				 "--new-passphrase-file (and not --data)");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	if (root) {
		code = rekey_root(v, &who, new_key_file, new_pass_file);
		pv_vault_close(v);
		return code;
	}
	pv_rekey_result res;
	cli_progress_begin(v, "rekey");
	pv_rc rc = pv_rekey(v, &who, data ? PV_REKEY_DATA : PV_REKEY_BUCKETS, &res);
	cli_progress_end(v);
	if (rc)
		code = cli_fail(v, rc);
	else
		print_summary(&res, data, a->common.json);
	pv_vault_close(v);
	return code;
}

const struct cli_cmd cli_cmd_rekey = {
	.name = "rekey",
	.args = "[--data] [--json] | --root --new-key-file FILE | --new-passphrase-file FILE",
	.summary = "rotate keys: new bucket keys, or (--data) new data keys",
	.about = "Without --data, every bucket key in the keyring is replaced by a new random one\n"
		 "and every customer's data key is re-wrapped under it (no field is re-encrypted);\n"
		 "the re-wrapped keys go to the shred ledger beside the keyring, so backups made\n"
		 "before stay restorable. With --data, every customer gets a new data key and its\n"
		 "fields are re-encrypted under it. Either runs in batches, each committed on its\n"
		 "own: if it is interrupted, every customer stays readable and running it again\n"
		 "goes on from where it stopped. Needs the 'rekey' operation.\n"
		 "--root replaces the root secret (opened with the current one: --key-file or\n"
		 "PIVAULT_PASSPHRASE_FILE) and the vault's master key: the keyring's slots and\n"
		 "every active user's access are sealed under the new master, disabled users are\n"
		 "left out, and the old secret, old users' passwords and older copies of the\n"
		 "database open nothing current. No data is re-encrypted; users keep their\n"
		 "passwords.\n",
	.opts = (const struct cli_opt[]){
		{ "--data", NULL, NULL, "new data keys, every customer's fields re-encrypted", NULL },
		{ "--root", NULL, NULL, "replace the root secret and the master key", NULL },
		{ "--new-key-file", NULL, "FILE", "--root: the new 32-byte root key file", NULL },
		{ "--new-passphrase-file", NULL, "FILE", "--root: the new passphrase's file", NULL },
		{ NULL, NULL, NULL, NULL, NULL } },
	.flags = CLI_COMMON,
	.run = run_rekey,
};
