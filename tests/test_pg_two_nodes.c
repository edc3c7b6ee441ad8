/* SPDX-License-Identifier: Apache-2.0 */
/* test_pg_two_nodes.c: two `pivault serve` nodes over one PostgreSQL schema (issue 15,
 * "Several servers on one database"). Node 1 is the vault made with init --store; node 2
 * is made as the README says: a vault directory of its own holding the `store` record, and
 * a copy of the keyring (without KEYRING.node, so it registers as a node of its own). Two
 * real server processes then take concurrent clients on both at once: imports (one at a
 * time: the other waits its turn or is refused as busy, never mixed), reads and finds
 * (each audited), updates of the same customers from both nodes, checkpoints asked of
 * both, an approved shred run by its requester through both nodes at the same moment, and
 * one session reading in clear through both nodes under a small bulk limit. Afterwards,
 * as a DBA and through the command: one audit chain that verifies, with contiguous
 * sequence numbers past an automatic checkpoint; each checkpoint position written once
 * (a DBA's triggers log every write to the checkpoints and requests tables); the approval
 * used once; the bulk limit held across nodes; no lost update; each shredded customer's
 * bucket neighbour readable on both nodes, a shred through node 1 alone included, and
 * both nodes acknowledging every keyring journal entry. Then an approved read in clear
 * run through both nodes' directories at once (the command, while a DBA holds the
 * requests table) runs once, and a bulk limit lowered through node 1 holds on node 2 at
 * once. Runs against the cluster scripts/test.sh starts (PIVAULT_TEST_PG); skipped
 * without one, failed where PV_REQUIRE_POSTGRESQL=1. */
#include "testutil.h"

#include "pivault.h"
#include "server_client.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PW "two-nodes-password-1"
#define CUSTOMERS 200
#define BULK_LIMIT 6
#define READS 230     /* masked reads and finds per node (past 1024 entries in all) */
#define ROUNDS 6      /* update rounds per node */
#define UPDATED 3     /* customers both nodes update */
#define CHECKPOINTS 4 /* checkpoints asked of each node */
#define CLEAR_TRIES 9 /* reads in clear tried through each node */
#define IMPORTED 60   /* customers each node's import brings */

static const char *g_uri;

struct node {
	pid_t pid;
	unsigned port;
	FILE *out;
};

static struct {
	char *tmp, *dir[2], *key, *schema;
	struct pvt_csv csv;
	struct node n[2];
	/* two pairs of customers of one bucket each: the first of each is shredded */
	char shred_id[24], neighbour_id[24], shred2_id[24], neighbour2_id[24];
} g;

/* ---- A DBA's connection to the vault's schema ---- */

static PGconn *dba(void)
{
	PGconn *c = PQconnectdb(g_uri);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	char sql[160];
	snprintf(sql, sizeof sql, "SET search_path TO %s", g.schema);
	PQclear(PQexec(c, sql));
	return c;
}

