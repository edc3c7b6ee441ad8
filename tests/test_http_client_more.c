/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_client_more.c: the command's remaining API twins (PIVAULT_SERVER), run against a
 * server started here over HTTPS with its certificate pinned, each compared with the same
 * command run on the vault itself (standard output, message and exit status, table and
 * --json): the audit log's checkpoints and proofs (a proof made through the server checked
 * by the local `audit check-proof` without the vault; `audit verify --checkpoint` with a
 * checkpoint kept, one forged and one that is none), `user enrol` and `user passwd`, `scan`
 * of a file and of the vault, breach incidents through their life (notices and report
 * written by the client), the export's sealed omissions, and the wind-down (under four
 * eyes, the keeper's archive fetched); a role without the permission refused through the
 * server with the local command's exit status and a message that holds no value; the
 * vault and key paths the client's environment names never touched. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pivault.h"
#include "cli_client.h"

static const char PW[] = "more-twins-password-1";

static int group_setup(void **state)
{
	(void)state;
	pvtc_up(&(struct pvts_spec){ .customers = 8, .seed = 21, .password = PW,
				     .max_body = 1 << 20, .tls = 1 });
	return 0;
}

/* A path in the fixture's folder (malloc'd). */
static char *file_in(const char *name)
{
	return pvt_path(pvtc.f.tmp, name);
}

/* `pivault ARGS` on the vault itself as user: its status st asserted, stdout returned. */
static char *local(const char *user, int st, const char *args)
{
	char *out = NULL, *err = NULL;
	int got = pvtc_cli(&out, &err, pvtc_local_env(user), "%s", args);
	if (got != st)
		fail_msg("pivault %s on the vault as %s: %d, not %d [%s] [%s]", args, user, got, st,
			 out, err);
	free(err);
	return out;
}

/* Numbers in text made '#' (the log's size grows with each command). */
static void numbers_out(char *text)
{
	char *to = text;
	for (const char *p = text; *p; p++)
		if (*p < '0' || *p > '9')
			*to++ = *p;
		else if (to == text || to[-1] != '#')
			*to++ = '#';
	*to = '\0';
}

/* args run locally as user and through the server: the same exit status, and the same
 * output and message but for their numbers. */
static void same_as_local_but_numbers(const char *user, const char *args)
{
	char *lout = NULL, *lerr = NULL, *rout = NULL, *rerr = NULL;
	int lst = pvtc_cli(&lout, &lerr, pvtc_local_env(user), "%s", args);
	int rst = pvtc_cli(&rout, &rerr, pvtc_server_env(), "%s", args);
	numbers_out(lout);
	numbers_out(rout);
	numbers_out(lerr);
	numbers_out(rerr);
	if (lst != rst || strcmp(lout, rout) != 0 || strcmp(lerr, rerr) != 0)
		fail_msg("pivault %s as %s: local %d [%s] [%s], server %d [%s] [%s]", args, user,
			 lst, lout, lerr, rst, rout, rerr);
	free(lout);
	free(lerr);
	free(rout);
	free(rerr);
}

/* ---- 1. The audit log's checkpoints and proofs ---------------------------------------- */

/* The vault's public key as `pivault pubkey` prints it (malloc'd, no newline). */
static char *public_key(void)
{
	char *key = local("adm", 0, "pubkey --role admin");
	key[strcspn(key, "\n")] = '\0';
	return key;
}

/* `audit check-proof` on the client's machine, without the vault: its exit status, stdout. */
static int check_proof(char **out, const char *proof, const char *ck, const char *old)
{
	char *key = public_key(), args[8192];
	snprintf(args, sizeof args, "audit check-proof '%s' --checkpoint '%s'%s%s%s "
		 "--public-key %s", proof, ck, old ? " --old-checkpoint '" : "", old ? old : "",
		 old ? "'" : "", key);
	free(key);
	return pvtc_cli(out, NULL, pvtc_server_env(), "%s", args);
}

/* A checkpoint made through the server into file name (its path, malloc'd). */
static char *checkpoint_through_server(const char *name)
{
	char *path = file_in(name), args[4096];
	snprintf(args, sizeof args, "audit checkpoint -o '%s'", path);
	pvtc_remote(0, NULL, NULL, args);
	char *text = pvt_read_file(path, NULL);
	assert_non_null(strstr(text, "pivault-audit-checkpoint v1"));
	free(text);
	return path;
}

