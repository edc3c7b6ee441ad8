/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_user.c: `pivault user add|reset|enrol|list|disable|passwd|attest`: the vault's
 * users, their roles, their enrolment codes and own passwords (each opens the user's own
 * key pair) and staff obligations. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int cli_print_user(void *ctx, const pv_user_info *u)
{
	int json = *(int *)ctx;
	if (json) {
		fputs("{\"name\":", stdout);
		cli_json_string(stdout, u->name);
		fputs(",\"roles\":", stdout);
		cli_json_string(stdout, u->roles);
		printf(",\"disabled\":%s,\"waiting\":%s,\"failures\":%d,\"locked_until\":%lld,"
		       "\"agreement\":", u->disabled ? "true" : "false",
		       u->waiting ? "true" : "false", u->failures, (long long)u->locked_until);
		cli_json_string(stdout, u->agreement);
		fputs(",\"training\":", stdout);
		cli_json_string(stdout, u->training);
		fputs(",\"training_expires\":", stdout);
		cli_json_string(stdout, u->training_expires);
		fputs(",\"gaps\":", stdout);
		cli_json_string(stdout, u->gaps);
		puts("}");
		return 0;
	}
	printf("%-16s %-20s %s%s%s agreement %s, training %s%s%s%s%s\n", u->name, u->roles,
	       u->disabled ? "DISABLED " : "", u->waiting ? "WAITING-FOR-ENROLMENT " : "",
	       u->locked_until > (int64_t)time(NULL) ? "LOCKED " : "",
	       *u->agreement ? u->agreement : "-", *u->training ? u->training : "-",
	       *u->training_expires ? " (until " : "", u->training_expires,
	       *u->training_expires ? ")" : "", "");
	if (*u->gaps)
		printf("%16s gaps: %s\n", "", u->gaps);
	return 0;
}

/* After add or reset: the halves of the enrolment code this caller may see. */
void cli_print_enrol_halves(const char *sub, const char *name, const char *half)
{
	const char *space = strchr(half, ' ');
	printf("%s user %s: waiting for enrolment (`pivault user enrol %s`); they open nothing "
	       "and approve nothing until then.\n", strcmp(sub, "add") == 0 ? "added" : "reset",
	       name, name);
	if (space) /* the root secret: break-glass, no approver */
		printf("enrolment code, first half:  %.*s\nenrolment code, second half: %s\n"
		       "(give both to %s in person)\n", (int)(space - half), half, space + 1, name);
	else
		printf("enrolment code, second half (give it to %s in person; the approver holds "
		       "the first half):\n  %s\n", name, half);
}

/* user enrol: both halves and the new password, then a handle as the user. */
static int user_enrol(const struct cli_common *c, const char *name, const char *half_files[2],
		      const char *pwfile)
{
	if (!c->vault)
		return cli_usage("user", "enrol needs the vault (--vault or PIVAULT_VAULT)");
	char *a = cli_read_password(half_files[0], "enrolment code, first half: ", 0);
	char *b = a ? cli_read_password(half_files[1], "enrolment code, second half: ", 0) : NULL;
	char *pass = b ? cli_read_password(pwfile, "your new password: ", 1) : NULL;
	int code = EXIT_FAIL;
	if (pass) {
		pv_vault *v = NULL;
		pv_rc rc = pv_user_enrol(c->vault, c->keyring, name, a, b, pass, strlen(pass), &v);
		code = rc ? cli_fail(v, rc) : EXIT_OK;
		if (!rc)
			printf("enrolled %s: your password is set; the enrolment code opens nothing "
			       "any more\n", name);
		pv_vault_close(v);
	}
	cli_wipe_free(a);
	cli_wipe_free(b);
	cli_wipe_free(pass);
	return code;
}

/* The user the subcommand names (its one argument); NULL after the usage message. */
static const char *the_user(struct cli_args *a, int *code)
{
	return cli_one_arg(a, "one user name is expected", "a user name is required", code);
}

/* add and reset: the new enrolment code's halves this caller may see. */
static int run_add_reset(struct cli_args *a)
{
	int code = EXIT_FAIL, add = strcmp(a->cmd->name, "add") == 0;
	const char *name = the_user(a, &code);
	if (!name)
		return code;
	/* --roles names the new user's roles; --role, as everywhere, the caller's own. */
	if (add && !cli_opt(a, "--roles"))
		return cli_usage(a->prog, "add needs NAME and --roles ROLE[,ROLE...]");
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *half = NULL;
	pv_rc rc = add ? pv_user_add(v, &who, name, cli_opt(a, "--roles"), &half)
		       : pv_user_reset(v, &who, name, &half);
	if (!rc)
		cli_print_enrol_halves(a->cmd->name, name, half);
	cli_wipe_free(half);
	return cli_done(v, rc, EXIT_OK);
}

static int run_enrol(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *name = the_user(a, &code);
	if (!name)
		return code;
	const char *halves[2] = { cli_opt(a, "--first-half-file"), cli_opt(a, "--second-half-file") };
	return user_enrol(&a->common, name, halves, cli_opt(a, "--password-file"));
}

