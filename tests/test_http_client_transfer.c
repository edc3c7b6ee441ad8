/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_client_transfer.c: `pivault transfer` and `pivault handover` through the server
 * (PIVAULT_SERVER, over HTTPS with the server's certificate pinned), as a DPO's and a
 * recipient administrator's machines would run them. A whole transfer through the client
 * (plan, assessment, notices, exclusions, the package asked for under four eyes, approved
 * and streamed down, uploaded to the recipient's own server and imported there, the
 * receipt checked and the handover confirmed under four eyes) compared with the same
 * transfer made with the local commands on twin vaults: the same counts, the same steps
 * done, the same receipt verification, the same shredding. The read commands print what
 * they print locally (text and --json); a role without the permission is refused at every
 * step with the local command's message and exit status, nothing changed; a tampered
 * package is refused through the client as locally, nothing imported; the local-only
 * options (--identity, a key file) are refused before anything is sent. */
#include "testutil.h"

#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

#include "formats/age.h"

static const char PW[] = "client-transfer-1";
#define NCUST 6
#define SEED 7

static struct pvts_fixture g_f; /* the seller's vault and its HTTPS server */
static struct pvs_server *g_buyer_srv;
static unsigned g_buyer_port;
static char *g_buyer_dir, *g_buyer_key;	  /* the recipient's vault, served */
static char *g_lseller_dir, *g_lseller_key; /* the local flow's twins */
static char *g_lbuyer_dir, *g_lbuyer_key;
static char *g_buyer2_dir, *g_buyer2_key; /* another recipient (no server) */
static char *g_ident, *g_recipient;
static char g_buyer_pk[65], g_lbuyer_pk[65], g_buyer2_pk[65];
static char *g_pw_path, *g_err, *g_trap;

/* ---- Running the command ------------------------------------------------------------ */

/* `pivault ARGS` with env: stdout into *out, stderr into *err (either may be NULL, all
 * kept); the exit status. */
static int cli(char **out, char **err, const char *env, const char *fmt, ...)
{
	char args[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	char *o = NULL;
	int st = pvt_run(&o, "env -u PIVAULT_TOKEN -u PIVAULT_SERVER_PIN -u PIVAULT_USER "
			 "-u PIVAULT_VAULT -u PIVAULT_KEY_FILE %s '%s' %s </dev/null 2>'%s'", env,
			 pvt_program("pivault-test"), args, g_err);
	char *e = pvt_keep(pvt_read_file(g_err, NULL));
	assert_non_null(e);
	pvt_keep(o);
	if (out)
		*out = o;
	if (err)
		*err = e;
	return st;
}

/* A machine talking to the server on port over HTTPS (the certificate pinned), with its
 * own runtime directory (its own session) named who. The vault and key paths of the
 * environment name nothing. Kept. */
static char *client_env(const char *who, unsigned port)
{
	char *run = pvt_keep(pvt_path(g_f.tmp, who));
	mkdir(run, 0700);
	char *env = pvt_keep(malloc(8192));
	snprintf(env, 8192, "XDG_RUNTIME_DIR='%s' PIVAULT_SERVER='https://127.0.0.1:%u' "
		 "PIVAULT_SERVER_CERT='%s' PIVAULT_PASSWORD_FILE='%s' PIVAULT_VAULT='%s' "
		 "PIVAULT_KEY_FILE='%s.key'", run, port, g_f.tls_cert, g_pw_path, g_trap, g_trap);
	return env;
}

/* The seller's machine signed in as user (through the seller's server). Kept. */
static char *seller_as(const char *user)
{
	char *env = client_env(user, g_f.port);
	char *err = NULL;
	if (cli(NULL, &err, env, "login --user %s", user) != 0)
		fail_msg("login %s: %s", user, err);
	return env;
}

/* The recipient's administrator's machine, signed in to the recipient's server. Kept. */
static char *buyer_admin(void)
{
	char *env = client_env("buyer-adm", g_buyer_port);
	char *err = NULL;
	if (cli(NULL, &err, env, "login --user adm") != 0)
		fail_msg("login adm at the recipient's: %s", err);
	return env;
}

/* The vault dir's own machine, as its root (key file) or as user. Kept. */
static char *local_root(const char *dir, const char *key)
{
	char *env = pvt_keep(malloc(8192));
	snprintf(env, 8192, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s'", dir, key);
	return env;
}

static char *local_user(const char *dir, const char *user)
{
	char *env = pvt_keep(malloc(8192));
	snprintf(env, 8192, "PIVAULT_VAULT='%s' PIVAULT_USER='%s' PIVAULT_PASSWORD_FILE='%s'", dir,
		 user, g_pw_path);
	return env;
}

/* args with env must exit with st; its stdout (kept). */
static char *ok_run(int st, const char *env, const char *args, char **err)
{
	char *out = NULL, *e = NULL;
	int got = cli(&out, &e, env, "%s", args);
	if (got != st)
		fail_msg("pivault %s: %d, not %d [%s] [%s]", args, got, st, out, e);
	if (err)
		*err = e;
	return out;
}

/* args run on the seller's vault itself as user and through the server signed in as
 * user: the same standard output, standard error and exit status. */
static void same_as_local(const char *user, const char *remote_env, const char *args)
{
	char *lout, *lerr, *rout, *rerr;
	int lst = cli(&lout, &lerr, local_user(g_f.dir, user), "%s", args);
	int rst = cli(&rout, &rerr, remote_env, "%s", args);
	if (lst != rst || strcmp(lout, rout) != 0 || strcmp(lerr, rerr) != 0)
		fail_msg("pivault %s as %s: local %d [%s] [%s], server %d [%s] [%s]", args, user,
			 lst, lout, lerr, rst, rout, rerr);
}

/* ---- The vaults and the servers ------------------------------------------------------ */

/* The recipient's age identity file (0600) and its public key (age1...). */
static void make_identity(void)
{
	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY];
	pv_age_keygen(sk, pk);
	g_recipient = pv_age_format_recipient(pk);
	char *id = pv_age_format_identity(sk);
	assert_non_null(g_recipient);
	assert_non_null(id);
	char text[512];
	int n = snprintf(text, sizeof text, "# public key: %s\n%s\n", g_recipient, id);
	sodium_memzero(id, strlen(id));
	sodium_memzero(sk, sizeof sk);
	free(id);
	assert_int_equal(pvt_write_file(g_ident, text, (size_t)n), 0);
	assert_int_equal(chmod(g_ident, 0600), 0);
}

/* A vault at tmp/name (key tmp/name.key) of n sample customers, with the cast. */
static void make_vault(const char *name, unsigned n, unsigned long seed, char **dir, char **key,
		       char pk[65])
{
	char kn[64];
	snprintf(kn, sizeof kn, "%s.key", name);
	*dir = pvt_path(g_f.tmp, name);
	*key = pvt_path(g_f.tmp, kn);
	pv_vault *v = pvt_sample_vault(*dir, *key, n, seed, NULL);
	if (pk)
		assert_ok(v, pv_vault_public_key(v, pk));
	pvt_vclose(v);
	pvts_add_users(*dir, *key, pvts_cast, PW);
}

static int group_setup(void **state)
{
	(void)state;
	pvts_fixture_up(&g_f, &(struct pvts_spec){ .customers = NCUST, .seed = SEED,
						    .password = PW, .max_body = 65536, .tls = 1 });
	g_pw_path = pvt_path(g_f.tmp, "pw");
	g_err = pvt_path(g_f.tmp, "stderr");
	g_trap = pvt_path(g_f.tmp, "no-vault-here");
	g_ident = pvt_path(g_f.tmp, "recipient.agekey");
	assert_int_equal(pvt_write_file(g_pw_path, PW, strlen(PW)), 0);
	make_identity();
	make_vault("buyer", 0, 8, &g_buyer_dir, &g_buyer_key, g_buyer_pk);
	make_vault("lbuyer", 0, 8, &g_lbuyer_dir, &g_lbuyer_key, g_lbuyer_pk);
	make_vault("buyer2", 0, 9, &g_buyer2_dir, &g_buyer2_key, g_buyer2_pk);
	make_vault("lseller", NCUST, SEED, &g_lseller_dir, &g_lseller_key, NULL);
	struct pvs_config b = pvts_roomy_config();
	b.plain_http = 0;
	b.tls_cert = g_f.tls_cert;
	b.tls_key = g_f.tls_key;
	b.handover_identity = g_ident;
	g_buyer_srv = pvts_start(&b, g_buyer_dir, g_buyer_key, 65536);
	g_buyer_port = pvs_port(g_buyer_srv);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvs_stop(g_buyer_srv);
	char *paths[] = { g_buyer_dir, g_buyer_key, g_lseller_dir, g_lseller_key, g_lbuyer_dir,
			  g_lbuyer_key, g_buyer2_dir, g_buyer2_key, g_ident, g_recipient,
			  g_pw_path, g_err, g_trap };
	pvts_fixture_down(&g_f);
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
		free(paths[i]);
	return 0;
}

/* ---- Reading the results ------------------------------------------------------------- */

static uint64_t customers_in(const char *dir, const char *key_path)
{
	pv_vault *v = pvt_open_root(dir, NULL, key_path);
	uint64_t n = 12345;
	assert_ok(v, pv_vault_count(v, &n));
	pvt_vclose(v);
	return n;
}

static size_t lines_of(const char *text)
{
	size_t n = 0;
	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* The request id a four-eyes step printed (kept): its line, or {"request":"ID"} under
 * --json. */
static char *request_of(const char *out)
{
	char id[64];
	if (sscanf(out, "request %63s recorded", id) != 1 &&
	    sscanf(out, "{\"request\":\"%63[^\"]\"}", id) != 1)
		fail_msg("no request in [%s]", out);
	return pvt_keep(strdup(id));
}

/* The steps of plan as `transfer show --json` prints them: "name=0|1;..." (kept). */
static char *steps_of(const char *env, const char *plan, const char *role)
{
	char args[256];
	snprintf(args, sizeof args, "transfer show %s --role %s", plan, role);
	json_error_t je;
	json_t *doc = json_loads(ok_run(0, env, args, NULL), 0, &je), *s;
	assert_non_null(doc);
	char *out = pvt_keep(calloc(1, 512));
	size_t i;
	json_array_foreach(json_object_get(doc, "steps"), i, s)
		snprintf(out + strlen(out), 512 - strlen(out), "%s=%d;",
			 json_string_value(json_object_get(s, "step")),
			 json_is_true(json_object_get(s, "done")));
	json_decref(doc);
	return out;
}

/* Member key (an integer) of the JSON text. */
static long long count_in(const char *text, const char *key)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	if (!doc)
		fail_msg("not JSON: [%s]", text);
	long long n = json_integer_value(json_object_get(doc, key));
	json_decref(doc);
	return n;
}

/* Member key (a string) of the JSON text (kept). */
static char *string_in(const char *text, const char *key)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	if (!doc)
		fail_msg("not JSON: [%s]", text);
	char *s = pvt_keep(strdup(json_string_value(json_object_get(doc, key)) ?
				  json_string_value(json_object_get(doc, key)) : ""));
	json_decref(doc);
	return s;
}

/* text with every occurrence of from replaced by to (kept). */
static char *replaced(const char *text, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	for (const char *p = text; (p = strstr(p, from)); p += fl)
		n++;
	char *out = pvt_keep(malloc(strlen(text) + n * tl + 1)), *o = out;
	for (const char *p = text, *q; ; p = q + fl) {
		q = strstr(p, from);
		size_t k = q ? (size_t)(q - p) : strlen(p);
		memcpy(o, p, k);
		o += k;
		if (!q)
			break;
		memcpy(o, to, tl);
		o += tl;
	}
	*o = '\0';
	return out;
}

/* ---- A whole transfer, through the client and locally -------------------------------- */

/* What a transfer came to, to compare the two ways of making it. */
struct outcome {
	char *plan, *package, *steps, *verify, *notices_csv, *notices_jsonl, *shred_excluded;
	size_t csv_lines, jsonl_lines, exclusions;
	long long records, excluded, imported, shredded_left;
	char *confirmed; /* confirm's standard error */
};

static char *plan_args(const char *vault_key, const char *role)
{
	char today[11];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	char *args = pvt_keep(malloc(1024));
	snprintf(args, 1024, "transfer plan --recipient-name 'NewCo Ltd' --recipient-contact "
		 "dpo@newco.example --recipient-key %s --recipient-vault-key %s --deadline %s "
		 "--role %s --json", g_recipient, vault_key, today, role);
	return args;
}

/* args run by env, asked for under four eyes first when approver is not NULL: the
 * request printed, approved by the approver, then run with it. Its stdout (kept). */
static char *four_eyes(const char *env, const char *approver, const char *args, char **err)
{
	if (!approver)
		return ok_run(0, env, args, err);
	char *req = request_of(ok_run(0, env, args, NULL));
	char line[128], again[4096];
	snprintf(line, sizeof line, "approve %s", req);
	ok_run(0, approver, line, NULL);
	snprintf(again, sizeof again, "%s --request %s", args, req);
	return ok_run(0, env, again, err);
}

/* The sender's steps: plan, assessment, notices (CSV and JSON Lines), exclusions and their
 * shredding (no one objected), the package exported into pkg. */
static void sender_steps(struct outcome *o, const char *env, const char *approver,
			 const char *vault_key, const char *role, const char *pkg)
{
	char args[1024];
	o->plan = string_in(ok_run(0, env, plan_args(vault_key, role), NULL), "transfer");
	snprintf(args, sizeof args, "transfer assess %s --role %s", o->plan, role);
	ok_run(0, env, args, NULL);
	snprintf(args, sizeof args, "transfer notify %s --purpose service --lang en --role %s",
		 o->plan, role);
	o->csv_lines = lines_of(ok_run(0, env, args, &o->notices_csv));
	strcat(args, " --jsonl");
	o->jsonl_lines = lines_of(ok_run(0, env, args, &o->notices_jsonl));
	snprintf(args, sizeof args, "transfer exclusions %s --role %s --json", o->plan, role);
	o->exclusions = lines_of(ok_run(0, env, args, NULL));
	snprintf(args, sizeof args, "transfer shred-excluded %s --role %s", o->plan, role);
	o->shred_excluded = replaced(ok_run(0, env, args, NULL), o->plan, "PLAN"); /* no one */
	snprintf(args, sizeof args, "handover export %s -o '%s' --role %s --json", o->plan, pkg,
		 role);
	char *summary = four_eyes(env, approver, args, NULL);
	o->package = string_in(summary, "package");
	o->records = count_in(summary, "records");
	o->excluded = count_in(summary, "excluded");
}

/* The sender's end: the receipt checked (its summary, ids made neutral), the handover
 * confirmed, the steps then. */
static void sender_end(struct outcome *o, const char *env, const char *approver,
		       const char *vault_key, const char *role, const char *receipt)
{
	char args[1024], *err = NULL;
	snprintf(args, sizeof args, "handover verify-receipt '%s' --role %s", receipt, role);
	char *v = ok_run(0, env, args, NULL);
	char fp[PV_FINGERPRINT_SIZE];
	assert_int_equal(pv_key_fingerprint(vault_key, fp), PV_OK);
	v = replaced(replaced(replaced(replaced(v, receipt, "RECEIPT"), o->plan, "PLAN"),
			      o->package, "PACKAGE"), fp, "FINGERPRINT");
	o->verify = v;
	snprintf(args, sizeof args, "handover confirm '%s' -o '%s.certs' --role %s", receipt,
		 receipt, role);
	four_eyes(env, approver, args, &err);
	o->confirmed = err;
	o->steps = steps_of(env, o->plan, role);
}

/* Through the client: dpo1 plans and exports (dpo2 approves), the recipient's
 * administrator imports on the recipient's server, dpo1 checks and confirms. */
static void remote_flow(struct outcome *o)
{
	char *dpo = seller_as("dpo1"), *dpo2 = seller_as("dpo2"), *adm = buyer_admin();
	char *pkg = pvt_keep(pvt_path(g_f.tmp, "remote.age"));
	char *receipt = pvt_keep(pvt_path(g_f.tmp, "remote.receipt.json"));
	sender_steps(o, dpo, dpo2, g_buyer_pk, "dpo", pkg);
	char args[1024];
	snprintf(args, sizeof args, "handover import '%s' --role admin --receipt '%s' --json", pkg,
		 receipt);
	uint64_t before = customers_in(g_buyer_dir, g_buyer_key);
	o->imported = count_in(ok_run(0, adm, args, NULL), "records");
	assert_int_equal(customers_in(g_buyer_dir, g_buyer_key) - before, o->imported);
	sender_end(o, dpo, dpo2, g_buyer_pk, "dpo", receipt);
	o->shredded_left = (long long)customers_in(g_f.dir, g_f.key_path);
}

/* With the local commands, each vault's root on its own machine. */
static void local_flow(struct outcome *o)
{
	char *seller = local_root(g_lseller_dir, g_lseller_key);
	char *buyer = local_root(g_lbuyer_dir, g_lbuyer_key);
	char *pkg = pvt_keep(pvt_path(g_f.tmp, "local.age"));
	char *receipt = pvt_keep(pvt_path(g_f.tmp, "local.receipt.json"));
	sender_steps(o, seller, NULL, g_lbuyer_pk, "admin", pkg);
	char args[1024];
	snprintf(args, sizeof args, "handover import '%s' --identity '%s' --role admin --receipt "
		 "'%s' --json", pkg, g_ident, receipt);
	o->imported = count_in(ok_run(0, buyer, args, NULL), "records");
	sender_end(o, seller, NULL, g_lbuyer_pk, "admin", receipt);
	o->shredded_left = (long long)customers_in(g_lseller_dir, g_lseller_key);
}

/* The whole transfer through the client comes to what it comes to locally: as many
 * notices (CSV and JSON Lines, and the same count said), no one left out or shredded apart
 * (nothing to ask for), as many records
 * exported and imported, the same receipt verification, every step done, the same
 * shredding; the vault and key paths the environment names are never touched. */
static void test_whole_transfer(void **state)
{
	(void)state;
	struct outcome r = { 0 }, l = { 0 };
	remote_flow(&r);
	local_flow(&l);
	assert_int_equal(r.jsonl_lines, NCUST);
	assert_int_equal(r.csv_lines, l.csv_lines);
	assert_int_equal(r.jsonl_lines, l.jsonl_lines);
	assert_string_equal(r.notices_csv, l.notices_csv);
	assert_string_equal(r.notices_jsonl, l.notices_jsonl);
	assert_int_equal(r.exclusions, l.exclusions);
	assert_string_equal(r.shred_excluded, "no customer of PLAN objected or asked for deletion\n");
	assert_string_equal(r.shred_excluded, l.shred_excluded);
	assert_int_equal(r.records, NCUST);
	assert_int_equal(r.records, l.records);
	assert_int_equal(r.excluded, l.excluded);
	assert_int_equal(r.imported, l.imported);
	assert_string_equal(r.verify, l.verify);
	assert_string_equal(r.steps, l.steps);
	assert_null(strstr(r.steps, "=0"));
	assert_string_equal(r.confirmed, l.confirmed);
	assert_int_equal(r.shredded_left, 0);
	assert_int_equal(r.shredded_left, l.shredded_left);
	assert_int_not_equal(access(g_trap, F_OK), 0);
}

/* ---- The same output as locally ------------------------------------------------------- */

/* A plan of the seller's made through the client by dpo1 (kept). */
static char *remote_plan(const char *dpo, const char *vault_key)
{
	return string_in(ok_run(0, dpo, plan_args(vault_key, "dpo"), NULL), "transfer");
}

/* list, show, assess (JSON and HTML), exclusions (table and --json), a separate consent
 * given and the exclusions after it: through the client as on the vault itself; usage
 * errors alike (exit 2, nothing sent). */
static void test_same_output(void **state)
{
	(void)state;
	char *dpo = seller_as("dpo1"), args[512];
	char *plain = remote_plan(dpo, g_buyer_pk);
	const char *abroad_args = "transfer plan --recipient-name Far --recipient-contact "
				  "far@example.sg --recipient-country SG --legal-basis "
				  "standard-contract --role dpo --json --recipient-key ";
	snprintf(args, sizeof args, "%s%s", abroad_args, g_recipient);
	char *abroad = string_in(ok_run(0, dpo, args, NULL), "transfer");
	same_as_local("dpo1", dpo, "transfer list --role dpo");
	const char *per_plan[] = { "transfer show %s --role dpo", "transfer assess %s --role dpo",
				   "transfer assess %s --role dpo --html",
				   "transfer exclusions %s --role dpo",
				   "transfer exclusions %s --role dpo --json",
				   "transfer consent %s C00000001 --grant --channel app --role dpo",
				   "transfer exclusions %s --role dpo",
				   "transfer consent %s C00000001 --grant --role dpo",  /* usage */
				   "transfer consent %s --grant --channel app --role dpo", /* usage */
				   "transfer show %s extra --role dpo" };		  /* usage */
	for (size_t i = 0; i < sizeof per_plan / sizeof *per_plan; i++) {
		snprintf(args, sizeof args, per_plan[i], abroad);
		same_as_local("dpo1", dpo, args);
		snprintf(args, sizeof args, per_plan[i], plain);
		same_as_local("dpo1", dpo, args);
	}
	same_as_local("dpo1", dpo, "transfer show T-00000000000000ff --role dpo"); /* no plan */
	same_as_local("dpo1", dpo, "transfer pin-key T-1 --role dpo");		   /* usage */
	same_as_local("dpo1", dpo, "handover export T-1 --role dpo");		   /* usage */
	same_as_local("dpo1", dpo, "handover confirm --role dpo");		   /* usage */
}

/* A plan made without the recipient vault key gets it through the client under four
 * eyes, printed as locally; a key file for --recipient-key, and --identity at import
 * (the server opens packages with its own), are refused before anything is sent. */
static void test_pin_key_and_local_options(void **state)
{
	(void)state;
	char *dpo = seller_as("dpo1"), *dpo2 = seller_as("dpo2"), *err = NULL, args[512];
	snprintf(args, sizeof args, "transfer plan --recipient-name NewCo --recipient-contact "
		 "dpo@newco.example --recipient-key %s --role dpo", g_recipient);
	char *out = ok_run(0, dpo, args, NULL);
	char plan[64];
	assert_int_equal(sscanf(out, "transfer plan %63s recorded", plan), 1);
	assert_non_null(strstr(out, "no recipient vault key yet"));
	snprintf(args, sizeof args, "transfer pin-key %s --recipient-vault-key %s --role dpo", plan,
		 g_buyer_pk);
	out = four_eyes(dpo, dpo2, args, NULL);
	char fp[PV_FINGERPRINT_SIZE], want[256];
	assert_int_equal(pv_key_fingerprint(g_buyer_pk, fp), PV_OK);
	snprintf(want, sizeof want, "transfer %s: recipient vault key %s pinned\n", plan, fp);
	assert_string_equal(out, want);

	snprintf(args, sizeof args, "transfer plan --recipient-name NewCo --recipient-contact "
		 "dpo@newco.example --recipient-key '%s' --role dpo", g_ident);
	ok_run(2, dpo, args, &err);
	assert_non_null(strstr(err, "not available through a server"));
	char *adm = buyer_admin();
	snprintf(args, sizeof args, "handover import '%s' --identity '%s' --role admin", g_ident,
		 g_ident);
	ok_run(2, adm, args, &err);
	assert_non_null(strstr(err, "--identity is not available through a server"));
}

/* ---- Refusals ------------------------------------------------------------------------- */

/* A clerk (no transfer permission) at every step through the client: refused with the
 * local command's message and exit status, and the seller's vault unchanged (but for the
 * audit log and the session); at the recipient's, the import refused as locally, nothing
 * imported. */
static void test_wrong_role(void **state)
{
	(void)state;
	char *dpo = seller_as("dpo1"), *clerk = seller_as("clerk1"), args[1024];
	char *plan = remote_plan(dpo, g_buyer_pk);
	char *receipt = pvt_keep(pvt_path(g_f.tmp, "remote.receipt.json"));
	const char *steps[] = {
		"transfer show %s --role clerk", "transfer assess %s --role clerk",
		"transfer notify %s --purpose service --role clerk",
		"transfer exclusions %s --role clerk",
		"transfer consent %s C00000002 --grant --channel app --role clerk",
		"transfer pin-key %s --recipient-vault-key 0000 --role clerk",
		"transfer shred-excluded %s --role clerk", "handover export %s -o x.age --role clerk",
	};
	unsigned char before[32], after[32];
	pvts_vault_digest(g_f.dir, before);
	same_as_local("clerk1", clerk, replaced(plan_args(g_buyer_pk, "clerk"), " --json", ""));
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		snprintf(args, sizeof args, steps[i], plan);
		same_as_local("clerk1", clerk, args);
	}
	if (access(receipt, F_OK) == 0) { /* the whole transfer ran first */
		snprintf(args, sizeof args, "handover verify-receipt '%s' --role clerk", receipt);
		same_as_local("clerk1", clerk, args);
		snprintf(args, sizeof args, "handover confirm '%s' --role clerk", receipt);
		same_as_local("clerk1", clerk, args);
	}
	pvts_vault_digest(g_f.dir, after);
	assert_memory_equal(before, after, sizeof before);

	/* at the recipient's: the same message as the local import's, nothing imported */
	char *pkg = pvt_keep(pvt_path(g_f.tmp, "remote.age"));
	char *bclerk = client_env("buyer-clerk", g_buyer_port), *lerr, *rerr;
	assert_int_equal(cli(NULL, NULL, bclerk, "login --user clerk1"), 0);
	uint64_t n = customers_in(g_buyer_dir, g_buyer_key);
	snprintf(args, sizeof args, "handover import '%s' --role clerk --receipt '%s.2'", pkg, pkg);
	int rst = cli(NULL, &rerr, bclerk, "%s", args);
	snprintf(args, sizeof args, "handover import '%s' --identity '%s' --role clerk --receipt "
		 "'%s.3'", pkg, g_ident, pkg);
	int lst = cli(NULL, &lerr, local_user(g_buyer_dir, "clerk1"), "%s", args);
	assert_int_equal(rst, 1);
	assert_int_equal(rst, lst);
	assert_string_equal(rerr, lerr);
	assert_int_equal(customers_in(g_buyer_dir, g_buyer_key), n);
}

