/* SPDX-License-Identifier: Apache-2.0 */
/* test_cli.c: the pivault command run as a user would: help and usage errors with their
 * exit codes, a whole init/import/get/find/list/update/export flow through
 * PIVAULT_VAULT and PIVAULT_KEY_FILE, wrong keys, schema checking with FILE:LINE:COL,
 * bad CSV reported without its values, and masked output unless --clear is given. With the
 * root key there is no default role (--role admin is given), every read names its purpose
 * (--purpose), init creates the first administrator from PIVAULT_PASSWORD_FILE, and users
 * open the vault with their own passwords. */
#include "dba.h"
#include "testutil.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "validate.h"

#define NCUST 30

/* With the root key no role is assumed: act as admin. Reads also name a purpose; "all"
 * shows every field admin sees. */
#define AS_ADMIN "--role admin"
#define READ_ALL "--role admin --purpose all"

static char *g_tmp;       /* the shared vault: vault/, vault.keyring, root.key */
static char *g_vault, *g_key, *g_err;
static char *g_pw;        /* the first administrator's password file */
static struct pvt_csv g_csv;

/* Run `pivault ARGS` (ARGS built like printf) with the environment prefix env (may be
 * ""), standard input from /dev/null; stdout into *out, stderr into *err (both may be
 * NULL). Returns the exit status. */
static int cli(char **out, char **err, const char *env, const char *fmt, ...)
{
	char args[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	int st = pvt_run(out, "%s '%s' %s </dev/null 2>'%s'", env, pvt_program("pivault-test"), args,
			 g_err);
	char *e = pvt_read_file(g_err, NULL);
	assert_non_null(e);
	if (err)
		*err = e;
	else
		free(e);
	return st;
}

/* The environment naming the shared vault and its key. */
static const char *venv(void)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s'", g_vault, g_key);
	return buf;
}

/* venv() and the administrator's password file, as init needs. */
static const char *ienv(void)
{
	static char buf[8192];
	snprintf(buf, sizeof buf, "%s PIVAULT_PASSWORD_FILE='%s'", venv(), g_pw);
	return buf;
}

static const char *field(size_t r, const char *col)
{
	const char *v = pvt_csv_get(&g_csv, r, col);
	assert_non_null(v);
	return v;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int group_setup(void **state)
{
	(void)state;
	/* the tests set the environment themselves */
	unsetenv("PIVAULT_VAULT");
	unsetenv("PIVAULT_KEY_FILE");
	unsetenv("PIVAULT_KEYRING");
	unsetenv("PIVAULT_PASSPHRASE_FILE");
	unsetenv("PIVAULT_USER");
	unsetenv("PIVAULT_PASSWORD_FILE");
	g_tmp = pvt_tempdir();
	g_vault = pvt_path(g_tmp, "vault");
	g_key = pvt_path(g_tmp, "root.key");
	g_err = pvt_path(g_tmp, "stderr.txt");
	g_pw = pvt_path(g_tmp, "admin.pw");
	assert_int_equal(pvt_write_file(g_pw, "admin-password-1\n", 17), 0);
	char *csv_path = pvt_path(g_tmp, "in.csv"), *out = NULL, *err = NULL;

	assert_int_equal(cli(NULL, NULL, "", "keygen '%s'", g_key), 0);
	struct stat st;
	assert_int_equal(stat(g_key, &st), 0);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(pvt_run(NULL, "'%s' -n %d --seed 5 --canonical -o '%s'",
				 pvt_program("pvgen"), NCUST, csv_path), 0);
	char *text = pvt_read_file(csv_path, NULL);
	assert_non_null(text);
	assert_int_equal(pvt_csv_parse(text, &g_csv), 0);
	assert_int_equal(g_csv.nrows, NCUST + 1);
	free(text);

	int rc = cli(&out, &err, ienv(), "init --schema '%s/examples/schema.yaml' --slots 1024",
		     PV_SOURCE_DIR);
	if (rc != 0)
		fail_msg("init: exit %d: %s", rc, err);
	assert_non_null(strstr(out, "created vault"));
	free(out);
	free(err);
	rc = cli(&out, &err, venv(), "import '%s' " AS_ADMIN, csv_path);
	if (rc != 0)
		fail_msg("import: exit %d: %s", rc, err);
	char want[64];
	snprintf(want, sizeof want, "imported %d of %d rows", NCUST, NCUST);
	assert_non_null(strstr(out, want));
	free(out);
	free(err);
	free(csv_path);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvt_csv_free(&g_csv);
	pvt_rmtree(g_tmp);
	free(g_tmp);
	free(g_vault);
	free(g_key);
	free(g_err);
	free(g_pw);
	return 0;
}

/* ---- help and usage errors ---- */

static void test_help(void **state)
{
	(void)state;
	static const char *const cmds[] = { "init", "keygen", "schema", "import", "get",
					    "find",  "list",   "update", "export", "user",
					    "audit" };
	char *out = NULL;
	assert_int_equal(cli(&out, NULL, "", "--help"), 0);
	assert_non_null(strstr(out, "usage"));
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		assert_non_null(strstr(out, cmds[i])); /* every command is listed */
	free(out);
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		int rc = cli(&out, NULL, "", "%s --help", cmds[i]);
		if (rc != 0 || !strstr(out, "usage"))
			fail_msg("pivault %s --help: exit %d, output: %s", cmds[i], rc, out);
		char want[64];
		snprintf(want, sizeof want, "pivault %s", cmds[i]);
		assert_non_null(strstr(out, want));
		free(out);
	}
	/* help needs no vault and no key, even when the environment names a bad one */
	assert_int_equal(cli(&out, NULL, "PIVAULT_VAULT=/nonexistent PIVAULT_KEY_FILE=/nonexistent",
			     "get --help"), 0);
	assert_non_null(strstr(out, "usage"));
	free(out);
}

static void test_usage_errors(void **state)
{
	(void)state;
	char *err = NULL;
	assert_int_equal(cli(NULL, &err, "", ""), 2);
	assert_non_null(strstr(err, "usage"));
	free(err);
	assert_int_equal(cli(NULL, &err, "", "frobnicate"), 2);
	assert_non_null(strstr(err, "frobnicate"));
	free(err);
	static const char *const missing[] = {
		"get",                    /* no id */
		"find",                   /* no --FIELD VALUE */
		"find --phone",           /* no value */
		"find 13800000000",       /* no field */
		"update C00000001",       /* no change */
		"update C00000001 name",  /* not FIELD=VALUE */
		"list --limit 0",
		"list --limit",
		"list --bogus",
		"export --format xml",
		"export --bogus",
		"get --vault",            /* option without its value */
		"get C00000001 --role",
		"import",                 /* no file */
		"keygen",                 /* no file */
		"schema",                 /* no subcommand */
		"schema check",           /* no file */
		"schema frobnicate x.yaml",
		"init",                   /* no directory, no schema */
	};
	for (size_t i = 0; i < sizeof missing / sizeof *missing; i++) {
		int rc = cli(NULL, &err, venv(), "%s", missing[i]);
		if (rc != 2)
			fail_msg("pivault %s: exit %d, want 2 (stderr: %s)", missing[i], rc, err);
		assert_true(strlen(err) > 0); /* says what is wrong */
		free(err);
	}
	/* a directory but no --schema */
	char *dir = pvt_path(g_tmp, "noschema");
	assert_int_equal(cli(NULL, NULL, venv(), "init '%s'", dir), 2);
	free(dir);
	/* no vault given at all */
	assert_int_equal(cli(NULL, &err, "", "get C00000001"), 2);
	assert_non_null(strstr(err, "vault"));
	free(err);
}

