/* SPDX-License-Identifier: Apache-2.0 */
/* test_cli_usage.c: the command line's tables walked from the program itself: the commands
 * `pivault --help` lists, the subcommands each family's --help lists, and the options each
 * one's --help lists. For every command and subcommand: --help exits 0 with its usage line,
 * an unknown option exits 2 with the one message form (naming the option, never a value),
 * each of its own options that takes a value exits 2 when given without one (and one of the
 * common options; all of those once), and a flag given a value exits 2. A command added to
 * the table is walked too: none escapes. */
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *g_tmp, *g_err;
static size_t g_checks; /* options given wrongly */

/* No vault, key or user from the caller's environment (empty counts as unset): nothing a
 * usage error could hide behind. */
#define NO_ENV "PIVAULT_VAULT= PIVAULT_KEYRING= PIVAULT_KEY_FILE= PIVAULT_USER= PIVAULT_WAIT="

/* Run `pivault-test ARGS` (built like printf); stdout into *out, stderr into *err (both
 * malloc'd, either may be NULL). Returns the exit status. */
static int cli(char **out, char **err, const char *fmt, ...)
{
	char args[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	char *o = NULL;
	int st = pvt_run(&o, NO_ENV " '%s' %s </dev/null 2>'%s'", pvt_program("pivault-test"),
			 args, g_err);
	char *e = pvt_read_file(g_err, NULL);
	assert_non_null(o);
	assert_non_null(e);
	if (out)
		*out = o;
	else
		free(o);
	if (err)
		*err = e;
	else
		free(e);
	return st;
}

static int setup(void **state)
{
	(void)state;
	g_tmp = pvt_tempdir();
	g_err = pvt_path(g_tmp, "stderr");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pvt_rmtree(g_tmp);
	free(g_tmp);
	free(g_err);
	return 0;
}

/* ---- reading the tables from the help ---- */

#define MAX_NAMES 64

struct names {
	char *name[MAX_NAMES];
	size_t n;
};

static void names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->name[i]);
	l->n = 0;
}

/* The first word of each line of the section of text headed by header ("commands:\n"),
 * up to its blank line: the commands of `pivault --help`, the subcommands of a family's.
 * Lines indented further continue the line before. */
static void section_words(const char *text, const char *header, struct names *l)
{
	l->n = 0;
	const char *line = strstr(text, header);
	if (!line)
		return;
	for (line += strlen(header); *line == ' ';) {
		const char *eol = line + strcspn(line, "\n");
		if (line[1] == ' ' && line[2] != ' ') {
			assert_true(l->n < MAX_NAMES);
			l->name[l->n++] = strndup(line + 2, strcspn(line + 2, " \n"));
		}
		line = *eol ? eol + 1 : eol;
	}
}

/* An option line of a --help: "  --name[, --alias] [VALUE]   help". */
struct opt_line {
	char name[48];
	int valued;
	int refused;
};

/* The options the help text lists (its "options:" and "common options:" lines), --help
 * left out; their number. */
static size_t help_options(const char *help, struct opt_line *opts, size_t max)
{
	size_t n = 0;
	for (const char *p = help; (p = strstr(p, "\n  -")) != NULL; p++) {
		const char *s = p + 3; /* the option's first name */
		size_t len = strcspn(s, " ,\n");
		const char *rest = s + len;
		if (*rest == ',') /* an alias: skip it */
			rest += 2 + strcspn(rest + 2, " \n");
		/* a value follows after one space; the help after two or more (or a new line) */
		int valued = rest[0] == ' ' && rest[1] != ' ' && rest[1] != '\n';
		if (len >= sizeof opts[0].name || (len == 6 && strncmp(s, "--help", 6) == 0))
			continue;
		assert_true(n < max);
		memcpy(opts[n].name, s, len);
		opts[n].name[len] = '\0';
		opts[n].valued = valued;
		const char *eol = strchr(s, '\n');
		const char *refused = strstr(s, "refused:");
		opts[n].refused = refused && (!eol || refused < eol);
		n++;
	}
	return n;
}

