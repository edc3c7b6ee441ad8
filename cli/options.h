/* SPDX-License-Identifier: Apache-2.0 */
/* options.h: the command line as tables: every command (and every subcommand of a family
 * such as `dsr`) declares its usage, its summary and its options, and one parser reads
 * argv from the table, answers --help from it, and refuses an unknown option, a missing
 * value or a refused option with one message form and exit status 2. */
#ifndef PV_CLI_OPTIONS_H
#define PV_CLI_OPTIONS_H

#include <stddef.h>

/* One option of a command. A table ends with an entry whose name is NULL. */
struct cli_opt {
	const char *name;    /* "--customer" or "-o" */
	const char *alias;   /* another spelling of the same option ("--as"), or NULL */
	const char *value;   /* what its value is ("ID"), or NULL for a flag */
	const char *help;    /* one line */
	const char *refused; /* when set, the option is refused, for this reason */
};

/* What a command's table says about its arguments. */
enum cli_cmd_flags {
	CLI_COMMON = 1,    /* it takes the common options (--vault, --user, --role, ...) */
	CLI_PASS_ON = 2,   /* after its first argument, arguments it does not know are kept as
			    * arguments, in order (for a command that runs another) */
	CLI_ANY_FIELD = 4, /* an undeclared --NAME takes a value, both kept as arguments (find) */
};

/* The most options one command declares. */
#define CLI_OPTS_MAX 24

struct cli_args;

/* A command, a family's subcommand, or a family (subs set: it only dispatches). */
struct cli_cmd {
	const char *name;            /* "get"; in a family "open" */
	const char *args;            /* its usage after the name ("ID... [--clear]"), or NULL */
	const char *summary;         /* one line */
	const char *about;           /* more text for --help, or NULL */
	const struct cli_opt *opts;  /* its own options, or NULL */
	unsigned flags;              /* enum cli_cmd_flags */
	int (*run)(struct cli_args *a);
	const struct cli_cmd *subs;  /* a family's subcommands, ending with a NULL name */
};

/* Options every command that opens a vault understands (CLI_COMMON). */
struct cli_common {
	const char *vault;     /* --vault, PIVAULT_VAULT */
	const char *keyring;   /* --keyring, PIVAULT_KEYRING */
	const char *key_file;  /* --key-file, PIVAULT_KEY_FILE */
	const char *user;      /* --user (--as), PIVAULT_USER */
	const char *role;      /* --role (default: the user's first role) */
	const char *purpose;   /* --purpose */
	const char *request;   /* --request REQ: run under an approved request */
	int clear;             /* --clear: show clear values where the role may */
	/* --wait SECONDS (PIVAULT_WAIT): applied once the options are read (pv_set_wait) */
	int json;              /* --json */
};

/* What the parser read, for the command's run function. */
struct cli_args {
	const char *prog;                  /* "dsr open": the command's name in messages */
	const struct cli_cmd *cmd;
	const char *val[CLI_OPTS_MAX];     /* the command's options, by their place in its
					    * table: the value, "" for a flag given, or NULL */
	char **arg;                        /* the other arguments, in order */
	int narg;
	int argc;                          /* what was parsed: argv[0] is the command's name */
	char **argv;
	struct cli_common common;          /* CLI_COMMON: the common options and environment */
};

/* The value of the command's option name (as its table spells it; NULL when not given). */
const char *cli_opt(const struct cli_args *a, const char *name);
/* Whether the command's flag name was given. */
int cli_flag(const struct cli_args *a, const char *name);

/* Run cmd (a family: the subcommand argv[1] names) on argv, argv[0] being its name:
 * --help answered, options parsed from its tables, then its run function; the exit status.
 * prefix is the family's name ("dsr") for a subcommand, else NULL. */
int cli_run(const struct cli_cmd *cmd, const char *prefix, int argc, char **argv);

/* Print "pivault PROG: msg" and the hint to its --help on standard error; EXIT_USAGE. */
int cli_usage(const char *prog, const char *msg);

#endif
