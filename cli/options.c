/* SPDX-License-Identifier: Apache-2.0 */
/* options.c: the one option parser of the pivault command. A command's options come from
 * its table (struct cli_opt) and, for a command that opens a vault, the common table; the
 * same tables print its --help. Errors name the option, never a value given with it. */
#include "cli.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* parse's answer when --help was asked. */
#define ASKS_HELP (-1)

/* The parser's state: the command's answer being filled, the common options' values. */
struct parser {
	struct cli_args *a;
	const char *common[CLI_OPTS_MAX];
};

static int opt_error(const struct cli_args *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "pivault %s: ", a->prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\ntry 'pivault %s --help'\n", a->prog);
	va_end(ap);
	return EXIT_USAGE;
}

int cli_usage(const char *prog, const char *msg)
{
	fprintf(stderr, "pivault %s: %s\ntry 'pivault %s --help'\n", prog, msg, prog);
	return EXIT_USAGE;
}

static int names(const struct cli_opt *o, const char *s, size_t len)
{
	return (strlen(o->name) == len && strncmp(o->name, s, len) == 0) ||
	       (o->alias && strlen(o->alias) == len && strncmp(o->alias, s, len) == 0);
}

/* The place of the option spelt s[0..len) in table t, or -1. */
static int place(const struct cli_opt *t, const char *s, size_t len)
{
	for (int k = 0; t && t[k].name; k++)
		if (names(&t[k], s, len))
			return k;
	return -1;
}

/* Where the option spelt s[0..len) is kept: the command's own table first, then the
 * common one; NULL when the command has no such option. */
static const struct cli_opt *lookup(struct parser *p, const char *s, size_t len,
				    const char ***slot)
{
	const struct cli_cmd *cmd = p->a->cmd;
	int k = place(cmd->opts, s, len);
	if (k >= 0) {
		*slot = &p->a->val[k];
		return &cmd->opts[k];
	}
	if ((cmd->flags & CLI_COMMON) && (k = place(cli_common_opts, s, len)) >= 0) {
		*slot = &p->common[k];
		return &cli_common_opts[k];
	}
	return NULL;
}

/* An option the command does not declare: kept as arguments (CLI_PASS_ON once passing,
 * CLI_ANY_FIELD with its value) or refused. */
static int undeclared(struct parser *p, int argc, char **argv, int *i, int passing)
{
	struct cli_args *a = p->a;
	const char *s = argv[*i];
	if (passing) {
		a->arg[a->narg++] = argv[*i];
		return 0;
	}
	size_t len = strcspn(s, "=");
	if ((a->cmd->flags & CLI_ANY_FIELD) && s[1] == '-' && !s[len]) {
		if (*i + 1 >= argc)
			return opt_error(a, "option '%s' needs a value", s);
		a->arg[a->narg++] = argv[*i];
		a->arg[a->narg++] = argv[++*i];
		return 0;
	}
	return opt_error(a, "unknown option '%.*s'", (int)len, s);
}

/* Read the option argv[*i] (and its value); 0, or EXIT_USAGE after the message. */
static int take_option(struct parser *p, int argc, char **argv, int *i, int passing)
{
	const char *s = argv[*i], **slot;
	size_t len = strcspn(s, "=");
	const char *value = s[len] ? s + len + 1 : NULL;
	const struct cli_opt *o = lookup(p, s, len, &slot);
	if (!o)
		return undeclared(p, argc, argv, i, passing);
	if (o->refused)
		return opt_error(p->a, "option '%s' refused: %s", o->name, o->refused);
	if (!o->value) {
		if (value)
			return opt_error(p->a, "option '%s' takes no value", o->name);
		*slot = "";
		return 0;
	}
	if (!value) {
		if (*i + 1 >= argc)
			return opt_error(p->a, "option '%s' needs a value", o->name);
		value = argv[++*i];
	}
	*slot = value;
	return 0;
}

/* Read argv into p->a; 0, ASKS_HELP, or EXIT_USAGE after the message. */
static int parse(struct parser *p, int argc, char **argv)
{
	struct cli_args *a = p->a;
	int only_args = 0;
	for (int i = 1; i < argc; i++) {
		char *s = argv[i];
		int passing = (a->cmd->flags & CLI_PASS_ON) && a->narg > 0;
		if (only_args || s[0] != '-' || !s[1]) {
			a->arg[a->narg++] = s;
			continue;
		}
		if (strcmp(s, "--") == 0 && !passing) {
			only_args = 1;
			continue;
		}
		if (strcmp(s, "--help") == 0 && !passing)
			return ASKS_HELP;
		int code = take_option(p, argc, argv, &i, passing);
		if (code)
			return code;
	}
	return 0;
}

/* Help lines end before this column. */
#define HELP_WIDTH 90

