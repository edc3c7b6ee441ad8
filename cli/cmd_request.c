/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_request.c: four-eyes approvals from the command line: `request OP ARGS...` records
 * what is asked, `approve`/`reject REQ` is a second person's decision, `requests` lists
 * them, and `run REQ` runs the approved command with exactly its recorded arguments. */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The operation a command line names: one word, or "user add". Sets *words used. */
static const char *op_of(int argc, char **argv, int *words)
{
	/* operations named by a command and its subcommand */
	static const char *const two_words[] = { "user add", "retention apply", "dsr delete",
						 "handover export", "handover confirm",
						 "transfer shred-excluded", "transfer pin-key",
						 "decommission run" };
	for (size_t i = 0; argc >= 2 && i < sizeof two_words / sizeof *two_words; i++) {
		size_t n = strlen(argv[0]);
		if (strncmp(two_words[i], argv[0], n) == 0 && two_words[i][n] == ' ' &&
		    strcmp(two_words[i] + n + 1, argv[1]) == 0) {
			*words = 2;
			return two_words[i];
		}
	}
	*words = 1;
	return argc >= 1 ? argv[0] : NULL;
}

/* "30m", "24h", "2d" or plain seconds; 0 on a bad value. */
static unsigned parse_duration(const char *s)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);
	unsigned long mult = *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 1;
	if (end == s || (*end && end[1]) || (*end && mult == 1) || n == 0 || n > 31ul * 86400)
		return 0;
	return (unsigned)(n * mult);
}

int cmd_request(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault request OP ARGS... [--reason TEXT] [--expires-in 24h]\n\n"
		"Ask for a four-eyes approval of an operation that can do lasting harm, with its\n"
		"exact arguments, e.g.\n"
		"  pivault request export --format csv --clear --purpose all --reason \"audit\"\n"
		"  pivault request user add li.si --roles clerk\n"
		"Another user with the 'approve' permission then runs 'pivault approve REQ', and\n"
		"the requester 'pivault run REQ'. Running it with anything changed is refused.\n";
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	struct cli_common c;
	cli_common_init(&c);
	const char *reason = NULL;
	unsigned ttl = 0;
	/* Only the context options are read here; everything else belongs to the request. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
			reason = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			c.json = 1;
		else if (strcmp(argv[i], "--expires-in") == 0 && i + 1 < argc) {
			if (!(ttl = parse_duration(argv[++i])))
				return cli_usage("request", "--expires-in takes e.g. 30m, 24h or 2d");
		} else if (!strcmp(argv[i], "--vault") || !strcmp(argv[i], "--keyring") ||
			   !strcmp(argv[i], "--key-file") || !strcmp(argv[i], "--user") ||
			   !strcmp(argv[i], "--as") || !strcmp(argv[i], "--role")) {
			/* --role is also the requester's role; it stays in the arguments, so the
			 * run is in the same role */
			int j = i;
			if (cli_common_option(&c, argc, argv, &j) < 0)
				return EXIT_USAGE;
			i = j;
		}
	}
	int words;
	const char *op = op_of(argc - 1, argv + 1, &words);
	char *args = pv_request_args(argc - 1 - words, argv + 1 + words);
	int code;
	pv_vault *v = args ? cli_open_vault(&c, &code) : NULL;
	if (!v) {
		pv_free(args);
		return args ? code : EXIT_FAIL;
	}
	pv_access who = cli_access(&c);
	char *id = NULL;
	pv_rc rc = pv_request_create(v, &who, op, args, reason, ttl, &id);
	if (rc)
		code = cli_fail(v, rc);
	else if (c.json)
		printf("{\"request\":\"%s\",\"op\":\"%s\",\"args\":%s}\n", id, op, args);
	else
		printf("request %s: %s %s\nanother user with the approve permission runs: pivault "
		       "approve %s\n", id, op, args, id);
	pv_free(id);
	pv_free(args);
	pv_vault_close(v);
	return code;
}

