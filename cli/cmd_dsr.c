/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_dsr.c: `pivault dsr open|list|close`: data-subject requests and their deadlines. */
#include "cli.h"

#include <string.h>

static int print_dsr(void *ctx, const pv_dsr_info *d)
{
	if (*(int *)ctx) {
		printf("{\"id\":\"%s\",\"customer\":\"%s\",\"type\":\"%s\",\"law\":\"%s\","
		       "\"opened\":\"%s\",\"due\":\"%s\",\"state\":\"%s\",\"closed\":\"%s\",\"outcome\":",
		       d->id, d->customer, d->type, d->law, d->opened, d->due, d->state, d->closed);
		cli_json_string(stdout, d->outcome);
		puts("}");
	} else {
		printf("%-11s %-12s %-8s %-5s opened %s due %s  %s%s%s\n", d->id, d->customer, d->type,
		       d->law, d->opened, d->due, d->state, *d->outcome ? ": " : "", d->outcome);
	}
	return 0;
}

int cmd_dsr(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault dsr open --customer ID --type access|correct|delete|restrict|object\n"
		"                        [--law pipl|gdpr|ccpa]\n"
		"       pivault dsr list [--overdue] [--json]\n"
		"       pivault dsr close REQ --outcome TEXT\n"
		"       pivault dsr report REQ [--html]   (an access request's reply, on stdout)\n"
		"       pivault dsr delete REQ [-o CERTIFICATE]   (a deletion request: shred the\n"
		"                        customer, close the request; users need an approved\n"
		"                        request: pivault request dsr delete REQ)\n\n"
		"Data-subject requests with their legal deadline: 15 days under PIPL practice, 30\n"
		"under GDPR, 45 under CCPA (the default law is PIPL).\n";
	static const char *const subs[] = { "open", "list", "close", "report", "delete", NULL };
	int code;
	const char *sub = cli_subcommand(argc, argv, "dsr", help, subs, &code);
	if (!sub)
		return code;
	struct cli_common c;
	cli_common_init(&c);
	const char *customer = NULL, *type = NULL, *law = NULL, *outcome = NULL, *id = NULL;
	const char *out_path = NULL;
	int overdue = 0, as_html = 0;
	for (int i = 2; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (next && strcmp(a, "--customer") == 0)
			customer = argv[++i];
		else if (next && strcmp(a, "--type") == 0)
			type = argv[++i];
		else if (next && strcmp(a, "--law") == 0)
			law = argv[++i];
		else if (next && strcmp(a, "--outcome") == 0)
			outcome = argv[++i];
		else if (next && strcmp(a, "-o") == 0)
			out_path = argv[++i];
		else if (strcmp(a, "--overdue") == 0)
			overdue = 1;
		else if (strcmp(a, "--html") == 0)
			as_html = 1;
		else if (!id && a[0] != '-')
			id = a;
		else
			return cli_usage("dsr", "unknown argument");
	}
	if (strcmp(sub, "open") == 0 && (!customer || !type))
		return cli_usage("dsr", "open needs --customer and --type");
	if (strcmp(sub, "close") == 0 && (!id || !outcome))
		return cli_usage("dsr", "close needs REQ and --outcome");
	if ((strcmp(sub, "report") == 0 || strcmp(sub, "delete") == 0) && !id)
		return cli_usage("dsr", "report and delete need REQ");
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc;
	if (strcmp(sub, "open") == 0) {
		char *rid = NULL;
		rc = pv_dsr_open(v, &who, customer, type, law, &rid);
		if (!rc)
			printf(c.json ? "{\"request\":\"%s\"}\n" : "opened %s\n", rid);
		pv_free(rid);
	} else if (strcmp(sub, "report") == 0) {
		rc = pv_dsr_access_report(v, &who, id, as_html, stdout);
	} else if (strcmp(sub, "list") == 0) {
		rc = pv_dsr_list(v, &who, overdue, print_dsr, &c.json);
	} else if (strcmp(sub, "delete") == 0) {
		rc = PV_OK;
		code = cli_use_request(v, &c, "dsr delete", argc - 2, argv + 2);
		if (code != EXIT_OK) {
			pv_vault_close(v);
			return code;
		}
		char *cert = NULL;
		rc = pv_dsr_delete(v, &who, id, &cert);
		if (cert)
			code = cli_write_certificate(cert, out_path);
		pv_free(cert);
		if (!rc && code == EXIT_OK)
			printf("request %s fulfilled: customer shredded, request closed\n", id);
	} else {
		rc = pv_dsr_close(v, &who, id, outcome);
		if (!rc)
			printf("closed %s\n", id);
	}
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}