/* A copy of file with one byte changed at its middle (kept path). */
static char *tampered_copy(const char *file, const char *name)
{
	size_t len = 0;
	char *data = pvt_read_file(file, &len);
	assert_non_null(data);
	assert_true(len > 200);
	data[len / 2] ^= 0x01;
	char *path = pvt_keep(pvt_path(g_f.tmp, name));
	assert_int_equal(pvt_write_file(path, data, len), 0);
	free(data);
	return path;
}

/* args by env under four eyes where the server asks for them (the request approved by
 * approver, then run with it): the last run's exit status, its stderr in *err. */
static int asked_then_run(const char *env, const char *approver, const char *args, char **err)
{
	char *out = NULL, again[4096];
	int st = cli(&out, err, env, "%s", args);
	if (st != 0 || strncmp(out, "request ", 8) != 0)
		return st;
	char *req = request_of(out), line[128];
	snprintf(line, sizeof line, "approve %s", req);
	ok_run(0, approver, line, NULL);
	snprintf(again, sizeof again, "%s --request %s", args, req);
	return cli(NULL, err, env, "%s", again);
}

/* The receipt file with the count it states changed (kept path). */
static char *changed_receipt(const char *file)
{
	char *text = pvt_keep(pvt_read_file(file, NULL));
	assert_non_null(text);
	char *imported = strstr(text, "\"imported\"");
	assert_non_null(imported);
	char *digit = imported + strcspn(imported, "0123456789");
	*digit = *digit == '9' ? '8' : (char)(*digit + 1);
	char *path = pvt_keep(pvt_path(g_f.tmp, "changed.receipt.json"));
	assert_int_equal(pvt_write_file(path, text, strlen(text)), 0);
	return path;
}