/* The first value of sql's first row (malloc'd), run as a DBA with up to two parameters. */
static char *dba_value(const char *sql, const char *p1, const char *p2)
{
	PGconn *c = dba();
	const char *params[2] = { p1, p2 };
	int n = p2 ? 2 : p1 ? 1 : 0;
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	char *v = strdup(PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

static long dba_long(const char *sql, const char *p1, const char *p2)
{
	char *v = dba_value(sql, p1, p2);
	long n = strtol(v, NULL, 10);
	free(v);
	return n;
}

static void dba_exec(const char *sql)
{
	PGconn *c = dba();
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* Every write to the checkpoints and to the requests' states, logged by triggers. */
static void dba_watch_writes(void)
{
	dba_exec("CREATE TABLE dba_ckpt_writes(size bigint, op text);"
		 "CREATE FUNCTION dba_log_ckpt() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
		 "INSERT INTO dba_ckpt_writes VALUES (NEW.size, TG_OP); RETURN NEW; END $$;"
		 "CREATE TRIGGER dba_ckpt AFTER INSERT OR UPDATE ON audit_checkpoints "
		 "FOR EACH ROW EXECUTE FUNCTION dba_log_ckpt();"
		 "CREATE TABLE dba_request_writes(id text, old_state text, new_state text);"
		 "CREATE FUNCTION dba_log_request() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
		 "INSERT INTO dba_request_writes VALUES (NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN "
		 "OLD.state END, NEW.state); RETURN NEW; END $$;"
		 "CREATE TRIGGER dba_request AFTER INSERT OR UPDATE ON requests "
		 "FOR EACH ROW EXECUTE FUNCTION dba_log_request();");
}

/* ---- The two nodes ---- */

/* The schema named in dir's store record (malloc'd). */
static char *recorded_schema(const char *dir)
{
	char *text = pvt_read_file(pvt_keep(pvt_path(dir, "store")), NULL);
	assert_non_null(text);
	char *at = strstr(text, "schema=");
	assert_non_null(at);
	at += 7;
	at[strcspn(at, "&\n")] = '\0';
	char *schema = strdup(at);
	free(text);
	return schema;
}

/* Node 2 as the README says: its own directory with the store record, a copy of the
 * keyring, and no node file (it makes its own at its first open). */
static void make_second_node(void)
{
	char *n2 = pvt_keep(pvt_path(g.tmp, "n2"));
	assert_int_equal(mkdir(n2, 0700), 0);
	g.dir[1] = pvt_path(n2, "v");
	assert_int_equal(mkdir(g.dir[1], 0700), 0);
	assert_int_equal(pvt_run(NULL, "cp '%s/store' '%s/store' && cp '%s.keyring' '%s.keyring'",
				 g.dir[0], g.dir[1], g.dir[0], g.dir[1]), 0);
}

/* Start `pivault-test serve` on node i's directory (plain HTTP, a free loopback port, rate
 * limits far above what the test does). */
static void serve(int i)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		setenv("PIVAULT_KEY_FILE", g.key, 1);
		execl(pvt_program("pivault-test"), "pivault-test", "serve", "--vault", g.dir[i],
		      "--listen", "127.0.0.1:0", "--plain-http", "--threads", "4",
		      "--session-minutes", "60", "--sign-in-per-address", "100000",
		      "--sign-in-per-user", "100000", "--reads-per-second", "100000",
		      "--reads-burst", "100000", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	g.n[i].pid = pid;
	g.n[i].out = fdopen(fds[0], "r");
	char line[256] = "";
	if (!fgets(line, sizeof line, g.n[i].out))
		fail_msg("node %d: the server did not start", i + 1);
	const char *colon = strrchr(line, ':');
	assert_non_null(colon);
	g.n[i].port = (unsigned)atoi(colon + 1);
}

static void stop(int i)
{
	if (!g.n[i].pid)
		return;
	kill(g.n[i].pid, SIGTERM);
	int st = 0;
	assert_int_equal(waitpid(g.n[i].pid, &st, 0), g.n[i].pid);
	g.n[i].pid = 0;
	fclose(g.n[i].out);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Two pairs of customers of the sample vault that share a bucket (1024 slots, 200
 * customers: some 19 pairs are expected; fewer than two, about once in ten million). */
static void pick_bucket_pairs(void)
{
	char *pairs = dba_value("SELECT string_agg(p, ',') FROM (SELECT min(id) || ',' || max(id) "
				"AS p FROM customers GROUP BY bucket HAVING count(*) >= 2 ORDER BY "
				"min(id) LIMIT 2) t", NULL, NULL);
	char *ids[4] = { NULL }, *save = NULL;
	ids[0] = strtok_r(pairs, ",", &save);
	for (int k = 1; k < 4 && ids[k - 1]; k++)
		ids[k] = strtok_r(NULL, ",", &save);
	if (!ids[3])
		fail_msg("fewer than two buckets hold two customers");
	snprintf(g.shred_id, sizeof g.shred_id, "%s", ids[0]);
	snprintf(g.neighbour_id, sizeof g.neighbour_id, "%s", ids[1]);
	snprintf(g.shred2_id, sizeof g.shred2_id, "%s", ids[2]);
	snprintf(g.neighbour2_id, sizeof g.neighbour2_id, "%s", ids[3]);
	free(pairs);
}

static int setup(void **state)
{
	(void)state;
	memset(&g, 0, sizeof g);
	g.tmp = pvt_tempdir();
	char *n1 = pvt_keep(pvt_path(g.tmp, "n1"));
	assert_int_equal(mkdir(n1, 0700), 0);
	g.dir[0] = pvt_path(n1, "v");
	g.key = pvt_path(g.tmp, "root.key");
	assert_int_equal(pv_set_store(g_uri), PV_OK);
	char *csv = NULL;
	pv_vault *v = pvt_sample_vault(g.dir[0], g.key, CUSTOMERS, 15, &csv);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	assert_ok(v, pv_audit_set_alert_threshold(v, &admin, BULK_LIMIT));
	pv_vault_close(v);
	assert_int_equal(pvt_csv_parse(csv, &g.csv), 0);
	free(csv);
	assert_int_equal(pv_set_store(NULL), PV_OK);
	const struct pvts_user extra[] = { { "clerk3", "clerk", 1 }, { NULL, NULL, 0 } };
	pvts_add_users(g.dir[0], g.key, pvts_cast, PW);
	pvts_add_users(g.dir[0], g.key, extra, PW);
	g.schema = recorded_schema(g.dir[0]);
	make_second_node();
	pick_bucket_pairs();
	dba_watch_writes();
	serve(0);
	serve(1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++)
		if (g.n[i].pid) {
			kill(g.n[i].pid, SIGKILL);
			waitpid(g.n[i].pid, NULL, 0);
			fclose(g.n[i].out);
		}
	pvt_release_all();
	pvt_csv_free(&g.csv);
	pvt_rmtree(g.tmp);
	free(g.tmp);
	free(g.dir[0]);
	free(g.dir[1]);
	free(g.key);
	free(g.schema);
	return 0;
}

/* ---- Clients ---- */

/* One request to node i: its status, and its body's JSON kept in *json when not NULL. */
static int call(int i, const char *method, const char *path, const char *token,
		const char *body, json_t **json)
{
	struct pvts_resp r = pvts_http(g.n[i].port, method, path, token, body,
				       body ? strlen(body) : 0);
	int status = r.status;
	if (json) {
		*json = r.json;
		r.json = NULL;
	}
	pvts_resp_free(&r);
	return status;
}

/* Customer k's id (1-based) of the sample vault, or of a later row when that one is of
 * the bucket pair the shred is about (the clients' reads and updates leave them be). */
static const char *customer(size_t k)
{
	for (;; k = k % CUSTOMERS + 1) {
		const char *id = pvt_csv_get(&g.csv, k, "customer_id");
		if (strcmp(id, g.shred_id) != 0 && strcmp(id, g.neighbour_id) != 0 &&
		    strcmp(id, g.shred2_id) != 0 && strcmp(id, g.neighbour2_id) != 0)
			return id;
	}
}

/* Customer id as an admin sees it in clear through node i: its fields (a JSON object the
 * caller frees), or NULL when the read did not answer 200. */
static json_t *fields_of(int i, const char *token, const char *id)
{
	char path[160];
	snprintf(path, sizeof path, "/v1/customers/%s?purpose=service&clear=true", id);
	json_t *j = NULL;
	int st = call(i, "GET", path, token, NULL, &j);
	json_t *fields = st == 200 ? json_incref(json_object_get(j, "fields")) : NULL;
	json_decref(j);
	return fields;
}

static const char *value_of(json_t *fields, const char *field)
{
	const char *v = json_string_value(json_object_get(json_object_get(fields, field),
							  "value"));
	return v ? v : "(unread)";
}

/* What the concurrent clients did, checked once they are all done. */
struct outcome {
	int import_status[2];
	char import_code[2][32];
	long reads_ok[2];
	int updates_ok[2];
	char last_value[2][UPDATED][48]; /* the last value each node's updates acknowledged */
	int checkpoints_ok[2];
	int clear_ok[2], clear_refused[2], clear_other[2];
	int run_status[2];
};

struct client {
	int node;
	const char *token;
	struct outcome *o;
	pthread_barrier_t *go;
	const char *request; /* the approved shred's id */
	void *(*job)(struct client *c);
};

/* An import of IMPORTED new customers (ids from 10001 + node * 1000) by an admin. */
static void *import_job(struct client *c)
{
	char *csv = NULL;
	assert_int_equal(pvt_run(&csv, "'%s' -n %d --seed %d --start %d --canonical",
				 pvt_program("pvgen"), IMPORTED, 40 + c->node,
				 10001 + c->node * 1000), 0);
	pthread_barrier_wait(c->go);
	json_t *j = NULL;
	c->o->import_status[c->node] = call(c->node, "POST", "/v1/import?purpose=service",
					    c->token, csv, &j);
	const char *code = json_string_value(json_object_get(json_object_get(j, "error"),
							      "code"));
	snprintf(c->o->import_code[c->node], sizeof c->o->import_code[c->node], "%s",
		 code ? code : "");
	json_decref(j);
	free(csv);
	return NULL;
}

/* The phone of the sample vault's customer id. */
static const char *phone_of(const char *id)
{
	for (size_t r = 1; r < g.csv.nrows; r++)
		if (strcmp(pvt_csv_get(&g.csv, r, "customer_id"), id) == 0)
			return pvt_csv_get(&g.csv, r, "phone");
	fail_msg("no customer %s in the sample", id);
	return NULL;
}

/* Masked reads and finds by phone by clerk2, each audited. */
static void *reads_job(struct client *c)
{
	pthread_barrier_wait(c->go);
	for (int k = 0; k < READS; k++) {
		size_t row = 1 + (size_t)(k * 7 + c->node * 3) % CUSTOMERS;
		char path[200];
		if (k % 4 == 3)
			snprintf(path, sizeof path, "/v1/customers?purpose=service&phone=%%2B%s",
				 phone_of(customer(row)) + 1); /* '+' encoded */
		else
			snprintf(path, sizeof path, "/v1/customers/%s?purpose=service",
				 customer(row));
		c->o->reads_ok[c->node] += call(c->node, "GET", path, c->token, NULL, NULL) == 200;
	}
	return NULL;
}

/* Updates of the same customers from both nodes: node 1 sets address, node 2
 * preferences; each remembers the last value acknowledged. */
static void *update_job(struct client *c)
{
	const char *field = c->node ? "preferences" : "address";
	pthread_barrier_wait(c->go);
	for (int r = 0; r < ROUNDS; r++)
		for (int u = 0; u < UPDATED; u++) {
			char value[48], body[160], path[96];
			snprintf(value, sizeof value, "node%d round%d", c->node + 1, r);
			snprintf(body, sizeof body, "{\"fields\":{\"%s\":\"%s\"}}", field, value);
			snprintf(path, sizeof path, "/v1/customers/%s", customer(2 + 5 * (size_t)u));
			if (call(c->node, "PATCH", path, c->token, body, NULL) == 204) {
				c->o->updates_ok[c->node]++;
				snprintf(c->o->last_value[c->node][u], 48, "%s", value);
			}
		}
	return NULL;
}

static void *checkpoint_job(struct client *c)
{
	pthread_barrier_wait(c->go);
	for (int k = 0; k < CHECKPOINTS; k++)
		c->o->checkpoints_ok[c->node] += call(c->node, "POST", "/v1/audit/checkpoints",
						      c->token, "", NULL) == 201;
	return NULL;
}

/* One session (clerk1's) reading in clear through both nodes, each node other customers. */
static void *clear_job(struct client *c)
{
	pthread_barrier_wait(c->go);
	for (int k = 0; k < CLEAR_TRIES; k++) {
		char path[160];
		size_t row = 20 + (size_t)(c->node * CLEAR_TRIES + k);
		snprintf(path, sizeof path, "/v1/customers/%s?purpose=service&clear=true",
			 customer(row));
		json_t *j = NULL;
		int st = call(c->node, "GET", path, c->token, NULL, &j);
		const char *code = json_string_value(json_object_get(json_object_get(j, "error"),
								      "code"));
		if (st == 200)
			c->o->clear_ok[c->node]++;
		else if (st == 403 && code && strcmp(code, "bulk_limit") == 0)
			c->o->clear_refused[c->node]++;
		else
			c->o->clear_other[c->node]++;
		json_decref(j);
	}
	return NULL;
}

/* The approved shred run by its requester through node c->node, at the same moment as
 * through the other. */
static void *run_job(struct client *c)
{
	char body[96], path[96];
	snprintf(body, sizeof body, "{\"request\":\"%s\"}", c->request);
	snprintf(path, sizeof path, "/v1/customers/%s/shred", g.shred_id);
	pthread_barrier_wait(c->go);
	c->o->run_status[c->node] = call(c->node, "POST", path, c->token, body, NULL);
	return NULL;
}

static void *client_main(void *p)
{
	struct client *c = p;
	return c->job(c);
}

/* dpo1 asks through node 1 for the shred of customer who, dpo2 approves through node 2:
 * the request's id (malloc'd). */
static char *approved_shred(const char *who, const char *dpo1, const char *dpo2)
{
	char id[64], path[96];
	snprintf(path, sizeof path, "/v1/customers/%s/shred", who);
	json_t *j = NULL;
	assert_int_equal(call(0, "POST", path, dpo1, "{\"reason\":\"two nodes\"}", &j), 202);
	const char *rid = json_string_value(json_object_get(json_object_get(j, "request"), "id"));
	assert_non_null(rid);
	snprintf(id, sizeof id, "%s", rid);
	json_decref(j);
	char approve[96];
	snprintf(approve, sizeof approve, "/v1/requests/%s/approve", id);
	assert_int_equal(call(1, "POST", approve, dpo2, "{\"reason\":\"agreed\"}", NULL), 200);
	return strdup(id);
}

/* ---- The checks afterwards ---- */

static void check_imports(const struct outcome *o)
{
	int ok = 0;
	for (int i = 0; i < 2; i++) {
		char lo[16], hi[16];
		snprintf(lo, sizeof lo, "C%08d", 10001 + i * 1000);
		snprintf(hi, sizeof hi, "C%08d", 10000 + i * 1000 + IMPORTED);
		long n = dba_long("SELECT count(*) FROM customers WHERE id BETWEEN $1 AND $2", lo,
				  hi);
		if (o->import_status[i] == 200) {
			ok++;
			assert_int_equal(n, IMPORTED);
		} else { /* refused cleanly: busy, nothing of it left */
			if (o->import_status[i] != 503 || strcmp(o->import_code[i], "busy") != 0)
				fail_msg("node %d's import: %d %s", i + 1, o->import_status[i],
					 o->import_code[i]);
			assert_int_equal(n, 0);
		}
	}
	assert_true(ok >= 1);
	assert_int_equal(dba_long("SELECT count(*) FROM import_pending", NULL, NULL), 0);
}

/* The log: one chain, verified by the command through either node's directory, sequence
 * numbers 1..n without a gap, every read answered audited. */
static void check_audit(const struct outcome *o)
{
	for (int i = 0; i < 2; i++) {
		char *out = NULL;
		int rc = pvt_run(&out, "PIVAULT_KEY_FILE='%s' '%s' audit verify --vault '%s' 2>&1",
				 g.key, pvt_program("pivault-test"), g.dir[i]);
		if (rc != 0 || !strstr(out, "chain intact"))
			fail_msg("audit verify through node %d: %d %s", i + 1, rc, out);
		free(out);
	}
	long n = dba_long("SELECT count(*) FROM audit", NULL, NULL);
	assert_int_equal(dba_long("SELECT max(seq) FROM audit", NULL, NULL), n);
	assert_int_equal(dba_long("SELECT min(seq) FROM audit", NULL, NULL), 1);
	assert_int_equal(dba_long("SELECT count(*) FROM audit WHERE user_name = 'clerk2' AND "
				  "op IN ('read', 'find') AND outcome = 'ok'", NULL, NULL),
			 o->reads_ok[0] + o->reads_ok[1]);
	assert_int_equal(o->reads_ok[0] + o->reads_ok[1], 2 * READS);
}

/* `pivault doctor` through each node's directory (whose open brings that node up to
 * date) names no lagging node: the other node acknowledged while it served. */
static void check_doctor_names_no_lag(void)
{
	for (int i = 0; i < 2; i++) {
		char *out = NULL;
		(void)pvt_run(&out, "PIVAULT_KEY_FILE='%s' '%s' doctor --vault '%s' 2>&1", g.key,
			      pvt_program("pivault-test"), g.dir[i]);
		assert_non_null(out);
		if (!strstr(out, "finding") || strstr(out, "lags the keyring journal"))
			fail_msg("doctor through node %d: %s", i + 1, out);
		free(out);
	}
}

/* Each checkpoint position written once (never replaced by another node's signature). */
static void check_checkpoints(const struct outcome *o)
{
	assert_int_equal(o->checkpoints_ok[0] + o->checkpoints_ok[1], 2 * CHECKPOINTS);
	assert_int_equal(dba_long("SELECT count(*) FROM (SELECT size FROM dba_ckpt_writes GROUP "
				  "BY size HAVING count(*) > 1) t", NULL, NULL), 0);
	assert_int_equal(dba_long("SELECT count(*) FROM dba_ckpt_writes WHERE op = 'UPDATE'",
				  NULL, NULL), 0);
	assert_true(dba_long("SELECT count(*) FROM audit_checkpoints", NULL, NULL) >=
		    2 * CHECKPOINTS);
}

/* The approval consumed once: one run answered 200, the request's state went to used
 * once, one shred entry. */
static void check_approval(const struct outcome *o, const char *request)
{
	int ok = (o->run_status[0] == 200) + (o->run_status[1] == 200);
	if (ok != 1)
		fail_msg("the approved shred ran %d times (statuses %d, %d)", ok, o->run_status[0],
			 o->run_status[1]);
	assert_int_equal(dba_long("SELECT count(*) FROM dba_request_writes WHERE id = $1 AND "
				  "new_state = 'used'", request, NULL), 1);
	assert_int_equal(dba_long("SELECT count(*) FROM audit WHERE op = 'shred' AND outcome = "
				  "'ok' AND ids = $1", g.shred_id, NULL), 1);
	assert_int_equal(dba_long("SELECT count(*) FROM customers WHERE id = $1", g.shred_id,
				  NULL), 0);
}

static void check_bulk_limit(const struct outcome *o)
{
	assert_int_equal(o->clear_other[0] + o->clear_other[1], 0);
	int shown = o->clear_ok[0] + o->clear_ok[1];
	if (shown != BULK_LIMIT)
		fail_msg("one session was shown %d customers in clear through two nodes (limit %d)",
			 shown, BULK_LIMIT);
	assert_int_equal(o->clear_refused[0] + o->clear_refused[1],
			 2 * CLEAR_TRIES - BULK_LIMIT);
}

/* No lost update: each node's last acknowledged value is the one stored, read through
 * both nodes (by sessions of their own: the bulk limit counts a session's reads). */
static void check_updates(const struct outcome *o, const char *adm[2])
{
	assert_int_equal(o->updates_ok[0], ROUNDS * UPDATED);
	assert_int_equal(o->updates_ok[1], ROUNDS * UPDATED);
	for (int via = 0; via < 2; via++)
		for (int u = 0; u < UPDATED; u++) {
			const char *id = customer(2 + 5 * (size_t)u);
			json_t *f = fields_of(via, adm[via], id);
			if (!f)
				fail_msg("customer %s does not read through node %d", id, via + 1);
			for (int i = 0; i < 2; i++) {
				const char *field = i ? "preferences" : "address";
				if (strcmp(value_of(f, field), o->last_value[i][u]) != 0)
					fail_msg("customer %s through node %d: %s is '%s', last "
						 "acknowledged '%s'", id, via + 1, field,
						 value_of(f, field), o->last_value[i][u]);
			}
			json_decref(f);
		}
}

/* After a shred: the customer is gone on both nodes, its bucket's other customer reads
 * on both. */
static void check_shred_reached_both(const char *adm[2], const char *gone,
				     const char *neighbour)
{
	for (int i = 0; i < 2; i++) {
		char path[160];
		snprintf(path, sizeof path, "/v1/customers/%s?purpose=service", gone);
		assert_int_equal(call(i, "GET", path, adm[i], NULL, NULL), 404);
		json_t *f = fields_of(i, adm[i], neighbour);
		if (!f)
			fail_msg("node %d cannot read %s, of shredded %s's bucket", i + 1, neighbour,
				 gone);
		json_decref(f);
	}
}

/* Both nodes registered, and each acknowledged every entry of the keyring journal. */
static void check_nodes_acknowledged(void)
{
	long last = dba_long("SELECT coalesce(max(seq), 0) FROM keyring_journal", NULL, NULL);
	assert_true(last >= 2);
	char lastv[24];
	snprintf(lastv, sizeof lastv, "%ld", last);
	assert_int_equal(dba_long("SELECT count(*) FROM keyring_nodes", NULL, NULL), 2);
	long acked = dba_long("SELECT count(*) FROM keyring_nodes WHERE applied_seq = $1", lastv,
			      NULL);
	if (acked != 2)
		fail_msg("%ld of 2 nodes acknowledged the keyring journal's %ld entries", acked,
			 last);
}

/* A shred through node 1 alone (the other node takes no part in it): its journal entry
 * reaches node 2 all the same. */
static void shred_through_first(const char *dpo1, const char *dpo2)
{
	char *request = approved_shred(g.shred2_id, dpo1, dpo2);
	char body[96], path[96];
	snprintf(body, sizeof body, "{\"request\":\"%s\"}", request);
	snprintf(path, sizeof path, "/v1/customers/%s/shred", g.shred2_id);
	assert_int_equal(call(0, "POST", path, dpo1, body, NULL), 200);
	free(request);
}

/* ---- An approved read in clear run by its requester through both nodes' directories ---- */

/* `pivault-test ARGS` as clerk3 (password file in the folder), its exit status and
 * output (malloc'd into *out when not NULL). */
static int as_clerk3(char **out, const char *dir, const char *args)
{
	char *pw = pvt_keep(pvt_path(g.tmp, "clerk3.pw"));
	if (access(pw, F_OK) != 0)
		assert_int_equal(pvt_write_file(pw, PW "\n", strlen(PW) + 1), 0);
	return pvt_run(out, "PIVAULT_PASSWORD_FILE='%s' '%s' %s --vault '%s' --user clerk3 2>&1",
		       pw, pvt_program("pivault-test"), args, dir);
}

struct cli_run {
	int node;
	const char *request;
	int status;
};

static void *cli_run_main(void *p)
{
	struct cli_run *r = p;
	char args[96];
	snprintf(args, sizeof args, "run %s", r->request);
	char *out = NULL; /* what it printed (customers in clear) is dropped */
	r->status = as_clerk3(&out, g.dir[r->node], args);
	free(out);
	return NULL;
}

static void nap_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

/* The number of lock requests waiting on the vault's requests table. */
static long waiting_on_requests(PGconn *c)
{
	PGresult *r = PQexecParams(c, "SELECT count(*) FROM pg_locks l JOIN pg_class t ON t.oid = "
				   "l.relation JOIN pg_namespace n ON n.oid = t.relnamespace WHERE "
				   "t.relname = 'requests' AND n.nspname = $1 AND NOT l.granted", 1,
				   NULL, (const char *const[]){ g.schema }, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	long n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

/* clerk3 asks for a list in clear past the bulk limit (a "read clear" approval, used
 * outside any transaction of the read), dpo2 approves, and clerk3 runs it through both
 * nodes' directories at once while a DBA holds writes to the requests table: both runs
 * have read the request by the time it lets go. Exactly one runs. */
static void check_read_clear_runs_once(void)
{
	char *out = NULL;
	if (as_clerk3(&out, g.dir[0], "request list --clear --purpose service --limit 20 "
		      "--json") != 0)
		fail_msg("request list: %s", out);
	json_t *j = json_loads(out, 0, NULL);
	const char *id = json_string_value(json_object_get(j, "request"));
	if (!id)
		fail_msg("no request id in: %s", out);
	char request[64];
	snprintf(request, sizeof request, "%s", id);
	json_decref(j);
	free(out);
	char approve[96];
	snprintf(approve, sizeof approve, "/v1/requests/%s/approve", request);
	const char *dpo2 = pvt_keep(pvts_sign_in(g.n[1].port, "dpo2", PW));
	assert_int_equal(call(1, "POST", approve, dpo2, "{\"reason\":\"ok\"}", NULL), 200);

	PGconn *c = dba();
	PQclear(PQexec(c, "BEGIN"));
	PGresult *r = PQexec(c, "LOCK TABLE requests IN EXCLUSIVE MODE");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	struct cli_run runs[2] = { { 0, request, -1 }, { 1, request, -1 } };
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, cli_run_main, &runs[i]), 0);
	double until = pvt_now() + 60;
	while (waiting_on_requests(c) < 1 && pvt_now() < until)
		nap_ms(20);
	nap_ms(1500); /* the other run reaches the table too, or waits its turn before */
	PQclear(PQexec(c, "COMMIT"));
	PQfinish(c);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	int ran = (runs[0].status == 0) + (runs[1].status == 0);
	if (ran != 1)
		fail_msg("the approved read in clear ran %d times (exit statuses %d, %d)", ran,
			 runs[0].status, runs[1].status);
	assert_int_equal(dba_long("SELECT count(*) FROM dba_request_writes WHERE id = $1 AND "
				  "new_state = 'used'", request, NULL), 1);
}

/* The bulk limit lowered through node 1 (asked by dpo1, approved by dpo2, run) holds at
 * once for a new session on node 2, whose handles were open before. */
static void check_lowered_limit_reaches_both(void)
{
	const char *dpo1 = pvt_keep(pvts_sign_in(g.n[0].port, "dpo1", PW));
	const char *dpo2 = pvt_keep(pvts_sign_in(g.n[1].port, "dpo2", PW));
	json_t *j = NULL;
	char body[160];
	snprintf(body, sizeof body, "{\"per_hour\":%d,\"reason\":\"fewer\"}", BULK_LIMIT / 2);
	assert_int_equal(call(0, "POST", "/v1/audit/threshold", dpo1, body, &j), 202);
	char id[64], path[96];
	snprintf(id, sizeof id, "%s", json_string_value(json_object_get(json_object_get(j,
				"request"), "id")));
	json_decref(j);
	snprintf(path, sizeof path, "/v1/requests/%s/approve", id);
	assert_int_equal(call(1, "POST", path, dpo2, "{\"reason\":\"ok\"}", NULL), 200);
	snprintf(body, sizeof body, "{\"per_hour\":%d,\"request\":\"%s\"}", BULK_LIMIT / 2, id);
	assert_int_equal(call(0, "POST", "/v1/audit/threshold", dpo1, body, NULL), 204);
	const char *clerk3 = pvt_keep(pvts_sign_in(g.n[1].port, "clerk3", PW));
	int shown = 0;
	for (size_t k = 0; k < BULK_LIMIT; k++) {
		snprintf(path, sizeof path, "/v1/customers/%s?purpose=service&clear=true",
			 customer(120 + k));
		shown += call(1, "GET", path, clerk3, NULL, NULL) == 200;
	}
	if (shown != BULK_LIMIT / 2)
		fail_msg("node 2 showed %d customers in clear to a new session under a bulk limit "
			 "lowered to %d through node 1", shown, BULK_LIMIT / 2);
}

/* Start the clients on both nodes at once and wait for them all. */
static void run_clients(struct client *cl, size_t n)
{
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, (unsigned)n);
	pthread_t t[16];
	assert_true(n <= 16);
	for (size_t k = 0; k < n; k++) {
		cl[k].go = &go;
		assert_int_equal(pthread_create(&t[k], NULL, client_main, &cl[k]), 0);
	}
	for (size_t k = 0; k < n; k++)
		pthread_join(t[k], NULL);
	pthread_barrier_destroy(&go);
}

static void test_two_nodes_keep_invariants(void **state)
{
	(void)state;
	const char *adm[2] = { pvt_keep(pvts_sign_in(g.n[0].port, "adm", PW)),
			       pvt_keep(pvts_sign_in(g.n[1].port, "adm2", PW)) };
	const char *clerk2[2] = { pvt_keep(pvts_sign_in(g.n[0].port, "clerk2", PW)),
				  pvt_keep(pvts_sign_in(g.n[1].port, "clerk2", PW)) };
	const char *aud[2] = { pvt_keep(pvts_sign_in(g.n[0].port, "aud", PW)),
			       pvt_keep(pvts_sign_in(g.n[1].port, "aud", PW)) };
	const char *clerk1 = pvt_keep(pvts_sign_in(g.n[0].port, "clerk1", PW));
	const char *dpo1 = pvt_keep(pvts_sign_in(g.n[0].port, "dpo1", PW));
	const char *dpo2 = pvt_keep(pvts_sign_in(g.n[1].port, "dpo2", PW));
	const char *request = pvt_keep(approved_shred(g.shred_id, dpo1, dpo2));
	struct outcome o;
	memset(&o, 0, sizeof o);
	struct client cl[12];
	size_t n = 0;
	for (int i = 0; i < 2; i++) {
		cl[n++] = (struct client){ i, adm[i], &o, NULL, NULL, import_job };
		cl[n++] = (struct client){ i, clerk2[i], &o, NULL, NULL, reads_job };
		cl[n++] = (struct client){ i, adm[i], &o, NULL, NULL, update_job };
		cl[n++] = (struct client){ i, aud[i], &o, NULL, NULL, checkpoint_job };
		cl[n++] = (struct client){ i, clerk1, &o, NULL, NULL, clear_job };
		cl[n++] = (struct client){ i, dpo1, &o, NULL, request, run_job };
	}
	run_clients(cl, n);

	check_imports(&o);
	check_approval(&o, request);
	check_bulk_limit(&o);
	const char *checker[2] = { pvt_keep(pvts_sign_in(g.n[0].port, "adm", PW)),
				   pvt_keep(pvts_sign_in(g.n[1].port, "adm2", PW)) };
	check_updates(&o, checker);
	check_shred_reached_both(checker, g.shred_id, g.neighbour_id);
	shred_through_first(dpo1, dpo2);
	check_shred_reached_both(checker, g.shred2_id, g.neighbour2_id);
	check_nodes_acknowledged();
	check_read_clear_runs_once();
	check_lowered_limit_reaches_both();
	stop(0);
	stop(1);
	check_audit(&o);
	check_checkpoints(&o);
	check_doctor_names_no_lag();
}

int main(void)
{
	g_uri = pvt_program_needs_postgresql();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_nodes_keep_invariants, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