/* ---- the checks on one command or subcommand ("get", "dsr open") ---- */

/* stderr must be exactly the one form: "pivault LEAF: WHAT" and the hint to its help. */
static void assert_one_form(const char *leaf, const char *err, const char *what)
{
	char want[512];
	snprintf(want, sizeof want, "pivault %s: %s", leaf, what);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("pivault %s: want '%s...' on stderr, got: %s", leaf, want, err);
	snprintf(want, sizeof want, "\ntry 'pivault %s --help'\n", leaf);
	if (!strstr(err, want))
		fail_msg("pivault %s: no hint to its help in: %s", leaf, err);
}

static void check_help(const char *leaf, char **help)
{
	char *err = NULL;
	int st = cli(help, &err, "%s --help", leaf);
	char want[128];
	snprintf(want, sizeof want, "usage: pivault %s", leaf);
	if (st != 0 || strncmp(*help, want, strlen(want)) != 0)
		fail_msg("pivault %s --help: exit %d, output: %s", leaf, st, *help);
	assert_non_null(strstr(*help, "--help"));
	free(err);
}

static void check_unknown(const char *leaf, const char *opt, const char *what)
{
	char *out = NULL, *err = NULL;
	int st = cli(&out, &err, "%s %s", leaf, opt);
	if (st != 2)
		fail_msg("pivault %s %s: exit %d, not 2: %s", leaf, opt, st, err);
	assert_one_form(leaf, err, what);
	assert_string_equal(out, "");
	free(out);
	free(err);
}

/* One option given wrongly: without its value (last on the line), a flag given one, or a
 * refused one given; exit 2 in the one form. */
static void check_option(const char *leaf, const struct opt_line *o)
{
	char *out = NULL, *err = NULL, what[160];
	int st;
	if (o->refused) {
		st = cli(&out, &err, "%s %s x", leaf, o->name);
		snprintf(what, sizeof what, "option '%s' refused: ", o->name);
	} else if (o->valued) {
		st = cli(&out, &err, "%s %s", leaf, o->name);
		snprintf(what, sizeof what, "option '%s' needs a value", o->name);
	} else {
		st = cli(&out, &err, "%s %s=x", leaf, o->name);
		snprintf(what, sizeof what, "option '%s' takes no value", o->name);
	}
	g_checks++;
	if (st != 2)
		fail_msg("pivault %s with %s: exit %d, not 2: %s", leaf, o->name, st, err);
	assert_one_form(leaf, err, what);
	free(out);
	free(err);
}

/* The options the help lists: its own, every one; the common ones (one table for all)
 * every one the first time (*common_done), then one that takes a value. The number of
 * options listed. */
static size_t check_options(const char *leaf, const char *help, int *common_done)
{
	const char *common = strstr(help, "\ncommon options:\n");
	char *own = strndup(help, common ? (size_t)(common - help) : strlen(help));
	assert_non_null(own);
	struct opt_line opts[48];
	size_t n = help_options(own, opts, 48), total = n;
	free(own);
	for (size_t i = 0; i < n; i++)
		check_option(leaf, &opts[i]);
	if (!common)
		return total;
	n = help_options(common, opts, 48);
	total += n;
	int valued_done = 0;
	for (size_t i = 0; i < n; i++) {
		if (*common_done && (valued_done || !opts[i].valued))
			continue;
		check_option(leaf, &opts[i]);
		valued_done |= opts[i].valued;
	}
	*common_done = 1;
	return total;
}