/* Checkpoints made and listed through the server as locally (table, --json, a page and its
 * "more:" line, a bad --after); an inclusion proof and a consistency proof made through
 * the server, written to a file, are valid for `audit check-proof` against the vault's key
 * without the vault, and printed as the local command prints them. */
static void test_audit_proofs(void **state)
{
	(void)state;
	pvtc_login("aud");
	char *ck1 = checkpoint_through_server("ck1.txt"), *out = NULL, args[8192];
	pvtc_same_as_local("aud", "get C00000001 --purpose all"); /* the log grows */
	char *ck2 = checkpoint_through_server("ck2.txt");
	pvtc_same_as_local("aud", "audit checkpoints");
	pvtc_same_as_local("aud", "audit checkpoints --json");
	pvtc_same_as_local("aud", "audit checkpoints --limit 1");
	pvtc_same_as_local("aud", "audit checkpoints --after x"); /* usage: 2 */
	pvtc_same_as_local("aud", "audit prove 3");
	pvtc_same_as_local("aud", "audit prove three");	  /* usage */
	pvtc_same_as_local("aud", "audit prove 99999999"); /* beyond the checkpoint */
	char *proof = file_in("inclusion.txt"), *cons = file_in("consistency.txt");
	snprintf(args, sizeof args, "audit prove 3 -o '%s'", proof);
	pvtc_remote(0, NULL, NULL, args);
	assert_int_equal(check_proof(&out, proof, ck2, NULL), 0);
	assert_non_null(strstr(out, "valid: "));
	free(out);
	snprintf(args, sizeof args, "audit consistency '%s'", ck1);
	pvtc_same_as_local("aud", args);
	snprintf(args, sizeof args, "audit consistency '%s' -o '%s'", ck1, cons);
	pvtc_remote(0, NULL, NULL, args);
	assert_int_equal(check_proof(&out, cons, ck2, ck1), 0);
	assert_non_null(strstr(out, "valid: "));
	free(out);
	pvtc_remote(1, NULL, NULL, args); /* never over the file written */
	free(ck1);
	free(ck2);
	free(proof);
	free(cons);
	pvtc_trap_untouched();
}

/* `audit verify --checkpoint` through the server as locally: a checkpoint kept proves the
 * log still holds what it signed; one forged (its root changed) and one that is not a
 * checkpoint are refused alike. */
static void test_audit_verify_checkpoint(void **state)
{
	(void)state;
	pvtc_login("aud");
	char *ck = checkpoint_through_server("kept.txt"), *forged = file_in("forged.txt");
	char *junk = file_in("junk.txt"), args[8192];
	pvtc_same_as_local("aud", "get C00000002 --purpose all");
	snprintf(args, sizeof args, "audit verify --checkpoint '%s'", ck);
	same_as_local_but_numbers("aud", args);
	char *text = pvt_read_file(ck, NULL), *root = strstr(text, "\nroot ");
	assert_non_null(root);
	root[6] = root[6] == 'a' ? 'b' : 'a';
	assert_int_equal(pvt_write_file(forged, text, strlen(text)), 0);
	snprintf(args, sizeof args, "audit verify --checkpoint '%s'", forged);
	same_as_local_but_numbers("aud", args);
	assert_int_equal(pvt_write_file(junk, "not a checkpoint\n", 17), 0);
	snprintf(args, sizeof args, "audit verify --checkpoint '%s'", junk);
	same_as_local_but_numbers("aud", args);
	free(text);
	free(ck);
	free(forged);
	free(junk);
}

/* A clerk (no 'audit') refused through the server as on the vault, the message naming no
 * value. */
static void test_audit_refused(void **state)
{
	(void)state;
	pvtc_login("clerk1");
	char *ck = file_in("ck1.txt"), args[8192], *err = NULL;
	pvtc_same_as_local("clerk1", "audit checkpoints");
	pvtc_same_as_local("clerk1", "audit prove 1");
	snprintf(args, sizeof args, "audit consistency '%s'", ck);
	pvtc_same_as_local("clerk1", args);
	snprintf(args, sizeof args, "audit verify --checkpoint '%s'", ck);
	pvtc_same_as_local("clerk1", args);
	pvtc_remote(1, NULL, &err, "audit checkpoint");
	assert_null(strstr(err, "root"));
	free(err);
	free(ck);
}

