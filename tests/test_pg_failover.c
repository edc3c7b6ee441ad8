/* SPDX-License-Identifier: Apache-2.0 */
/* test_pg_failover.c: a vault in PostgreSQL through a failover (issue 15). The test starts
 * a primary and a streaming standby of its own on loopback (scripts/pg-cluster.sh; the
 * primary synchronous: a commit returns once the standby has its WAL on disk), makes a
 * vault on a multi-host location (target_session_attrs=read-write), and runs load from two
 * nodes (two processes, each with its own vault directory and keyring copy, one long-lived
 * handle each): small imports, updates, reads, each audited. Then the standby stops
 * answering, so that each node's next commit waits, and the primary is killed (SIGKILL to
 * every process of it): the commits in flight are reported failed with their outcome
 * unknown, never done; while no primary exists every operation is refused at once with a
 * clear store failure, and a new open too; once the standby is promoted, the same handles
 * connect again and their writes are acknowledged. At the end every acknowledged import,
 * update and read is in the vault and in its audit log, an import without an answer is
 * there whole or not at all, and the audit log verifies. Skipped (77) without PostgreSQL's
 * programs, failed then under PV_REQUIRE_POSTGRESQL=1. PV_FAILOVER_SHOW=1 prints both
 * nodes' logs of operations (outcome, seconds, message). */
#include "testutil.h"

#include "pivault.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NODES 2
#define ACKS_BEFORE 6   /* acknowledged operations of each node before the crash */
#define ACKS_AFTER 4    /* ... and after the promotion, on the same handle */
#define REFUSALS 2      /* operations of each node refused while no primary exists */
#define OP_MAX_S 20.0   /* an operation taking longer hangs */
#define BATCH 3         /* customers in one small import */
#define SAMPLE 12       /* customers imported at the start; node n updates its half */
#define MAX_OPS 4096

static const pv_access ADMIN = { "admin", "all", PV_WANT_MASKED };

static struct {
	char *tmp, *primary, *standby, *uri, *key, *stop;
	char *dir[NODES], *keyring[NODES], *log[NODES];
	pid_t load[NODES];
} g;

/* One operation a node made, as its log line says. */
struct op {
	char kind[8]; /* imp, upd, get */
	int ok, rc;
	double seconds;
	char arg[32], value[48]; /* a customer id (an import's first), an update's value */
	char msg[600];
};

/* scripts/pg-cluster.sh CMD A [B]: its exit status. */
static int cluster(const char *cmd, const char *a, const char *b)
{
	return pvt_run(NULL, "bash '%s/scripts/pg-cluster.sh' %s '%s' '%s' >&2", PV_SOURCE_DIR,
		       cmd, a, b ? b : "");
}

/* A new path for a server's directory, under /tmp (the postgres user reaches it). */
static char *server_dir(const char *tag)
{
	char path[128];
	snprintf(path, sizeof path, "/tmp/pivault-pgfo.%ld.%s", (long)getpid(), tag);
	pvt_rmtree(path); /* a leftover of an earlier run with the same pid */
	return strdup(path);
}

/* The port in a cluster directory's conninfo (postgresql://user@host:PORT/db). */
static long port_of(const char *dir)
{
	char *path = pvt_path(dir, "conninfo");
	char *text = pvt_read_file(path, NULL);
	free(path);
	assert_non_null(text);
	char *slash = strrchr(text, '/'), *colon = NULL;
	assert_non_null(slash);
	*slash = '\0';
	colon = strrchr(text, ':');
	assert_non_null(colon);
	long port = strtol(colon + 1, NULL, 10);
	free(text);
	return port;
}

