/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_client_twins.c: the command's API twins beyond reading (PIVAULT_SERVER), run as
 * a clerk's or an administrator's machine would run them against a server started here:
 * each twin's real effect read back from the vault with the root key (the record changed,
 * the consent and the hold recorded), its output the same as the same command's on the
 * vault itself (table and --json), a wrong role refused with the local command's message
 * and exit status and nothing changed, malformed arguments refused before anything is
 * sent; the vault and key paths the environment names never touched. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"
#include "server.h"
#include "cli_client.h"

static const char PW[] = "twins-password-1";

/* ---- Reading the effect back with the root key ----------------------------------------- */

static pv_vault *root_open(void)
{
	return pvt_open_root(pvtc.f.dir, NULL, pvtc.f.key_path);
}

/* The clear value of field name of customer id (malloc'd; NULL when not shown). */
static char *field_of(const char *id, const char *name)
{
	pv_vault *root = root_open();
	pv_access admin = { "admin", "all", PV_WANT_CLEAR };
	pv_record *r = NULL;
	assert_ok(root, pv_get(root, &admin, id, &r));
	char *value = NULL;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), name) == 0 && pv_record_field_value(r, i))
			value = strdup(pv_record_field_value(r, i));
	pv_record_free(r);
	pvt_vclose(root);
	return value;
}

/* The consent events of a customer, "purpose:granted:channel" joined by ';'. */
static int consent_one(void *ctx, const pv_consent_event *e)
{
	char *buf = ctx;
	size_t n = strlen(buf);
	snprintf(buf + n, 1024 - n, "%s:%d:%s;", e->purpose, e->granted == PV_CONSENT_GRANTED,
		 e->channel);
	return 0;
}

static void consent_events(const char *id, char out[1024])
{
	pv_vault *root = root_open();
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	out[0] = '\0';
	assert_ok(root, pv_consent_history(root, &admin, id, consent_one, out));
	pvt_vclose(root);
}

/* Whether customer id is under a hold in force. */
struct held {
	const char *id;
	int in_force;
};

static int hold_one(void *ctx, const pv_hold_info *h)
{
	struct held *q = ctx;
	if (strcmp(h->customer, q->id) == 0)
		q->in_force = !*h->released;
	return 0;
}

static int held(const char *id)
{
	pv_vault *root = root_open();
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	struct held q = { id, 0 };
	assert_ok(root, pv_hold_list(root, &admin, hold_one, &q));
	pvt_vclose(root);
	return q.in_force;
}

/* ---- The vault and the server --------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	pvtc_up(&(struct pvts_spec){ .customers = 8, .seed = 13, .password = PW,
				     .max_body = 1 << 20 });
	return 0;
}

/* ---- 1. list, update, consent, holds ------------------------------------------------- */

/* The list page by page as the vault's own command prints it (table, --json, --after, the
 * "more:" line, --clear for a clerk); usage errors alike. */
static void test_list(void **state)
{
	(void)state;
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "list --purpose service");
	pvtc_same_as_local("clerk1", "list --purpose service --limit 3");
	pvtc_same_as_local("clerk1", "list --purpose service --limit 3 --after C00000003 --json");
	pvtc_same_as_local("clerk1", "list --purpose service --clear --limit 2");
	pvtc_same_as_local("clerk1", "list --purpose billing");	      /* denied */
	pvtc_same_as_local("clerk1", "list --purpose service --limit 0"); /* usage: 2 */
	pvtc_login("aud");
	pvtc_same_as_local("aud", "list --purpose all --json");
	pvtc_trap_untouched();
}

/* Several fields changed together through the server (read back with the root key); a
 * wrong value changes none; a clerk without 'update' refused as locally, nothing changed;
 * FIELD without =VALUE refused before anything is sent. */