/* ---- 2. Enrolling and one's own password ------------------------------------------- */

/* The text after the last ":\n  " of out, to its line's end, into a new file path. */
static void half_to_file(const char *out, const char *path)
{
	const char *p = NULL;
	for (const char *q = out; (q = strstr(q, ":\n  ")); q++)
		p = q + 4;
	if (!p)
		fail_msg("no enrolment code's half in [%s]", out);
	assert_int_equal(pvt_write_file(path, p, strcspn(p, "\n")), 0);
}

/* A user added under four eyes through the server (adm asks, adm2 approves, adm runs it):
 * the code's halves the approver and the requester are shown, written to first, second. */
static void user_added(const char *name, const char *first, const char *second)
{
	char *out = NULL, id[64], args[256];
	pvtc_login("adm");
	snprintf(args, sizeof args, "user add %s --roles clerk", name);
	pvtc_remote(0, &out, NULL, args);
	assert_int_equal(sscanf(out, "request %63s recorded", id), 1);
	free(out);
	pvtc_login("adm2");
	snprintf(args, sizeof args, "approve %s", id);
	pvtc_remote(0, &out, NULL, args);
	half_to_file(out, first);
	free(out);
	pvtc_login("adm");
	snprintf(args, sizeof args, "user add %s --roles clerk --request %s", name, id);
	pvtc_remote(0, &out, NULL, args);
	half_to_file(out, second);
	free(out);
}

/* `pivault login --user user` through the server with the password in pw_file: status. */
static int login_with(const char *user, const char *pw_file)
{
	char env[8192];
	snprintf(env, sizeof env, "%s PIVAULT_PASSWORD_FILE='%s'", pvtc_server_env(), pw_file);
	return pvtc_cli(NULL, NULL, env, "login --user %s", user);
}

/* A new user enrols through the server with the two halves (no session, no vault) and
 * signs in with the password chosen; a wrong half refused as on the vault, and the code
 * opens nothing once used; the halves and the password never in an output. */
static void test_user_enrol(void **state)
{
	(void)state;
	char *first = file_in("half1"), *second = file_in("half2"), *pw = file_in("newbie-pw");
	char *wrong = file_in("wrong-half"), args[8192], *out = NULL, *err = NULL;
	user_added("newbie", first, second);
	assert_int_equal(pvt_write_file(pw, "newbie-password-1", 17), 0);
	assert_int_equal(pvt_write_file(wrong, "XXXX-XXXX", 9), 0);
	snprintf(args, sizeof args, "user enrol newbie --first-half-file '%s' --second-half-file "
		 "'%s' --password-file '%s'", wrong, second, pw);
	pvtc_same_as_local("newbie", args);
	snprintf(args, sizeof args, "user enrol newbie --first-half-file '%s' --second-half-file "
		 "'%s' --password-file '%s'", first, second, pw);
	pvtc_remote(0, &out, &err, args);
	assert_string_equal(out, "enrolled newbie: your password is set; the enrolment code "
			    "opens nothing any more\n");
	char *half = pvt_read_file(first, NULL);
	assert_null(strstr(err, half));
	free(half);
	free(out);
	free(err);
	assert_int_equal(login_with("newbie", pw), 0);
	pvtc_same_as_local("newbie", args); /* used: it opens nothing */
	pvtc_same_as_local("newbie", "user enrol"); /* usage */
	free(first);
	free(second);
	free(pw);
	free(wrong);
	pvtc_trap_untouched();
}

/* One's own password changed through the server: the session's user named as locally, the
 * new password then signs in and the old one not; a wrong old password refused as on the
 * vault; another user's password never (an argument: usage). */