/* One command or subcommand: its help, an unknown option, its options. */
static void check_leaf(const char *leaf, size_t *options, int *common_done)
{
	char *help = NULL;
	check_help(leaf, &help);
	check_unknown(leaf, "-Z", "unknown option '-Z'\n");
	/* find takes any --FIELD with its value: there an undeclared --NAME lacks its value */
	if (strstr(help, "--FIELD"))
		check_unknown(leaf, "--no-such-option", "option '--no-such-option' needs a value");
	else
		check_unknown(leaf, "--no-such-option", "unknown option '--no-such-option'\n");
	*options += check_options(leaf, help, common_done);
	free(help);
}

/* ---- the tests ---- */

static void test_every_command(void **state)
{
	(void)state;
	char *top = NULL;
	assert_int_equal(cli(&top, NULL, "--help"), 0);
	struct names cmds, subs;
	section_words(top, "commands:\n", &cmds);
	free(top);
	assert_true(cmds.n >= 30); /* the table read, not an empty section */
	size_t leaves = 0, options = 0;
	int common_done = 0;
	for (size_t i = 0; i < cmds.n; i++) {
		char *help = NULL;
		assert_int_equal(cli(&help, NULL, "%s --help", cmds.name[i]), 0);
		section_words(help, "\nsubcommands:\n", &subs);
		free(help);
		if (subs.n == 0) {
			check_leaf(cmds.name[i], &options, &common_done);
			leaves++;
		}
		for (size_t j = 0; j < subs.n; j++) {
			char leaf[128];
			snprintf(leaf, sizeof leaf, "%s %s", cmds.name[i], subs.name[j]);
			check_leaf(leaf, &options, &common_done);
			leaves++;
		}
		/* a family with no subcommand, or an unknown one: exit 2 */
		if (subs.n) {
			char *err = NULL;
			assert_int_equal(cli(NULL, &err, "%s", cmds.name[i]), 2);
			free(err);
			assert_int_equal(cli(NULL, &err, "%s no-such-subcommand", cmds.name[i]), 2);
			assert_non_null(strstr(err, "unknown subcommand 'no-such-subcommand'"));
			free(err);
		}
		names_free(&subs);
	}
	names_free(&cmds);
	print_message("%zu commands and subcommands, %zu options listed, %zu given wrongly\n",
		      leaves, options, g_checks);
	assert_true(leaves >= 80);
	assert_true(options >= 500);
	assert_true(g_checks >= 150);
}

/* The cases the issue names: an option after an id is never read as an id, and the access
 * report's -o stays refused, no file made. */
static void test_named_cases(void **state)
{
	(void)state;
	char *out = NULL, *err = NULL;
	assert_int_equal(cli(&out, &err, "get C00000001 --purpose all --bogus"), 2);
	assert_one_form("get", err, "unknown option '--bogus'\n");
	assert_string_equal(out, "");
	free(out);
	free(err);

	char *file = pvt_path(g_tmp, "reply.json");
	assert_int_equal(cli(&out, &err, "dsr report D-1 -o '%s'", file), 2);
	assert_one_form("dsr report", err, "option '-o' refused: ");
	assert_non_null(strstr(err, "standard output only"));
	assert_string_equal(out, "");
	assert_int_not_equal(access(file, F_OK), 0);
	free(file);
	free(out);
	free(err);

	/* a value given with an unknown option is never echoed */
	assert_int_equal(cli(&out, &err, "get C00000001 --phone=13812345678"), 2);
	assert_one_form("get", err, "unknown option '--phone'\n");
	assert_null(strstr(err, "13812345678"));
	free(out);
	free(err);

	/* the help of a command that opens a vault needs no vault, key or user */
	assert_int_equal(pvt_run(&out, "PIVAULT_VAULT=/nonexistent PIVAULT_KEY_FILE=/nonexistent "
				 "PIVAULT_USER=nobody '%s' dsr open --help </dev/null 2>/dev/null",
				 pvt_program("pivault-test")), 0);
	assert_non_null(strstr(out, "usage: pivault dsr open"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_command),
		cmocka_unit_test(test_named_cases),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
