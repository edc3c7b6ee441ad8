/* SPDX-License-Identifier: Apache-2.0 */
/* remote_users.c: the vault's users through the server: `pivault user list` (GET
 * /v1/users), `user add` and `user reset` (POST /v1/users, POST /v1/users/{name}/reset:
 * asked for under four eyes, then run with --request, printing the requester's half of
 * the enrolment code), `user disable` and `user attest` (POST
 * /v1/users/{name}/disable|attest), printed as the local commands print them. Enrolling
 * and one's own password stay where the vault is (no route). */
#include "remote.h"

#include <stdlib.h>
#include <string.h>

int cli_remote_user_list(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "list takes no argument");
	struct cli_url u = { 0 };
	struct cli_reply r;
	int code;
	cli_url_path(&u, "/v1/users", NULL);
	cli_url_arg(&u, "gaps", cli_flag(a, "--gaps") ? "true" : NULL);
	cli_url_arg(&u, "role", a->common.role);
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	size_t i;
	json_t *one;
	json_array_foreach(json_object_get(r.json, "users"), i, one) {
		const char *state = cli_json_str(one, "state");
		pv_user_info info = {
			cli_json_str(one, "name"), cli_json_str(one, "roles"),
			strcmp(state, "disabled") == 0,
			(int)json_integer_value(json_object_get(one, "failures")),
			(int64_t)json_integer_value(json_object_get(one, "locked_until")),
			cli_json_str(one, "agreement"), cli_json_str(one, "training"),
			cli_json_str(one, "training_expires"), cli_json_str(one, "gaps"),
			strcmp(state, "waiting") == 0
		};
		cli_print_user(&a->common.json, &info);
	}
	cli_reply_free(&r);
	return EXIT_OK;
}

/* The user the subcommand names (its one argument); NULL after the usage message. */
static const char *the_user(struct cli_args *a, int *code)
{
	return cli_one_arg(a, "one user name is expected", "a user name is required", code);
}

/* add and reset: asked for without --request; with it, the requester's half printed. */
int cli_remote_user_add_reset(struct cli_args *a)
{
	int code = EXIT_FAIL, add = strcmp(a->cmd->name, "add") == 0;
	const char *name = the_user(a, &code), *roles = cli_opt(a, "--roles");
	if (!name)
		return code;
	if (add && !roles)
		return cli_usage(a->prog, "add needs NAME and --roles ROLE[,ROLE...]");
	struct cli_reply r;
	json_t *obj = add ? json_pack("{s:s,s:s}", "name", name, "roles", roles) : json_object();
	if (!cli_remote_post(&a->common, "/v1/users", add ? NULL : name, add ? "" : "/reset", obj,
			     200, &r, &code))
		return code;
	json_t *half = json_object_get(r.json, "enrol_half");
	if (json_is_string(half))
		cli_print_enrol_halves(a->cmd->name, name, json_string_value(half));
	cli_reply_free(&r); /* the reply's body and JSON: the half wiped with the body */
	return EXIT_OK;
}

int cli_remote_user_disable(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *name = the_user(a, &code);
	if (!name)
		return code;
	code = cli_remote_post_done(&a->common, "/v1/users", name, "/disable",
				    json_object());
	if (code == EXIT_OK)
		printf("disabled user %s: the master key is no longer sealed to them. Revocation is "
		       "complete only after `pivault rekey --root` (a new master key): until then, a "
		       "copy of the master key the user may have kept still opens the vault.\n", name);
	return code;
}

int cli_remote_user_attest(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *name = the_user(a, &code);
	if (!name)
		return code;
	const char *agreement = cli_opt(a, "--agreement"), *training = cli_opt(a, "--training"),
		   *expires = cli_opt(a, "--training-expires");
	if (!agreement && !training && !expires)
		return cli_usage(a->prog, "attest needs --agreement, --training or --training-expires");
	json_t *obj = json_object();
	if (obj && agreement)
		json_object_set_new(obj, "agreement", json_string(agreement));
	if (obj && training)
		json_object_set_new(obj, "training", json_string(training));
	if (obj && expires)
		json_object_set_new(obj, "training_expires", json_string(expires));
	code = cli_remote_post_done(&a->common, "/v1/users", name, "/attest", obj);
	if (code == EXIT_OK)
		printf("recorded obligations of %s\n", name);
	return code;
}