static void test_update(void **state)
{
	(void)state;
	pvtc_login("adm");
	char *out = NULL, *before = field_of("C00000002", "name");
	pvtc_remote(0, &out, NULL, "update C00000002 name='Wen Twin' email=twin@example.com "
	       "--purpose all");
	assert_non_null(strstr(out, "updated C00000002: name\nupdated C00000002: email\n"));
	free(out);
	char *name = field_of("C00000002", "name"), *email = field_of("C00000002", "email");
	assert_string_equal(name, "Wen Twin");
	assert_string_equal(email, "twin@example.com");
	free(name);
	free(email);
	pvtc_same_as_local("adm", "update C00000002 name=Other email=not-an-email --purpose all");
	name = field_of("C00000002", "name");
	assert_string_equal(name, "Wen Twin"); /* all or nothing */
	free(name);
	pvtc_same_as_local("adm", "update C00000002 name");	   /* usage: 2 */
	pvtc_same_as_local("adm", "update C09999999 name=X --purpose all"); /* not found */
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "update C00000003 name=Clerk --purpose service");
	name = field_of("C00000003", "name");
	assert_string_not_equal(name, "Clerk");
	free(name);
	free(before);
	pvtc_trap_untouched();
}

/* Consent given and withdrawn through the server (recorded in the vault), its history
 * printed as locally (table and --json); a clerk refused alike; a missing --channel
 * refused before anything is sent. */
static void test_consent(void **state)
{
	(void)state;
	pvtc_login("adm");
	char *out = NULL, events[1024];
	pvtc_remote(0, &out, NULL, "consent grant C00000004 --purpose marketing --channel web "
	       "--text-version v3");
	assert_string_equal(out, "consent of C00000004 for marketing given\n");
	free(out);
	pvtc_remote(0, NULL, NULL, "consent withdraw C00000004 --purpose marketing --channel phone");
	consent_events("C00000004", events);
	assert_non_null(strstr(events, "marketing:1:web;marketing:0:phone;"));
	pvtc_same_as_local("adm", "consent show C00000004");
	pvtc_same_as_local("adm", "consent show C00000004 --json");
	pvtc_same_as_local("adm", "consent show C09999999");
	pvtc_same_as_local("adm", "consent grant C00000004 --purpose marketing"); /* usage */
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "consent grant C00000005 --purpose marketing --channel web");
	pvtc_same_as_local("clerk1", "consent show C00000004");
	consent_events("C00000005", events);
	assert_null(strstr(events, "marketing:1:web"));
	pvtc_trap_untouched();
}

/* Holds placed and released through the server (in force, then not, in the vault), the
 * list printed as locally; a clerk refused alike, nothing held; a hold without a reason
 * refused before anything is sent. */
static void test_holds(void **state)
{
	(void)state;
	pvtc_login("adm");
	char *out = NULL;
	pvtc_remote(0, &out, NULL, "hold add C00000006 C00000007 --reason 'a regulator asked'");
	assert_string_equal(out, "held 2 customers\n");
	free(out);
	assert_true(held("C00000006"));
	assert_true(held("C00000007"));
	pvtc_same_as_local("adm", "hold list");
	pvtc_same_as_local("adm", "hold list --json");
	pvtc_remote(0, &out, NULL, "hold release C00000007 --reason settled");
	assert_string_equal(out, "released 1 customer\n");
	free(out);
	assert_true(held("C00000006"));
	assert_false(held("C00000007"));
	pvtc_same_as_local("adm", "hold list");
	pvtc_same_as_local("adm", "hold add C00000008");	       /* no reason: usage */
	pvtc_same_as_local("adm", "hold release C09999999"); /* not held */
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "hold add C00000008 --reason mine");
	pvtc_same_as_local("clerk1", "hold list");
	assert_false(held("C00000008"));
	pvtc_trap_untouched();
}

/* ---- 2. export and import ------------------------------------------------------------ */

/* The names in dir that start with prefix (a temporary file left behind, for one). */
static size_t files_named(const char *dir, const char *prefix)
{
	char *out = NULL;
	assert_int_equal(pvt_run(&out, "ls -a '%s'", dir), 0);
	size_t n = 0;
	for (char *p = out; (p = strstr(p, prefix)); p++)
		n += p == out || p[-1] == '\n';
	free(out);
	return n;
}

