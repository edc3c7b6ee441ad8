/* SPDX-License-Identifier: Apache-2.0 */
/* remote_users.c: the vault's users through the server: `pivault user list` (GET
 * /v1/users), `user add` and `user reset` (POST /v1/users, POST /v1/users/{name}/reset:
 * asked for under four eyes, then run with --request, printing the requester's half of
 * the enrolment code), `user disable` and `user attest` (POST
 * /v1/users/{name}/disable|attest), `user enrol` (POST /v1/users/{name}/enrol, signed in
 * by the enrolment code alone) and `user passwd` (POST /v1/sessions/current/password: the
 * session's user's own), printed as the local commands print them. The code's halves and
 * the passwords are read as locally and sent in a body wiped once sent. */
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

/* The secrets of a credential's body (n of them, each read by its prompt) sent to path;
 * EXIT_OK on 204, else the exit status after the message. */
static int send_secrets(const char *path, enum cli_auth auth, const char *const keys[],
			char *values[], size_t n)
{
	char *body = cli_secret_body(keys, (const char *const *)values, n);
	for (size_t i = 0; i < n; i++)
		cli_wipe_free(values[i]);
	struct cli_reply r;
	int code = body ? cli_remote_call("POST", path, body, auth, &r) : EXIT_FAIL;
	if (code)
		return code;
	if (r.status != 204)
		code = cli_remote_refused(&r);
	cli_reply_free(&r);
	return code;
}

int cli_remote_user_enrol(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *name = the_user(a, &code);
	if (!name)
		return code;
	char *v[3] = { cli_read_password(cli_opt(a, "--first-half-file"),
					 "enrolment code, first half: ", 0), NULL, NULL };
	if (v[0])
		v[1] = cli_read_password(cli_opt(a, "--second-half-file"),
					 "enrolment code, second half: ", 0);
	if (v[1])
		v[2] = cli_read_password(cli_opt(a, "--password-file"), "your new password: ", 1);
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/users/", name);
	cli_url_path(&u, "/enrol", NULL);
	char *path = v[2] ? cli_url_take(&u) : NULL;
	static const char *const keys[] = { "half_a", "half_b", "password" };
	if (!path) {
		for (int i = 0; i < 3; i++)
			cli_wipe_free(v[i]);
		free(u.text);
		return EXIT_FAIL;
	}
	code = send_secrets(path, CLI_ANONYMOUS, keys, v, 3);
	free(path);
	if (code == EXIT_OK)
		printf("enrolled %s: your password is set; the enrolment code opens nothing any "
		       "more\n", name);
	return code;
}

/* The session's user (GET /v1/sessions/current), malloc'd; NULL after a message. */
static char *session_user(int *code)
{
	struct cli_reply r;
	if (!cli_remote_expect("GET", "/v1/sessions/current", NULL, 200, &r, code))
		return NULL;
	char *user = strdup(cli_json_str(r.json, "user"));
	cli_reply_free(&r);
	if (!user)
		*code = EXIT_FAIL;
	return user;
}

int cli_remote_user_passwd(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "passwd changes your own password only; another user's "
				 "is reset with `pivault request user reset NAME`");
	int code = EXIT_FAIL;
	char *user = session_user(&code);
	if (!user)
		return code;
	char *v[2] = { cli_read_password(cli_opt(a, "--old-password-file"), "old password: ", 0),
		       NULL };
	if (v[0])
		v[1] = cli_read_password(cli_opt(a, "--password-file"), "new password: ", 1);
	static const char *const keys[] = { "old_password", "password" };
	if (!v[1]) {
		cli_wipe_free(v[0]);
		code = EXIT_FAIL;
	} else {
		code = send_secrets("/v1/sessions/current/password", CLI_SIGNED_IN, keys, v, 2);
	}
	if (code == EXIT_OK)
		printf("new password for %s\n", user);
	free(user);
	return code;
}
