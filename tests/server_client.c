/* SPDX-License-Identifier: Apache-2.0 */
/* server_client.c: the server tests' HTTP client, sign-in, server start and the shared
 * fixture (a sample vault with its users and a server on it) (server_client.h). */
#include "dba.h"
#include "testutil.h"

#include "formats/buf.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "server_client.h"

const char *pvts_from;
const char *pvts_tls_ca;

void pvts_resp_free(struct pvts_resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}

int pvts_connect(unsigned port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	if (pvts_from) { /* another loopback address: another client for the rate limits */
		struct sockaddr_in me = { .sin_family = AF_INET };
		assert_int_equal(inet_pton(AF_INET, pvts_from, &me.sin_addr), 1);
		assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	struct timeval tv = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

char *pvts_request_text(const char *method, const char *path, const char *token,
			  const char *body, size_t len)
{
	char auth[160] = "";
	if (token)
		snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
	size_t cap = 1024 + len;
	char *text = malloc(cap);
	int n = snprintf(text, cap, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
			 "%sContent-Length: %zu\r\n\r\n", method, path, auth, len);
	memcpy(text + n, body ? body : "", len);
	text[n + len] = '\0';
	return text;
}

int pvts_stalled_upload(unsigned port, const char *path, const char *token, size_t announced,
			const char *first)
{
	int fd = pvts_connect(port);
	char *text = pvts_request_text("POST", path, token, NULL, 0);
	char *length = strstr(text, "Content-Length: 0\r\n\r\n");
	assert_non_null(length);
	snprintf(length, 64, "Content-Length: %zu\r\n\r\n", announced);
	size_t head = strlen(text), n = strlen(first);
	assert_true(n < announced);
	assert_int_equal(send(fd, text, head, MSG_NOSIGNAL), (ssize_t)head);
	if (n)
		assert_int_equal(send(fd, first, n, MSG_NOSIGNAL), (ssize_t)n);
	free(text);
	return fd;
}

int pvts_uploads_left(const char *dir)
{
	char folder[512];
	snprintf(folder, sizeof folder, "%s.handover", dir);
	int left = 0;
	for (int tries = 0; tries < 100; tries++) {
		DIR *d = opendir(folder);
		assert_non_null(d);
		left = 0;
		for (struct dirent *e; (e = readdir(d));)
			left += strncmp(e->d_name, "upload-", 7) == 0;
		closedir(d);
		if (!left)
			break;
		struct timespec t = { 0, 10 * 1000 * 1000 };
		nanosleep(&t, NULL);
	}
	return left;
}

/* The whole answer read until the server closes, parsed into r. */
void pvts_parse_answer(const char *raw, struct pvts_resp *r)
{
	r->status = -1;
	if (sscanf(raw, "HTTP/1.1 %d", &r->status) != 1)
		return;
	const char *body = strstr(raw, "\r\n\r\n");
	const char *retry = strstr(raw, "\r\nRetry-After: ");
	r->retry_after = retry && (!body || retry < body) ? atoi(retry + 15) : -1;
	r->body = strdup(body ? body + 4 : "");
	r->json = json_loads(r->body, 0, NULL);
}

char *pvts_read_all(int fd)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	ssize_t got;
	while ((got = recv(fd, buf + n, cap - n, 0)) > 0) {
		n += (size_t)got;
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	buf[n] = '\0';
	return buf;
}

/* The exchange of one request over TLS on fd: the raw answer (malloc'd). */
static char *tls_exchange(int fd, const char *text, size_t total)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
	assert_true(gnutls_certificate_set_x509_trust_file(cred, pvts_tls_ca,
							   GNUTLS_X509_FMT_PEM) > 0);
	assert_int_equal(gnutls_init(&s, GNUTLS_CLIENT), 0);
	assert_int_equal(gnutls_set_default_priority(s), 0);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_session_set_verify_cert(s, "localhost", 0);
	gnutls_transport_set_int(s, fd);
	int rc;
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0)
		fail_msg("TLS handshake: %s", gnutls_strerror(rc));
	for (size_t at = 0; at < total;) {
		ssize_t n = gnutls_record_send(s, text + at, total - at);
		assert_true(n > 0);
		at += (size_t)n;
	}
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	ssize_t got;
	while ((got = gnutls_record_recv(s, buf + n, cap - n)) > 0) {
		n += (size_t)got;
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	buf[n] = '\0';
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
	return buf;
}

struct pvts_resp pvts_http(unsigned port, const char *method, const char *path,
			   const char *token, const char *body, size_t len)
{
	int fd = pvts_connect(port);
	char *text = pvts_request_text(method, path, token, body, len);
	size_t total = (size_t)(strstr(text, "\r\n\r\n") - text) + 4 + len;
	char *raw;
	if (pvts_tls_ca) {
		raw = tls_exchange(fd, text, total);
	} else {
		assert_int_equal(send(fd, text, total, MSG_NOSIGNAL), (ssize_t)total);
		raw = pvts_read_all(fd);
	}
	free(text);
	close(fd);
	struct pvts_resp r = { 0, NULL, NULL, -1 };
	pvts_parse_answer(raw, &r);
	free(raw);
	return r;
}

/* The error's code and message of a reply. */
const char *pvts_err_code(const struct pvts_resp *r)
{
	return json_string_value(json_object_get(json_object_get(r->json, "error"), "code"));
}

const char *pvts_err_msg(const struct pvts_resp *r)
{
	const char *m = json_string_value(
		json_object_get(json_object_get(r->json, "error"), "message"));
	return m ? m : "";
}

char *pvts_sign_in(unsigned port, const char *user, const char *pw)
{
	char body[256];
	snprintf(body, sizeof body, "{\"user\":\"%s\",\"password\":\"%s\"}", user, pw);
	struct pvts_resp r = pvts_http(port, "POST", "/v1/sessions", NULL, body, strlen(body));
	if (r.status != 201)
		fail_msg("sign in as %s: %d %s", user, r.status, r.body);
	char *token = strdup(json_string_value(json_object_get(r.json, "token")));
	assert_int_equal(strlen(token), PV_SESSION_TOKEN_CHARS);
	pvts_resp_free(&r);
	return token;
}

void pvts_make_certificate(const char *dir, char **key, char **cert)
{
	*key = pvt_path(dir, "tls.key");
	*cert = pvt_path(dir, "tls.crt");
	char *tmpl = pvt_path(dir, "tls.tmpl");
	const char t[] = "cn = \"localhost\"\ndns_name = \"localhost\"\nip_address = \"127.0.0.1\"\n"
			 "expiration_days = 2\ntls_www_server\nsigning_key\nencryption_key\n";
	assert_int_equal(pvt_write_file(tmpl, t, strlen(t)), 0);
	if (pvt_run(NULL, "certtool --generate-privkey --key-type=ecdsa --outfile '%s' 2>&1",
		    *key) != 0 ||
	    pvt_run(NULL, "certtool --generate-self-signed --load-privkey '%s' --template '%s' "
		    "--outfile '%s' 2>&1", *key, tmpl, *cert) != 0)
		fail_msg("certtool could not make a certificate (scripts/setup.sh installs "
			 "gnutls-bin)");
	free(tmpl);
}

struct pvs_server *pvts_start(struct pvs_config *c, const char *dir, const char *key_path,
			      size_t max_body)
{
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(key_path, &key), PV_OK);
	c->vault = dir;
	c->key = key;
	c->host = c->host ? c->host : "127.0.0.1";
	c->threads = c->threads ? c->threads : 2;
	c->max_body = max_body;
	char err[512];
	struct pvs_server *s = pvs_start(c, err, sizeof err);
	pv_key_free(key);
	if (!s)
		fail_msg("pvs_start: %s", err);
	return s;
}