/* A package changed on the way is refused through the client as the local import refuses
 * it (exit 1, the same message), nothing imported, no receipt written. The good package's
 * receipt (from another recipient's import), its count changed, is refused through the
 * client: its check as on the vault itself, its confirmation (after the approval) with
 * nothing shredded. A package is never written over an existing file, and then nothing
 * is asked for. */
static void test_tampered_package(void **state)
{
	(void)state;
	char *dpo = seller_as("dpo1"), *dpo2 = seller_as("dpo2"), args[1024], *rerr, *lerr;
	char *plan = remote_plan(dpo, g_buyer2_pk);
	char *pkg = pvt_keep(pvt_path(g_f.tmp, "tamper.age"));
	snprintf(args, sizeof args, "handover export %s -o '%s' --role dpo", plan, pkg);
	four_eyes(dpo, dpo2, args, NULL);
	size_t len = 0;
	char *was = pvt_keep(pvt_read_file(pkg, &len));
	assert_int_equal(cli(NULL, &rerr, dpo, "%s", args), 1); /* pkg exists */
	assert_null(strstr(rerr, "request"));
	size_t len2 = 0;
	char *now = pvt_keep(pvt_read_file(pkg, &len2));
	assert_true(len == len2 && memcmp(was, now, len) == 0);

	char *bad = tampered_copy(pkg, "tampered.age"), *adm = buyer_admin();
	uint64_t n = customers_in(g_buyer_dir, g_buyer_key);
	int rst = cli(NULL, &rerr, adm, "handover import '%s' --role admin --receipt '%s.r'", bad,
		      bad);
	int lst = cli(NULL, &lerr, local_root(g_buyer_dir, g_buyer_key), "handover import '%s' "
		      "--identity '%s' --role admin --receipt '%s.l'", bad, g_ident, bad);
	assert_int_equal(rst, 1);
	assert_int_equal(lst, 1);
	assert_string_equal(rerr, lerr);
	assert_int_equal(customers_in(g_buyer_dir, g_buyer_key), n);
	char *r = pvt_keep(pvt_path(g_f.tmp, "tampered.age.r"));
	assert_int_not_equal(access(r, F_OK), 0);

	/* the good package, imported by another recipient: its receipt holds, changed not */
	snprintf(args, sizeof args, "handover import '%s' --identity '%s' --role admin --receipt "
		 "'%s.r'", pkg, g_ident, pkg);
	ok_run(0, local_root(g_buyer2_dir, g_buyer2_key), args, NULL);
	snprintf(args, sizeof args, "handover verify-receipt '%s.r' --role dpo", pkg);
	ok_run(0, dpo, args, NULL);
	snprintf(args, sizeof args, "%s.r", pkg);
	char *changed = changed_receipt(args);
	snprintf(args, sizeof args, "handover verify-receipt '%s' --role dpo", changed);
	same_as_local("dpo1", dpo, args);
	uint64_t sellers = customers_in(g_f.dir, g_f.key_path);
	snprintf(args, sizeof args, "handover confirm '%s' --role dpo", changed);
	assert_int_equal(asked_then_run(dpo, dpo2, args, &rerr), 1);
	assert_non_null(strstr(rerr, "receipt refused"));
	assert_int_equal(customers_in(g_f.dir, g_f.key_path), sellers);
	assert_true(sellers > 0);
}