/* Lines of a text (its rows, a CSV header included). */
static size_t lines_of(const char *text)
{
	size_t n = 0;
	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* The export streamed to standard output exactly as the vault's own command writes it
 * (CSV and JSON Lines); to -o FILE: a new 0600 file holding every customer, and no
 * temporary file beside it; an existing FILE never written over; clear values never to a
 * file; a role without 'export' refused alike, nothing left behind. */
static void test_export(void **state)
{
	(void)state;
	pvtc_login("adm");
	pvtc_same_as_local("adm", "export --purpose billing");
	pvtc_same_as_local("adm", "export --purpose all --format jsonl");
	pvtc_same_as_local("adm", "export --format xml"); /* usage */
	char *file = pvt_path(pvtc.f.tmp, "out.csv"), *err = NULL;
	char args[4096];
	snprintf(args, sizeof args, "export --purpose all -o '%s'", file);
	pvtc_remote(0, NULL, NULL, args);
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	char *text = pvt_read_file(file, NULL);
	assert_int_equal(lines_of(text), 1 + 8); /* the header and every customer */
	assert_non_null(strstr(text, "C00000008,"));
	assert_int_equal(files_named(pvtc.f.tmp, "out.csv.partial"), 0);
	pvtc_remote(1, NULL, &err, args); /* there already: never written over */
	assert_non_null(strstr(err, "something is there already"));
	free(err);
	char *again = pvt_read_file(file, NULL);
	assert_string_equal(again, text);
	free(again);
	free(text);
	unlink(file);
	snprintf(args, sizeof args, "export --purpose all --clear -o '%s'", file);
	pvtc_same_as_local("adm", args); /* clear values never straight to a file: usage */
	assert_int_not_equal(access(file, F_OK), 0);
	pvtc_login("clerk1");
	snprintf(args, sizeof args, "export --purpose service -o '%s'", file);
	pvtc_same_as_local("clerk1", args);
	assert_int_not_equal(access(file, F_OK), 0);
	assert_int_equal(files_named(pvtc.f.tmp, "out.csv.partial"), 0);
	free(file);
	pvtc_trap_untouched();
}

/* An export in clear through the server: asked for (the request's id printed as locally),
 * approved by another administrator, then run with --request: the values in clear. */
static void test_export_clear_four_eyes(void **state)
{
	(void)state;
	pvtc_login("adm");
	char *out = NULL, id[64], args[256];
	pvtc_remote(0, &out, NULL, "export --purpose billing --clear");
	assert_int_equal(sscanf(out, "request %63s recorded", id), 1);
	assert_null(strstr(out, pvt_csv_get(&pvtc.f.csv, 1, "id_number")));
	free(out);
	pvtc_login("adm2");
	snprintf(args, sizeof args, "approve %s", id);
	pvtc_remote(0, NULL, NULL, args);
	pvtc_login("adm");
	snprintf(args, sizeof args, "export --purpose billing --clear --request %s", id);
	pvtc_remote(0, &out, NULL, args);
	assert_non_null(strstr(out, pvt_csv_get(&pvtc.f.csv, 1, "id_number")));
	free(out);
}

/* The export cut short on the client's side (its file may grow no larger than one block,
 * as on a full disk): exit 1 with the reason, and neither the file nor a temporary file
 * beside it left behind. */
static void test_export_cut_short(void **state)
{
	(void)state;
	pvtc_login("adm");
	char *out = NULL, *err = NULL, *file = pvt_path(pvtc.f.tmp, "cut.jsonl");
	char *limit = pvt_path(pvtc.f.tmp, "limit.sh"), env[8192], args[4096];
	pvtc_remote(0, &out, NULL, "export --purpose all --format jsonl");
	assert_true(strlen(out) > 2048); /* larger than the limit below */
	free(out);
	const char script[] = "#!/bin/sh\ntrap '' XFSZ\nulimit -f 1\nexec \"$@\"\n";
	assert_int_equal(pvt_write_file(limit, script, strlen(script)), 0);
	snprintf(env, sizeof env, "%s sh '%s'", pvtc_server_env(), limit);
	snprintf(args, sizeof args, "export --purpose all --format jsonl -o '%s'", file);
	assert_int_equal(pvtc_cli(NULL, &err, env, "%s", args), 1);
	assert_non_null(strstr(err, "cannot write the export"));
	free(err);
	assert_int_not_equal(access(file, F_OK), 0);
	assert_int_equal(files_named(pvtc.f.tmp, "cut.jsonl"), 0);
	free(file);
	free(limit);
}

/* A CSV of n new customers (ids N0000000k): pvgen's rows under other ids. */
static char *new_customers_csv(unsigned n)
{
	char *made = NULL;
	assert_int_equal(pvt_run(&made, "'%s' -n %u --seed 99 --canonical", pvt_program("pvgen"),
				 n), 0);
	char *csv = strdup(made); /* a copy of its own (what pvt_run filled in stays there) */
	free(made);
	assert_non_null(csv);
	for (size_t i = 0; csv[i] && csv[i + 1] && csv[i + 2]; i++)
		if (csv[i] == '\n' && csv[i + 1] == 'C' && csv[i + 2] == '0')
			csv[i + 1] = 'N';
	return csv;
}

/* Whether customer id is in the vault. */
static int exists(const char *id)
{
	pv_vault *root = root_open();
	pv_access admin = { "admin", "all", PV_WANT_MASKED };
	pv_record *r = NULL;
	pv_rc rc = pv_get(root, &admin, id, &r);
	pv_record_free(r);
	pvt_vclose(root);
	assert_true(rc == PV_OK || rc == PV_ERR_NOT_FOUND);
	return rc == PV_OK;
}

/* A CSV uploaded as it is read: the customers are in the vault, the summary printed as
 * locally (and as JSON); a malformed CSV (a bad phone in the middle, a quote never
 * closed) imports nothing, its problems named by line and column as the local command
 * names them, never the value; a clerk refused alike; --reject-file refused (the server
 * writes no file). */
static void test_import(void **state)
{
	(void)state;
	pvtc_login("adm");
	char *csv = new_customers_csv(3), *file = pvt_path(pvtc.f.tmp, "new.csv"), args[4096];
	char *out = NULL, *err = NULL;
	assert_int_equal(pvt_write_file(file, csv, strlen(csv)), 0);
	snprintf(args, sizeof args, "import '%s' --purpose all", file);
	pvtc_remote(0, &out, NULL, args);
	assert_non_null(strstr(out, "imported 3 of 3 rows in "));
	free(out);
	assert_true(exists("N00000001") && exists("N00000002") && exists("N00000003"));
	char *bad = strstr(csv, "\nN00000002,"), *phone = strstr(bad, ",+86") + 1;
	memcpy(phone, "12345-secret", 12);
	for (char *p = csv; (p = strstr(p, "\nN0")); p++)
		p[1] = 'M';
	unlink(file);
	assert_int_equal(pvt_write_file(file, csv, strlen(csv)), 0);
	char *lerr = NULL;
	int lst = pvtc_cli(NULL, &lerr, pvtc_local_env("adm"), "%s", args);
	pvtc_remote(lst, &out, &err, args);
	assert_string_equal(err, lerr); /* line 3, column phone; the same message */
	assert_non_null(strstr(err, "line 3, column phone: "));
	assert_null(strstr(err, "12345-secret"));
	assert_null(strstr(out, "12345-secret"));
	assert_non_null(strstr(out, "imported none 0 of 3 rows"));
	assert_false(exists("M00000001") || exists("M00000003"));
	free(out);
	free(err);
	free(lerr);
	free(csv);
	free(file);
	pvtc_trap_untouched();
}

/* A quote never closed, --json, a clerk, and the options that name local files. */
static void test_import_refusals(void **state)
{
	(void)state;
	pvtc_login("adm");
	char *csv = new_customers_csv(2), *file = pvt_path(pvtc.f.tmp, "more.csv"), args[4096];
	char *out = NULL, *err = NULL;
	for (char *p = csv; (p = strstr(p, "\nN0")); p++)
		p[1] = 'Q';
	char *quote = strstr(strstr(csv, "\nQ00000002,"), ",+86") + 1;
	*quote = '"'; /* the phone's field opens a quote that is never closed */
	assert_int_equal(pvt_write_file(file, csv, strlen(csv)), 0);
	snprintf(args, sizeof args, "import '%s' --purpose all", file);
	pvtc_remote(1, NULL, &err, args);
	assert_non_null(strstr(err, "line "));
	free(err);
	assert_false(exists("Q00000001"));
	snprintf(args, sizeof args, "import '%s' --purpose all --json", file);
	pvtc_remote(1, &out, NULL, args);
	json_t *summary = json_loads(out, 0, NULL);
	assert_non_null(summary);
	json_decref(summary);
	free(out);
	assert_false(exists("Q00000001")); /* nothing kept */
	snprintf(args, sizeof args, "import '%s' --purpose all --reject-file rej.csv", file);
	pvtc_remote(2, NULL, &err, args);
	assert_non_null(strstr(err, "not available through a server"));
	free(err);
	assert_int_not_equal(access("rej.csv", F_OK), 0);
	pvtc_login("clerk1");
	snprintf(args, sizeof args, "import '%s' --purpose service", file);
	pvtc_same_as_local("clerk1", args);
	assert_false(exists("Q00000001"));
	free(csv);
	free(file);
	pvtc_trap_untouched();
}

/* ---- 3. data-subject requests, retention, users ------------------------------------- */

/* The state and outcome of data-subject request id as the vault keeps it. */
struct dsr_state {
	const char *id;
	char state[32], outcome[256];
};

static int dsr_one(void *ctx, const pv_dsr_info *d)
{
	struct dsr_state *q = ctx;
	if (strcmp(d->id, q->id) == 0) {
		snprintf(q->state, sizeof q->state, "%s", d->state);
		snprintf(q->outcome, sizeof q->outcome, "%s", d->outcome);
	}
	return 0;
}

static struct dsr_state dsr_of(const char *id)
{
	pv_vault *root = root_open();
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	struct dsr_state q = { id, "", "" };
	assert_ok(root, pv_dsr_list(root, &admin, PV_DSR_ALL, dsr_one, &q));
	pvt_vclose(root);
	return q;
}

/* `dsr open` through the server: the request's id (malloc'd). */
static char *dsr_open(const char *customer, const char *type)
{
	char *out = NULL, id[64], args[256];
	snprintf(args, sizeof args, "dsr open --customer %s --type %s", customer, type);
	pvtc_remote(0, &out, NULL, args);
	assert_int_equal(sscanf(out, "opened %63s", id), 1);
	free(out);
	return strdup(id);
}

/* What a command under four eyes asks for: its request's id (malloc'd), approved by
 * approver. */
static char *asked_and_approved(const char *args, const char *approver)
{
	char *out = NULL, id[64], line[128];
	pvtc_remote(0, &out, NULL, args);
	if (sscanf(out, "request %63s recorded", id) != 1)
		fail_msg("pivault %s: no request asked for [%s]", args, out);
	free(out);
	pvtc_login(approver);
	snprintf(line, sizeof line, "approve %s", id);
	pvtc_remote(0, NULL, NULL, line);
	return strdup(id);
}

/* Requests opened, answered and closed through the server (each state read back from the
 * vault); a correction changes the record; the access report as the library renders it
 * locally; a deletion asked for, approved, then run: the customer is gone and the
 * certificate printed; a clerk refused alike. */
static void test_dsr(void **state)
{
	(void)state;
	pvtc_login("adm");
	char *access = dsr_open("C00000001", "access"), *fix = dsr_open("C00000002", "correct");
	char *limit = dsr_open("C00000003", "restrict"), *erase = dsr_open("C00000005", "delete");
	assert_string_equal(dsr_of(access).state, "open");
	char args[256], *out = NULL;
	snprintf(args, sizeof args, "dsr report %s", access); /* as the library renders it */
	pvtc_remote(0, &out, NULL, args);
	json_t *report = json_loads(out, 0, NULL);
	assert_non_null(report);
	assert_string_equal(json_string_value(json_object_get(report, "customer")), "C00000001");
	assert_string_equal(json_string_value(json_object_get(report, "request")), access);
	json_decref(report);
	free(out);
	snprintf(args, sizeof args, "dsr report %s --html", access);
	pvtc_remote(0, &out, NULL, args);
	assert_non_null(strstr(out, "<html"));
	free(out);
	snprintf(args, sizeof args, "dsr close %s --outcome 'report sent'", access);
	pvtc_remote(0, NULL, NULL, args);
	assert_string_equal(dsr_of(access).state, "closed");
	assert_string_equal(dsr_of(access).outcome, "report sent");
	snprintf(args, sizeof args, "dsr correct %s name='Fixed Name'", fix);
	pvtc_remote(0, &out, NULL, args);
	assert_non_null(strstr(out, "1 field corrected, request closed"));
	free(out);
	char *name = field_of("C00000002", "name");
	assert_string_equal(name, "Fixed Name");
	free(name);
	snprintf(args, sizeof args, "dsr restrict %s", limit);
	pvtc_remote(0, NULL, NULL, args);
	assert_string_equal(dsr_of(limit).state, "closed");
	pvtc_same_as_local("adm", "get C00000003 --purpose service"); /* restricted alike */
	pvtc_remote(0, &out, NULL, "dsr lift C00000003 --restriction");
	assert_string_equal(out, "restriction of C00000003 lifted\n");
	free(out);
	pvtc_same_as_local("adm", "dsr list");
	pvtc_same_as_local("adm", "dsr lift C00000003"); /* usage */
	snprintf(args, sizeof args, "dsr delete %s", erase);
	char *rid = asked_and_approved(args, "adm2");
	assert_true(exists("C00000005"));
	pvtc_login("adm");
	snprintf(args, sizeof args, "dsr delete %s --request %s", erase, rid);
	pvtc_remote(0, &out, NULL, args);
	assert_non_null(strstr(out, "\"signature\""));
	assert_non_null(strstr(out, "customer shredded, request closed"));
	free(out);
	assert_false(exists("C00000005"));
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "dsr open --customer C00000004 --type access");
	free(access);
	free(fix);
	free(limit);
	free(erase);
	free(rid);
	pvtc_trap_untouched();
}

