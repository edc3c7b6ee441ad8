/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_user.c: `pivault user add|list|disable|passwd|attest`: the vault's users, their
 * roles, passwords (each opens the user's own key slot) and staff obligations. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char user_help[] =
	"usage: pivault user SUBCOMMAND [OPTIONS]\n\n"
	"  add NAME --roles ROLE[,ROLE...] [--password-file F]\n"
	"                     a new user (password from F, or asked twice); granting roles\n"
	"                     needs a four-eyes request (pivault request user add ...)\n"
	"  list [--gaps] [--json]\n"
	"                     users, roles, lock-outs; --gaps: only those missing a signed\n"
	"                     confidentiality agreement or valid privacy training\n"
	"  disable NAME       the user's access to the master key is deleted; revocation is\n"
	"                     complete after the next `pivault rekey --root` (a copy of the\n"
	"                     master key the user kept opens the vault until then)\n"
	"  passwd [NAME] [--password-file F]\n"
	"                     a new password (one's own by default); clears a lock-out\n"
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
		printf(",\"disabled\":%s,\"failures\":%d,\"locked_until\":%lld,\"agreement\":",
		       u->disabled ? "true" : "false", u->failures, (long long)u->locked_until);
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
	printf("%-16s %-20s %s%s agreement %s, training %s%s%s%s%s\n", u->name, u->roles,
	       u->disabled ? "DISABLED " : "",
	       u->locked_until > (int64_t)time(NULL) ? "LOCKED " : "",
	       *u->agreement ? u->agreement : "-", *u->training ? u->training : "-",
	       *u->training_expires ? " (until " : "", u->training_expires,
	       *u->training_expires ? ")" : "", "");
	if (*u->gaps)
		printf("%16s gaps: %s\n", "", u->gaps);
	return 0;
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
	static const char *const subs[] = { "add", "list", "disable", "passwd", "attest" };
	int known = 0;
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
		known |= strcmp(sub, subs[i]) == 0;
	if (!known)
		return cli_usage("user", "unknown subcommand");
	struct cli_common c;
	cli_common_init(&c);
	const char *name = NULL, *roles = NULL, *pwfile = NULL, *agreement = NULL,
		   *training = NULL, *expires = NULL;
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
	if ((strcmp(sub, "disable") == 0 || strcmp(sub, "attest") == 0) && !name)
		return cli_usage("user", "a user name is required");
	if (strcmp(sub, "attest") == 0 && !agreement && !training && !expires)
		return cli_usage("user", "attest needs --agreement, --training or --training-expires");
	int code;
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc = PV_OK;
	if (strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) {
		const char *target = name ? name : pv_vault_user(v);
		char prompt[128];
		snprintf(prompt, sizeof prompt, "new password for %s: ", target);
		/* asking for a user add sets no password: only the run does */
		char *pass = cli_is_asking() && strcmp(sub, "add") == 0
				     ? strdup("asked, not set")
				     : cli_read_password(pwfile, prompt, 1);
		if (!pass) {
			pv_vault_close(v);
			return EXIT_FAIL;
		}
		rc = strcmp(sub, "add") == 0 ? pv_user_add(v, &who, name, roles, pass, strlen(pass))
					     : pv_user_passwd(v, &who, target, pass, strlen(pass));
		cli_wipe_free(pass);
		if (!rc)
			printf("%s %s\n", strcmp(sub, "add") == 0 ? "added user" : "new password for",
			       target);
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