/* ---- The shared fixture ------------------------------------------------------------- */

const struct pvts_user pvts_cast[] = {
	{ "adm", "admin", 1 },	  { "adm2", "admin", 1 },   { "dpo1", "dpo", 1 },
	{ "dpo2", "dpo", 1 },	  { "clerk1", "clerk", 1 }, { "clerk2", "clerk", 1 },
	{ "fin", "finance", 1 }, { "aud", "auditor", 1 },  { NULL, NULL, 0 }
};

void pvts_add_users(const char *dir, const char *key_path, const struct pvts_user *users,
		    const char *pw)
{
	pv_vault *root = pvt_open_root(dir, NULL, key_path);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	char today[16];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	for (const struct pvts_user *u = users; u && u->name; u++) {
		assert_ok(root, pvt_user_add(root, &admin, u->name, u->roles, pw, strlen(pw)));
		if (u->attested)
			assert_ok(root, pv_user_attest(root, &admin, u->name, today, today, NULL));
	}
	pvt_vclose(root);
}

struct pvs_config pvts_roomy_config(void)
{
	return (struct pvs_config){ .plain_http = 1, .session_seconds = 600,
				    .sign_in_per_address = 10000, .sign_in_per_user = 10000,
				    .reads_per_second = 10000, .reads_burst = 10000 };
}

