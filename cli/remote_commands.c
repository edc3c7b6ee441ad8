/* SPDX-License-Identifier: Apache-2.0 */
/* remote_commands.c: which commands go to the server under PIVAULT_SERVER: those with an
 * API twin (run by their remote_<area>.c function) and the few that touch no vault; every
 * other command is refused, naming itself, and never opens a local vault or reads a key. */
#include "remote.h"

#include <curl/curl.h>
#include <string.h>

/* A command (as its messages name it) and its twin; NULL: it runs here (it needs no
 * vault). */
static const struct {
	const char *prog;
	int (*run)(struct cli_args *a);
} twins[] = {
	{ "login", cli_remote_login },
	{ "logout", cli_remote_logout },
	{ "get", cli_remote_get },
	{ "find", cli_remote_find },
	{ "tokenize", cli_remote_tokenize },
	{ "detokenize", cli_remote_detokenize },
	{ "token create", cli_remote_token_create },
	{ "token list", cli_remote_token_list },
	{ "token revoke", cli_remote_token_revoke },
	{ "audit verify", cli_remote_audit_verify },
	{ "audit log", cli_remote_audit_log },
	{ "requests", cli_remote_requests },
	{ "approve", cli_remote_decide },
	{ "reject", cli_remote_decide },
	{ "dsr list", cli_remote_dsr_list },
	{ "list", cli_remote_list },
	{ "update", cli_remote_update },
	{ "consent grant", cli_remote_consent_set },
	{ "consent withdraw", cli_remote_consent_set },
	{ "consent show", cli_remote_consent_show },
	{ "hold add", cli_remote_hold_change },
	{ "hold release", cli_remote_hold_change },
	{ "hold list", cli_remote_hold_list },
	{ "audit check-proof", NULL },
};

/* Common options that name local files or local requests: no meaning through a server. */
static int local_option(const struct cli_args *a)
{
	const char *which = a->common.request ? "--request" : NULL;
	if (!which)
		return EXIT_OK;
	fprintf(stderr, "pivault %s: %s is not available through a server (PIVAULT_SERVER)\n",
		a->prog, which);
	return EXIT_USAGE;
}

int cli_remote_run(struct cli_args *a)
{
	for (size_t i = 0; i < sizeof twins / sizeof *twins; i++) {
		if (strcmp(twins[i].prog, a->prog) != 0)
			continue;
		if (!twins[i].run)
			return a->cmd->run(a);
		int code = local_option(a);
		if (code)
			return code;
		cli_session_expect_user(a->common.user);
		curl_global_init(CURL_GLOBAL_DEFAULT);
		code = twins[i].run(a);
		curl_global_cleanup();
		return code;
	}
	fprintf(stderr, "pivault %s: not available through a server (PIVAULT_SERVER is set): "
		"run it where the vault is, or unset PIVAULT_SERVER\n", a->prog);
	return EXIT_USAGE;
}