/* One password file for both servers (the same user and password on each). */
static void write_passfile(void)
{
	char *both = pvt_path(g.tmp, "pgpass");
	FILE *f = fopen(both, "w");
	assert_non_null(f);
	const char *dirs[2] = { g.primary, g.standby };
	for (int i = 0; i < 2; i++) {
		char *path = pvt_path(dirs[i], "pgpass");
		char *text = pvt_read_file(path, NULL);
		assert_non_null(text);
		fputs(text, f);
		free(text);
		free(path);
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(both, 0600), 0);
	setenv("PGPASSFILE", both, 1);
	free(both);
}

/* Node 2: a vault directory of its own (the store's record) and a copy of the keyring,
 * as README's "A vault in PostgreSQL" has it. */
static void make_node2(void)
{
	char *top = pvt_path(g.tmp, "node2");
	assert_int_equal(mkdir(top, 0700), 0);
	g.dir[1] = pvt_path(top, "v");
	g.keyring[1] = pvt_path(top, "v.keyring");
	assert_int_equal(pvt_run(NULL, "cp -a '%s' '%s' && cp -a '%s' '%s'", g.dir[0], g.dir[1],
				 g.keyring[0], g.keyring[1]), 0);
	free(top);
}

static int group_setup(void **state)
{
	(void)state;
	g.tmp = pvt_tempdir();
	g.primary = server_dir("primary");
	g.standby = server_dir("standby");
	assert_int_equal(cluster("start", g.primary, NULL), 0);
	assert_int_equal(cluster("standby", g.primary, g.standby), 0);
	write_passfile();
	char uri[512];
	snprintf(uri, sizeof uri, "postgresql://pivault@127.0.0.1:%ld,127.0.0.1:%ld/postgres?"
		 "target_session_attrs=read-write&connect_timeout=5&schema=pv_failover",
		 port_of(g.primary), port_of(g.standby));
	g.uri = strdup(uri);
	assert_int_equal(pv_set_store(g.uri), PV_OK);
	g.key = pvt_path(g.tmp, "root.key");
	g.dir[0] = pvt_path(g.tmp, "v");
	g.keyring[0] = pvt_path(g.tmp, "v.keyring");
	pvt_vclose(pvt_sample_vault(g.dir[0], g.key, SAMPLE, 5, NULL));
	make_node2();
	assert_int_equal(pv_set_store(NULL), PV_OK); /* each open follows its record */
	g.stop = pvt_path(g.tmp, "stop");
	for (int n = 0; n < NODES; n++) {
		char name[32];
		snprintf(name, sizeof name, "node%d.log", n + 1);
		g.log[n] = pvt_path(g.tmp, name);
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int n = 0; n < NODES; n++)
		if (g.load[n] > 0) { /* a load still running after a failed assertion */
			kill(g.load[n], SIGKILL);
			waitpid(g.load[n], NULL, 0);
		}
	if (g.primary)
		cluster("stop", g.primary, NULL);
	if (g.standby)
		cluster("stop", g.standby, NULL);
	pvt_rmtree(g.tmp);
	free(g.tmp);
	free(g.primary);
	free(g.standby);
	free(g.uri);
	free(g.key);
	free(g.stop);
	for (int n = 0; n < NODES; n++) {
		free(g.dir[n]);
		free(g.keyring[n]);
		free(g.log[n]);
	}
	return 0;
}

/* ---- The load: one process per node, its outcomes in its log ---- */

/* The log line of one operation: kind ok|fail rc seconds arg value, a tab, the message
 * (for a failure; "-" otherwise). One write, so the parent never reads half a line. */
static void note(int fd, const char *kind, pv_rc rc, double seconds, const char *arg,
		 const char *value, const char *msg)
{
	char line[1024];
	int n = snprintf(line, sizeof line, "%s %s %d %.3f %s %s\t%s\n", kind,
			 rc == PV_OK ? "ok" : "fail", (int)rc, seconds, arg, value,
			 rc == PV_OK ? "-" : msg);
	if (n > 0 && write(fd, line, (size_t)n) != n)
		_exit(3);
}