void pvts_fixture_up(struct pvts_fixture *f, const struct pvts_spec *s)
{
	memset(f, 0, sizeof *f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->key_path = pvt_path(f->tmp, "root.key");
	char *csv = NULL;
	pv_vault *v = pvt_sample_vault(f->dir, f->key_path, s->customers, s->seed, &csv);
	pv_vault_close(v);
	assert_int_equal(pvt_csv_parse(csv, &f->csv), 0);
	free(csv);
	pvts_add_users(f->dir, f->key_path, pvts_cast, s->password);
	pvts_add_users(f->dir, f->key_path, s->extra, s->password);
	struct pvs_config c = s->config ? *s->config : pvts_roomy_config();
	if (s->tls) {
		pvts_make_certificate(f->tmp, &f->tls_key, &f->tls_cert);
		c.plain_http = 0;
		c.tls_key = f->tls_key;
		c.tls_cert = f->tls_cert;
		pvts_tls_ca = f->tls_cert;
	}
	f->srv = pvts_start(&c, f->dir, f->key_path, s->max_body);
	f->port = pvs_port(f->srv);
}

void pvts_fixture_down(struct pvts_fixture *f)
{
	pvs_stop(f->srv);
	pvts_tls_ca = NULL;
	pvt_release_all();
	pvt_csv_free(&f->csv);
	pvt_rmtree(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f->key_path);
	free(f->tls_key);
	free(f->tls_cert);
	memset(f, 0, sizeof *f);
}

/* ---- The vault's state, for checking that a refused call changed nothing ------------- */

/* Tables a refused call may change: the audit log (the refusal is audited) and the
 * sessions (each call marks its session used). */
static int may_change(const char *table)
{
	return strncmp(table, "audit", 5) == 0 || strcmp(table, "sessions") == 0 ||
	       strncmp(table, "sqlite_", 7) == 0;
}

static void hash_table(sqlite3 *db, const char *table, crypto_generichash_state *st)
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", table);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	crypto_generichash_update(st, (const unsigned char *)sql, strlen(sql));
	while (sqlite3_step(s) == SQLITE_ROW)
		for (int i = 0; i < sqlite3_column_count(s); i++) {
			unsigned char type = (unsigned char)sqlite3_column_type(s, i);
			const void *b = sqlite3_column_blob(s, i);
			size_t n = (size_t)sqlite3_column_bytes(s, i);
			crypto_generichash_update(st, &type, 1);
			crypto_generichash_update(st, (const unsigned char *)&n, sizeof n);
			if (b)
				crypto_generichash_update(st, b, n);
		}
	sqlite3_finalize(s);
}

/* s as an SQL string literal (quotes doubled). */
static void add_literal(struct pv_buf *b, const char *s)
{
	pv_buf_add(b, "'", 1);
	for (; *s; s++)
		pv_buf_add(b, *s == '\'' ? "''" : s, *s == '\'' ? 2 : 1);
	pv_buf_add(b, "'", 1);
}

/* pvts_count_entries for a vault kept in PostgreSQL: the same count in its schema (the
 * column `user` is `user_name` there). */
