/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_dsr.c: `pivault dsr open|list|close|report|delete|correct|restrict|object|lift`:
 * data-subject requests, their deadlines and their fulfilment. */
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
		"                        request: pivault request dsr delete REQ)\n"
		"       pivault dsr correct REQ FIELD=VALUE...   (audited updates, then closed)\n"
		"       pivault dsr restrict REQ   (data kept, read only for purpose legal-claims)\n"
		"       pivault dsr object REQ     (no handover, no purpose that needs consent)\n"
		"       pivault dsr lift ID --restriction|--objection\n\n"
		"Data-subject requests with their legal deadline: 15 days under PIPL practice, 30\n"
		"under GDPR, 45 under CCPA (the default law is PIPL).\n";
	static const char *const subs[] = { "open",    "list",     "close",  "report", "delete",
					    "correct", "restrict", "object", "lift",   NULL };
	int code;
	const char *sub = cli_subcommand(argc, argv, "dsr", help, subs, &code);
	if (!sub)
		return code;
	struct cli_common c;
	cli_common_init(&c);
	const char *customer = NULL, *type = NULL, *law = NULL, *outcome = NULL, *id = NULL;
	const char *out_path = NULL;
	int overdue = 0, as_html = 0, lift_objection = -1;
	const char *fields[64], *values[64];
	char *assignments[64];
	size_t nassign = 0;
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
		else if (strcmp(a, "--restriction") == 0 || strcmp(a, "--objection") == 0)
			lift_objection = strcmp(a, "--objection") == 0;
		else if (!id && a[0] != '-')
			id = a;
		else if (strcmp(sub, "correct") == 0 && strchr(a, '=') && nassign < 64)
			assignments[nassign++] = argv[i];
		else
			return cli_usage("dsr", "unknown argument");
	}
	if (strcmp(sub, "open") == 0 && (!customer || !type))
		return cli_usage("dsr", "open needs --customer and --type");
	if (strcmp(sub, "close") == 0 && (!id || !outcome))
		return cli_usage("dsr", "close needs REQ and --outcome");
	if (strcmp(sub, "open") && strcmp(sub, "list") && strcmp(sub, "close") && !id)
		return cli_usage("dsr", "name the request (REQ), or for lift the customer");
	if (out_path && strcmp(sub, "delete") != 0) /* -o is the certificate's, delete's alone */
		return cli_usage("dsr", strcmp(sub, "report") == 0
					? "report prints the reply on standard output only: it holds "
					  "clear values, which never go straight to a file"
					: "-o is for dsr delete's certificate");
	if (strcmp(sub, "correct") == 0 && !nassign)
		return cli_usage("dsr", "correct takes FIELD=VALUE...");
	if (strcmp(sub, "lift") == 0 && lift_objection < 0)
		return cli_usage("dsr", "lift takes --restriction or --objection");
	for (size_t k = 0; k < nassign; k++) { /* FIELD=VALUE, split in place */
		char *eq = strchr(assignments[k], '=');
		*eq = '\0';
		fields[k] = assignments[k];
		values[k] = eq + 1;
	}
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
		char *cert = NULL;
		rc = pv_dsr_delete(v, &who, id, &cert);
		code = cli_shredded(v, rc, cert, out_path);
		if (cert)
			rc = PV_OK; /* said by cli_shredded */
		pv_free(cert);
		if (!rc && code == EXIT_OK)
			printf("request %s fulfilled: customer shredded, request closed\n", id);
	} else if (strcmp(sub, "correct") == 0) {
		rc = pv_dsr_correct(v, &who, id, fields, values, nassign);
		if (!rc)
			printf("request %s fulfilled: %zu field%s corrected, request closed\n", id,
			       nassign, nassign == 1 ? "" : "s");
	} else if (strcmp(sub, "restrict") == 0 || strcmp(sub, "object") == 0) {
		rc = pv_dsr_fulfil(v, &who, id);
		if (!rc)
			printf("request %s fulfilled: %s, request closed\n", id,
			       strcmp(sub, "object") == 0 ? "objection recorded"
							  : "processing restricted");
	} else if (strcmp(sub, "lift") == 0) {
		rc = pv_dsr_lift(v, &who, id, lift_objection);
		if (!rc)
			printf("%s of %s lifted\n", lift_objection ? "objection" : "restriction", id);
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