static void test_user_passwd(void **state)
{
	(void)state;
	char *newpw = file_in("clerk2-pw"), *wrong = file_in("wrong-pw"), args[8192];
	char *out = NULL;
	assert_int_equal(pvt_write_file(newpw, "clerk2-password-2", 17), 0);
	assert_int_equal(pvt_write_file(wrong, "not-the-password", 16), 0);
	pvtc_login("clerk1");
	snprintf(args, sizeof args, "user passwd --old-password-file '%s' --password-file '%s'",
		 wrong, newpw);
	pvtc_same_as_local("clerk1", args);
	pvtc_same_as_local("clerk1", "user passwd clerk2"); /* usage */
	pvtc_login("clerk2");
	snprintf(args, sizeof args, "user passwd --old-password-file '%s' --password-file '%s'",
		 pvtc.pw_path, newpw);
	pvtc_remote(0, &out, NULL, args);
	assert_string_equal(out, "new password for clerk2\n");
	free(out);
	assert_int_equal(login_with("clerk2", newpw), 0);
	assert_int_equal(login_with("clerk2", pvtc.pw_path), 1);
	free(newpw);
	free(wrong);
	pvtc_trap_untouched();
}

/* ---- 3. Scanning for personal information undeclared -------------------------------- */

/* `scan FILE` through the server and `scan FILE --schema` (the vault's schema) on the
 * client's own machine: the same output and status. */
static void same_scan_as_schema(const char *file, const char *opts)
{
	char *lout = NULL, *rout = NULL, *lerr = NULL, *rerr = NULL;
	int lst = pvtc_cli(&lout, &lerr, "", "scan '%s' --schema '%s' %s", file,
			   PV_SOURCE_DIR "/examples/schema.yaml", opts);
	int rst = pvtc_cli(&rout, &rerr, pvtc_server_env(), "scan '%s' %s", file, opts);
	if (lst != rst || strcmp(lout, rout) != 0 || strcmp(lerr, rerr) != 0)
		fail_msg("scan %s %s: here %d [%s] [%s], server %d [%s] [%s]", file, opts, lst, lout,
			 lerr, rst, rout, rerr);
	free(lout);
	free(lerr);
	free(rout);
	free(rerr);
}

/* A CSV file sent to the server is scanned as the command scans it against the vault's
 * schema (an undeclared column of phones and e-mails found, text and --json, a higher
 * --min-confidence); the vault's own text fields as locally; --schema refused (the
 * server has its own); a clerk (no 'scan') refused, the values never in its message. */
static void test_scan(void **state)
{
	(void)state;
	char *csv = file_in("scan.csv"), *err = NULL, args[8192];
	const char text[] = "id,name,notes\nC1,Li Na,call 13812345678 or li@example.com\n"
			    "C2,Wang Wei,nothing here\nC3,Zhao Lei,mail zhao@example.org\n";
	assert_int_equal(pvt_write_file(csv, text, strlen(text)), 0);
	pvtc_login("dpo1");
	char *out = NULL;
	snprintf(args, sizeof args, "scan '%s'", csv);
	pvtc_remote(0, &out, NULL, args);
	assert_non_null(strstr(out, "column notes (not in the schema): "));
	assert_null(strstr(out, "13812345678"));
	free(out);
	same_scan_as_schema(csv, "");
	same_scan_as_schema(csv, "--json");
	same_scan_as_schema(csv, "--min-confidence 95");
	pvtc_same_as_local("dpo1", "scan --purpose all");
	pvtc_same_as_local("dpo1", "scan --purpose all --json --min-confidence 60");
	pvtc_same_as_local("dpo1", "scan --min-confidence 0"); /* usage */
	snprintf(args, sizeof args, "scan '%s' --schema x.yaml", csv);
	pvtc_remote(2, NULL, &err, args);
	assert_non_null(strstr(err, "not available through a server"));
	free(err);
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "scan --purpose service");
	pvtc_same_as_local("clerk1", "scan --purpose service --json");
	snprintf(args, sizeof args, "scan '%s'", csv);
	pvtc_remote(1, NULL, &err, args);
	assert_null(strstr(err, "13812345678"));
	assert_null(strstr(err, "notes"));
	free(err);
	free(csv);
	pvtc_trap_untouched();
}

/* ---- 4. Breach incidents --------------------------------------------------------------- */