/* The retention plan as locally (table and --json); a clerk refused alike. */
static void test_retention_plan(void **state)
{
	(void)state;
	pvtc_login("adm");
	pvtc_same_as_local("adm", "retention plan --as-of 2040-01-01");
	pvtc_same_as_local("adm", "retention plan --as-of 2040-01-01 --json");
	pvtc_same_as_local("adm", "retention plan --as-of not-a-date");
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "retention plan");
}

/* The users listed as locally; obligations attested (read back); a user added under four
 * eyes (asked, approved, run: the requester's half printed, the user waiting) and then
 * disabled (read back); a clerk refused alike. */
struct user_state {
	const char *name;
	int found, disabled, waiting;
	char training[16];
};

static int user_one(void *ctx, const pv_user_info *u)
{
	struct user_state *q = ctx;
	if (strcmp(u->name, q->name) == 0) {
		q->found = 1;
		q->disabled = u->disabled;
		q->waiting = u->waiting;
		snprintf(q->training, sizeof q->training, "%s", u->training);
	}
	return 0;
}

static struct user_state user_of(const char *name)
{
	pv_vault *root = root_open();
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	struct user_state q = { name, 0, 0, 0, "" };
	assert_ok(root, pv_user_list(root, &admin, PV_USERS_ALL, user_one, &q));
	pvt_vclose(root);
	return q;
}

