/* SPDX-License-Identifier: Apache-2.0 */
/* remote.h: the pivault command as a client of `pivault serve` (PIVAULT_SERVER): the
 * transport (remote_http.c: HTTPS with the server's key or certificate pinned), signing in
 * and the session file (remote_session.c), and the commands that have an API twin, each
 * mapped to its route in a remote_<area>.c file and joined in remote_commands.c. The
 * command still only parses and prints: the server decides every rule. */
#ifndef PV_CLI_REMOTE_H
#define PV_CLI_REMOTE_H

#include "cli.h"

#include <jansson.h>

/* ---- remote_http.c: one exchange with the server ---- */

/* A reply: the HTTP status, the body (wiped when freed) and the body parsed as JSON. */
struct cli_reply {
	long status;
	char *body;
	size_t len;
	json_t *json;
};
void cli_reply_free(struct cli_reply *r);

/* How a request proves who sends it: not at all (signing in), with PIVAULT_TOKEN or else
 * the session's token, or with the session's token only (signing out). */
enum cli_auth { CLI_ANONYMOUS, CLI_SIGNED_IN, CLI_SESSION };

/* The server's URL as the session file records it (PIVAULT_SERVER, its trailing '/'
 * removed), checked with its pin; NULL after a message, with *code. */
const char *cli_remote_base(int *code);

/* Send method path (path and query, already escaped) with body (NULL: none; a JSON text,
 * wiped after) to the server, with the bearer of the session or of PIVAULT_TOKEN when
 * auth is CLI_SIGNED_IN. EXIT_OK when the server answered (whatever the status), else
 * the exit status after a message (no server, no pin, the pin not matching: then nothing
 * was sent). */
int cli_remote_call(const char *method, const char *path, char *body, enum cli_auth auth,
		    struct cli_reply *r);

/* A streamed exchange (signed in): the request's body read from in_fd as it is sent
 * (-1: none), of media type type (NULL: text/csv), and a 200 reply's body given to sink as it arrives (NULL: kept in
 * the reply); sink answers 0, or -1 to stop after printing why. Any other reply is kept
 * in r as JSON. EXIT_OK when the server answered, as cli_remote_call. */
struct cli_stream {
	int in_fd;
	int (*sink)(void *ctx, const char *data, size_t n);
	void *ctx;
	const char *type; /* the body's Content-Type; NULL: text/csv */
};
int cli_remote_stream(const char *method, const char *path, const struct cli_stream *s,
		      struct cli_reply *r);

/* `pivault request COMMAND ...` through a server (cmd_request.c): the command's calls ask
 * for the request (reason: NULL for none; ttl: seconds, 0 for the default), and --json
 * says it as {"request":"ID"}. */
void cli_remote_set_asking(const char *reason, unsigned ttl, int json);
/* Whether the command was given --json: a request asked for is then said as
 * {"request":"ID"}, as the command says it locally. */
void cli_remote_answers_json(int json);
/* The exit status for a reply that is not a success, after printing the server's message
 * as the command prints the library's locally (a request asked for: its id). */
int cli_remote_failed(const struct cli_reply *r);
/* The same for a request that carried its own credential (an enrolment code, the old
 * password): a 401 is that credential refused, not the session's end. */
int cli_remote_refused(const struct cli_reply *r);

/* cli_remote_call signed in, then 1 when r holds a reply of the expected status (JSON
 * unless 204); else 0 with *code the exit status (the message printed, r freed). */
int cli_remote_expect(const char *method, const char *path, char *body, long status,
		      struct cli_reply *r, int *code);

/* A request's path being built: the path, then ?name=value&... (each escaped). */
struct cli_url {
	char *text;
	size_t len;
	int failed;
};
/* prefix, then segment escaped as one path segment (NULL: none). */
void cli_url_path(struct cli_url *u, const char *prefix, const char *segment);
/* &name=value (value escaped); nothing when value is NULL. */
void cli_url_arg(struct cli_url *u, const char *name, const char *value);
/* The text (malloc'd; NULL after "out of memory" was printed); u is emptied. */
char *cli_url_take(struct cli_url *u);
/* cli_remote_expect with the path taken from u (emptied); body freed in every case. */
int cli_remote_send(struct cli_url *u, const char *method, char *body, long status,
		    struct cli_reply *r, int *code);