/* ---- the flow through the shared vault ---- */

static void test_get_clear_and_masked(void **state)
{
	(void)state;
	const char *name = field(3, "name"), *phone = field(3, "phone");
	const char *idn = field(3, "id_number"), *id = field(3, "customer_id");
	char *out = NULL, *err = NULL;
	assert_int_equal(cli(&out, &err, venv(), "get %s --clear " READ_ALL, id), 0);
	assert_non_null(strstr(out, id));
	assert_non_null(strstr(out, name));
	assert_non_null(strstr(out, phone));
	assert_non_null(strstr(out, idn));
	assert_string_equal(err, "");
	free(out);
	free(err);

	/* default: masked; no clear value of the customer appears */
	assert_int_equal(cli(&out, NULL, venv(), "get %s " READ_ALL, id), 0);
	assert_non_null(strstr(out, id));
	assert_null(strstr(out, name));
	assert_null(strstr(out, phone));
	assert_null(strstr(out, phone + 3));
	assert_null(strstr(out, idn));
	char mphone[32], mid[32];
	snprintf(mphone, sizeof mphone, "%.3s****%.4s", phone + 3, phone + 10);
	snprintf(mid, sizeof mid, "%.6s********%.4s", idn, idn + 14);
	assert_non_null(strstr(out, mphone));
	assert_non_null(strstr(out, mid));
	free(out);

	/* several ids at once; --json gives one object per customer */
	assert_int_equal(cli(&out, NULL, venv(), "get %s %s --json --clear " READ_ALL, id,
			     field(4, "customer_id")), 0);
	assert_int_equal(count_lines(out), 2);
	json_error_t jerr;
	json_t *o = json_loadb(out, strcspn(out, "\n"), 0, &jerr);
	if (!o)
		fail_msg("get --json: %s", jerr.text);
	assert_string_equal(json_string_value(json_object_get(o, "id")), id);
	assert_string_equal(json_string_value(json_object_get(o, "name")), name);
	assert_string_equal(json_string_value(json_object_get(o, "id_number")), idn);
	json_t *cons = json_object_get(o, "consents");
	assert_true(json_is_object(cons));
	assert_int_equal(json_is_true(json_object_get(cons, "marketing")),
			 strcmp(field(3, "consent_marketing"), "yes") == 0);
	json_decref(o);
	free(out);

	/* an unknown customer */
	assert_int_equal(cli(&out, &err, venv(), "get C09999999 " READ_ALL), 1);
	assert_non_null(strstr(err, "C09999999"));
	free(out);
	free(err);
}

