/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_audit.c: `pivault audit ...`: list who did what, sign, list and export checkpoints,
 * verify the whole log, and make and check Merkle proofs (check-proof needs no vault). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Checkpoints and proofs are a few kilobytes. */
#define PROOF_MAX 65535

int cli_print_audit_entry(void *ctx, const pv_audit_entry *e)
{
	int json = *(int *)ctx;
	if (json) {
		printf("{\"seq\":%llu,\"at\":", (unsigned long long)e->seq);
		cli_json_string(stdout, e->at);
		const char *names[] = { "user", "op", "ids", "purpose", "request", "outcome", "detail" };
		const char *vals[] = { e->user, e->op, e->ids, e->purpose, e->request, e->outcome,
				       e->detail };
		for (int i = 0; i < 7; i++) {
			printf(",\"%s\":", names[i]);
			cli_json_string(stdout, vals[i]);
		}
		puts("}");
	} else {
		/* long id lists are shortened on screen; --json gives them whole */
		size_t nids = *e->ids ? 1 : 0;
		for (const char *p = e->ids; *p; p++)
			nids += *p == ',';
		char ids[96];
		if (strlen(e->ids) < sizeof ids)
			snprintf(ids, sizeof ids, "%s", e->ids);
		else
			snprintf(ids, sizeof ids, "%.60s... (%zu ids)", e->ids, nids);
		printf("%6llu  %s  %-12s %-18s %-7s %s%s%s%s%s%s%s\n", (unsigned long long)e->seq,
		       e->at, e->user, e->op, e->outcome, ids, *e->purpose ? "  purpose=" : "",
		       e->purpose, *e->request ? "  request=" : "", e->request,
		       *e->detail ? "  " : "", e->detail);
	}
	return 0;
}

int cli_print_audit_alert(void *ctx, const pv_audit_alert *a)
{
	if (*(int *)ctx) {
		printf("{\"seq\":%llu,\"at\":", (unsigned long long)a->seq);
		cli_json_string(stdout, a->at);
		fputs(",\"user\":", stdout);
		cli_json_string(stdout, a->user);
		fputs(",\"kind\":", stdout);
		cli_json_string(stdout, a->kind);
		fputs(",\"detail\":", stdout);
		cli_json_string(stdout, a->detail);
		puts("}");
	} else {
		printf("%6llu  %s  %-12s %-12s %s\n", (unsigned long long)a->seq, a->at, a->user,
		       a->kind, a->detail);
	}
	return 0;
}

static int run_check_proof(struct cli_args *a)
{
	const char *ck = cli_opt(a, "--checkpoint"), *old = cli_opt(a, "--old-checkpoint"),
		   *key = cli_opt(a, "--public-key");
	if (a->narg != 1)
		return cli_usage(a->prog, "check-proof needs one proof file");
	if ((ck || old) && !key)
		return cli_usage(a->prog, "a checkpoint is checked against the vault's public key: "
				 "give --public-key KEY (as the vault's `pivault pubkey` prints it)");
	char *p = cli_read_text(a->arg[0], PROOF_MAX);
	char *c = ck ? cli_read_text(ck, PROOF_MAX) : NULL;
	char *o = old ? cli_read_text(old, PROOF_MAX) : NULL;
	int code = EXIT_FAIL;
	if (p && (!ck || c) && (!old || o)) {
		char *summary = NULL;
		pv_rc rc = pv_audit_check_proof(p, c, o, key, &summary);
		if (rc == PV_OK) {
			printf("valid: %s\n", summary);
			pv_free(summary);
			code = EXIT_OK;
		} else {
			fprintf(stderr, "pivault: invalid proof: %s\n", pv_errmsg(NULL));
			code = rc == PV_ERR_USAGE ? EXIT_USAGE : EXIT_FAIL;
		}
	}
	free(p);
	free(c);
	free(o);
	return code;
}

/* The vault for the subcommand, when it got the arguments it takes (nargs); NULL (with
 * *code) when not. */
static pv_vault *open_for(struct cli_args *a, int nargs, pv_access *who, int *code)
{
	if (a->narg != nargs) {
		*code = cli_usage(a->prog, a->narg > nargs ? "unexpected argument"
							  : "an argument is missing");
		return NULL;
	}
	*who = cli_access(&a->common);
	return cli_open_vault(&a->common, code);
}

/* The exit status for rc (text written to out_path or standard output when it
 * succeeded), the vault closed and text freed. */
static int done(pv_vault *v, pv_rc rc, char *text, const char *out_path)
{
	int code = EXIT_OK;
	if (rc == PV_OK && text) {
		FILE *out = out_path ? cli_create(out_path) : stdout;
		if (!out)
			code = EXIT_FAIL;
		else if (fputs(text, out) < 0 || (out != stdout && fclose(out) != 0))
			code = EXIT_FAIL;
	} else if (rc) {
		code = cli_fail(v, rc);
	}
	pv_free(text);
	pv_vault_close(v);
	return code;
}

