/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_request.c: four-eyes approvals from the command line: `request COMMAND ARGS...`
 * runs the command so that its operation is asked for instead of run, `approve`/`reject
 * REQ` is a second person's decision, `requests` lists them, and `run REQ` runs the
 * recorded command again (the library compares what runs with what was approved). */
#include "cli.h"
#include "remote.h"

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

/* The commands whose operations can need approval; any other is refused, never run. */
static int may_need_approval(const char *command)
{
	static const char *const guarded[] = { "export", "list", "get",	     "find",
					       "shred",	 "retention", "dsr", "user",
					       "handover", "transfer", "decommission",
					       "audit", "schema", "incident", "token", "node" };
	for (size_t i = 0; command && i < sizeof guarded / sizeof *guarded; i++)
		if (strcmp(command, guarded[i]) == 0)
			return 1;
	return 0;
}

/* Options that say who runs a command, not what it does: request's own options wherever
 * they stand, passed on to the command but left out of the command kept for `run`
 * (whoever runs it gives their own). */
static const char *const runner_opts[] = { "--vault", "--keyring", "--key-file", "--user",
					   "--request", "--password-file" };
#define NRUNNER (sizeof runner_opts / sizeof *runner_opts)

/* The command to run (into run_argv, n: its word first, for cli_dispatch) and the command
 * kept (a JSON array of its words, the runner's options left out). */
static int split_command(struct cli_args *a, char **run_argv, int *n, json_t *command)
{
	run_argv[(*n)++] = a->arg[0];
	for (size_t i = 0; i < NRUNNER; i++) {
		const char *val = cli_opt(a, runner_opts[i]);
		if (val) {
			run_argv[(*n)++] = (char *)runner_opts[i];
			run_argv[(*n)++] = (char *)val;
		}
	}
	for (int i = 0; i < a->narg; i++) {
		if (i > 0)
			run_argv[(*n)++] = a->arg[i];
		if (json_array_append_new(command, json_string(a->arg[i])) != 0)
			return -1;
	}
	return 0;
}

static int run_request(struct cli_args *a)
{
	unsigned ttl = 0;
	const char *expires = cli_opt(a, "--expires-in");
	if (expires && !(ttl = parse_duration(expires)))
		return cli_usage(a->prog, "--expires-in takes e.g. 30m, 24h or 2d");
	if (a->narg == 0 || !may_need_approval(a->arg[0]))
		return cli_usage(a->prog, a->narg ? "that command never needs approval: run it "
					  "directly" : "name the command to ask for");
	char **run_argv = calloc((size_t)a->narg + 2 * NRUNNER + 1, sizeof *run_argv);
	json_t *command = json_array();
	char *command_text = NULL;
	int n = 0, code = EXIT_FAIL;
	if (run_argv && command && split_command(a, run_argv, &n, command) == 0 &&
	    (command_text = json_dumps(command, JSON_COMPACT))) {
		if (cli_remote_on()) /* PIVAULT_SERVER: the command's twin asks the server */
			cli_remote_set_asking(cli_opt(a, "--reason"), ttl, cli_flag(a, "--json"));
		else
			cli_set_asking(cli_opt(a, "--reason"), ttl, command_text,
				       cli_flag(a, "--json"));
		code = cli_dispatch(n, run_argv);
	} else {
		fprintf(stderr, "pivault: out of memory\n");
	}
	json_decref(command);
	free(command_text);
	free(run_argv);
	return code;
}

#define END_OPTS { NULL, NULL, NULL, NULL, NULL }

const struct cli_cmd cli_cmd_request = {
	.name = "request",
	.args = "COMMAND ARGS... [--reason TEXT] [--expires-in 24h] [--json]",
	.summary = "ask for a four-eyes approval (request OP ARGS...)",
	.about = "Ask for a four-eyes approval of a command that can do lasting harm, with its\n"
		 "exact arguments, e.g.\n"
		 "  pivault request export --format csv --clear --purpose all --reason \"audit\"\n"
		 "  pivault request shred C00000042 --reason \"customer asked\"\n"
		 "  pivault request list --clear --purpose all --limit 500\n"
		 "The command is checked as if it ran (permission, arguments, what it would act on)\n"
		 "and stops; the request binds what it would do. Another user with the 'approve'\n"
		 "permission then runs 'pivault approve REQ', and the requester 'pivault run REQ'.\n"
		 "What runs is compared with what was approved: other customers, files, formats,\n"
		 "purposes, or a set that changed since, are refused. Options after COMMAND other\n"
		 "than these are the command's.\n",
	.opts = (const struct cli_opt[]){
		{ "--reason", NULL, "TEXT", "why (shown to the approver)", NULL },
		{ "--expires-in", NULL, "TIME", "how long the request stays valid: 30m, 24h, 2d",
		  NULL },
		{ "--json", NULL, NULL, "print the request as JSON", NULL },
		{ "--vault", NULL, "DIR", "the vault (passed on to the command)", NULL },
		{ "--keyring", NULL, "FILE", "the keyring (passed on to the command)", NULL },
		{ "--key-file", NULL, "FILE", "the root key file (passed on to the command)", NULL },
		{ "--user", "--as", "NAME", "who asks (passed on to the command)", NULL },
		{ "--request", NULL, "REQ", "passed on to the command", NULL },
		{ "--password-file", NULL, "FILE", "passed on to the command", NULL },
		END_OPTS },
	.flags = CLI_PASS_ON,
	.run = run_request,
};

