/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h: what the pivault command's files share: the command table entry, the common
 * options (vault, keyring, key, role, purpose), opening the vault, and exit codes. */
#ifndef PV_CLI_H
#define PV_CLI_H

#include "pivault.h"

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

/* Options every command that opens a vault understands. */
struct cli_common {
	const char *vault;     /* --vault, PIVAULT_VAULT */
	const char *keyring;   /* --keyring, PIVAULT_KEYRING */
	const char *key_file;  /* --key-file, PIVAULT_KEY_FILE */
	const char *user;      /* --user, PIVAULT_USER */
	const char *role;      /* --role (default: the user's first role) */
	const char *purpose;   /* --purpose */
	const char *request;   /* --request REQ: run under an approved request */
	int clear;             /* --clear: show clear values where the role may */
	/* --wait SECONDS (PIVAULT_WAIT): applied as it is read (pv_set_wait) */
	int json;              /* --json */
};

struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* Fill defaults from the environment. */
void cli_common_init(struct cli_common *c);

/* If argv[*i] is a common option, consume it (and its value) and return 1; return -1
 * on a missing value (message printed), 0 when it is not a common option. */
int cli_common_option(struct cli_common *c, int argc, char **argv, int *i);

/* Help text for the common options. */
extern const char cli_common_help[];

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

/* The access the common options describe. */
pv_access cli_access(const struct cli_common *c);

/* The subcommand argv[1] of cmd, one of the NULL-terminated subs; NULL (with *code the
 * exit status) after printing help for --help or no argument, or refusing another. */
const char *cli_subcommand(int argc, char **argv, const char *cmd, const char *help,
			   const char *const *subs, int *code);

/* For a command that takes only the common options: parse them, print help for --help,
 * refuse anything else, and open the vault; NULL (with *code the exit status) if not. */
pv_vault *cli_open_plain(int argc, char **argv, const char *cmd, const char *help,
			 struct cli_common *c, int *code);

/* Write a destruction certificate to out_path (which must not exist) or, when NULL or
 * not creatable, to stdout; EXIT_OK, or EXIT_FAIL when it could not go where asked. */
int cli_write_certificate(const char *cert, const char *out_path);
/* After an operation that shreds: the certificate (when the shred committed) written as
 * above, and the library's message when a step failed (rc). EXIT_OK; EXIT_INCOMPLETE when
 * the customers were shredded and a step after failed; EXIT_FAIL when nothing was
 * shredded or the certificate could not go where asked; EXIT_USAGE for a bad argument. */
int cli_shredded(pv_vault *v, pv_rc rc, const char *cert, const char *out_path);

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

/* Print msg and usage hint to stderr; returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *msg);

/* Write s as a JSON string to out. */
void cli_json_string(FILE *out, const char *s);

int cmd_init(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_find(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_request(int argc, char **argv);
int cmd_decide(int argc, char **argv);
int cmd_requests(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_shred(int argc, char **argv);
int cmd_certificate(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_hold(int argc, char **argv);
int cmd_notice(int argc, char **argv);
int cmd_transfer(int argc, char **argv);
int cmd_handover(int argc, char **argv);
int cmd_decommission(int argc, char **argv);
int cmd_rekey(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_consent(int argc, char **argv);
int cmd_dsr(int argc, char **argv);
int cmd_keyring(int argc, char **argv);
int cmd_complaint(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_retention(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

/* Run the command named by argv[0] from the command table (used by `run`). */
int cli_dispatch(int argc, char **argv);

/* `pivault request` runs a command so that its operation is asked for, not run: every
 * vault opened from then on asks (reason, lifetime in seconds, the command to run it again
 * as a JSON array; json: print the request as JSON). */
void cli_set_asking(const char *reason, unsigned ttl, const char *command, int json);
int cli_is_asking(void);

#endif