/* Import BATCH new customers (ids from first on), written by pvgen. */
static pv_rc load_import(pv_vault *v, int node, unsigned first, char *arg, size_t cap)
{
	char name[64];
	snprintf(name, sizeof name, "node%d-%u.csv", node + 1, first);
	char *csv = pvt_path(g.tmp, name);
	snprintf(arg, cap, "C%08u", first);
	if (pvt_run(NULL, "'%s' -n %d --start %u --seed %u --canonical -o '%s'",
		    pvt_program("pvgen"), BATCH, first, first, csv) != 0)
		_exit(4);
	pv_import_opts io = { 0 };
	io.threads = 1;
	pv_import_result *res = NULL;
	pv_rc rc = pv_import_csv(v, &ADMIN, csv, &io, &res);
	if (rc == PV_OK && pv_import_rows_imported(res) != BATCH)
		_exit(5);
	pv_import_free(res);
	free(csv);
	return rc;
}

/* Operation number i of node: an import, an update of one of the node's own customers, or a
 * read (each audited), noted in fd. */
static pv_rc load_op(pv_vault *v, int node, unsigned i, int fd)
{
	static const char *const kinds[3] = { "imp", "upd", "get" };
	char arg[32], value[48] = "-";
	unsigned customer = 1 + (unsigned)node * (SAMPLE / NODES) + i % (SAMPLE / NODES);
	snprintf(arg, sizeof arg, "C%08u", customer);
	double start = pvt_now();
	pv_rc rc;
	if (i % 3 == 0) {
		rc = load_import(v, node, 1001 + 4000 * (unsigned)node + (i / 3) * BATCH, arg,
				 sizeof arg);
	} else if (i % 3 == 1) {
		snprintf(value, sizeof value, "node%d-op%u", node + 1, i);
		rc = pv_update(v, &ADMIN, arg, "preferences", value);
	} else {
		pv_access who = { "admin", "service", PV_WANT_MASKED };
		pv_record *r = NULL;
		rc = pv_get(v, &who, arg, &r);
		pv_record_free(r);
	}
	note(fd, kinds[i % 3], rc, pvt_now() - start, arg, value, pv_errmsg(v));
	return rc;
}

/* The load of node (a child process): operations until the stop file appears; a failure
 * is noted and the next operation tried after a pause. Never returns. */
static void load_run(int node)
{
	int fd = open(g.log[node], O_WRONLY | O_CREAT | O_APPEND, 0600);
	pv_key *key = NULL;
	pv_vault *v = NULL;
	if (fd < 0 || pv_key_from_file(g.key, &key) != PV_OK)
		_exit(2);
	pv_rc rc = pv_vault_open(g.dir[node], g.keyring[node], key, &v);
	pv_key_free(key);
	if (rc != PV_OK) {
		note(fd, "open", rc, 0, "-", "-", pv_errmsg(v));
		_exit(2);
	}
	struct timespec pause = { 0, 20 * 1000 * 1000 }, after_failure = { 0, 150 * 1000 * 1000 };
	for (unsigned i = 0; access(g.stop, F_OK) != 0; i++)
		nanosleep(load_op(v, node, i, fd) == PV_OK ? &pause : &after_failure, NULL);
	pv_vault_close(v);
	close(fd);
	_exit(0);
}

static void load_start(void)
{
	for (int n = 0; n < NODES; n++) {
		fflush(NULL);
		g.load[n] = fork();
		assert_true(g.load[n] >= 0);
		if (g.load[n] == 0)
			load_run(n);
	}
}

/* Stop the loads; each must end well (exit status 0). */
static void load_stop(void)
{
	assert_int_equal(pvt_write_file(g.stop, "", 0), 0);
	for (int n = 0; n < NODES; n++) {
		int st = 0;
		assert_int_equal(waitpid(g.load[n], &st, 0), g.load[n]);
		g.load[n] = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail_msg("node %d's load ended with status %d", n + 1, st);
	}
}

/* ---- Reading the logs ---- */