static int run_decide(struct cli_args *a)
{
	int approve = strcmp(a->cmd->name, "approve") == 0;
	if (a->narg != 1)
		return cli_usage(a->prog, a->narg ? "one request id is expected"
						  : "a request id is required");
	const char *id = a->arg[0];
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *half = NULL;
	pv_rc rc = pv_request_decide(v, &who, id, approve ? PV_APPROVE : PV_REJECT, &half);
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

const struct cli_cmd cli_cmd_approve = {
	.name = "approve",
	.args = "REQ",
	.summary = "approve another user's request (approve REQ)",
	.about = "Needs the approve permission; the requester cannot decide their own.\n",
	.flags = CLI_COMMON,
	.run = run_decide,
};

const struct cli_cmd cli_cmd_reject = {
	.name = "reject",
	.args = "REQ",
	.summary = "reject another user's request (reject REQ)",
	.about = "Needs the approve permission; the requester cannot decide their own.\n",
	.flags = CLI_COMMON,
	.run = run_decide,
};

/* A request's command as JSON: the words the CLI recorded (a JSON array), or the text
 * another front end recorded (a string), or [] when none. */
static void print_command(const char *command)
{
	json_error_t jerr;
	json_t *words = *command ? json_loads(command, 0, &jerr) : json_array();
	if (!json_is_array(words)) {
		json_decref(words);
		words = json_string(command);
	}
	char *text = words ? json_dumps(words, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	fputs(text ? text : "[]", stdout);
	free(text);
	json_decref(words);
}

int cli_print_request(void *ctx, const pv_request_info *r)
{
	if (*(int *)ctx) {
		printf("{\"id\":\"%s\",\"requester\":", r->id);
		cli_json_string(stdout, r->requester);
		printf(",\"op\":\"%s\",\"params\":", r->op);
		cli_json_string(stdout, r->params);
		fputs(",\"command\":", stdout);
		print_command(r->command);
		fputs(",\"reason\":", stdout);
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

static int run_requests(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "requests takes no argument");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_request_list(v, &who, cli_print_request, &a->common.json);
	code = rc ? cli_fail(v, rc) : EXIT_OK;
	pv_vault_close(v);
	return code;
}

const struct cli_cmd cli_cmd_requests = {
	.name = "requests",
	.args = "[--json]",
	.summary = "list approval requests",
	.about = "Their state: pending, approved, rejected, used, expired.\n",
	.flags = CLI_COMMON,
	.run = run_requests,
};

/* The command an approved request recorded, run with --request and the extra arguments
 * (who runs it, a password file, -o ...; none is part of what was approved). */
static int run_recorded(const char *id, const char *args, char **extra, int nextra)
{
	json_error_t err;
	json_t *arr = json_loads(args, 0, &err);
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
	char **av = calloc(n + (size_t)nextra + 3, sizeof *av);
	int ac = 0, code;
	if (av && n) {
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
	return code;
}

static int run_run(struct cli_args *a)
{
	if (a->narg == 0)
		return cli_usage(a->prog, "a request id is required");
	const char *id = a->arg[0];
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
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
	/* every argument but the id is passed on, the options run read included */
	char *extra[a->argc];
	int nextra = 0;
	for (int i = 1; i < a->argc; i++)
		if (a->argv[i] != a->arg[0])
			extra[nextra++] = a->argv[i];
	code = run_recorded(id, args, extra, nextra);
	pv_free(op);
	pv_free(args);
	return code;
}

const struct cli_cmd cli_cmd_run = {
	.name = "run",
	.args = "REQ [OPTIONS]",
	.summary = "run an approved request (run REQ)",
	.about = "Run an approved request: the command it names, with exactly the recorded\n"
		 "arguments; options after REQ (who runs it, a password file, -o ...) are passed on.\n",
	.flags = CLI_COMMON | CLI_PASS_ON,
	.run = run_run,
};
