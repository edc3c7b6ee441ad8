/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_complaint.c: `pivault complaint open|note|resolve|list|show`: complaints and
 * disputes about personal information, with deadlines; their text is sealed. */
#include "cli.h"

#include <string.h>

static int print_complaint(void *ctx, const pv_complaint_info *c)
{
	if (*(int *)ctx)
		printf("{\"id\":\"%s\",\"customer\":\"%s\",\"dsr\":\"%s\",\"opened\":\"%s\","
		       "\"due\":\"%s\",\"state\":\"%s\",\"resolved\":\"%s\"}\n", c->id, c->customer,
		       c->dsr, c->opened, c->due, c->state, c->resolved);
	else
		printf("%-11s %-12s %-11s opened %s due %s  %s\n", c->id, c->customer,
		       *c->dsr ? c->dsr : "-", c->opened, c->due, c->state);
	return 0;
}

static int print_note(void *ctx, const pv_note_info *n)
{
	(void)ctx;
	printf("%s  %-10s %-12s %s\n", n->at, n->kind, n->by,
	       n->text ? n->text : "(destroyed with the customer)");
	return 0;
}

int cmd_complaint(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault complaint open --customer ID [--dsr REQ] --text TEXT\n"
		"       pivault complaint note ID --text TEXT\n"
		"       pivault complaint resolve ID --outcome TEXT\n"
		"       pivault complaint list [--json]\n"
		"       pivault complaint show ID        (the notes, on stdout)\n\n"
		"Complaints and disputes about personal information (投诉, 争议), due in 15 days.\n"
		"What is written in them is sealed under the customer's key.\n";
	static const char *const subs[] = { "open", "note", "resolve", "list", "show", NULL };
	int code;
	const char *sub = cli_subcommand(argc, argv, "complaint", help, subs, &code);
	if (!sub)
		return code;
	struct cli_common c;
	cli_common_init(&c);
	const char *customer = NULL, *dsr = NULL, *text = NULL, *id = NULL;
	for (int i = 2; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (more && strcmp(a, "--customer") == 0)
			customer = argv[++i];
		else if (more && strcmp(a, "--dsr") == 0)
			dsr = argv[++i];
		else if (more && (strcmp(a, "--text") == 0 || strcmp(a, "--outcome") == 0))
			text = argv[++i];
		else if (!id && a[0] != '-')
			id = a;
		else
			return cli_usage("complaint", "unknown argument");
	}
	if (strcmp(sub, "open") == 0 && (!customer || !text))
		return cli_usage("complaint", "open needs --customer and --text");
	if ((!strcmp(sub, "note") || !strcmp(sub, "resolve")) && (!id || !text))
		return cli_usage("complaint", "note and resolve need ID and --text / --outcome");
	if (strcmp(sub, "show") == 0 && !id)
		return cli_usage("complaint", "show needs ID");
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc;
	if (strcmp(sub, "open") == 0) {
		char *cid = NULL;
		rc = pv_complaint_open(v, &who, customer, dsr, text, &cid);
		if (!rc)
			printf(c.json ? "{\"complaint\":\"%s\"}\n" : "opened %s\n", cid);
		pv_free(cid);
	} else if (strcmp(sub, "note") == 0) {
		rc = pv_complaint_note(v, &who, id, text);
	} else if (strcmp(sub, "resolve") == 0) {
		rc = pv_complaint_resolve(v, &who, id, text);
		if (!rc)
			printf("resolved %s\n", id);
	} else if (strcmp(sub, "list") == 0) {
		rc = pv_complaint_list(v, &who, print_complaint, &c.json);
	} else {
		rc = pv_complaint_show(v, &who, id, print_note, NULL);
	}
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}