/* Node's operations so far into ops (at most MAX_OPS); their number. */
static size_t log_read(int node, struct op *ops)
{
	char *text = pvt_read_file(g.log[node], NULL);
	if (!text)
		return 0;
	size_t n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line && n < MAX_OPS;
	     line = strtok_r(NULL, "\n", &save)) {
		struct op *o = &ops[n];
		char result[8];
		char *tab = strchr(line, '\t');
		assert_non_null(tab);
		*tab = '\0';
		snprintf(o->msg, sizeof o->msg, "%s", tab + 1);
		if (sscanf(line, "%7s %7s %d %lf %31s %47s", o->kind, result, &o->rc, &o->seconds,
			   o->arg, o->value) != 6)
			fail_msg("node %d's log: a malformed line", node + 1);
		o->ok = strcmp(result, "ok") == 0;
		n++;
	}
	free(text);
	return n;
}

/* How many of node's operations from number from on succeeded (ok) or failed (!ok). */
static size_t count_from(int node, size_t from, int ok, size_t *total)
{
	static struct op ops[MAX_OPS];
	size_t n = log_read(node, ops), c = 0;
	for (size_t i = from; i < n; i++)
		c += ops[i].ok == ok;
	if (total)
		*total = n;
	return c;
}

/* Wait (up to seconds) until node has want operations with outcome ok from number from. */
static void wait_for_ops(int node, size_t from, int ok, size_t want, double seconds)
{
	double start = pvt_now();
	while (count_from(node, from, ok, NULL) < want) {
		if (pvt_now() - start > seconds)
			fail_msg("node %d: fewer than %zu %s operations after %.0f s", node + 1, want,
				 ok ? "acknowledged" : "refused", seconds);
		struct timespec step = { 0, 50 * 1000 * 1000 };
		nanosleep(&step, NULL);
	}
}

/* ---- What must hold after the failover ---- */

/* A failure as a user sees it while no primary exists or at the crash: a store failure
 * saying what happened; never a hang. */
static void check_failure(int node, const struct op *o)
{
	if (o->rc != PV_ERR_STORE)
		fail_msg("node %d: %s failed with rc %d, not a store failure: %s", node + 1, o->kind,
			 o->rc, o->msg);
	if (!strstr(o->msg, "connection to the store was lost") &&
	    !strstr(o->msg, "no writable server"))
		fail_msg("node %d: %s failed without saying why clearly: %s", node + 1, o->kind,
			 o->msg);
}

/* Every operation took less than OP_MAX_S; every failure came after the crash began
 * (first_after_pause: the node's first operation number then) and says what happened;
 * *unknown counts the commits whose outcome was reported unknown. */
static void check_outcomes(int node, size_t first_after_pause, size_t *unknown)
{
	static struct op ops[MAX_OPS];
	size_t n = log_read(node, ops);
	for (size_t i = 0; i < n; i++) {
		if (ops[i].seconds > OP_MAX_S)
			fail_msg("node %d: %s took %.1f s", node + 1, ops[i].kind, ops[i].seconds);
		if (ops[i].ok)
			continue;
		if (i < first_after_pause)
			fail_msg("node %d: %s failed before the crash: %s", node + 1, ops[i].kind,
				 ops[i].msg);
		check_failure(node, &ops[i]);
		*unknown += strstr(ops[i].msg, "is unknown") != NULL;
	}
}

/* The audit log's entries, as (op, ids) pairs. */
struct entries {
	size_t n, cap;
	char **op, **ids;
};

static int keep_entry(void *ctx, const pv_audit_entry *e)
{
	struct entries *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->op = realloc(l->op, l->cap * sizeof *l->op);
		l->ids = realloc(l->ids, l->cap * sizeof *l->ids);
		assert_true(l->op && l->ids);
	}
	l->op[l->n] = strdup(e->op ? e->op : "");
	l->ids[l->n] = strdup(e->ids ? e->ids : "");
	l->n++;
	return 0;
}