static int run_list(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "list takes no argument");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_user_list(v, &who, cli_flag(a, "--gaps") ? PV_USERS_WITH_GAPS : PV_USERS_ALL,
				cli_print_user, &a->common.json);
	return cli_done(v, rc, EXIT_OK);
}

static int run_disable(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *name = the_user(a, &code);
	if (!name)
		return code;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_user_disable(v, &who, name);
	if (!rc)
		printf("disabled user %s: the master key is no longer sealed to them. Revocation is "
		       "complete only after `pivault rekey --root` (a new master key): until then, a "
		       "copy of the master key the user may have kept still opens the vault.\n", name);
	return cli_done(v, rc, EXIT_OK);
}

static int run_passwd(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "passwd changes your own password only; another user's "
				 "is reset with `pivault request user reset NAME`");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	char *old = cli_read_password(cli_opt(a, "--old-password-file"), "old password: ", 0);
	char *pass = old ? cli_read_password(cli_opt(a, "--password-file"), "new password: ", 1)
			 : NULL;
	pv_rc rc = pass ? pv_user_passwd(v, old, strlen(old), pass, strlen(pass)) : PV_OK;
	cli_wipe_free(old);
	if (!pass) {
		pv_vault_close(v);
		return EXIT_FAIL;
	}
	cli_wipe_free(pass);
	if (!rc)
		printf("new password for %s\n", pv_vault_user(v));
	return cli_done(v, rc, EXIT_OK);
}

static int run_attest(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *name = the_user(a, &code);
	if (!name)
		return code;
	const char *agreement = cli_opt(a, "--agreement"), *training = cli_opt(a, "--training"),
		   *expires = cli_opt(a, "--training-expires");
	if (!agreement && !training && !expires)
		return cli_usage(a->prog, "attest needs --agreement, --training or --training-expires");
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_user_attest(v, &who, name, agreement, training, expires);
	if (!rc)
		printf("recorded obligations of %s\n", name);
	return cli_done(v, rc, EXIT_OK);
}

static const struct cli_opt no_opts[] = { { NULL, NULL, NULL, NULL, NULL } };

/* Nobody chooses another user's password: --password-file belongs to passwd and enrol. */
#define PASSWORD_FILE \
	{ "--password-file", NULL, "FILE", "the new password's file (else asked twice)", NULL }

static const struct cli_cmd subs[] = {
	{ "add", "NAME --roles ROLE[,ROLE...]",
	  "a new user, waiting for enrolment (four eyes: pivault request user add ...)",
	  "The approver is shown the first half of a one-time enrolment code, the requester\n"
	  "the second.\n",
	  (const struct cli_opt[]){ { "--roles", NULL, "ROLE,...", "the new user's roles", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_add_reset, NULL },
	{ "reset", "NAME", "the user's password opens nothing any more; they enrol again",
	  "They enrol again with a new two-half code (four eyes: pivault request user reset).\n",
	  no_opts, CLI_COMMON, run_add_reset, NULL },
	{ "enrol", "NAME [--first-half-file F] [--second-half-file F] [--password-file F]",
	  "set your own password with both halves of your enrolment code",
	  "The halves come from the files, or are asked; needs no other credential.\n",
	  (const struct cli_opt[]){
		  { "--first-half-file", NULL, "FILE", "the code's first half (else asked)", NULL },
		  { "--second-half-file", NULL, "FILE", "the code's second half (else asked)", NULL },
		  PASSWORD_FILE,
		  { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_enrol, NULL },
	{ "list", "[--gaps] [--json]", "users, roles, lock-outs", NULL,
	  (const struct cli_opt[]){ { "--gaps", NULL, NULL, "only those missing a signed "
				      "confidentiality agreement or valid privacy training", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_list, NULL },
	{ "disable", "NAME", "the user's access to the master key is deleted",
	  "Revocation is complete after the next `pivault rekey --root` (a copy of the master\n"
	  "key the user kept opens the vault until then).\n",
	  no_opts, CLI_COMMON, run_disable, NULL },
	{ "passwd", "[--old-password-file F] [--password-file F]",
	  "change your own password (the old one is asked for)",
	  "Nobody sets another user's password: see reset. Your sessions on a server end.\n",
	  (const struct cli_opt[]){
		  { "--old-password-file", NULL, "FILE", "the old password's file (else asked)", NULL },
		  PASSWORD_FILE,
		  { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_passwd, NULL },
	{ "attest", "NAME [--agreement DATE] [--training DATE] [--training-expires DATE]",
	  "record the agreement (保密协议) and training (保密培训) dates",
	  "Training is valid a year unless --training-expires says otherwise.\n",
	  (const struct cli_opt[]){
		  { "--agreement", NULL, "DATE", "the confidentiality agreement's date", NULL },
		  { "--training", NULL, "DATE", "the privacy training's date", NULL },
		  { "--training-expires", NULL, "DATE", "when the training stops being valid", NULL },
		  { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_attest, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_user = {
	.name = "user",
	.summary = "users, their roles, passwords and obligations",
	.subs = subs,
};
