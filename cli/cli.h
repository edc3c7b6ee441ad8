/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h: what the pivault command's files share: the commands' tables (options.h), the
 * common options (vault, keyring, key, role, purpose), opening the vault, and exit codes. */
#ifndef PV_CLI_H
#define PV_CLI_H

#include "pivault.h"
#include "options.h"

#include <stddef.h>
#include <stdio.h>

/* EXIT_INCOMPLETE: what cannot be undone was done (customers shredded, their certificate
 * written), but a step after it failed; the message says what is left to do. EXIT_BUSY:
 * nothing was done, because another process kept the vault's write lock longer than the
 * command could wait (--wait, PIVAULT_WAIT): running it again later may succeed. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INCOMPLETE = 3, EXIT_BUSY = 4 };

/* How long a command waits for another process's write by default, in seconds: long
 * enough to outlast an import or a rekey of a million customers, which hold the lock to
 * their end, short enough that a forgotten job ends; the note on standard error says who
 * waits, so a person at a terminal can stop sooner. */
#define CLI_WAIT_DEFAULT 600

/* Set the process's wait (pv_set_wait) from PIVAULT_WAIT, or the default, with a note on
 * standard error once a wait lasts; EXIT_OK, or EXIT_USAGE (message printed) for a bad
 * value. */
int cli_wait_init(void);

/* The common options' table, and their values (by place in it) with the environment's
 * defaults into c, --wait applied; EXIT_OK, or EXIT_USAGE (message printed). */
extern const struct cli_opt cli_common_opts[];
int cli_common_fill(struct cli_common *c, const char *const *val);

/* The vault's root key, from --key-file / PIVAULT_KEY_FILE, PIVAULT_PASSPHRASE_FILE or a
 * prompt on the terminal (twice when confirm). NULL with a message printed on failure. */
pv_key *cli_read_key(const struct cli_common *c, int confirm);

/* A password from the file named (PIVAULT_PASSWORD_FILE's value) or, on a terminal,
 * a prompt (twice when confirm). malloc'd; free with cli_wipe_free. NULL (message
 * printed) when there is none. */
char *cli_read_password(const char *file, const char *prompt, int confirm);

/* Wipe and free a malloc'd string; NULL harmless. */
void cli_wipe_free(char *s);

/* Open the vault named by the common options, asking for its operation under `pivault
 * request` or taking up the approved request --request names; NULL (message printed) on
 * failure, with *exit_code set. */
pv_vault *cli_open_vault(const struct cli_common *c, int *exit_code);

/* Print the library's error for rc and return the exit code for it; for PV_REQUESTED,
 * record the request asked for and print its id. */
int cli_fail(pv_vault *v, pv_rc rc);

/* The exit status: code, or rc's (cli_fail) when rc failed; v closed. */
int cli_done(pv_vault *v, pv_rc rc, int code);

/* The one argument a subcommand takes; NULL (with *code) after the usage message:
 * one_form when more were given ("one request id is expected"), none_form when none
 * ("name the request (REQ)"). */
const char *cli_one_arg(struct cli_args *a, const char *one_form, const char *none_form,
			int *code);

/* The access the common options describe. */
pv_access cli_access(const struct cli_common *c);

/* Write a destruction certificate to out_path (which must not exist) or, when NULL or
 * not creatable, to stdout; EXIT_OK, or EXIT_FAIL when it could not go where asked. */
int cli_write_certificate(const char *cert, const char *out_path);
/* After an operation that shreds: the certificate (when the shred committed) written as
 * above, and the library's message when a step failed (rc). EXIT_OK; EXIT_INCOMPLETE when
 * the customers were shredded and a step after failed; EXIT_FAIL when nothing was
 * shredded or the certificate could not go where asked; EXIT_USAGE for a bad argument. */
int cli_shredded(pv_vault *v, pv_rc rc, const char *cert, const char *out_path);

/* What transfer and handover print, shared with their API twins (remote_transfer.c): a
 * plan recorded (what comes next, the vault key it pinned), one customer left out of a
 * transfer (a pv_exclusion_fn; ctx: the int --json), a package exported or imported. */
void cli_print_planned(const char *id, const char *vault_key, int json);
int cli_print_exclusion(void *ctx, const char *customer, const char *reason);
void cli_print_handover_summary(const char *what, const pv_handover_summary *s, int json);

/* Certificates made one after another (retention, handover confirm) go to the -o file
 * as soon as each is made or, without -o or when that fails, to standard output, so
 * that none is lost. */
