/* SPDX-License-Identifier: Apache-2.0 */
/* main.c: the pivault command: finds the command in one table and runs it (options.c
 * parses its options from the command's own table). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct cli_cmd *const commands[] = {
	&cli_cmd_init,	     &cli_cmd_keygen,	    &cli_cmd_schema,   &cli_cmd_import,
	&cli_cmd_get,	     &cli_cmd_find,	    &cli_cmd_list,     &cli_cmd_update,
	&cli_cmd_export,     &cli_cmd_audit,	    &cli_cmd_user,     &cli_cmd_request,
	&cli_cmd_approve,    &cli_cmd_reject,	    &cli_cmd_requests, &cli_cmd_run,
	&cli_cmd_shred,	     &cli_cmd_certificate,  &cli_cmd_pubkey,   &cli_cmd_hold,
	&cli_cmd_notice,     &cli_cmd_transfer,	    &cli_cmd_handover, &cli_cmd_decommission,
	&cli_cmd_rekey,	     &cli_cmd_backup,	    &cli_cmd_restore,  &cli_cmd_consent,
	&cli_cmd_dsr,	     &cli_cmd_keyring,	    &cli_cmd_complaint, &cli_cmd_review,
	&cli_cmd_retention,  &cli_cmd_doctor,	    &cli_cmd_scan,     &cli_cmd_serve,
	&cli_cmd_incident, &cli_cmd_node,
	&cli_cmd_report,
	&cli_cmd_token,
	&cli_cmd_tokenize, &cli_cmd_detokenize,
	&cli_cmd_login, &cli_cmd_logout,
};

#define NCOMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *out)
{
	fputs("usage: pivault COMMAND [OPTIONS] [ARGS]\n\n"
	      "pivault keeps customer personal information encrypted, masked and\n"
	      "access-controlled, and hands it over or destroys it when a company changes hands.\n\n"
	      "commands:\n", out);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-13s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\n'pivault COMMAND --help' describes a command. Exit status: 0 success, 1 refused or\n"
	      "failed, 2 usage error, 3 done in part (the message says what is left), 4 the vault\n"
	      "was busy with another writer for longer than --wait allowed (nothing done).\n", out);
}

int cli_dispatch(int argc, char **argv)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[0], commands[i]->name) == 0)
			return cli_run(commands[i], NULL, argc, argv);
	fprintf(stderr, "pivault: unknown command '%s'\ntry 'pivault --help'\n", argv[0]);
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
	return cli_dispatch(argc - 1, argv + 1);
}