/* `incident open` through the server: the incident's id (malloc'd). */
static char *incident_opened(void)
{
	char *out = NULL, id[64];
	pvtc_remote(0, &out, NULL, "incident open --kind leak --detected-at 2026-12-01T10:00:00Z "
		    "--description 'a laptop was lost'");
	assert_int_equal(sscanf(out, "opened %63s", id), 1);
	free(out);
	return strdup(id);
}

/* args (a format with the incident's id) through the server: its output (malloc'd). */
static char *on_incident(int st, const char *fmt, const char *id)
{
	char args[8192], *out = NULL;
	snprintf(args, sizeof args, fmt, id, id);
	pvtc_remote(st, &out, NULL, args);
	return out;
}

/* args (a format with the incident's id) run locally and through the server alike. */
static void same_on_incident(const char *user, const char *fmt, const char *id)
{
	char args[8192];
	snprintf(args, sizeof args, fmt, id, id);
	pvtc_same_as_local(user, args);
}

/* An incident opened, scoped, contained, sealed and released (four eyes) through the
 * server, each step's output as the local command's; shown and listed as locally (text
 * and --json: the library's JSON, its times as it wrote them) at each stage; a sealed
 * customer's read refused alike; bad arguments refused before anything is sent. */
static void test_incident_lifecycle(void **state)
{
	(void)state;
	pvtc_login("dpo1");
	char *id = incident_opened(), *out = NULL, line[256];
	pvtc_remote(0, NULL, NULL, "get C00000001 C00000002 --purpose all"); /* what leaked */
	same_on_incident("dpo1", "incident show %s", id);
	same_on_incident("dpo1", "incident show %s --json", id);
	pvtc_same_as_local("dpo1", "incident list");
	pvtc_same_as_local("dpo1", "incident list --json");
	out = on_incident(0, "incident scope %s --customers C00000001,C00000002", id);
	snprintf(line, sizeof line, "%s: ", id);
	if (!strstr(out, line) || !strstr(out, " audit entries, 2 customers, "))
		fail_msg("incident scope: [%s]", out);
	free(out);
	out = on_incident(0, "incident state %s --to contained", id);
	snprintf(line, sizeof line, "%s is contained\n", id);
	assert_string_equal(out, line);
	free(out);
	out = on_incident(0, "incident seal %s --json", id);
	snprintf(line, sizeof line, "{\"incident\":\"%s\",\"sealed\":2}\n", id);
	assert_string_equal(out, line);
	free(out);
	same_on_incident("dpo1", "incident show %s", id);
	same_on_incident("dpo1", "incident show %s --json", id);
	pvtc_same_as_local("dpo1", "get C00000001 --purpose all"); /* sealed: refused alike */
	out = on_incident(0, "incident release %s", id);
	char rid[64], args[256];
	assert_int_equal(sscanf(out, "request %63s recorded", rid), 1);
	free(out);
	pvtc_login("dpo2");
	snprintf(args, sizeof args, "approve %s", rid);
	pvtc_remote(0, NULL, NULL, args);
	pvtc_login("dpo1");
	snprintf(args, sizeof args, "incident release %%s --request %s", rid);
	out = on_incident(0, args, id);
	snprintf(line, sizeof line, "%s: 2 customers released\n", id);
	assert_string_equal(out, line);
	free(out);
	same_on_incident("dpo1", "incident show %s", id);
	same_on_incident("dpo1", "incident show %s --json", id);
	pvtc_same_as_local("dpo1", "incident list");
	same_on_incident("dpo1", "incident state %s --to nowhere", id); /* usage */
	pvtc_same_as_local("dpo1", "incident open --kind flood --detected-at 2026-12-01T10:00:00Z "
			   "--description x");
	pvtc_same_as_local("dpo1", "incident open --kind leak --detected-at 2099-01-01T00:00:00Z "
			   "--description 'in the future'");
	pvtc_same_as_local("dpo1", "incident show INC-NO-SUCH");
	free(id);
	pvtc_trap_untouched();
}

/* The names in folder dir (its listing, malloc'd). */
static char *listing(const char *dir)
{
	char *out = NULL;
	assert_int_equal(pvt_run(&out, "ls '%s'", dir), 0);
	return out;
}

/* An incident's notices and the regulator's report made through the server: written by the
 * client into the files the local command writes (the notices in clear: the customers'
 * ids there, the report beside them), its line as the local command's; told again, the
 * same output as the local command's for the same files; a clerk refused alike and no
 * file left behind. */