static long pg_count_entries(const char *dir, const struct pvts_entries *m)
{
	static const char *const columns[] = { "user_name", "op", "ids", "outcome" };
	const char *const wanted[] = { m->user, m->op, m->ids, m->outcome };
	struct pv_buf q = { 0 };
	pv_buf_str(&q, "SELECT count(*) FROM audit WHERE true");
	for (int i = 0; i < 4; i++)
		if (wanted[i]) {
			pv_buf_str(&q, " AND ");
			pv_buf_str(&q, columns[i]);
			pv_buf_str(&q, " = ");
			add_literal(&q, wanted[i]);
		}
	if (m->text) {
		pv_buf_str(&q, " AND strpos(user_name || op || ids || purpose || request || "
			   "outcome || detail, ");
		add_literal(&q, m->text);
		pv_buf_str(&q, ") > 0");
	}
	pv_buf_add(&q, "", 1);
	char *out = NULL;
	long n = -1;
	if (!q.oom && pvt_dba(&out, dir, "%s", q.p) == 0)
		n = strtol(out, NULL, 10);
	free(out);
	pv_buf_free(&q);
	return n;
}

long pvts_count_entries(const char *dir, const struct pvts_entries *m)
{
	if (pvt_dba_pg(dir))
		return pg_count_entries(dir, m);
	static const char sql[] =
		"SELECT count(*) FROM audit WHERE (?1 IS NULL OR user = ?1) AND (?2 IS NULL OR "
		"op = ?2) AND (?3 IS NULL OR ids = ?3) AND (?4 IS NULL OR outcome = ?4) AND (?5 IS "
		"NULL OR instr(user || op || ids || purpose || request || outcome || detail, ?5) > 0)";
	const char *const wanted[] = { m->user, m->op, m->ids, m->outcome, m->text };
	char *path = pvt_path(dir, "vault.db");
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	long n = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_busy_timeout(db, 10000) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
		for (int i = 0; i < 5; i++)
			sqlite3_bind_text(q, i + 1, wanted[i], -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			n = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	free(path);
	return n;
}

/* pvts_vault_digest for a vault kept in PostgreSQL: per table of its schema (but those
 * may_change names), the digest of its rows as text (every column), in the rows' text
 * order (a table's physical order may change without a change of its rows); every table
 * read in one statement, so in one snapshot. */
static void pg_vault_digest(const char *dir, unsigned char out[32])
{
	char *tables = NULL, *save = NULL;
	assert_int_equal(pvt_dba(&tables, dir, "SELECT tablename FROM pg_tables WHERE "
				 "schemaname = current_schema() ORDER BY tablename"), 0);
	struct pv_buf q = { 0 };
	for (char *t = strtok_r(tables, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		if (may_change(t))
			continue;
		pv_buf_str(&q, q.len ? " UNION ALL SELECT '" : "SELECT '");
		pv_buf_str(&q, t);
		pv_buf_str(&q, "', md5(coalesce(string_agg(pvt_row::text, E'\\n' "
			   "ORDER BY pvt_row::text), '')) FROM \"");
		pv_buf_str(&q, t);
		pv_buf_str(&q, "\" pvt_row");
	}
	pv_buf_str(&q, " ORDER BY 1");
	pv_buf_add(&q, "", 1);
	assert_false(q.oom);
	char *digests = NULL;
	assert_int_equal(pvt_dba(&digests, dir, "%s", q.p), 0);
	assert_non_null(strstr(digests, "users|")); /* the tables were read */
	crypto_generichash(out, 32, (const unsigned char *)digests, strlen(digests), NULL, 0);
	free(digests);
	pv_buf_free(&q);
	free(tables);
}

/* The digest of every table but those may_change names (server_client.h). */
void pvts_vault_digest(const char *dir, unsigned char out[32])
{
	if (pvt_dba_pg(dir)) {
		pg_vault_digest(dir, out);
		return;
	}
	char *path = pvt_path(dir, "vault.db");
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	free(path);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = "
					    "'table' ORDER BY name", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(s, 0);
		if (!may_change(table))
			hash_table(db, table, &st);
	}
	sqlite3_finalize(s);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	crypto_generichash_final(&st, out, 32);
}
