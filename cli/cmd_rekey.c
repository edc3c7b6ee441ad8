/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_rekey.c: `pivault rekey [--data]` rotates keys: new bucket keys re-wrapping every
 * data key, or (--data) new data keys re-sealing every customer's fields; prints a
 * one-line summary (or JSON). */
#include "cli.h"

#include <string.h>

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
		"usage: pivault rekey [--data] [--json]\n\n"
		"Rotate keys. Without --data, every bucket key in the keyring is replaced by a new\n"
		"random one and every customer's data key is re-wrapped under it (no field is\n"
		"re-encrypted); the re-wrapped keys go to the shred ledger beside the keyring, so\n"
		"backups made before stay restorable. With --data, every customer gets a new data\n"
		"key and its fields are re-encrypted under it. Either runs in batches, each\n"
		"committed on its own: if it is interrupted, every customer stays readable and\n"
		"running it again goes on from where it stopped. Needs the 'rekey' operation.\n";
	struct cli_common c;
	cli_common_init(&c);
	int data = 0;
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
		} else {
			return cli_usage("rekey", "unknown argument");
		}
	}
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
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