static void test_users(void **state)
{
	(void)state;
	pvtc_login("adm");
	pvtc_same_as_local("adm", "user list");
	pvtc_same_as_local("adm", "user list --json");
	pvtc_same_as_local("adm", "user list --gaps");
	char *out = NULL;
	pvtc_remote(0, &out, NULL, "user attest aud --training 2026-01-15");
	assert_string_equal(out, "recorded obligations of aud\n");
	free(out);
	assert_string_equal(user_of("aud").training, "2026-01-15");
	pvtc_same_as_local("adm", "user attest aud"); /* usage */
	char *rid = asked_and_approved("user add newbie --roles clerk", "adm2");
	assert_false(user_of("newbie").found);
	pvtc_login("adm");
	char args[256];
	snprintf(args, sizeof args, "user add newbie --roles clerk --request %s", rid);
	pvtc_remote(0, &out, NULL, args);
	assert_non_null(strstr(out, "added user newbie: waiting for enrolment"));
	assert_non_null(strstr(out, "enrolment code, second half"));
	free(out);
	assert_true(user_of("newbie").waiting);
	pvtc_remote(0, &out, NULL, "user disable newbie");
	assert_non_null(strstr(out, "disabled user newbie"));
	free(out);
	assert_true(user_of("newbie").disabled);
	pvtc_same_as_local("adm", "user list");
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "user list");
	pvtc_same_as_local("clerk1", "user disable aud");
	assert_false(user_of("aud").disabled);
	free(rid);
	pvtc_trap_untouched();
}

