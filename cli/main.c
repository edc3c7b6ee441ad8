/* SPDX-License-Identifier: Apache-2.0 */
/* main.c: the pivault command: finds the subcommand in one table and runs it. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct cli_command commands[] = {
	{ "init", "create a vault from a schema", cmd_init },
	{ "keygen", "write a new random 32-byte key file", cmd_keygen },
	{ "schema", "check a schema file (schema check FILE)", cmd_schema },
	{ "import", "import customers from a CSV file", cmd_import },
	{ "get", "show one customer", cmd_get },
	{ "find", "find customers by an indexed field (find --FIELD VALUE)", cmd_find },
	{ "list", "list customers, masked, a page at a time", cmd_list },
	{ "update", "change fields of a customer (update ID FIELD=VALUE...)", cmd_update },
	{ "export", "export every customer as CSV or JSON Lines", cmd_export },
	{ "audit", "the tamper-evident audit log: log, checkpoint, verify, proofs", cmd_audit },
	{ "user", "users, their roles, passwords and obligations", cmd_user },
	{ "request", "ask for a four-eyes approval (request OP ARGS...)", cmd_request },
	{ "approve", "approve another user's request (approve REQ)", cmd_decide },
	{ "reject", "reject another user's request (reject REQ)", cmd_decide },
	{ "requests", "list approval requests", cmd_requests },
	{ "run", "run an approved request (run REQ)", cmd_run },
	{ "shred", "destroy customers, with a signed destruction certificate", cmd_shred },
	{ "certificate", "verify a destruction certificate (certificate verify FILE)", cmd_certificate },
	{ "pubkey", "print the vault's signing public key", cmd_pubkey },
	{ "hold", "legal holds: customers that must not be destroyed", cmd_hold },
	{ "notice", "the record of notices sent to customers and their delivery", cmd_notice },
	{ "transfer", "plan a transfer to a new holder: assessment, notices, objections", cmd_transfer },
	{ "handover", "the sealed handover package: export, import, confirm", cmd_handover },
	{ "decommission", "deregistration (注销): archive what the law keeps, shred the rest", cmd_decommission },
	{ "rekey", "rotate keys: new bucket keys, or (--data) new data keys", cmd_rekey },
	{ "backup", "online backups of the data: create, verify", cmd_backup },
	{ "restore", "restore a backup under the live keyring (restore FILE DIR)", cmd_restore },
	{ "consent", "consent per customer and purpose: grant, withdraw, show", cmd_consent },
	{ "dsr", "data-subject requests and their deadlines", cmd_dsr },
	{ "keyring", "escrow copies of the keyring for disaster recovery", cmd_keyring },
	{ "complaint", "complaints and disputes about personal information", cmd_complaint },
	{ "review", "accuracy reviews: who to re-confirm, and confirmations", cmd_review },
	{ "retention", "what retention makes due, and carrying it out", cmd_retention },
	{ "doctor", "the security self-check: what this deployment gets wrong", cmd_doctor },
};

static void usage(FILE *out)
{
	fputs("usage: pivault COMMAND [OPTIONS] [ARGS]\n\n"
	      "pivault keeps customer personal information encrypted, masked and\n"
	      "access-controlled, and hands it over or destroys it when a company changes hands.\n\n"
	      "commands:\n", out);
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'pivault COMMAND --help' describes a command. Exit status: 0 success, 1 refused or\n"
	      "failed, 2 usage error, 3 done in part (the message says what is left), 4 the vault\n"
	      "was busy with another writer for longer than --wait allowed (nothing done).\n", out);
}

int cli_dispatch(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].run(argc, argv);
	fprintf(stderr, "pivault: unknown command '%s'\n", argv[0]);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (cli_wait_init() != EXIT_OK)
		return EXIT_USAGE;
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "pivault: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
