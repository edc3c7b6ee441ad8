/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_review.c: `pivault review due|confirm`: customers whose data should be
 * re-confirmed, and recording a confirmation. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int print_due(void *ctx, const pv_review_info *r)
{
	if (*(int *)ctx)
		printf("{\"id\":\"%s\",\"last_confirmed\":\"%s\",\"channels\":\"%s\"}\n", r->id,
		       r->last_confirmed, r->channels);
	else
		printf("%-12s last confirmed %s  reach by: %s\n", r->id, r->last_confirmed,
		       *r->channels ? r->channels : "(no channel on record)");
	return 0;
}

int cmd_review(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault review due [--older-than 24m] [--json]\n"
		"       pivault review confirm ID --channel C\n\n"
		"Keep data accurate (定期审查): list customers whose data was last confirmed (or\n"
		"imported) longer ago than the period, with the channels to reach them (no\n"
		"values); record a confirmation.\n";
	static const char *const subs[] = { "due", "confirm", NULL };
	int code;
	const char *sub = cli_subcommand(argc, argv, "review", help, subs, &code);
	if (!sub)
		return code;
	struct cli_common c;
	cli_common_init(&c);
	const char *id = NULL, *channel = NULL;
	unsigned months = 0; /* the library's default */
	for (int i = 2; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		if (strcmp(argv[i], "--older-than") == 0 && i + 1 < argc) {
			char *end;
			months = (unsigned)strtoul(argv[++i], &end, 10);
			if (*end == 'y')
				months *= 12;
			else if (*end && strcmp(end, "m") != 0)
				return cli_usage("review", "--older-than takes months (24m) or years (2y)");
			if (months == 0)
				return cli_usage("review", "--older-than takes 1 to 1200 months");
		} else if (strcmp(argv[i], "--channel") == 0 && i + 1 < argc) {
			channel = argv[++i];
		} else if (!id && argv[i][0] != '-') {
			id = argv[i];
		} else {
			return cli_usage("review", "unknown argument");
		}
	}
	if (strcmp(sub, "confirm") == 0 && (!id || !channel))
		return cli_usage("review", "confirm needs ID and --channel");
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc = strcmp(sub, "due") == 0 ? pv_review_due(v, &who, months, print_due, &c.json)
					   : pv_review_confirm(v, &who, id, channel);
	if (rc)
		code = cli_fail(v, rc);
	else if (strcmp(sub, "confirm") == 0)
		printf("confirmed %s\n", id);
	pv_vault_close(v);
	return code;
}