/* The plan's count of customers to shred as of date (through the server, --json). */
static unsigned long long due_to_shred(const char *date)
{
	char *out = NULL, args[128];
	snprintf(args, sizeof args, "retention plan --as-of %s --json", date);
	pvtc_remote(0, &out, NULL, args);
	char *last = strstr(out, "{\"summary\":");
	assert_non_null(last);
	json_t *s = json_loads(last, 0, NULL);
	assert_non_null(s);
	unsigned long long n = (unsigned long long)json_integer_value(
		json_object_get(json_object_get(s, "summary"), "shred"));
	json_decref(s);
	free(out);
	return n;
}

/* Retention carried out through the server (last: it shreds): asked for, approved, run
 * with --request; what it shredded is no longer due, its certificates printed. */
static void test_retention_apply(void **state)
{
	(void)state;
	pvtc_login("adm");
	const char *date = "2040-01-01";
	unsigned long long before = due_to_shred(date);
	char args[256], *out = NULL, *err = NULL;
	snprintf(args, sizeof args, "retention apply --as-of %s", date);
	char *rid = asked_and_approved(args, "adm2");
	pvtc_login("adm");
	snprintf(args, sizeof args, "retention apply --as-of %s --request %s", date, rid);
	pvtc_remote(0, &out, &err, args);
	unsigned long long shredded = 0;
	assert_int_equal(sscanf(err, "retention: %llu customers shredded", &shredded), 1);
	assert_true(shredded > 0 && shredded <= before);
	assert_int_equal(due_to_shred(date), before - shredded);
	assert_non_null(strstr(out, "\"signature\""));
	free(out);
	free(err);
	free(rid);
}

