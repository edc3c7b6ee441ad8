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

static int run_check(struct cli_args *a)
{
	int json = cli_flag(a, "--json");
	if (a->narg != 1)
		return cli_usage(a->prog, a->narg ? "one schema file is expected"
						  : "a schema file is required");
	const char *file = a->arg[0];
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

static const struct cli_cmd subs[] = {
	{ "check", "FILE [--json]", "check a schema file, every problem as FILE:LINE:COLUMN: message",
	  "Exit status 0 when valid, 1 when not.\n",
	  (const struct cli_opt[]){ { "--json", NULL, NULL, "the problems as JSON", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  0, run_check, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_schema = {
	.name = "schema",
	.summary = "check a schema file (schema check FILE)",
	.subs = subs,
};