static void test_incident_notify(void **state)
{
	(void)state;
	pvtc_login("dpo1");
	char *id = incident_opened(), *dir = file_in("notices"), *out = NULL, args[8192];
	char *notices = NULL, *report = NULL;
	assert_int_equal(mkdir(dir, 0700), 0);
	pvtc_remote(0, NULL, NULL, "get C00000003 C00000004 --purpose all"); /* what leaked */
	free(on_incident(0, "incident scope %s --customers C00000003,C00000004", id));
	char *words = file_in("notice.txt");
	const char text[] = "company: Acme\ncontact: dpo@example.com\ncause: a lost laptop\n"
			    "harm: calls from fraudsters\nremedies: the laptop's disk was wiped\n"
			    "actions: beware of calls\n";
	assert_int_equal(pvt_write_file(words, text, strlen(text)), 0);
	snprintf(args, sizeof args, "incident notify %%s --purpose all --out '%s' --notice '%s'",
		 dir, words);
	free(words);
	out = on_incident(0, args, id);
	assert_non_null(strstr(out, ": 2 customers in scope, 2 notices rendered ("));
	assert_non_null(strstr(out, "regulator's report recorded ("));
	free(out);
	snprintf(args, sizeof args, "%s/%s-notices.csv", dir, id);
	notices = pvt_read_file(args, NULL);
	assert_non_null(strstr(notices, "C00000003"));
	assert_non_null(strstr(notices, "C00000004"));
	snprintf(args, sizeof args, "%s/%s-regulator-report.txt", dir, id);
	report = pvt_read_file(args, NULL);
	assert_true(strlen(report) > 100);
	assert_null(strstr(report, "C00000003"));
	free(notices);
	free(report);
	assert_int_equal(pvt_run(NULL, "rm -f '%s'/*", dir), 0);
	snprintf(args, sizeof args, "incident notify %%s --purpose all --out '%s' --json --contact "
		 "a --cause b --harm c --remedies d --actions e", dir);
	char *lout = NULL, *rout = NULL, full[8192];
	snprintf(full, sizeof full, args, id);
	assert_int_equal(pvtc_cli(&lout, NULL, pvtc_local_env("dpo1"), "%s", full), 0);
	assert_int_equal(pvt_run(NULL, "rm -f '%s'/*", dir), 0);
	rout = on_incident(0, args, id);
	assert_string_equal(lout, rout); /* told before: none again, the report written again */
	free(lout);
	free(rout);
	assert_int_equal(pvt_run(NULL, "rm -f '%s'/*", dir), 0);
	pvtc_login("clerk1");
	snprintf(args, sizeof args, "incident notify %%s --purpose service --out '%s' --contact a "
		 "--cause b --harm c --remedies d --actions e", dir);
	same_on_incident("clerk1", args, id);
	char *names = listing(dir);
	assert_string_equal(names, "");
	free(names);
	pvtc_same_as_local("clerk1", "incident list");
	free(id);
	free(dir);
	pvtc_trap_untouched();
}

/* ---- 5. The export's sealed omissions ---------------------------------------------- */

/* An export through the server says the sealed customers it left out (and the incident) on
 * standard error exactly as the local command does, to standard output and to a file;
 * once the seal is released (four eyes), it says nothing of it, as locally. */
