/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_request.c: four-eyes approvals from the command line: `request COMMAND ARGS...`
 * runs the command so that its operation is asked for instead of run, `approve`/`reject
 * REQ` is a second person's decision, `requests` lists them, and `run REQ` runs the
 * recorded command again (the library compares what runs with what was approved). */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Options that say who runs a command, not what it does: left out of the command kept
 * for `run` (whoever runs it gives their own). */
static int names_the_runner(const char *a, int *takes_value)
{
	static const char *const valued[] = { "--vault", "--keyring", "--key-file", "--user",
					      "--as", "--request", "--password-file" };
	for (size_t i = 0; i < sizeof valued / sizeof *valued; i++) {
		size_t n = strlen(valued[i]);
		if (strncmp(a, valued[i], n) == 0 && (a[n] == '\0' || a[n] == '=')) {
			*takes_value = a[n] == '\0';
			return 1;
		}
	}
	return 0;
}

/* The commands whose operations can need approval; any other is refused, never run. */
static int may_need_approval(const char *command)
{
	static const char *const guarded[] = { "export", "list", "get",	     "find",
					       "shred",	 "retention", "dsr", "user",
					       "handover", "transfer", "decommission",
					       "audit", "schema" };
	for (size_t i = 0; command && i < sizeof guarded / sizeof *guarded; i++)
		if (strcmp(command, guarded[i]) == 0)
			return 1;
	return 0;
}

int cmd_request(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault request COMMAND ARGS... [--reason TEXT] [--expires-in 24h] [--json]\n\n"
		"Ask for a four-eyes approval of a command that can do lasting harm, with its\n"
		"exact arguments, e.g.\n"
		"  pivault request export --format csv --clear --purpose all --reason \"audit\"\n"
		"  pivault request shred C00000042 --reason \"customer asked\"\n"
		"  pivault request list --clear --purpose all --limit 500\n"
		"The command is checked as if it ran (permission, arguments, what it would act on)\n"
		"and stops; the request binds what it would do. Another user with the 'approve'\n"
		"permission then runs 'pivault approve REQ', and the requester 'pivault run REQ'.\n"
		"What runs is compared with what was approved: other customers, files, formats,\n"
		"purposes, or a set that changed since, are refused.\n";
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	const char *reason = NULL;
	unsigned ttl = 0;
	int json = 0, n = 0;
	const char *word = NULL; /* the command asked for */
	char **run_argv = calloc((size_t)argc + 1, sizeof *run_argv);
	json_t *command = json_array();
	if (!run_argv || !command) {
		free(run_argv);
		json_decref(command);
		fprintf(stderr, "pivault: out of memory\n");
		return EXIT_FAIL;
	}
	/* --reason, --expires-in and --json are the request's; the rest is the command's */
	int code = EXIT_OK;
	for (int i = 1; i < argc && code == EXIT_OK; i++) {
		int valued = 0;
		if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc) {
			reason = argv[++i];
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--expires-in") == 0 && i + 1 < argc) {
			if (!(ttl = parse_duration(argv[++i])))
				code = cli_usage("request", "--expires-in takes e.g. 30m, 24h or 2d");
		} else if (names_the_runner(argv[i], &valued)) {
			run_argv[n++] = argv[i];
			if (valued && i + 1 < argc)
				run_argv[n++] = argv[++i];
		} else {
			run_argv[n++] = argv[i];
			json_array_append_new(command, json_string(argv[i]));
			if (!word)
				word = argv[i];
		}
	}
	char *command_text = code == EXIT_OK ? json_dumps(command, JSON_COMPACT) : NULL;
	json_decref(command);
	if (code == EXIT_OK && !command_text) {
		fprintf(stderr, "pivault: out of memory\n");
		code = EXIT_FAIL;
	}
	if (code == EXIT_OK && !may_need_approval(word))
		code = cli_usage("request", "that command never needs approval: run it directly");
	if (code == EXIT_OK) {
		cli_set_asking(reason, ttl, command_text, json);
		code = cli_dispatch(n, run_argv);
	}
	free(command_text);
	free(run_argv);
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
	char *half = NULL;
	pv_rc rc = pv_request_decide(v, &who, id, approve, &half);
	if (rc)
		code = cli_fail(v, rc);
	else
		printf("%s %s\n", approve ? "approved" : "rejected", id);
	if (half) /* shown to the approver alone, who hands it to the new user in person */
		printf("the new user's enrolment code, first half (give it to them in person; the "
		       "requester gets the second half when running the request):\n  %s\n", half);
	cli_wipe_free(half);
	pv_vault_close(v);
	return code;
}

static int print_request(void *ctx, const pv_request_info *r)
{
	if (*(int *)ctx) {
		printf("{\"id\":\"%s\",\"requester\":", r->id);
		cli_json_string(stdout, r->requester);
		printf(",\"op\":\"%s\",\"params\":", r->op);
		cli_json_string(stdout, r->params);
		printf(",\"command\":%s,\"reason\":", *r->command ? r->command : "[]");
		cli_json_string(stdout, r->reason);
		printf(",\"created\":\"%s\",\"expires\":%lld,\"state\":\"%s\",\"approver\":", r->created,
		       (long long)r->expires, r->state);
		cli_json_string(stdout, r->approver);
		puts("}");
	} else {
		printf("%-12s %-9s %-12s %s: %s%s%s\n", r->id, r->state, r->requester, r->op, r->params,
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
	pv_access who = cli_access(&c);
	pv_rc rc = pv_request_list(v, &who, print_request, &c.json);
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
	char *op = NULL, *args = NULL; /* the command kept to run it again */
	pv_rc rc = pv_request_get(v, id, &op, &args);
	if (rc) {
		code = cli_fail(v, rc);
		pv_vault_close(v);
		return code;
	}
	pv_vault_close(v);
	json_error_t err;
	json_t *arr = json_loads(args, 0, &err);
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
	char **av = calloc(n + 24, sizeof *av);
	int ac = 0;
	if (av && arr) {
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