/* POST base[/segment]suffix (segment escaped; NULL: none) with obj as its JSON body, the
 * common --role and --request added (obj decref'd): 1 with the reply of the expected
 * status, else 0 with *code (the message printed). */
int cli_remote_post(const struct cli_common *c, const char *base, const char *segment,
		    const char *suffix, json_t *obj, long status, struct cli_reply *r, int *code);
/* The same for a route that answers 204: EXIT_OK, or the exit status. */
int cli_remote_post_done(const struct cli_common *c, const char *base, const char *segment,
			 const char *suffix, json_t *obj);

/* The JSON object {keys[i]: values[i], ...} of n strings written straight into one buffer
 * (no copy of a secret left elsewhere; the call that sends it wipes it); malloc'd, NULL
 * after a message. */
char *cli_secret_body(const char *const keys[], const char *const values[], size_t n);
/* A JSON text of obj (decref'd), malloc'd; NULL after a message. */
char *cli_json_text(json_t *obj);
/* Member key of a JSON object as a string ("" when absent or not one). */
const char *cli_json_str(const json_t *obj, const char *key);
/* Member key (Unix seconds) as the library writes times, with format (CLI_TIME_FORMAT or
 * CLI_DATE_FORMAT, UTC) into out; "" when absent or null. */
#define CLI_TIME_FORMAT "%Y-%m-%dT%H:%M:%SZ"
#define CLI_DATE_FORMAT "%Y-%m-%d"
void cli_json_time(const json_t *obj, const char *key, const char *format, char out[32]);

/* ---- remote_session.c: who the requests come from ---- */

/* The bearer token for a request to server: PIVAULT_TOKEN (unless session_only), or the
 * session file's (checked: only the user may read it, it was opened with this server, it
 * has not expired, it is the user the command names). malloc'd (wipe and free with
 * cli_wipe_free); NULL after a message, with *code. */
char *cli_session_bearer(const char *server, int session_only, int *code);
/* The user the command names (--user, PIVAULT_USER; NULL: any), to be the session's. */
void cli_session_expect_user(const char *user);

/* The commands with an API twin, by area (the twin of each `run_*` of cmd_*.c). */
int cli_remote_login(struct cli_args *a);
int cli_remote_logout(struct cli_args *a);
int cli_remote_get(struct cli_args *a);
int cli_remote_find(struct cli_args *a);
int cli_remote_tokenize(struct cli_args *a);
int cli_remote_detokenize(struct cli_args *a);
int cli_remote_token_create(struct cli_args *a);
int cli_remote_token_list(struct cli_args *a);
int cli_remote_token_revoke(struct cli_args *a);
int cli_remote_audit_verify(struct cli_args *a);
int cli_remote_audit_log(struct cli_args *a);
int cli_remote_audit_checkpoint(struct cli_args *a);
int cli_remote_audit_checkpoints(struct cli_args *a);
int cli_remote_audit_prove(struct cli_args *a);
int cli_remote_audit_consistency(struct cli_args *a);
int cli_remote_requests(struct cli_args *a);
int cli_remote_decide(struct cli_args *a); /* approve and reject */
int cli_remote_dsr_list(struct cli_args *a);

/* remote_customers.c: a customer of a reply ({"id", "fields": {name: {"value"}}, "consents":
 * {purpose: bool}}) printed as cli_print_customer does. */
void cli_remote_print_customer(const json_t *rec, int json, int line_mode);
/* remote_data.c: the customers' list and changes, consent and holds. */
int cli_remote_list(struct cli_args *a);
/* The reader's query arguments: role, purpose, whether clear values are asked for, and
 * the approved request a read in clear beyond the bulk limit runs under (--request). */