/* ---- 4. the compliance report ---------------------------------------------------------- */

/* The report through the server, rendered by the library as locally: the text summary
 * (made by the session's user), --json (its findings), --html FILE (a new file, and the
 * line on standard error); a clerk refused alike; --html with --json refused. */
static void test_report(void **state)
{
	(void)state;
	pvtc_login("aud");
	char *out = NULL, *err = NULL, args[4096], *file = pvt_path(pvtc.f.tmp, "report.html");
	pvtc_remote(0, &out, NULL, "report");
	assert_non_null(strstr(out, "Compliance audit report (PIPL art. 54): vault "));
	assert_non_null(strstr(out, " by aud\n\nFindings ("));
	free(out);
	pvtc_remote(0, &out, NULL, "report --json --as-of 2026-06-30");
	json_t *doc = json_loads(out, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "as_of")), "2026-06-30");
	assert_true(json_is_array(json_object_get(doc, "findings")));
	json_decref(doc);
	free(out);
	snprintf(args, sizeof args, "report --html '%s'", file);
	pvtc_remote(0, NULL, &err, args);
	assert_non_null(strstr(err, "compliance report written to"));
	free(err);
	char *page = pvt_read_file(file, NULL);
	assert_non_null(strstr(page, "<html"));
	free(page);
	pvtc_remote(1, NULL, NULL, args); /* never over an existing file */
	pvtc_same_as_local("aud", "report --json --html x.html");
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "report --json");
	free(file);
	pvtc_trap_untouched();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_consent),
		cmocka_unit_test(test_holds),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_export_clear_four_eyes),
		cmocka_unit_test(test_export_cut_short),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_import_refusals),
		cmocka_unit_test(test_dsr),
		cmocka_unit_test(test_retention_plan),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_retention_apply),
	};
	return cmocka_run_group_tests(tests, group_setup, pvtc_group_teardown);
}