struct cli_cert_sink {
	FILE *out;
	const char *path;
	unsigned long count;
};
/* Create path (which must not exist; NULL: standard output); 0, or -1 (message printed). */
int cli_cert_sink_open(struct cli_cert_sink *k, const char *path);
/* A pv_certificate_fn writing to the sink. */
int cli_keep_certificate(void *ctx, const char *cert);
/* Close the file (removed when no certificate came); 0, or -1 when it could not be written. */
int cli_cert_sink_close(struct cli_cert_sink *k);

/* A progress line for what (on standard error, on a terminal only) while v works. */
void cli_progress_begin(pv_vault *v, const char *what);
void cli_progress_end(pv_vault *v);

/* A small text file (or standard input for "-") whole, at most max bytes; malloc'd. NULL
 * (message printed) when it cannot be read or is larger. */
char *cli_read_text(const char *path, size_t max);
/* Create path as a new file (pv_file_create: 0600, never over anything, never through a
 * link); NULL after a message naming path and why. */
FILE *cli_create(const char *path);

/* Write text (and a final newline if it lacks one) to path, which must not exist, or to
 * standard output when path is NULL. EXIT_OK, or EXIT_FAIL (message printed). */
int cli_write_text(const char *text, const char *path);

/* s as a whole number of at least 1 (UINT_MAX for any larger one, for the library to
 * refuse by its own limits); 0 when s is not such a number. */
unsigned cli_positive(const char *s);

/* Write s as a JSON string to out. */
void cli_json_string(FILE *out, const char *s);

/* A customer as shown (cmd_query.c prints it for the local vault, remote_customers.c for
 * a server's reply): fields in the schema's order (a NULL value: not shown to the role),
 * consents by purpose (granted 1 or 0). line_mode: one line (list). */
struct cli_customer {
	const char *id;
	size_t nfields, nconsents;
	const char *const *names, *const *values, *const *purposes;
	const int *granted;
};
void cli_print_customer(const struct cli_customer *c, int json, int line_mode);

/* An API token as `pivault token list` prints it (a pv_api_token_fn; ctx: int *json). */
int cli_print_api_token(void *ctx, const pv_api_token_info *t);
/* As `pivault requests`, `pivault dsr list` and `pivault audit log` print them (ctx: int
 * *json), for a local vault and a server's reply alike. */
int cli_print_request(void *ctx, const pv_request_info *r);
int cli_print_dsr(void *ctx, const pv_dsr_info *d);
int cli_print_audit_entry(void *ctx, const pv_audit_entry *e);
/* As `pivault audit checkpoints` prints a checkpoint (ctx: int *json), and its options
 * --after and --limit read (EXIT_OK, or the usage's exit status after its message). */
int cli_print_checkpoint(void *ctx, const pv_audit_checkpoint_info *c);
int cli_checkpoint_page(struct cli_args *a, unsigned long long *after,
			unsigned long long *limit);
/* As `pivault consent show` and `pivault hold list` print them (ctx: int *json). */
int cli_print_consent_event(void *ctx, const pv_consent_event *e);
int cli_print_hold(void *ctx, const pv_hold_info *h);
/* As `pivault retention plan` prints its items (ctx: int *json) and its last line. */
int cli_print_retention_item(void *ctx, const pv_retention_item *it);
void cli_print_retention_summary(int json, const pv_retention_summary *s);
/* As `pivault user list` prints a user (ctx: int *json), and what `user add|reset` prints
 * of the enrolment code's halves the caller may see (sub: "add" or "reset"). */
int cli_print_user(void *ctx, const pv_user_info *u);
void cli_print_enrol_halves(const char *sub, const char *name, const char *half);
/* As `pivault audit alerts`, `notice list` and `review due` print them (ctx: int *json),
 * for a local vault and a server's reply alike. */
int cli_print_audit_alert(void *ctx, const pv_audit_alert *a);
int cli_print_notice(void *ctx, const pv_notice_info *n);
int cli_print_review_due(void *ctx, const pv_review_info *r);
/* `review due`'s --older-than (24m, 2y) as months (0: the library's default) and its
 * arguments checked: EXIT_OK, or the usage's exit status after its message. */
int cli_review_months(struct cli_args *a, unsigned *months);

/* An import's summary as `pivault import` prints it, from the library's result (cmd_import.c)
 * or a server's reply (remote_bulk.c): ok says whether it was imported; reject names the
 * reject file (NULL: none). The duplicate groups are read through dup_field and dup_ids. */
struct cli_import_summary {
	unsigned long long imported, read, rejected;
	double seconds;
	const char *dropped, *warnings;
	size_t ndup;
	const char *(*dup_field)(const void *ctx, size_t i);
	const char *(*dup_ids)(const void *ctx, size_t i);
	const void *ctx;
	unsigned long long sealed; /* sealed customers left out of the duplicates */
	const char *sealed_incident;
};
void cli_print_import_summary(const struct cli_import_summary *s, int ok, const char *reject);

