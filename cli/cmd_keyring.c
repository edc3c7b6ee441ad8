/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_keyring.c: `pivault keyring escrow --to KEY -o FILE` writes the keyring sealed to an
 * escrow key for disaster recovery; `pivault keyring escrow-key FILE` makes such a key. */
#include "cli.h"

#include <string.h>

int cmd_keyring(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault keyring escrow --to PUBLIC_KEY -o FILE\n"
		"       pivault keyring escrow-key SECRET_FILE\n\n"
		"An escrow copy is the keyring sealed to an escrow key (X25519), kept apart for\n"
		"disaster recovery. The vault records each copy; a destruction certificate names\n"
		"the copies made before it, which still hold the destroyed keys until renewed.\n"
		"escrow-key writes a new secret key to SECRET_FILE and prints the public key.\n";
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "escrow-key") == 0) {
		if (argc != 3 || argv[2][0] == '-')
			return cli_usage("keyring", "escrow-key SECRET_FILE");
		char pk[65];
		pv_rc rc = pv_escrow_keygen(argv[2], pk);
		if (rc) {
			fprintf(stderr, "pivault: cannot write %s: %s\n", argv[2],
				rc == PV_ERR_EXISTS ? "it exists already" : pv_strerror(rc));
			return EXIT_FAIL;
		}
		puts(pk);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "escrow") != 0)
		return cli_usage("keyring", "the subcommands are escrow and escrow-key");
	struct cli_common c;
	cli_common_init(&c);
	const char *to = NULL, *out = NULL;
	for (int i = 2; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else
			return cli_usage("keyring", "escrow --to PUBLIC_KEY -o FILE");
	}
	if (!to || !out)
		return cli_usage("keyring", "escrow --to PUBLIC_KEY -o FILE");
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc = pv_keyring_escrow(v, &who, to, out);
	if (rc)
		code = cli_fail(v, rc);
	else
		printf("escrow copy of the keyring written to %s\n", out);
	pv_vault_close(v);
	return code;
}