static void test_roles_on_the_command_line(void **state)
{
	(void)state;
	const char *name = field(5, "name"), *idn = field(5, "id_number");
	const char *phone = field(5, "phone"), *id = field(5, "customer_id");
	char *out = NULL, *err = NULL;
	/* clerk with --clear: the name in clear, no id_number at all, the phone masked */
	assert_int_equal(cli(&out, NULL, venv(), "get %s --role clerk --purpose service --clear",
			     id), 0);
	assert_non_null(strstr(out, name));
	assert_null(strstr(out, "id_number"));
	assert_null(strstr(out, idn));
	assert_null(strstr(out, "bank_card"));
	assert_null(strstr(out, phone + 3));
	assert_non_null(strstr(out, "phone"));
	free(out);
	/* a clerk may not export, and an unknown role may do nothing */
	assert_int_equal(cli(&out, &err, venv(), "export --role clerk --purpose service"), 1);
	assert_non_null(strstr(err, "export"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	assert_int_equal(cli(&out, &err, venv(), "get %s --role nobody --purpose service", id), 1);
	assert_non_null(strstr(err, "nobody"));
	free(out);
	free(err);
	/* a purpose the role does not have */
	assert_int_equal(cli(&out, &err, venv(), "get %s --role clerk --purpose billing", id), 1);
	assert_non_null(strstr(err, "billing"));
	free(out);
	free(err);
	/* finance with billing sees the bank card, not the address */
	assert_int_equal(cli(&out, NULL, venv(), "get %s --role finance --purpose billing --clear",
			     id), 0);
	assert_null(strstr(out, "address"));
	if (*field(5, "bank_card"))
		assert_non_null(strstr(out, field(5, "bank_card")));
	free(out);
}

static void test_find(void **state)
{
	(void)state;
	const char *id = field(7, "customer_id"), *phone = field(7, "phone");
	char *out = NULL, *err = NULL;
	/* the phone typed with spaces and without +86 */
	assert_int_equal(cli(&out, &err, venv(), "find --phone '%.3s %.4s %.4s' " READ_ALL,
			     phone + 3, phone + 6, phone + 10), 0);
	assert_non_null(strstr(out, id));
	assert_null(strstr(out, phone + 3)); /* shown masked */
	free(out);
	free(err);
	char idn[19];
	snprintf(idn, sizeof idn, "%s", field(7, "id_number"));
	if (idn[17] == 'X')
		idn[17] = 'x';
	assert_int_equal(cli(&out, NULL, venv(), "find --id_number %s --json " READ_ALL, idn), 0);
	json_t *o = json_loads(out, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "id")), id);
	json_decref(o);
	free(out);
	assert_int_equal(cli(&out, NULL, venv(), "find --name '%s' --clear " READ_ALL,
			     field(7, "name")), 0);
	assert_non_null(strstr(out, id));
	assert_non_null(strstr(out, field(7, "name")));
	free(out);
	/* nobody: exit 1 */
	assert_int_equal(cli(&out, &err, venv(), "find --email nobody@nowhere.example " READ_ALL),
			 1);
	assert_non_null(strstr(err, "no customer"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	/* a field without an index is a usage error naming it */
	assert_int_equal(cli(&out, &err, venv(), "find --address x " READ_ALL), 2);
	assert_non_null(strstr(err, "address"));
	free(out);
	free(err);
}

static void test_list_pages(void **state)
{
	(void)state;
	char *out = NULL, *err = NULL;
	assert_int_equal(cli(&out, &err, venv(), "list --limit 10 " READ_ALL), 0);
	assert_int_equal(count_lines(out), 10);
	char *line = out;
	for (size_t r = 1; r <= 10; r++) { /* pvgen writes the ids in order */
		assert_int_equal(strncmp(line, field(r, "customer_id"), 9), 0);
		assert_null(strstr(line, field(r, "phone") + 3)); /* masked */
		line = strchr(line, '\n') + 1;
	}
	char want[64];
	snprintf(want, sizeof want, "--after %s", field(10, "customer_id"));
	assert_non_null(strstr(err, want));
	free(out);
	free(err);
	assert_int_equal(cli(&out, &err, venv(), "list --after %s --limit 50 " READ_ALL,
			     field(NCUST - 5, "customer_id")), 0);
	assert_int_equal(count_lines(out), 5);
	assert_null(strstr(err, "more"));
	free(out);
	free(err);
	/* all of them, as JSON lines */
	assert_int_equal(cli(&out, NULL, venv(), "list --limit 100 --json " READ_ALL), 0);
	assert_int_equal(count_lines(out), NCUST);
	char *save = NULL;
	size_t n = 0;
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(l, 0, NULL);
		assert_non_null(o);
		n++;
		assert_string_equal(json_string_value(json_object_get(o, "id")),
				    field(n, "customer_id"));
		json_decref(o);
	}
	assert_int_equal(n, NCUST);
	free(out);
}

static void test_update(void **state)
{
	(void)state;
	const char *id = field(2, "customer_id");
	char *out = NULL, *err = NULL;
	assert_int_equal(cli(&out, &err, venv(), "update %s 'phone=139 0000 1234' "
			     "contract_no=HT-2025-000001 consent_marketing=no " AS_ADMIN, id), 0);
	assert_non_null(strstr(out, "updated"));
	free(out);
	free(err);
	assert_int_equal(cli(&out, NULL, venv(), "get %s --clear " READ_ALL, id), 0);
	assert_non_null(strstr(out, "+8613900001234"));
	assert_non_null(strstr(out, "HT-2025-000001"));
	assert_null(strstr(out, field(2, "phone")));
	free(out);
	assert_int_equal(cli(&out, NULL, venv(), "find --phone 13900001234 " READ_ALL), 0);
	assert_non_null(strstr(out, id));
	free(out);
	assert_int_equal(cli(&out, NULL, venv(), "find --phone %s " READ_ALL, field(2, "phone")),
			 1);
	free(out);
	/* an invalid value: refused, named by field, the value not echoed */
	assert_int_equal(cli(&out, &err, venv(), "update %s id_number=110105194912310021 " AS_ADMIN,
			     id), 1);
	assert_non_null(strstr(err, "id_number"));
	assert_null(strstr(err, "110105194912310021"));
	assert_null(strstr(out, "110105194912310021"));
	free(out);
	free(err);
	/* an unknown option is a usage error, never taken for an id */
	assert_int_equal(cli(&out, &err, venv(), "get %s --bogus " READ_ALL, id), 2);
	assert_non_null(strstr(err, "unknown option"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	assert_int_equal(cli(&out, &err, venv(), "update --bogus name=x " AS_ADMIN), 2);
	free(out);
	free(err);
	assert_int_equal(cli(&out, &err, venv(), "update %s shoe_size=42 " AS_ADMIN, id), 2);
	assert_non_null(strstr(err, "shoe_size"));
	free(out);
	free(err);
	assert_int_equal(cli(&out, &err, venv(), "update C09999999 name=王五 " AS_ADMIN), 1);
	free(out);
	free(err);
	/* several changes, the last invalid: none applied (the help says all or none) */
	assert_int_equal(cli(&out, &err, venv(), "update %s contract_no=HT-2025-000777 "
			     "'phone=139 0000 5678' id_number=110105194912310021 " AS_ADMIN, id), 1);
	assert_null(strstr(out, "updated"));
	free(out);
	free(err);
	assert_int_equal(cli(&out, NULL, venv(), "get %s --clear " READ_ALL, id), 0);
	assert_non_null(strstr(out, "HT-2025-000001"));
	assert_null(strstr(out, "HT-2025-000777"));
	assert_non_null(strstr(out, "+8613900001234"));
	free(out);
	assert_int_equal(cli(&out, NULL, venv(), "find --phone 13900005678 " READ_ALL), 1);
	free(out);
}

static void test_export(void **state)
{
	(void)state;
	char *out = NULL, *err = NULL;
	/* JSON Lines in clear, to standard output */
	assert_int_equal(cli(&out, &err, venv(), "export --format jsonl --clear " READ_ALL), 0);
	assert_int_equal(count_lines(out), NCUST);
	char *save = NULL;
	size_t n = 0;
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *o = json_loads(l, 0, &jerr);
		if (!o)
			fail_msg("export line %zu: %s", n + 1, jerr.text);
		n++;
		assert_string_equal(json_string_value(json_object_get(o, "customer_id")),
				    field(n, "customer_id"));
		assert_string_equal(json_string_value(json_object_get(o, "name")), field(n, "name"));
		json_decref(o);
	}
	assert_int_equal(n, NCUST);
	free(out);
	free(err);

	/* CSV, masked by default */
	assert_int_equal(cli(&out, NULL, venv(), "export " READ_ALL), 0);
	struct pvt_csv t;
	assert_int_equal(pvt_csv_parse(out, &t), 0);
	assert_int_equal(t.nrows, NCUST + 1);
	for (size_t r = 1; r <= NCUST; r++) {
		assert_null(strstr(out, field(r, "id_number")));
		assert_string_not_equal(pvt_csv_get(&t, r, "name"), field(r, "name"));
	}
	pvt_csv_free(&t);
	free(out);

	/* to a file: masked only; it is never overwritten */
	char *file = pvt_path(g_tmp, "export.csv");
	assert_int_equal(cli(&out, NULL, venv(), "export -o '%s' " READ_ALL, file), 0);
	free(out);
	char *text = pvt_read_file(file, NULL);
	assert_non_null(text);
	assert_int_equal(pvt_csv_parse(text, &t), 0);
	assert_int_equal(t.nrows, NCUST + 1);
	assert_null(strstr(text, field(1, "id_number")));
	pvt_csv_free(&t);
	free(text);
	assert_int_equal(cli(&out, &err, venv(), "export -o '%s' " READ_ALL, file), 1);
	free(out);
	free(err);

	/* plaintext never straight to a file */
	char *clear_file = pvt_path(g_tmp, "clear.csv");
	assert_int_equal(cli(&out, &err, venv(), "export -o '%s' --clear " READ_ALL, clear_file),
			 2);
	assert_non_null(strstr(err, "never straight to a file"));
	struct stat st;
	assert_int_not_equal(stat(clear_file, &st), 0);
	free(out);
	free(err);
	assert_int_equal(cli(&out, &err, venv(), "export --clear -o '%s' --format jsonl " READ_ALL,
			     clear_file), 2);
	assert_int_not_equal(stat(clear_file, &st), 0);
	free(out);
	free(err);
	free(file);
	free(clear_file);
}

/* For a vault kept in PostgreSQL, each table of its schema and a digest of its rows, as
 * its DBA would take them (dba.h); NULL for one kept in SQLite (its files are compared). */
static char *store_print(const char *vault)
{
	if (!pvt_dba_pg(vault))
		return NULL;
	char *rows = NULL;
	assert_int_equal(pvt_dba(&rows, vault, "SELECT table_name, md5(query_to_xml(format("
				 "'SELECT * FROM %%I ORDER BY 1', table_name), false, false, '')::text) "
				 "FROM information_schema.tables WHERE table_schema = current_schema() "
				 "ORDER BY 1"), 0);
	assert_non_null(strstr(rows, "audit|"));
	return rows;
}

static void test_wrong_key(void **state)
{
	(void)state;
	char *other = pvt_path(g_tmp, "other.key"), *env = malloc(8192);
	assert_non_null(env);
	assert_int_equal(cli(NULL, NULL, "", "keygen '%s'", other), 0);
	/* keygen never overwrites */
	char *err = NULL;
	assert_int_equal(cli(NULL, &err, "", "keygen '%s'", other), 1);
	assert_true(strlen(err) > 0);
	free(err);
	snprintf(env, 8192, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s'", g_vault, other);
	/* a refused open changes nothing: not even an audit entry is written */
	static const char *const files[] = { "vault/vault.db", "vault/vault.db-wal",
					     "vault.keyring" };
	char *before[3];
	size_t before_len[3];
	for (size_t k = 0; k < 3; k++) {
		char *path = pvt_path(g_tmp, files[k]);
		before_len[k] = 0;
		before[k] = pvt_read_file(path, &before_len[k]);
		free(path);
	}
	char *store_before = store_print(g_vault);
	assert_true(before[0] != NULL || store_before != NULL);
	char *out = NULL;
	assert_int_equal(cli(&out, &err, env, "get %s --clear " READ_ALL,
			     field(1, "customer_id")), 1);
	assert_non_null(strstr(err, "wrong key"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	for (size_t k = 0; k < 3; k++) {
		char *path = pvt_path(g_tmp, files[k]);
		size_t len = 0;
		char *now = pvt_read_file(path, &len);
		if ((now == NULL) != (before[k] == NULL) || len != before_len[k] ||
		    (now && memcmp(now, before[k], len) != 0))
			fail_msg("%s changed after an open with the wrong root key", files[k]);
		free(now);
		free(before[k]);
		free(path);
	}
	char *store_now = store_print(g_vault);
	if ((store_now == NULL) != (store_before == NULL) ||
	    (store_now && strcmp(store_now, store_before) != 0))
		fail_msg("the vault's PostgreSQL tables changed after an open with the wrong root key");
	free(store_now);
	free(store_before);
	/* --key-file overrides the environment */
	assert_int_equal(cli(&out, NULL, env, "get %s --key-file '%s' " READ_ALL,
			     field(1, "customer_id"), g_key), 0);
	free(out);
	/* a key file of the wrong size, and a missing one */
	char *short_key = pvt_path(g_tmp, "short.key");
	assert_int_equal(pvt_write_file(short_key, "0123456789", 10), 0);
	assert_int_equal(cli(&out, &err, venv(), "get C00000001 --key-file '%s' " READ_ALL,
			     short_key), 1);
	assert_non_null(strstr(err, "32 bytes"));
	free(out);
	free(err);
	assert_int_equal(cli(&out, &err, venv(),
			     "get C00000001 --key-file '%s/nonexistent.key' " READ_ALL, g_tmp), 1);
	assert_true(strlen(err) > 0);
	free(out);
	free(err);
	/* no key at all, and no terminal to ask on */
	snprintf(env, 8192, "PIVAULT_VAULT='%s'", g_vault);
	assert_int_equal(cli(&out, &err, env, "get C00000001 " READ_ALL), 1);
	assert_non_null(strstr(err, "key"));
	free(out);
	free(err);
	free(short_key);
	free(other);
	free(env);
}

/* ---- purposes, the first administrator, users ---- */

/* Every read of customer data names its purpose; without one it is refused (exit 1) with
 * a message that says so, and nothing is shown. Other operations need none. */
static void test_reads_need_a_purpose(void **state)
{
	(void)state;
	const char *id = field(6, "customer_id"), *phone = field(6, "phone");
	char *out = NULL, *err = NULL;
	char find_phone[64];
	snprintf(find_phone, sizeof find_phone, "find --phone %s", phone + 3);
	const char *const reads[] = { NULL, find_phone, "list", "list --json", "export",
				      "export --format jsonl --clear" };
	for (size_t k = 0; k < sizeof reads / sizeof *reads; k++) {
		int rc = reads[k] ? cli(&out, &err, venv(), "%s " AS_ADMIN, reads[k])
				  : cli(&out, &err, venv(), "get %s --clear " AS_ADMIN, id);
		if (rc != 1 || !strstr(err, "purpose"))
			fail_msg("pivault %s without --purpose: exit %d, stderr: %s",
				 reads[k] ? reads[k] : "get", rc, err);
		assert_string_equal(out, "");
		free(out);
		free(err);
	}
	/* an unknown purpose is named */
	assert_int_equal(cli(&out, &err, venv(), "get %s --purpose gossip " AS_ADMIN, id), 1);
	assert_non_null(strstr(err, "gossip"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	/* 'all' only for a role with every purpose */
	assert_int_equal(cli(&out, &err, venv(), "get %s --role clerk --purpose all", id), 1);
	assert_string_equal(out, "");
	free(out);
	free(err);
	/* with the root key and no --role: refused, asking for a role */
	assert_int_equal(cli(&out, &err, venv(), "get %s --purpose all", id), 1);
	assert_non_null(strstr(err, "role"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	/* a concrete purpose hides the fields it does not cover */
	assert_int_equal(cli(&out, NULL, venv(), "get %s --clear --role admin --purpose service",
			     id), 0);
	assert_non_null(strstr(out, field(6, "name")));
	assert_null(strstr(out, "id_number"));
	assert_null(strstr(out, "bank_card"));
	free(out);
	/* an update is not a read: no purpose needed */
	assert_int_equal(cli(&out, &err, venv(), "update %s contract_no=HT-2025-000006 " AS_ADMIN,
			     id), 0);
	assert_non_null(strstr(out, "updated"));
	free(out);
	free(err);
}

/* init creates the first administrator and needs a password for it; without any source
 * of one (no PIVAULT_PASSWORD_FILE, no terminal) it fails and leaves nothing behind. */
static void test_init_needs_admin_password(void **state)
{
	(void)state;
	char *dir = pvt_path(g_tmp, "nopassword"), *kr = pvt_path(g_tmp, "nopassword.keyring");
	char *env = malloc(8192), *out = NULL, *err = NULL;
	assert_non_null(env);
	struct stat st;
	snprintf(env, 8192, "PIVAULT_KEY_FILE='%s'", g_key);
	assert_int_equal(cli(&out, &err, env, "init '%s' --schema '%s/examples/schema.yaml' "
			     "--slots 1024", dir, PV_SOURCE_DIR), 1);
	assert_non_null(strstr(err, "password"));
	assert_null(strstr(out, "created"));
	assert_int_not_equal(stat(dir, &st), 0);
	assert_int_not_equal(stat(kr, &st), 0);
	free(out);
	free(err);
	/* a password file that cannot be read */
	snprintf(env, 8192, "PIVAULT_KEY_FILE='%s' PIVAULT_PASSWORD_FILE='%s/nonexistent.pw'",
		 g_key, g_tmp);
	assert_int_equal(cli(&out, &err, env, "init '%s' --schema '%s/examples/schema.yaml' "
			     "--slots 1024", dir, PV_SOURCE_DIR), 1);
	assert_non_null(strstr(err, "password"));
	assert_int_not_equal(stat(dir, &st), 0);
	assert_int_not_equal(stat(kr, &st), 0);
	free(out);
	free(err);
	/* with a password and --admin NAME: that administrator opens it with the password */
	snprintf(env, 8192, "PIVAULT_KEY_FILE='%s' PIVAULT_PASSWORD_FILE='%s'", g_key, g_pw);
	assert_int_equal(cli(&out, &err, env, "init '%s' --schema '%s/examples/schema.yaml' "
			     "--slots 1024 --admin boss", dir, PV_SOURCE_DIR), 0);
	assert_non_null(strstr(out, "boss"));
	free(out);
	free(err);
	snprintf(env, 8192, "PIVAULT_VAULT='%s' PIVAULT_USER=boss PIVAULT_PASSWORD_FILE='%s'", dir,
		 g_pw);
	assert_int_equal(cli(&out, &err, env, "list --purpose all"), 0);
	assert_string_equal(out, ""); /* an empty vault */
	free(out);
	free(err);
	/* no user 'admin' there */
	snprintf(env, 8192, "PIVAULT_VAULT='%s' PIVAULT_USER=admin PIVAULT_PASSWORD_FILE='%s'", dir,
		 g_pw);
	assert_int_equal(cli(&out, &err, env, "list --purpose all"), 1);
	assert_string_equal(out, "");
	free(out);
	free(err);
	free(env);
	free(dir);
	free(kr);
}

/* A user added with `pivault user add NAME --role clerk --password-file F` (a grant of a
 * role takes a second person: the administrator asks, the root key holder approves) reads
 * with their own password, for their own purpose, and is audited by name and purpose. */
/* The half of an enrolment code a command printed (its last line), written to file name
 * in the test directory, whose path is returned (malloc'd). */
static char *save_half(const char *out, const char *name)
{
	const char *end = out + strlen(out);
	while (end > out && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	const char *start = end;
	while (start > out && start[-1] != '\n' && start[-1] != ' ')
		start--;
	assert_true(end - start >= 26);
	char *path = pvt_path(g_tmp, name);
	assert_int_equal(pvt_write_file(path, start, (size_t)(end - start)), 0);
	return path;
}

static void test_user_reads_with_own_password(void **state)
{
	(void)state;
	const char *id = field(8, "customer_id"), *phone = field(8, "phone");
	const char *name = field(8, "name"), *idn = field(8, "id_number");
	char *cpw = pvt_path(g_tmp, "clerk1.pw"), *bad_pw = pvt_path(g_tmp, "wrong.pw");
	assert_int_equal(pvt_write_file(cpw, "clerk-password-1\n", 17), 0);
	assert_int_equal(pvt_write_file(bad_pw, "not-the-password\n", 17), 0);
	char *aenv = malloc(8192), *cenv = malloc(8192), *out = NULL, *err = NULL;
	assert_non_null(aenv);
	assert_non_null(cenv);
	snprintf(aenv, 8192, "PIVAULT_VAULT='%s' PIVAULT_USER=admin PIVAULT_PASSWORD_FILE='%s'",
		 g_vault, g_pw);
	snprintf(cenv, 8192, "PIVAULT_VAULT='%s' PIVAULT_USER=clerk1 PIVAULT_PASSWORD_FILE='%s'",
		 g_vault, cpw);

	int rc = cli(&out, &err, aenv, "request user add clerk1 --roles clerk --json");
	if (rc != 0)
		fail_msg("request user add: exit %d: %s", rc, err);
	json_t *o = json_loads(out, 0, NULL);
	assert_non_null(o);
	char req[64];
	assert_non_null(json_string_value(json_object_get(o, "request")));
	snprintf(req, sizeof req, "%s", json_string_value(json_object_get(o, "request")));
	json_decref(o);
	free(out);
	free(err);
	rc = cli(&out, &err, venv(), "approve %s " AS_ADMIN, req);
	if (rc != 0)
		fail_msg("approve: exit %d: %s", rc, err);
	char *half_a = save_half(out, "clerk1.a");
	free(out);
	free(err);
	rc = cli(&out, &err, aenv, "user add clerk1 --roles clerk --request %s", req);
	if (rc != 0)
		fail_msg("user add: exit %d: %s", rc, err);
	assert_non_null(strstr(out, "clerk1"));
	char *half_b = save_half(out, "clerk1.b");
	free(out);
	free(err);
	/* the new user sets their password with both halves */
	rc = cli(&out, &err, "", "user enrol clerk1 --vault '%s' --first-half-file '%s' "
		 "--second-half-file '%s' --password-file '%s'", g_vault, half_a, half_b, cpw);
	if (rc != 0)
		fail_msg("user enrol: exit %d: %s", rc, err);
	free(out);
	free(err);
	free(half_a);
	free(half_b);

	/* the clerk reads for customer service: masked, without the fields it may not see */
	rc = cli(&out, &err, cenv, "get %s --purpose service", id);
	if (rc != 0)
		fail_msg("get as clerk1: exit %d: %s", rc, err);
	assert_non_null(strstr(out, id));
	assert_non_null(strstr(out, "phone"));
	assert_null(strstr(out, phone + 3));
	assert_null(strstr(out, name));
	assert_null(strstr(out, "id_number"));
	assert_null(strstr(out, idn));
	assert_null(strstr(out, "bank_card"));
	free(out);
	free(err);
	/* not its purpose, no purpose, a role it does not have */
	assert_int_equal(cli(&out, &err, cenv, "get %s --purpose billing", id), 1);
	assert_non_null(strstr(err, "billing"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	assert_int_equal(cli(&out, &err, cenv, "get %s", id), 1);
	assert_non_null(strstr(err, "purpose"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	assert_int_equal(cli(&out, &err, cenv, "get %s --role admin --purpose all", id), 1);
	assert_non_null(strstr(err, "admin"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	/* a wrong password opens nothing */
	snprintf(cenv, 8192, "PIVAULT_VAULT='%s' PIVAULT_USER=clerk1 PIVAULT_PASSWORD_FILE='%s'",
		 g_vault, bad_pw);
	assert_int_equal(cli(&out, &err, cenv, "get %s --purpose service", id), 1);
	assert_string_equal(out, "");
	assert_true(strlen(err) > 0);
	free(out);
	free(err);

	/* the read is in the audit log under the user's name, with its purpose */
	rc = cli(&out, &err, venv(), "audit log --user clerk1 --json " AS_ADMIN);
	if (rc != 0)
		fail_msg("audit log: exit %d: %s", rc, err);
	int reads_ok = 0;
	char *save = NULL;
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(l, 0, NULL);
		assert_non_null(e);
		assert_string_equal(json_string_value(json_object_get(e, "user")), "clerk1");
		const char *op = json_string_value(json_object_get(e, "op"));
		const char *outcome = json_string_value(json_object_get(e, "outcome"));
		const char *purpose = json_string_value(json_object_get(e, "purpose"));
		const char *ids = json_string_value(json_object_get(e, "ids"));
		if (op && strcmp(op, "read") == 0 && outcome && strcmp(outcome, "ok") == 0) {
			assert_string_equal(purpose, "service");
			assert_non_null(strstr(ids, id));
			reads_ok++;
		}
		json_decref(e);
	}
	assert_int_equal(reads_ok, 1);
	free(out);
	free(err);
	free(aenv);
	free(cenv);
	free(cpw);
	free(bad_pw);
}

/* ---- schema check ---- */

static void test_schema_check(void **state)
{
	(void)state;
	char *out = NULL, *err = NULL;
	assert_int_equal(cli(&out, &err, "", "schema check '%s/examples/schema.yaml'", PV_SOURCE_DIR),
			 0);
	assert_non_null(strstr(out, "valid"));
	assert_string_equal(err, "");
	free(out);
	free(err);

	/* an unknown type on the phone line */
	char *good = pvt_read_file(PV_SOURCE_DIR "/examples/schema.yaml", NULL);
	assert_non_null(good);
	char *at = strstr(good, "type: phone_cn,");
	assert_non_null(at);
	memcpy(at + 6, "phone_xx", 8);
	int line = 1;
	for (const char *p = good; p < at; p++)
		line += *p == '\n';
	const char *bol = at;
	while (bol > good && bol[-1] != '\n')
		bol--;
	int col = (int)(at + 6 - bol) + 1;
	char *bad = pvt_path(g_tmp, "bad-schema.yaml");
	assert_int_equal(pvt_write_file(bad, good, strlen(good)), 0);
	free(good);
	assert_int_equal(cli(&out, &err, "", "schema check '%s'", bad), 1);
	char want[4400];
	snprintf(want, sizeof want, "%s:%d:%d: ", bad, line, col);
	if (!strstr(err, want))
		fail_msg("want '%s' in: %s", want, err);
	assert_non_null(strstr(err, "phone_xx"));
	free(out);
	free(err);
	/* the same as JSON */
	assert_int_equal(cli(&out, NULL, "", "schema check '%s' --json", bad), 1);
	json_t *o = json_loads(out, 0, NULL);
	assert_non_null(o);
	assert_true(json_is_false(json_object_get(o, "valid")));
	json_t *p = json_array_get(json_object_get(o, "problems"), 0);
	assert_int_equal(json_integer_value(json_object_get(p, "line")), line);
	assert_int_equal(json_integer_value(json_object_get(p, "column")), col);
	json_decref(o);
	free(out);
	/* an unreadable file */
	assert_int_equal(cli(&out, &err, "", "schema check '%s/nonexistent.yaml'", g_tmp), 1);
	free(out);
	free(err);
	/* init refuses a bad schema and leaves nothing behind */
	char *dir = pvt_path(g_tmp, "badvault");
	assert_int_equal(cli(&out, &err, ienv(), "init '%s' --schema '%s' --slots 1024", dir, bad),
			 1);
	assert_non_null(strstr(err, "phone_xx")); /* refused for the schema, not the password */
	struct stat st;
	assert_int_not_equal(stat(dir, &st), 0);
	free(out);
	free(err);
	free(dir);
	free(bad);
}

/* ---- import ---- */

/* Create an empty vault at DIR (a fresh name under g_tmp) for an import test. */
static char *fresh_vault(const char *name, char *env, size_t envcap)
{
	char *dir = pvt_path(g_tmp, name);
	snprintf(env, envcap, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' PIVAULT_PASSWORD_FILE='%s'",
		 dir, g_key, g_pw);
	char *err = NULL;
	int rc = cli(NULL, &err, env, "init --schema '%s/examples/schema.yaml' --slots 1024",
		     PV_SOURCE_DIR);
	if (rc)
		fail_msg("init %s: %s", name, err);
	free(err);
	/* init refuses an existing vault */
	assert_int_equal(cli(NULL, &err, env,
			     "init --schema '%s/examples/schema.yaml' --slots 1024", PV_SOURCE_DIR),
			 1);
	assert_true(strlen(err) > 0);
	free(err);
	return dir;
}

static void test_import_json(void **state)
{
	(void)state;
	char env[8192];
	char *dir = fresh_vault("jsonvault", env, sizeof env);
	char *csv = pvt_path(g_tmp, "json.csv");
	assert_int_equal(pvt_run(NULL, "'%s' -n 12 --seed 9 -o '%s'", pvt_program("pvgen"), csv), 0);
	char *out = NULL, *err = NULL;
	assert_int_equal(cli(&out, &err, env, "import '%s' --json " AS_ADMIN, csv), 0);
	json_error_t jerr;
	json_t *o = json_loads(out, 0, &jerr);
	if (!o)
		fail_msg("import --json output is not JSON: %s", jerr.text);
	assert_true(json_is_integer(json_object_get(o, "imported")));
	assert_int_equal(json_integer_value(json_object_get(o, "imported")), 12);
	assert_int_equal(json_integer_value(json_object_get(o, "rows_read")), 12);
	json_decref(o);
	free(out);
	free(err);
	/* importing the same customers again is refused as a whole */
	assert_int_equal(cli(&out, &err, env, "import '%s' " AS_ADMIN, csv), 1);
	free(out);
	free(err);
	assert_int_equal(cli(&out, NULL, env, "list --limit 100 " READ_ALL), 0);
	assert_int_equal(count_lines(out), 12);
	free(out);
	free(csv);
	free(dir);
}

/* The attack: `import --reject-file LINK` where LINK points at the keyring (the old code
 * truncated it through the link). Variants: `export -o` through a link to the keyring, and
 * an -o file made with a permissive umask (the old code left it 0644). */
static void test_output_files_are_new_and_private(void **state)
{
	(void)state;
	char env[8192];
	char *dir = fresh_vault("linkvault", env, sizeof env);
	char *keyring = pvt_path(g_tmp, "linkvault.keyring"), *link = pvt_path(g_tmp, "rej-link");
	char *csv = pvt_path(g_tmp, "link.csv"), *out = NULL, *err = NULL;
	assert_int_equal(pvt_run(NULL, "'%s' -n 5 --seed 3 --canonical -o '%s'",
				 pvt_program("pvgen"), csv), 0);
	size_t len_before, len_after;
	char *before = pvt_read_file(keyring, &len_before);
	assert_non_null(before);
	assert_int_equal(symlink(keyring, link), 0);
	assert_int_equal(cli(&out, &err, env, "import '%s' --reject-file '%s' " AS_ADMIN, csv,
			     link), 1);
	if (!strstr(err, link))
		fail_msg("the refusal does not name %s: %s", link, err);
	free(out);
	free(err);
	char *after = pvt_read_file(keyring, &len_after);
	assert_int_equal(len_after, len_before);
	assert_memory_equal(after, before, len_before);
	free(after);
	/* the vault still opens and the import goes through without the link */
	assert_int_equal(cli(&out, NULL, env, "import '%s' " AS_ADMIN, csv), 0);
	free(out);

	char *olink = pvt_path(g_tmp, "export-link");
	assert_int_equal(symlink(keyring, olink), 0);
	assert_int_equal(cli(&out, &err, env, "export -o '%s' " READ_ALL, olink), 1);
	assert_non_null(strstr(err, olink));
	free(out);
	free(err);
	after = pvt_read_file(keyring, &len_after);
	assert_int_equal(len_after, len_before);
	assert_memory_equal(after, before, len_before);
	free(after);

	char *fresh = pvt_path(g_tmp, "export-fresh.csv");
	char env022[8300];
	snprintf(env022, sizeof env022, "umask 022; %s", env);
	assert_int_equal(cli(&out, NULL, env022, "export -o '%s' " READ_ALL, fresh), 0);
	free(out);
	struct stat st;
	assert_int_equal(lstat(fresh, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(fresh);
	free(olink);
	free(before);
	free(csv);
	free(link);
	free(keyring);
	free(dir);
}

static void test_bad_csv_names_line_not_value(void **state)
{
	(void)state;
	char env[8192];
	char *dir = fresh_vault("badcsv", env, sizeof env);
	/* valid identity numbers built with the check-digit functions */
	char id1[19] = "11010519800101001", id2[19] = "31010419750615002", bad_id[19];
	char id3[19] = "11010119900101003";
	id1[17] = pv_resident_id_check_char(id1);
	id2[17] = pv_resident_id_check_char(id2);
	id3[17] = pv_resident_id_check_char(id3);
	snprintf(bad_id, sizeof bad_id, "44030619880808123");
	char good = pv_resident_id_check_char(bad_id);
	bad_id[17] = good == '7' ? '3' : '7'; /* wrong check digit */
	bad_id[18] = '\0';
	char card[20] = "622848012345678901";
	card[18] = pv_luhn_check_digit(card, 18);
	card[19] = '\0';
	const char *bad_phone = "1999876543";
	char csv_text[4096];
	snprintf(csv_text, sizeof csv_text,
		 "customer_id,name,phone,id_number,email,address,bank_card,company_uscc,"
		 "contract_no,last_order_amount,last_order_date,preferences,created_at,"
		 "consent_marketing\r\n"
		 "C1,张三,13812345678,%s,zs@example.com,北京市朝阳区建国路1号,%s,,HT-1,100.00,"
		 "2024-01-02,,2024-01-01T10:00:00+08:00,yes\r\n"
		 "C2,李四,13912345678,%s,,上海市徐汇区漕溪北路2号,,,HT-2,20.5,2024-02-03,"
		 "\"第一行\r\n第二行\",2024-01-01T10:00:00+08:00,no\r\n"
		 "C3,王五,13712345678,%s,ww@example.com,广州市天河区体育西路3号,,,HT-3,1.00,"
		 "2024-03-04,,2024-01-01T10:00:00+08:00,yes\r\n"
		 "C4,赵六,%s,%s,zl@example.com,深圳市南山区科技园4号,,,HT-4,1.00,2024-03-04,,"
		 "2024-01-01T10:00:00+08:00,yes\r\n",
		 id1, card, id2, bad_id, bad_phone, id3);
	char *csv = pvt_path(g_tmp, "bad.csv");
	assert_int_equal(pvt_write_file(csv, csv_text, strlen(csv_text)), 0);
	char *out = NULL, *err = NULL;
	assert_int_equal(cli(&out, &err, env, "import '%s' " AS_ADMIN, csv), 1);
	/* C3 starts on physical line 5 (C2's quoted field spans lines 3-4) */
	if (!strstr(err, "line 5, column id_number"))
		fail_msg("stderr does not name line 5, column id_number: %s", err);
	if (!strstr(err, "line 6, column phone"))
		fail_msg("stderr does not name line 6, column phone: %s", err);
	assert_null(strstr(err, bad_id));
	assert_null(strstr(out, bad_id));
	assert_null(strstr(err, bad_phone));
	assert_null(strstr(out, bad_phone));
	assert_null(strstr(err, "赵六"));
	free(out);
	free(err);
	/* the same with --json: no values either */
	assert_int_equal(cli(&out, &err, env, "import '%s' --json " AS_ADMIN, csv), 1);
	assert_null(strstr(out, bad_id));
	assert_null(strstr(err, bad_id));
	assert_null(strstr(out, bad_phone));
	assert_null(strstr(err, bad_phone));
	json_t *o = json_loads(out, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "imported")), 0);
	json_decref(o);
	free(out);
	free(err);
	/* all or nothing: the good rows were not imported */
	assert_int_equal(cli(&out, &err, env, "get C1 " READ_ALL), 1);
	assert_non_null(strstr(err, "C1"));
	free(out);
	free(err);
	assert_int_equal(cli(&out, NULL, env, "list " READ_ALL), 0);
	assert_string_equal(out, "");
	free(out);
	/* a good row, then the file ends inside a quoted field, with a reject file (where good
	 * rows are kept when the import succeeds): refused, and the --json summary says 0
	 * imported, as nothing was kept */
	char *open_end = strstr(csv_text, "\r\nC2,");
	assert_non_null(open_end);
	snprintf(open_end, sizeof csv_text - (size_t)(open_end - csv_text),
		 "\r\nC5,\"never closed\r\n");
	assert_int_equal(pvt_write_file(csv, csv_text, strlen(csv_text)), 0);
	char *rej = pvt_path(g_tmp, "open-end-rejects.csv");
	assert_int_equal(cli(&out, &err, env, "import '%s' --json --reject-file '%s' " AS_ADMIN, csv,
			     rej), 1);
	free(rej);
	assert_non_null(strstr(err, "quote"));
	o = json_loads(out, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "imported")), 0);
	json_decref(o);
	free(out);
	free(err);
	assert_int_equal(cli(&out, NULL, env, "list " READ_ALL), 0);
	assert_string_equal(out, "");
	free(out);
	/* an undeclared column is refused and named */
	const char *extra = "customer_id,name,shoe_size\r\nC9,张三,42\r\n";
	assert_int_equal(pvt_write_file(csv, extra, strlen(extra)), 0);
	assert_int_equal(cli(&out, &err, env, "import '%s' " AS_ADMIN, csv), 1);
	assert_non_null(strstr(err, "shoe_size"));
	free(out);
	free(err);
	free(csv);
	free(dir);
}

/* ---- the shipped command's Argon2id, enrolment, and what a disable says ---- */

/* The shipped command has no fast Argon2id: the variable that once switched it on
 * (PIVAULT_TEST_FAST_KDF) changes nothing, and a vault whose stored setting is under the
 * floor (the shared one, made by the test-only pivault-test) is refused, naming the
 * floor. */
static void test_release_kdf_floor(void **state)
{
	(void)state;
	char *env = malloc(8192), *out = NULL;
	assert_non_null(env);
	snprintf(env, 8192, "PIVAULT_VAULT='%s' PIVAULT_USER=admin PIVAULT_PASSWORD_FILE='%s'",
		 g_vault, g_pw);
	int st = pvt_run(&out, "%s '%s' list --purpose all 2>&1", env, pvt_program("pivault"));
	assert_int_equal(st, 1);
	assert_non_null(strstr(out, "floor"));
	assert_non_null(strstr(out, "64 MiB"));
	free(out);
	char *dir = pvt_path(g_tmp, "release");
	snprintf(env, 8192, "PIVAULT_TEST_FAST_KDF=1 PIVAULT_KEY_FILE='%s' "
		 "PIVAULT_PASSWORD_FILE='%s'", g_key, g_pw);
	st = pvt_run(NULL, "%s '%s' init '%s' --schema '%s/examples/schema.yaml' --slots 1024 "
		     ">/dev/null", env, pvt_program("pivault"), dir, PV_SOURCE_DIR);
	assert_int_equal(st, 0);
	assert_int_equal(pvt_dba(&out, dir, "SELECT hex(substr(slot, 18, 8)) || ' ' || "
				 "hex(substr(slot, 26, 8)) FROM users"), 0);
	assert_string_equal(out, "0300000000000000 0000000400000000\n"); /* t=3, 64 MiB */
	free(out);
	snprintf(env, 8192, "PIVAULT_VAULT='%s' PIVAULT_USER=admin PIVAULT_PASSWORD_FILE='%s'",
		 dir, g_pw);
	assert_int_equal(pvt_run(NULL, "%s '%s' list --purpose all >/dev/null", env,
				 pvt_program("pivault")), 0);
	free(dir);
	free(env);
}

/* `user disable` says what it did and that revocation completes at rekey --root; it
 * never says that something "opens nothing". */
static void test_disable_says_rotation_needed(void **state)
{
	(void)state;
	char *pw = pvt_path(g_tmp, "temp1.pw"), *aenv = malloc(8192), *out = NULL, *err = NULL;
	assert_non_null(aenv);
	assert_int_equal(pvt_write_file(pw, "temp1-password-1\n", 17), 0);
	snprintf(aenv, 8192, "PIVAULT_VAULT='%s' PIVAULT_USER=admin PIVAULT_PASSWORD_FILE='%s'",
		 g_vault, g_pw);
	assert_int_equal(cli(&out, &err, aenv, "request user add temp1 --roles clerk --json"), 0);
	json_t *o = json_loads(out, 0, NULL);
	char req[64];
	snprintf(req, sizeof req, "%s", json_string_value(json_object_get(o, "request")));
	json_decref(o);
	free(out);
	free(err);
	assert_int_equal(cli(NULL, NULL, venv(), "approve %s " AS_ADMIN, req), 0);
	assert_int_equal(cli(NULL, NULL, aenv, "user add temp1 --roles clerk --request %s", req), 0);
	int rc = cli(&out, &err, aenv, "user disable temp1");
	if (rc != 0)
		fail_msg("user disable: exit %d: %s", rc, err);
	assert_non_null(strstr(out, "disabled user temp1"));
	assert_non_null(strstr(out, "rekey --root"));
	assert_null(strstr(out, "opens nothing"));
	free(out);
	free(err);
	free(aenv);
	free(pw);
}

/* Ask as env for `user add NAME --roles ROLES`, approve as the root secret (break-glass
 * approver here), run it: the halves' files (malloc'd paths). */
static void approved_add(const char *env, const char *name, const char *roles, char **fa,
			 char **fb)
{
	char *out = NULL, *err = NULL, file[64];
	int rc = cli(&out, &err, env, "request user add %s --roles %s --json", name, roles);
	if (rc != 0)
		fail_msg("request user add %s: exit %d: %s", name, rc, err);
	json_t *o = json_loads(out, 0, NULL);
	char req[64];
	snprintf(req, sizeof req, "%s", json_string_value(json_object_get(o, "request")));
	json_decref(o);
	free(out);
	free(err);
	assert_int_equal(cli(&out, NULL, venv(), "approve %s " AS_ADMIN, req), 0);
	snprintf(file, sizeof file, "%s.a", name);
	*fa = save_half(out, file);
	free(out);
	rc = cli(&out, &err, env, "user add %s --roles %s --request %s", name, roles, req);
	if (rc != 0)
		fail_msg("user add %s: exit %d: %s", name, rc, err);
	snprintf(file, sizeof file, "%s.b", name);
	*fb = save_half(out, file);
	free(out);
	free(err);
}

/* The attack of issue 10: an administrator asks for a clear export of everything, then
 * sets the DPO's password (`user passwd dpo`) to approve it as the DPO. It fails at the
 * passwd step: passwd changes only one's own password, with the old one; the DPO's
 * password still opens, and the export request is still waiting for a second person. */
static void test_admin_cannot_set_dpo_password(void **state)
{
	(void)state;
	char *aenv = malloc(8192), *denv = malloc(8192), *out = NULL, *err = NULL, *fa, *fb;
	char *dpw = pvt_path(g_tmp, "dpo9.pw"), *evil = pvt_path(g_tmp, "evil.pw");
	assert_int_equal(pvt_write_file(dpw, "dpo9-password-1\n", 16), 0);
	assert_int_equal(pvt_write_file(evil, "chosen-by-admin\n", 16), 0);
	snprintf(aenv, 8192, "PIVAULT_VAULT='%s' PIVAULT_USER=admin PIVAULT_PASSWORD_FILE='%s'",
		 g_vault, g_pw);
	snprintf(denv, 8192, "PIVAULT_VAULT='%s' PIVAULT_USER=dpo9 PIVAULT_PASSWORD_FILE='%s'",
		 g_vault, evil);
	approved_add(aenv, "dpo9", "dpo", &fa, &fb);
	assert_int_equal(cli(NULL, NULL, "", "user enrol dpo9 --vault '%s' --first-half-file '%s' "
			     "--second-half-file '%s' --password-file '%s'", g_vault, fa, fb, dpw),
			 0);
	assert_int_equal(cli(&out, &err, aenv, "request export --clear --purpose all --json"), 0);
	free(out);
	free(err);
	/* the passwd step */
	assert_int_not_equal(cli(&out, &err, aenv, "user passwd dpo9 --password-file '%s'", evil),
			     0);
	assert_non_null(strstr(err, "own password"));
	free(out);
	free(err);
	/* nor by giving the own old password: only admin's own password would change */
	assert_int_not_equal(cli(&out, &err, denv, "requests"), 0); /* admin's choice opens nothing */
	free(out);
	free(err);
	snprintf(denv, 8192, "PIVAULT_VAULT='%s' PIVAULT_USER=dpo9 PIVAULT_PASSWORD_FILE='%s'",
		 g_vault, dpw);
	assert_int_equal(cli(&out, &err, denv, "requests"), 0); /* the DPO's own still does */
	assert_non_null(strstr(out, "pending"));
	free(out);
	free(err);
	free(fa);
	free(fb);
	free(dpw);
	free(evil);
	free(aenv);
	free(denv);
}

/* The second route: whoever runs an approved `user add` chose the new user's password
 * with --password-file. The option is refused now; the runner gets half B only, which
 * alone (or twice) enrols nobody; the approver's half A is needed too. */
static void test_runner_cannot_choose_new_password(void **state)
{
	(void)state;
	char *aenv = malloc(8192), *out = NULL, *err = NULL, *fa, *fb;
	char *pw = pvt_path(g_tmp, "new9.pw");
	assert_int_equal(pvt_write_file(pw, "chosen-by-runner\n", 17), 0);
	snprintf(aenv, 8192, "PIVAULT_VAULT='%s' PIVAULT_USER=admin PIVAULT_PASSWORD_FILE='%s'",
		 g_vault, g_pw);
	assert_int_equal(cli(&out, &err, aenv, "user add new9 --roles dpo --password-file '%s'",
			     pw), 2);
	assert_non_null(strstr(err, "password-file"));
	free(out);
	free(err);
	approved_add(aenv, "new9", "dpo", &fa, &fb);
	assert_int_not_equal(cli(&out, &err, "", "user enrol new9 --vault '%s' --first-half-file "
				 "'%s' --second-half-file '%s' --password-file '%s'", g_vault, fb,
				 fb, pw), 0);
	free(out);
	free(err);
	char env[8192];
	snprintf(env, sizeof env, "PIVAULT_VAULT='%s' PIVAULT_USER=new9 PIVAULT_PASSWORD_FILE='%s'",
		 g_vault, pw);
	assert_int_not_equal(cli(&out, &err, env, "requests"), 0); /* opens nothing yet */
	free(out);
	free(err);
	/* with both halves, the new user sets a password of their own */
	assert_int_equal(cli(NULL, NULL, "", "user enrol new9 --vault '%s' --first-half-file '%s' "
			     "--second-half-file '%s' --password-file '%s'", g_vault, fa, fb, pw),
			 0);
	assert_int_equal(cli(&out, &err, env, "requests"), 0);
	free(out);
	free(err);
	free(fa);
	free(fb);
	free(pw);
	free(aenv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_get_clear_and_masked),
		cmocka_unit_test(test_roles_on_the_command_line),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_list_pages),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_reads_need_a_purpose),
		cmocka_unit_test(test_init_needs_admin_password),
		cmocka_unit_test(test_user_reads_with_own_password),
		cmocka_unit_test(test_schema_check),
		cmocka_unit_test(test_import_json),
		cmocka_unit_test(test_bad_csv_names_line_not_value),
		cmocka_unit_test(test_output_files_are_new_and_private),
		cmocka_unit_test(test_release_kdf_floor),
		cmocka_unit_test(test_disable_says_rotation_needed),
		cmocka_unit_test(test_admin_cannot_set_dpo_password),
		cmocka_unit_test(test_runner_cannot_choose_new_password),
	};
	return cmocka_run_group_tests_name("cli", tests, group_setup, group_teardown);
}