/* A proof or checkpoint file the subcommand reads; NULL (the vault closed, message
 * printed) when it cannot be read. */
static char *read_input(pv_vault *v, const char *path)
{
	char *input = cli_read_text(path, PROOF_MAX);
	if (!input)
		pv_vault_close(v);
	return input;
}

static int run_log(struct cli_args *a)
{
	int code = EXIT_FAIL;
	pv_access who;
	pv_vault *v = open_for(a, 0, &who, &code);
	if (!v)
		return code;
	/* here --user filters by user; the acting user is PIVAULT_USER or --as */
	pv_audit_filter f = { cli_opt(a, "--customer"), cli_opt(a, "--user"), cli_opt(a, "--since") };
	return done(v, pv_audit_log(v, &who, &f, cli_print_audit_entry, &a->common.json), NULL, NULL);
}

static int run_alerts(struct cli_args *a)
{
	int code = EXIT_FAIL;
	pv_access who;
	pv_vault *v = open_for(a, 0, &who, &code);
	if (!v)
		return code;
	return done(v, pv_audit_alerts(v, &who, cli_print_audit_alert, &a->common.json), NULL, NULL);
}

static int run_threshold(struct cli_args *a)
{
	if (a->narg == 1 && cli_positive(a->arg[0]) == 0)
		return cli_usage(a->prog, "threshold needs a positive number");
	int code = EXIT_FAIL;
	pv_access who;
	pv_vault *v = open_for(a, 1, &who, &code);
	if (!v)
		return code;
	return done(v, pv_audit_set_alert_threshold(v, &who, cli_positive(a->arg[0])), NULL,
		    NULL);
}

static int run_checkpoint(struct cli_args *a)
{
	int code = EXIT_FAIL;
	pv_access who;
	pv_vault *v = open_for(a, 0, &who, &code);
	if (!v)
		return code;
	char *text = NULL;
	pv_rc rc = pv_audit_checkpoint(v, &who, &text);
	return done(v, rc, text, cli_opt(a, "-o"));
}

int cli_print_checkpoint(void *ctx, const pv_audit_checkpoint_info *c)
{
	if (*(int *)ctx) {
		printf("{\"size\":%llu,\"root\":\"%s\",\"at\":", (unsigned long long)c->size,
		       c->root);
		cli_json_string(stdout, c->at);
		printf(",\"verified\":%s}\n", c->verified ? "true" : "false");
	} else {
		printf("%10llu  %s  %s  %s\n", (unsigned long long)c->size, c->at, c->root,
		       c->verified ? "signature verified" : "SIGNATURE DOES NOT VERIFY");
	}
	return 0;
}

/* A decimal option: def when absent; -1 (usage printed into *code) when not a number. */
static int number_opt(struct cli_args *a, const char *name, unsigned long long def,
		      unsigned long long *n, int *code)
{
	const char *s = cli_opt(a, name);
	char *end = NULL;
	*n = s ? strtoull(s, &end, 10) : def;
	if (s && (!*s || *end || *s == '-')) {
		*code = cli_usage(a->prog, "--after and --limit take a number");
		return -1;
	}
	return 0;
}

int cli_checkpoint_page(struct cli_args *a, unsigned long long *after,
			unsigned long long *limit)
{
	int code = EXIT_OK;
	if (number_opt(a, "--after", 0, after, &code) == 0)
		number_opt(a, "--limit", 100, limit, &code);
	return code;
}

static int run_checkpoints(struct cli_args *a)
{
	unsigned long long after = 0, limit = 100;
	int code = cli_checkpoint_page(a, &after, &limit);
	if (code)
		return code;
	pv_access who;
	pv_vault *v = open_for(a, 0, &who, &code);
	if (!v)
		return code;
	uint64_t next = 0;
	pv_rc rc = pv_audit_checkpoints(v, &who, after, (size_t)limit, cli_print_checkpoint,
					&a->common.json, &next);
	if (rc == PV_OK && next && !a->common.json)
		printf("more: --after %llu\n", (unsigned long long)next);
	return done(v, rc, NULL, NULL);
}

static int run_verify(struct cli_args *a)
{
	int code = EXIT_FAIL;
	pv_access who;
	pv_vault *v = open_for(a, 0, &who, &code);
	if (!v)
		return code;
	const char *ck_path = cli_opt(a, "--checkpoint");
	char *input = NULL, *text = NULL;
	if (ck_path && !(input = read_input(v, ck_path)))
		return EXIT_FAIL;
	pv_rc rc = pv_audit_verify(v, &who, input, &text);
	if (rc == PV_OK)
		printf("audit log verified: %s\n", text);
	free(input);
	pv_free(text);
	return done(v, rc, NULL, NULL);
}

