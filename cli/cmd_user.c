/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_user.c: `pivault user add|reset|enrol|list|disable|passwd|attest`: the vault's
 * users, their roles, their enrolment codes and own passwords (each opens the user's own
 * key pair) and staff obligations. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char user_help[] =
	"usage: pivault user SUBCOMMAND [OPTIONS]\n\n"
	"  add NAME --roles ROLE[,ROLE...]\n"
	"                     a new user, waiting for enrolment; needs a four-eyes request\n"
	"                     (pivault request user add ...). The approver is shown the first\n"
	"                     half of a one-time enrolment code, the requester the second\n"
	"  reset NAME         the user's password opens nothing any more; they enrol again\n"
	"                     with a new two-half code (four-eyes: pivault request user reset)\n"
	"  enrol NAME [--first-half-file F] [--second-half-file F] [--password-file F]\n"
	"                     set your own password with both halves of your enrolment code\n"
	"                     (from the files, or asked); needs no other credential\n"
	"  list [--gaps] [--json]\n"
	"                     users, roles, lock-outs; --gaps: only those missing a signed\n"
	"                     confidentiality agreement or valid privacy training\n"
	"  disable NAME       the user's access to the master key is deleted; revocation is\n"
	"                     complete after the next `pivault rekey --root` (a copy of the\n"
	"                     master key the user kept opens the vault until then)\n"
	"  passwd [--old-password-file F] [--password-file F]\n"
	"                     change your own password (the old one is asked for); nobody sets\n"
	"                     another user's password: see reset\n"
	"  attest NAME [--agreement DATE] [--training DATE] [--training-expires DATE]\n"
	"                     record the agreement (保密协议) and training (保密培训) dates;\n"
	"                     training is valid a year unless --training-expires says otherwise\n";

static int print_user(void *ctx, const pv_user_info *u)
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
static void print_halves(const char *sub, const char *name, const char *half)
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

int cmd_user(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs(user_help, argc < 2 ? stderr : stdout);
		if (argc >= 2)
			fputs(cli_common_help, stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	const char *sub = argv[1];
	static const char *const subs[] = { "add", "reset", "enrol", "list", "disable", "passwd",
					    "attest" };
	int known = 0;
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
		known |= strcmp(sub, subs[i]) == 0;
	if (!known)
		return cli_usage("user", "unknown subcommand");
	struct cli_common c;
	cli_common_init(&c);
	const char *name = NULL, *roles = NULL, *pwfile = NULL, *agreement = NULL,
		   *training = NULL, *expires = NULL, *oldfile = NULL, *half_files[2] = { NULL };
	int gaps = 0;
	for (int i = 2; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0) {
			fputs(user_help, stdout);
			return EXIT_OK;
		} else if (strcmp(a, "--gaps") == 0) {
			gaps = 1;
		} else if (next && strcmp(a, "--roles") == 0) {
			roles = argv[++i];
		} else if (next && strcmp(a, "--password-file") == 0) {
			pwfile = argv[++i];
		} else if (next && strcmp(a, "--old-password-file") == 0) {
			oldfile = argv[++i];
		} else if (next && strcmp(a, "--first-half-file") == 0) {
			half_files[0] = argv[++i];
		} else if (next && strcmp(a, "--second-half-file") == 0) {
			half_files[1] = argv[++i];
		} else if (next && strcmp(a, "--agreement") == 0) {
			agreement = argv[++i];
		} else if (next && strcmp(a, "--training") == 0) {
			training = argv[++i];
		} else if (next && strcmp(a, "--training-expires") == 0) {
			expires = argv[++i];
		} else if (!name && a[0] != '-') {
			name = a;
		} else {
			return cli_usage("user", "unknown argument or missing value");
		}
	}
	/* --roles names the new user's roles; --role, as everywhere, the caller's own. */
	if (strcmp(sub, "add") == 0 && (!name || !roles))
		return cli_usage("user", "add needs NAME and --roles ROLE[,ROLE...]");
	int named = strcmp(sub, "disable") == 0 || strcmp(sub, "attest") == 0 ||
		    strcmp(sub, "reset") == 0 || strcmp(sub, "enrol") == 0;
	if (named && !name)
		return cli_usage("user", "a user name is required");
	if (strcmp(sub, "passwd") == 0 && name)
		return cli_usage("user", "passwd changes your own password only; another user's "
				 "is reset with `pivault request user reset NAME`");
	if (pwfile && strcmp(sub, "passwd") != 0 && strcmp(sub, "enrol") != 0)
		return cli_usage("user", "--password-file is for passwd and enrol: nobody chooses "
				 "another user's password");
	if (strcmp(sub, "enrol") == 0)
		return user_enrol(&c, name, half_files, pwfile);
	if (strcmp(sub, "attest") == 0 && !agreement && !training && !expires)
		return cli_usage("user", "attest needs --agreement, --training or --training-expires");
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc = PV_OK;
	if (strcmp(sub, "add") == 0 || strcmp(sub, "reset") == 0) {
		char *half = NULL;
		rc = strcmp(sub, "add") == 0 ? pv_user_add(v, &who, name, roles, &half)
					     : pv_user_reset(v, &who, name, &half);
		if (!rc)
			print_halves(sub, name, half);
		cli_wipe_free(half);
	} else if (strcmp(sub, "passwd") == 0) {
		char *old = cli_read_password(oldfile, "old password: ", 0);
		char *pass = old ? cli_read_password(pwfile, "new password: ", 1) : NULL;
		rc = pass ? pv_user_passwd(v, old, strlen(old), pass, strlen(pass)) : PV_ERR_USAGE;
		if (!pass) {
			cli_wipe_free(old);
			pv_vault_close(v);
			return EXIT_FAIL;
		}
		cli_wipe_free(old);
		cli_wipe_free(pass);
		if (!rc)
			printf("new password for %s\n", pv_vault_user(v));
	} else if (strcmp(sub, "list") == 0) {
		rc = pv_user_list(v, &who, gaps, print_user, &c.json);
	} else if (strcmp(sub, "disable") == 0) {
		rc = pv_user_disable(v, &who, name);
		if (!rc)
			printf("disabled user %s: the master key is no longer sealed to them. "
			       "Revocation is complete only after `pivault rekey --root` (a new "
			       "master key): until then, a copy of the master key the user may have "
			       "kept still opens the vault.\n", name);
	} else {
		rc = pv_user_attest(v, &who, name, agreement, training, expires);
		if (!rc)
			printf("recorded obligations of %s\n", name);
	}
	code = rc ? cli_fail(v, rc) : EXIT_OK;
	pv_vault_close(v);
	return code;
}