/* `pivault scan` prints its columns (a pv_scan_column_fn; ctx: the printer), then its
 * closing line (rows_what: "rows" of a file, "customers" of the vault), from the library
 * (cmd_scan.c) or a server's reply (remote_scan.c); its --min-confidence read (1 to 100; 0
 * when absent; -1 after the usage message). */
struct cli_scan_printer {
	int json;
	const char *what; /* "column" or "field" */
	unsigned shown;
};
int cli_scan_print_column(void *ctx, const pv_scan_column *c);
void cli_scan_print_end(const struct cli_scan_printer *p, uint64_t rows, const char *rows_what);
int cli_scan_confidence(struct cli_args *a);

/* `pivault incident show|list` prints the library's JSON text of one incident or a list
 * as it is (as_json) or as text lines, from the library (cmd_incident.c) or a server's
 * reply rebuilt as the library writes it (remote_incidents.c). */
void cli_print_incidents(const char *text, int as_json);
/* Where `incident notify` writes: --out DIR (INC-notices.csv|jsonl and
 * INC-regulator-report.txt in it) or -o FILE (the notices; the report beside it), both
 * created new before anything is asked (EXIT_OK, else the exit status after a message);
 * closed after (1 when one could not be written), and after a failure those holding no
 * notice removed (the paths stay for the caller to free); and its result printed. */
struct cli_notify_files {
	char *notices_path, *report_path;
	FILE *notices, *report;
};
int cli_notify_open(struct cli_args *a, const char *id, struct cli_notify_files *f);
int cli_notify_close(struct cli_notify_files *f, int failed, const pv_breach_counts *n);
void cli_print_notified(const char *id, const pv_breach_counts *n,
			const struct cli_notify_files *f, int json);

/* What `pivault list` and `export` say on standard error of the sealed customers they
 * left out (n; nothing when 0) and the incident sealing them, after the output. */
void cli_print_sealed_left_out(uint64_t n, const char *incident);

/* After `decommission run`: the signed final report written to report_path (else, or
 * when that fails, on standard output: the vault is gone, the report must not be lost with
 * the file). EXIT_OK, or EXIT_FAIL when it could not go where asked. */
int cli_keep_final_report(const char *text, const char *report_path);

/* Whether PIVAULT_SERVER is set: then commands go to that server (remote.h), never to a
 * local vault. */
int cli_remote_on(void);
/* Run the parsed command through the server: its API twin, or a refusal naming it ("not
 * available through a server", EXIT_USAGE) for a command that has none. */
int cli_remote_run(struct cli_args *a);

/* The commands, each declared by its table in its cmd_*.c file. */
extern const struct cli_cmd cli_cmd_init, cli_cmd_keygen, cli_cmd_schema, cli_cmd_import,
	cli_cmd_get, cli_cmd_find, cli_cmd_list, cli_cmd_update, cli_cmd_export, cli_cmd_audit,
	cli_cmd_user, cli_cmd_request, cli_cmd_approve, cli_cmd_reject, cli_cmd_requests, cli_cmd_run,
	cli_cmd_shred, cli_cmd_certificate, cli_cmd_pubkey, cli_cmd_hold, cli_cmd_notice,
	cli_cmd_transfer, cli_cmd_handover, cli_cmd_decommission, cli_cmd_rekey, cli_cmd_backup,
	cli_cmd_restore, cli_cmd_consent, cli_cmd_dsr, cli_cmd_keyring, cli_cmd_complaint,
	cli_cmd_review, cli_cmd_retention, cli_cmd_doctor, cli_cmd_scan, cli_cmd_serve,
	cli_cmd_incident, cli_cmd_report, cli_cmd_node;
extern const struct cli_cmd cli_cmd_token; /* cmd_token.c */
/* remote_session.c: signing in to and out of a server (PIVAULT_SERVER) */
extern const struct cli_cmd cli_cmd_login, cli_cmd_logout;
/* cmd_tokens.c */
extern const struct cli_cmd cli_cmd_tokenize, cli_cmd_detokenize;

/* Run the command named by argv[0] from the command table (used by `run`). */
int cli_dispatch(int argc, char **argv);

/* `pivault request` runs a command so that its operation is asked for, not run: every
 * vault opened from then on asks (reason, lifetime in seconds, the command to run it again
 * as a JSON array; json: print the request as JSON). */
void cli_set_asking(const char *reason, unsigned ttl, const char *command, int json);
int cli_is_asking(void);

#endif
