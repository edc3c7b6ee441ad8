/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_schema.c: `pivault schema check FILE` reports every problem of a schema file with
 * its line and column. */
#include "cli.h"

#include <string.h>

struct diag_out {
	int json;
	int count;
};

static void print_diag(void *ctx, const char *file, int line, int column, const char *message)
{
	struct diag_out *d = ctx;
	if (d->json) {
		printf("%s{\"file\":", d->count ? "," : "");
		cli_json_string(stdout, file);
		printf(",\"line\":%d,\"column\":%d,\"message\":", line, column);
		cli_json_string(stdout, message);
		putchar('}');
	} else {
		fprintf(stderr, "%s:%d:%d: %s\n", file, line, column, message);
	}
	d->count++;
}

int cmd_schema(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault schema check FILE [--json]\n\n"
		"Check a schema file and report every problem as FILE:LINE:COLUMN: message.\n"
		"Exit status 0 when valid, 1 when not.\n";
	const char *file = NULL;
	int json = 0;
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "check") != 0)
		return cli_usage("schema", "the only subcommand is 'check'");
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--help") == 0) {
			fputs(help, stdout);
			return EXIT_OK;
		} else if (!file && argv[i][0] != '-')
			file = argv[i];
		else
			return cli_usage("schema", "one schema file is expected");
	}
	if (!file)
		return cli_usage("schema", "a schema file is required");
	struct diag_out d = { json, 0 };
	if (json)
		fputs("{\"problems\":[", stdout);
	pv_rc rc = pv_schema_check_file(file, print_diag, &d);
	if (json)
		printf("],\"valid\":%s}\n", rc == PV_OK ? "true" : "false");
	if (rc == PV_ERR_IO) {
		fprintf(stderr, "pivault: cannot read %s\n", file);
		return EXIT_FAIL;
	}
	if (rc) {
		if (!json)
			fprintf(stderr, "%s: %d problem%s\n", file, d.count, d.count == 1 ? "" : "s");
		return EXIT_FAIL;
	}
	if (!json)
		printf("%s: valid\n", file);
	return EXIT_OK;
}