/* How many entries of op name id among their ids. */
static size_t entries_naming(const struct entries *l, const char *op, const char *id)
{
	size_t c = 0;
	for (size_t i = 0; i < l->n; i++)
		c += strcmp(l->op[i], op) == 0 && strstr(l->ids[i], id) != NULL;
	return c;
}

static void entries_free(struct entries *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->op[i]);
		free(l->ids[i]);
	}
	free(l->op);
	free(l->ids);
}

/* The audit op of a load operation's kind. */
static const char *audit_op(const char *kind)
{
	return strcmp(kind, "imp") == 0 ? "import" : strcmp(kind, "upd") == 0 ? "update" : "read";
}

/* Every acknowledged operation of node has its audit entry: as many entries of its op
 * naming its customer as acknowledged operations of that kind on it. */
static void check_audited(const struct entries *l, const struct op *ops, size_t n, int node)
{
	for (size_t i = 0; i < n; i++) {
		if (!ops[i].ok)
			continue;
		size_t acked = 0;
		for (size_t j = 0; j < n; j++)
			acked += ops[j].ok && strcmp(ops[j].kind, ops[i].kind) == 0 &&
				 strcmp(ops[j].arg, ops[i].arg) == 0;
		size_t found = entries_naming(l, audit_op(ops[i].kind), ops[i].arg);
		if (found < acked)
			fail_msg("node %d: %zu acknowledged %s of %s, %zu audit entries", node + 1,
				 acked, ops[i].kind, ops[i].arg, found);
	}
}

/* Customer id's preferences as the admin sees them in clear (malloc'd), or NULL when the
 * customer is not there. */
static char *preferences_of(pv_vault *v, const char *id)
{
	pv_access who = { "admin", "all", PV_WANT_CLEAR };
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &who, id, &r);
	if (rc == PV_ERR_NOT_FOUND)
		return NULL;
	if (rc != PV_OK)
		fail_msg("read %s: %s", id, pv_errmsg(v));
	char *out = NULL;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), "preferences") == 0)
			out = strdup(pv_record_field_value(r, i));
	pv_record_free(r);
	assert_non_null(out);
	return out;
}

/* An import: acknowledged, all BATCH customers are there; without an answer, all or none
 * (one transaction). */
static void check_import(pv_vault *v, const struct op *o, int node)
{
	unsigned first = (unsigned)strtoul(o->arg + 1, NULL, 10), there = 0;
	for (unsigned k = 0; k < BATCH; k++) {
		char id[16];
		snprintf(id, sizeof id, "C%08u", first + k);
		char *p = preferences_of(v, id);
		there += p != NULL;
		free(p);
	}
	if (o->ok ? there != BATCH : there != 0 && there != BATCH)
		fail_msg("node %d: import from %s (%s): %u of %d customers there", node + 1, o->arg,
			 o->ok ? "acknowledged" : "failed", there, BATCH);
}

/* An update's customer holds its last acknowledged value, or the value of an update after
 * it whose outcome was not acknowledged (a commit without an answer may have been made). */
static void check_update(pv_vault *v, const struct op *ops, size_t n, size_t at, int node)
{
	for (size_t j = at + 1; j < n; j++)
		if (ops[j].ok && strcmp(ops[j].kind, "upd") == 0 && strcmp(ops[j].arg, ops[at].arg) == 0)
			return; /* a later acknowledged update of it is checked instead */
	char *now = preferences_of(v, ops[at].arg);
	assert_non_null(now);
	int allowed = strcmp(now, ops[at].value) == 0;
	for (size_t j = at + 1; j < n && !allowed; j++)
		allowed = strcmp(ops[j].kind, "upd") == 0 && strcmp(ops[j].arg, ops[at].arg) == 0 &&
			  strcmp(now, ops[j].value) == 0;
	if (!allowed)
		fail_msg("node %d: %s lost its acknowledged update %s", node + 1, ops[at].arg,
			 ops[at].value);
	free(now);
}