static void test_export_sealed_left_out(void **state)
{
	(void)state;
	pvtc_login("dpo1");
	char *id = incident_opened(), *out = NULL, *err = NULL, args[8192], rid[64];
	pvtc_remote(0, NULL, NULL, "get C00000005 --purpose all");
	free(on_incident(0, "incident scope %s --customers C00000005", id));
	free(on_incident(0, "incident seal %s", id));
	pvtc_same_as_local("dpo1", "export --purpose all");
	pvtc_same_as_local("dpo1", "export --purpose all --format jsonl");
	char *file = file_in("sealed-out.csv");
	snprintf(args, sizeof args, "export --purpose all -o '%s'", file);
	pvtc_remote(0, NULL, &err, args);
	snprintf(args, sizeof args, "pivault: 1 sealed customer left out (incident %s): not shown "
		 "until an approved 'incident release'\n", id);
	assert_string_equal(err, args);
	free(err);
	char *text = pvt_read_file(file, NULL);
	assert_null(strstr(text, "C00000005,"));
	assert_non_null(strstr(text, "C00000006,"));
	free(text);
	free(file);
	out = on_incident(0, "incident release %s", id);
	assert_int_equal(sscanf(out, "request %63s recorded", rid), 1);
	free(out);
	pvtc_login("dpo2");
	snprintf(args, sizeof args, "approve %s", rid);
	pvtc_remote(0, NULL, NULL, args);
	pvtc_login("dpo1");
	snprintf(args, sizeof args, "incident release %%s --request %s", rid);
	free(on_incident(0, args, id));
	pvtc_same_as_local("dpo1", "export --purpose all");
	free(id);
}

/* ---- 6. The wind-down (last: it shreds every customer) ---------------------------- */

/* The plan as locally (the library's JSON), a clerk refused alike; a key that is not an
 * age key refused as locally, no archive left; the run asked for under four eyes (no
 * archive made), approved, then run with --request: the certificates and the signed final
 * report written where asked, the keeper's archive fetched into -o (an age file), every
 * customer gone; the keeper's key file never named to the server. */
static void test_decommission(void **state)
{
	(void)state;
	char *key = file_in("keeper.age"), *archive = file_in("keeper-archive.age");
	char *report = file_in("final-report.json"), *certs = file_in("dc-certs.json");
	char args[8192], run[4096], *out = NULL, *err = NULL, rid[64];
	assert_int_equal(pvt_run(NULL, "age-keygen -o '%s' 2>/dev/null", key), 0);
	pvtc_login("adm");
	pvtc_same_as_local("adm", "decommission plan");
	pvtc_same_as_local("adm", "decommission run --keeper-name K"); /* usage */
	snprintf(args, sizeof args, "decommission run --keeper-name K --keeper-contact k@example.cn "
		 "--keeper-key '%s' -o '%s'", pvtc.pw_path, archive);
	pvtc_same_as_local("adm", args); /* not an age key */
	assert_int_not_equal(access(archive, F_OK), 0);
	snprintf(run, sizeof run, "decommission run --keeper-name K --keeper-contact k@example.cn "
		 "--keeper-key '%s' -o '%s' --certificates '%s' --report '%s'", key, archive, certs,
		 report);
	pvtc_remote(0, &out, NULL, run);
	assert_int_equal(sscanf(out, "request %63s recorded", rid), 1);
	free(out);
	assert_int_not_equal(access(archive, F_OK), 0);
	pvtc_login("adm2");
	snprintf(args, sizeof args, "approve %s", rid);
	pvtc_remote(0, NULL, NULL, args);
	pvtc_login("adm");
	snprintf(args, sizeof args, "%s --request %s", run, rid);
	pvtc_remote(0, NULL, &err, args);
	assert_non_null(strstr(err, "decommissioned: "));
	assert_non_null(strstr(err, archive));
	free(err);
	char *text = pvt_read_file(report, NULL);
	assert_non_null(strstr(text, "\"customers_left\": 0"));
	free(text);
	text = pvt_read_file(certs, NULL);
	assert_non_null(strstr(text, "\"signature\""));
	free(text);
	text = pvt_read_file(archive, NULL);
	assert_int_equal(strncmp(text, "age-encryption.org/v1\n", 22), 0);
	free(text);
	pvtc_remote(0, &out, NULL, "list --purpose all --json");
	assert_null(strstr(out, "C0000"));
	free(out);
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "decommission plan");
	free(key);
	free(archive);
	free(report);
	free(certs);
	pvtc_trap_untouched();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_proofs),
		cmocka_unit_test(test_audit_verify_checkpoint),
		cmocka_unit_test(test_audit_refused),
		cmocka_unit_test(test_user_enrol),
		cmocka_unit_test(test_user_passwd),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_incident_lifecycle),
		cmocka_unit_test(test_incident_notify),
		cmocka_unit_test(test_export_sealed_left_out),
		cmocka_unit_test(test_decommission),
	};
	return cmocka_run_group_tests(tests, group_setup, pvtc_group_teardown);
}