/* The server reads no file a client names: a plan whose recipient key is a path (here a
 * recipient file the server could read, as an insider with the dpo role might point at
 * one) is refused with 400 and no plan is recorded; so is a path dressed up with spaces. */
static void test_plan_names_no_server_file(void **state)
{
	(void)state;
	char *recipient_file = pvt_keep(pvt_path(g_f.tmp, "recipient.txt"));
	char line[128];
	int n = snprintf(line, sizeof line, "%s\n", g_recipient);
	assert_int_equal(pvt_write_file(recipient_file, line, (size_t)n), 0);
	char *dpo = pvt_keep(pvts_sign_in(g_f.port, "dpo1", PW));
	const char *forms[] = { "%s", "  %s" };
	for (size_t i = 0; i < 2; i++) {
		char key[1024], body[2048];
		snprintf(key, sizeof key, forms[i], recipient_file);
		json_t *b = json_pack("{s:s,s:s,s:s,s:s}", "recipient_name", "NewCo",
				      "recipient_contact", "dpo@newco.example", "recipient_key", key,
				      "role", "dpo");
		char *text = json_dumps(b, JSON_COMPACT);
		snprintf(body, sizeof body, "%s", text);
		free(text);
		json_decref(b);
		unsigned char before[32], after[32];
		pvts_vault_digest(g_f.dir, before);
		struct pvts_resp r = pvts_http(g_f.port, "POST", "/v1/transfers", dpo, body,
					       strlen(body));
		if (r.status != 400)
			fail_msg("a recipient key naming a server file: %d %s", r.status, r.body);
		assert_string_equal(pvts_err_code(&r), "bad_request");
		pvts_resp_free(&r);
		pvts_vault_digest(g_f.dir, after);
		assert_memory_equal(before, after, sizeof before);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_output),
		cmocka_unit_test(test_pin_key_and_local_options),
		cmocka_unit_test(test_tampered_package),
		cmocka_unit_test(test_whole_transfer),
		cmocka_unit_test(test_wrong_role),
		cmocka_unit_test(test_plan_names_no_server_file),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