/* Print text's words from column col, continued lines indented to indent, then a newline. */
static void wrap(FILE *out, const char *text, size_t col, size_t indent)
{
	for (int first = 1; *text; first = 0) {
		size_t n = strcspn(text, " ");
		if (!first && col + 1 + n > HELP_WIDTH) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', out);
			col++;
		}
		fwrite(text, 1, n, out);
		col += n;
		text += n;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

/* "usage: pivault PROG ARGS", ARGS wrapped under themselves; lead: "usage:" or spaces. */
static void print_usage_line(FILE *out, const char *lead, const char *prog, const char *args)
{
	int col = fprintf(out, "%s pivault %s ", lead, prog);
	wrap(out, args ? args : "", (size_t)col, (size_t)col);
}

/* One line per option: its names and value, then its help. */
static void print_opts(FILE *out, const struct cli_opt *t)
{
	for (; t && t->name; t++) {
		char left[64], help[512];
		snprintf(left, sizeof left, "%s%s%s%s%s", t->name, t->alias ? ", " : "",
			 t->alias ? t->alias : "", t->value ? " " : "", t->value ? t->value : "");
		snprintf(help, sizeof help, "%s%s", t->refused ? "refused: " : "",
			 t->refused ? t->refused : t->help);
		if (strlen(left) > 21) /* at least two spaces before the help */
			fprintf(out, "  %s\n%25s", left, "");
		else
			fprintf(out, "  %-22s ", left);
		wrap(out, help, 25, 25);
	}
}

/* The one-line summary as a sentence. */
static void print_summary(FILE *out, const char *summary)
{
	fprintf(out, "\n%c%s.\n", toupper((unsigned char)summary[0]), summary + 1);
}

static void print_help(FILE *out, const struct cli_cmd *cmd, const char *prog)
{
	print_usage_line(out, "usage:", prog, cmd->args);
	print_summary(out, cmd->summary);
	if (cmd->about)
		fprintf(out, "\n%s", cmd->about);
	if (cmd->opts && cmd->opts->name) {
		fputs("\noptions:\n", out);
		print_opts(out, cmd->opts);
	}
	if (cmd->flags & CLI_COMMON) {
		fputs("\ncommon options:\n", out);
		print_opts(out, cli_common_opts);
	}
	fprintf(out, "  %-22s %s\n", "--help", "this help");
}

static void print_family_help(FILE *out, const struct cli_cmd *fam)
{
	const struct cli_cmd *s;
	for (s = fam->subs; s->name; s++) {
		char prog[64];
		snprintf(prog, sizeof prog, "%s %s", fam->name, s->name);
		print_usage_line(out, s == fam->subs ? "usage:" : "      ", prog, s->args);
	}
	print_summary(out, fam->summary);
	if (fam->about)
		fprintf(out, "\n%s", fam->about);
	fputs("\nsubcommands:\n", out);
	for (s = fam->subs; s->name; s++) {
		fprintf(out, "  %-16s ", s->name);
		wrap(out, s->summary, 19, 19);
	}
	fprintf(out, "\n'pivault %s SUBCOMMAND --help' describes one, with its options.\n",
		fam->name);
}

static int run_family(const struct cli_cmd *fam, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		print_family_help(argc < 2 ? stderr : stdout, fam);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	const struct cli_cmd *s;
	for (s = fam->subs; s->name; s++)
		if (strcmp(argv[1], s->name) == 0)
			return cli_run(s, fam->name, argc - 1, argv + 1);
	char list[512] = "";
	for (s = fam->subs; s->name; s++) {
		size_t n = strlen(list);
		snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", s->name);
	}
	fprintf(stderr, "pivault %s: unknown subcommand '%s' (they are: %s)\n"
		"try 'pivault %s --help'\n", fam->name, argv[1], list, fam->name);
	return EXIT_USAGE;
}

int cli_run(const struct cli_cmd *cmd, const char *prefix, int argc, char **argv)
{
	if (cmd->subs)
		return run_family(cmd, argc, argv);
	char prog[96];
	snprintf(prog, sizeof prog, "%s%s%s", prefix ? prefix : "", prefix ? " " : "", cmd->name);
	struct cli_args a = { .prog = prog, .cmd = cmd, .argc = argc, .argv = argv };
	struct parser p = { .a = &a };
	if (!(a.arg = calloc((size_t)argc + 1, sizeof *a.arg))) {
		fprintf(stderr, "pivault: out of memory\n");
		return EXIT_FAIL;
	}
	int code = parse(&p, argc, argv);
	if (code == ASKS_HELP)
		print_help(stdout, cmd, prog);
	else if (code == 0 && (cmd->flags & CLI_COMMON))
		code = cli_common_fill(&a.common, p.common);
	if (code == 0) /* PIVAULT_SERVER: the command's API twin, never a local vault */
		code = cli_remote_on() ? cli_remote_run(&a) : cmd->run(&a);
	free(a.arg);
	return code == ASKS_HELP ? EXIT_OK : code;
}

/* The place of name in the command's table; a name it does not declare is a bug. */
static int place_of(const struct cli_args *a, const char *name)
{
	int k = place(a->cmd->opts, name, strlen(name));
	if (k < 0) {
		fprintf(stderr, "pivault %s: internal error: no option %s in its table\n", a->prog,
			name);
		abort();
	}
	return k;
}

const char *cli_opt(const struct cli_args *a, const char *name)
{
	return a->val[place_of(a, name)];
}

int cli_flag(const struct cli_args *a, const char *name)
{
	return a->val[place_of(a, name)] != NULL;
}