int cmd_decide(int argc, char **argv)
{
	int approve = strcmp(argv[0], "approve") == 0;
	struct cli_common c;
	cli_common_init(&c);
	const char *id = NULL;
	for (int i = 1; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		if (strcmp(argv[i], "--help") == 0) {
			printf("usage: pivault %s REQ\n\n%s another user's pending request (needs the "
			       "approve permission; the requester cannot decide their own).\n",
			       argv[0], approve ? "Approve" : "Reject");
			return EXIT_OK;
		}
		if (id || argv[i][0] == '-')
			return cli_usage(argv[0], "one request id is expected");
		id = argv[i];
	}
	if (!id)
		return cli_usage(argv[0], "a request id is required");
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc = pv_request_decide(v, &who, id, approve);
	if (rc)
		code = cli_fail(v, rc);
	else
		printf("%s %s\n", approve ? "approved" : "rejected", id);
	pv_vault_close(v);
	return code;
}

static int print_request(void *ctx, const pv_request_info *r)
{
	if (*(int *)ctx) {
		printf("{\"id\":\"%s\",\"requester\":", r->id);
		cli_json_string(stdout, r->requester);
		printf(",\"op\":\"%s\",\"args\":%s,\"reason\":", r->op, r->args);
		cli_json_string(stdout, r->reason);
		printf(",\"created\":\"%s\",\"expires\":%lld,\"state\":\"%s\",\"approver\":", r->created,
		       (long long)r->expires, r->state);
		cli_json_string(stdout, r->approver);
		puts("}");
	} else {
		printf("%-12s %-9s %-12s %s %s%s%s\n", r->id, r->state, r->requester, r->op, r->args,
		       *r->approver ? "  by " : "", r->approver);
	}
	return 0;
}

int cmd_requests(int argc, char **argv)
{
	static const char help[] = "usage: pivault requests [--json]\n\nList approval requests "
				   "and their state (pending, approved, rejected, used, expired).\n";
	struct cli_common c;
	int code;
	pv_vault *v = cli_open_plain(argc, argv, "requests", help, &c, &code);
	if (!v)
		return code;
	pv_rc rc = pv_request_list(v, print_request, &c.json);
	code = rc ? cli_fail(v, rc) : EXIT_OK;
	pv_vault_close(v);
	return code;
}

int cmd_run(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs("usage: pivault run REQ\n\nRun an approved request: the command it names, "
		      "with exactly the recorded arguments.\n", argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	struct cli_common c;
	cli_common_init(&c);
	const char *id = NULL;
	int nextra = 0;
	char *extra[16];
	for (int i = 1; i < argc; i++) {
		int start = i;
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (!k && !id && argv[i][0] != '-') {
			id = argv[i];
			continue;
		}
		/* Passed on to the command: who runs it, a password file, -o ...; none of these
		 * is part of what was approved. */
		for (int j = start; j <= i; j++) {
			if (nextra == 16)
				return cli_usage("run", "too many options");
			extra[nextra++] = argv[j];
		}
	}
	if (!id)
		return cli_usage("run", "a request id is required");
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	char *op = NULL, *args = NULL;
	pv_rc rc = pv_request_get(v, id, &op, &args);
	pv_vault_close(v);
	if (rc) {
		fprintf(stderr, "pivault: no request %s\n", id);
		return EXIT_FAIL;
	}
	json_error_t err;
	json_t *arr = json_loads(args, 0, &err);
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
	char **av = calloc(n + 24, sizeof *av);
	int ac = 0;
	if (av && arr) {
		char *save = NULL;
		for (char *w = strtok_r(op, " ", &save); w; w = strtok_r(NULL, " ", &save))
			av[ac++] = w;
		for (size_t i = 0; i < n; i++)
			av[ac++] = (char *)json_string_value(json_array_get(arr, i));
		av[ac++] = "--request";
		av[ac++] = (char *)id;
		for (int i = 0; i < nextra; i++)
			av[ac++] = extra[i];
		code = cli_dispatch(ac, av);
	} else {
		fprintf(stderr, "pivault: request %s has malformed arguments\n", id);
		code = EXIT_FAIL;
	}
	free(av);
	json_decref(arr);
	pv_free(op);
	pv_free(args);
	return code;
}