static int run_prove(struct cli_args *a)
{
	char *end = NULL;
	unsigned long long seq = a->narg == 1 ? strtoull(a->arg[0], &end, 10) : 0;
	if (a->narg == 1 && (*end || end == a->arg[0]))
		return cli_usage(a->prog, "SEQ must be a number");
	int code = EXIT_FAIL;
	pv_access who;
	pv_vault *v = open_for(a, 1, &who, &code);
	if (!v)
		return code;
	char *text = NULL;
	pv_rc rc = pv_audit_prove(v, &who, seq, &text);
	return done(v, rc, text, cli_opt(a, "-o"));
}

static int run_consistency(struct cli_args *a)
{
	int code = EXIT_FAIL;
	pv_access who;
	pv_vault *v = open_for(a, 1, &who, &code);
	if (!v)
		return code;
	char *input = read_input(v, a->arg[0]), *text = NULL;
	if (!input)
		return EXIT_FAIL;
	pv_rc rc = pv_audit_consistency(v, &who, input, &text);
	free(input);
	return done(v, rc, text, cli_opt(a, "-o"));
}

#define OUT_OPT(what) { "-o", NULL, "FILE", "write " what " to FILE (a new file)", NULL }
#define END_OPTS { NULL, NULL, NULL, NULL, NULL }

static const struct cli_opt no_opts[] = { END_OPTS };

static const struct cli_cmd subs[] = {
	{ "alerts", "[--json]", "bulk reads: exports, lists in clear, and users reading more "
	  "customers in an hour than the threshold", NULL, no_opts, CLI_COMMON, run_alerts, NULL },
	{ "threshold", "N", "the bulk limit: customers a session may show in clear, and a user "
	  "read in an hour before an alert (100; four eyes)", NULL, no_opts, CLI_COMMON,
	  run_threshold, NULL },
	{ "log", "[--customer ID] [--user U] [--since TIME] [--json]", "who did what",
	  "--customer: who touched that customer's data; here --user filters, and the acting\n"
	  "user is given by --as.\n",
	  (const struct cli_opt[]){ { "--customer", NULL, "ID", "entries about this customer", NULL },
				    { "--user", NULL, "U", "entries by this user (act with --as)",
				      NULL },
				    { "--since", NULL, "TIME", "entries from this time on", NULL },
				    END_OPTS },
	  CLI_COMMON, run_log, NULL },
	{ "checkpoint", "[-o FILE]", "sign (size, chain head, Merkle root) and print it for a "
	  "third party to keep", NULL, (const struct cli_opt[]){ OUT_OPT("it"), END_OPTS },
	  CLI_COMMON, run_checkpoint, NULL },
	{ "checkpoints", "[--after SIZE] [--limit N] [--json]", "the signed checkpoints stored, "
	  "each with its size, time, Merkle root and whether its signature verifies",
	  "A page at a time (--limit, 100 by default; at most 1000): the next page starts\n"
	  "--after the last size shown.\n",
	  (const struct cli_opt[]){ { "--after", NULL, "SIZE", "checkpoints above this size", NULL },
				    { "--limit", NULL, "N", "at most N checkpoints", NULL },
				    END_OPTS },
	  CLI_COMMON, run_checkpoints, NULL },
	{ "verify", "[--checkpoint FILE]", "recompute the chain and every signature",
	  "With an exported checkpoint, also prove the log still holds what it signed.\n",
	  (const struct cli_opt[]){ { "--checkpoint", NULL, "FILE", "a checkpoint exported before",
				      NULL },
				    END_OPTS },
	  CLI_COMMON, run_verify, NULL },
	{ "prove", "SEQ [-o FILE]", "an inclusion proof of entry SEQ against the latest "
	  "checkpoint", NULL, (const struct cli_opt[]){ OUT_OPT("the proof"), END_OPTS },
	  CLI_COMMON, run_prove, NULL },
	{ "consistency", "OLD_CHECKPOINT [-o FILE]", "a proof that the log only grew since "
	  "OLD_CHECKPOINT", NULL, (const struct cli_opt[]){ OUT_OPT("the proof"), END_OPTS },
	  CLI_COMMON, run_consistency, NULL },
	{ "check-proof", "PROOF [--checkpoint FILE [--old-checkpoint FILE] --public-key KEY]",
	  "check a proof without the vault",
	  "Against checkpoints signed by KEY: the vault's key as `pivault pubkey` prints it,\n"
	  "got from the vault's owner (never the key a checkpoint names).\n",
	  (const struct cli_opt[]){
		  { "--checkpoint", NULL, "FILE", "the checkpoint the proof is against", NULL },
		  { "--old-checkpoint", NULL, "FILE", "the older checkpoint (consistency)", NULL },
		  { "--public-key", NULL, "KEY", "the vault's public key (64 hex digits)", NULL },
		  END_OPTS },
	  0, run_check_proof, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_audit = {
	.name = "audit",
	.summary = "the tamper-evident audit log: log, checkpoint, verify, proofs",
	.subs = subs,
};