/* After the failover, on the promoted server: every acknowledged write and its audit
 * entry, imports whole or absent, and the audit log verifies. */
static void check_survived(void)
{
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g.key, &key), PV_OK);
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open(g.dir[0], NULL, key, &v);
	pv_key_free(key);
	pvt_track(v);
	assert_ok(v, rc);
	struct entries l = { 0 };
	assert_ok(v, pv_audit_log(v, &ADMIN, NULL, keep_entry, &l)); /* before this check's reads */
	static struct op ops[MAX_OPS];
	for (int node = 0; node < NODES; node++) {
		size_t n = log_read(node, ops);
		check_audited(&l, ops, n, node);
		for (size_t i = 0; i < n; i++)
			if (strcmp(ops[i].kind, "imp") == 0)
				check_import(v, &ops[i], node);
			else if (strcmp(ops[i].kind, "upd") == 0 && ops[i].ok)
				check_update(v, ops, n, i, node);
	}
	entries_free(&l);
	char *report = NULL;
	rc = pv_audit_verify(v, &ADMIN, NULL, &report);
	if (rc != PV_OK)
		fail_msg("audit verify: %s", report ? report : pv_errmsg(v));
	assert_non_null(strstr(report, "chain intact"));
	pv_free(report);
	pvt_vclose(v);
}

/* While no primary exists: a new open is refused at once, saying the store has no
 * writable server. */
static void check_new_open_refused(void)
{
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g.key, &key), PV_OK);
	pv_vault *v = NULL;
	double start = pvt_now();
	pv_rc rc = pv_vault_open(g.dir[0], NULL, key, &v);
	double took = pvt_now() - start;
	pv_key_free(key);
	assert_rc_msg(v, rc, PV_ERR_STORE, "no writable server");
	pv_vault_close(v);
	assert_true(took < OP_MAX_S);
}

/* The failover: load on both nodes; the standby stops answering (each node's next commit
 * waits for it), the primary is killed, the standby answers again: the commits in flight
 * fail with their outcome unknown, and everything is refused clearly until the standby is
 * promoted; then the same handles connect again and work. */
static void test_failover(void **state)
{
	(void)state;
	load_start();
	for (int n = 0; n < NODES; n++)
		wait_for_ops(n, 0, 1, ACKS_BEFORE, 120);
	assert_int_equal(cluster("pause", g.standby, NULL), 0);
	size_t paused_at[NODES], promoted_at[NODES];
	for (int n = 0; n < NODES; n++)
		count_from(n, 0, 1, &paused_at[n]);
	sleep(1); /* each node is now waiting in a commit */
	assert_int_equal(cluster("kill", g.primary, NULL), 0);
	assert_int_equal(cluster("resume", g.standby, NULL), 0);
	for (int n = 0; n < NODES; n++)
		wait_for_ops(n, paused_at[n], 0, REFUSALS + 1, 60);
	check_new_open_refused();
	for (int n = 0; n < NODES; n++)
		count_from(n, 0, 1, &promoted_at[n]);
	assert_int_equal(cluster("promote", g.standby, NULL), 0);
	for (int n = 0; n < NODES; n++)
		wait_for_ops(n, promoted_at[n], 1, ACKS_AFTER, 120);
	load_stop();
	size_t unknown = 0;
	for (int n = 0; n < NODES; n++)
		check_outcomes(n, paused_at[n], &unknown);
	if (getenv("PV_FAILOVER_SHOW"))
		(void)pvt_run(NULL, "cat '%s' '%s' >&2", g.log[0], g.log[1]);
	check_survived();
	/* the crash met a commit waiting for the standby (the synchronous setting in force) */
	assert_true(unknown >= 1);
}

int main(void)
{
	pvt_program_needs_postgresql_binaries();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failover),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