void cli_remote_reader_args(struct cli_url *u, const struct cli_common *c);
int cli_remote_update(struct cli_args *a);
int cli_remote_consent_set(struct cli_args *a); /* grant and withdraw */
int cli_remote_consent_show(struct cli_args *a);
int cli_remote_hold_change(struct cli_args *a); /* add and release */
int cli_remote_hold_list(struct cli_args *a);
/* remote_bulk.c: export (streamed to standard output or a new file) and import (streamed). */
int cli_remote_export(struct cli_args *a);
int cli_remote_import(struct cli_args *a);
/* A file to send: a descriptor (standard input for "-"), or -1 after a message. */
int cli_remote_open_input(const char *path);
/* remote_incidents.c: breach incidents. */
int cli_remote_incident_open(struct cli_args *a);
int cli_remote_incident_show_list(struct cli_args *a);
int cli_remote_incident_scope(struct cli_args *a);
int cli_remote_incident_state(struct cli_args *a);
int cli_remote_incident_seal_release(struct cli_args *a);
int cli_remote_incident_notify(struct cli_args *a);
/* remote_scan.c: personal information undeclared, in a CSV file sent or in the vault. */
int cli_remote_scan(struct cli_args *a);
/* remote_dsr.c: answering data-subject requests. */
int cli_remote_dsr_open(struct cli_args *a);
int cli_remote_dsr_close(struct cli_args *a);
int cli_remote_dsr_correct(struct cli_args *a);
int cli_remote_dsr_fulfil(struct cli_args *a); /* restrict and object */
int cli_remote_dsr_lift(struct cli_args *a);
int cli_remote_dsr_report(struct cli_args *a);
int cli_remote_dsr_delete(struct cli_args *a);
/* remote_retention.c: the retention plan and carrying it out. */
int cli_remote_retention_plan(struct cli_args *a);
int cli_remote_retention_apply(struct cli_args *a);
/* A reply's "certificates" into the sink, each as the library hands it to the command. */
void cli_remote_keep_certificates(const json_t *reply, struct cli_cert_sink *sink);
/* remote_decommission.c: the wind-down (plan; run under four eyes, the archive fetched). */
int cli_remote_decommission_plan(struct cli_args *a);
int cli_remote_decommission_run(struct cli_args *a);
/* remote_users.c: the vault's users. */
int cli_remote_user_list(struct cli_args *a);
int cli_remote_user_add_reset(struct cli_args *a);
int cli_remote_user_disable(struct cli_args *a);
int cli_remote_user_attest(struct cli_args *a);
int cli_remote_user_enrol(struct cli_args *a);
int cli_remote_user_passwd(struct cli_args *a);
/* remote_report.c: the compliance audit report. */
int cli_remote_report(struct cli_args *a);
/* remote_transfer.c: the transfer to a new holder and its handover package. */
int cli_remote_transfer_plan(struct cli_args *a);
int cli_remote_transfer_list(struct cli_args *a); /* list and show */
int cli_remote_transfer_assess(struct cli_args *a);
int cli_remote_transfer_consent(struct cli_args *a);
int cli_remote_transfer_exclusions(struct cli_args *a);
int cli_remote_transfer_notify(struct cli_args *a);
int cli_remote_transfer_pin_key(struct cli_args *a);
int cli_remote_transfer_shred_excluded(struct cli_args *a);
int cli_remote_handover_export(struct cli_args *a);
int cli_remote_handover_import(struct cli_args *a);
int cli_remote_handover_confirm(struct cli_args *a);
int cli_remote_handover_verify_receipt(struct cli_args *a);
/* remote_audit.c (session 12): bulk-read alerts and their threshold. */
int cli_remote_audit_alerts(struct cli_args *a);
int cli_remote_audit_threshold(struct cli_args *a);
/* remote_notices.c: the notices register. */
int cli_remote_notice_record(struct cli_args *a);
int cli_remote_notice_state(struct cli_args *a);
int cli_remote_notice_list(struct cli_args *a);
/* remote_reviews.c: accuracy reviews. */
int cli_remote_review_due(struct cli_args *a);
int cli_remote_review_confirm(struct cli_args *a);

#endif
