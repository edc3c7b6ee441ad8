/* SPDX-License-Identifier: Apache-2.0 */
/* server_client.h: what the server's tests share: a small HTTP/1.1 client of their own
 * (one request per connection, over plain HTTP on loopback), sign-in, and starting a
 * server on a test vault. Every call asserts (cmocka) rather than returning errors. */
#ifndef PV_TEST_SERVER_CLIENT_H
#define PV_TEST_SERVER_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "pivault.h"
#include "server.h"
#include "testutil.h"

/* A reply: its status, body, the body parsed as JSON (NULL if it is not), Retry-After. */
struct pvts_resp {
	int status;
	char *body; /* malloc'd */
	json_t *json;
	int retry_after; /* the Retry-After header, or -1 */
};
void pvts_resp_free(struct pvts_resp *r);

/* The client's source address (NULL: any): another loopback address is another client
 * for the rate limits. */
extern const char *pvts_from;

/* When not NULL, the certificate (PEM) pvts_http trusts: it speaks TLS to the server and
 * checks the server's certificate for "localhost" against it (pvts_fixture_up sets it for
 * a fixture served over HTTPS). */
extern const char *pvts_tls_ca;
/* A self-signed certificate for localhost and 127.0.0.1 made with certtool (gnutls-bin,
 * installed by scripts/setup.sh) in folder dir: its key and certificate paths (malloc'd). */
void pvts_make_certificate(const char *dir, char **key, char **cert);
/* A connection to port on loopback (receive timeout 10 s). */
int pvts_connect(unsigned port);
/* The text of a request (malloc'd), Connection: close, with a bearer token if not NULL. */
char *pvts_request_text(const char *method, const char *path, const char *token,
			const char *body, size_t len);
/* A client that stops half-way through an upload: POST path to port with token, the head
 * announcing a body of announced bytes, then only first (fewer); the connection is left
 * open (the caller closes it). */
int pvts_stalled_upload(unsigned port, const char *path, const char *token, size_t announced,
			const char *first);
/* The upload files ("upload-*") left in the default handover directory of the vault dir
 * ("<dir>.handover"), once they are gone or after a second: they are removed as each
 * upload's request ends. */
int pvts_uploads_left(const char *dir);
/* Everything read from fd until the peer closes (malloc'd, NUL-terminated). */
char *pvts_read_all(int fd);
/* A whole answer parsed into r. */
void pvts_parse_answer(const char *raw, struct pvts_resp *r);
/* One request on its own connection. */
struct pvts_resp pvts_http(unsigned port, const char *method, const char *path,
			   const char *token, const char *body, size_t len);
/* The error's code and message of a reply ("" / NULL when it has none). */
const char *pvts_err_code(const struct pvts_resp *r);
const char *pvts_err_msg(const struct pvts_resp *r);
/* Sign in (201 asserted); the session's bearer token, malloc'd. */
char *pvts_sign_in(unsigned port, const char *user, const char *pw);
/* Start a server on vault dir unlocked with the key file (host 127.0.0.1 and 2 threads
 * unless c says otherwise; max_body as given); fails the test if it does not start. */
struct pvs_server *pvts_start(struct pvs_config *c, const char *dir, const char *key_path,
			      size_t max_body);

/* ---- The shared fixture: a sample vault with its users, and a server on it ----------- */

/* A user of the fixture: name, roles (comma-separated), and whether their agreement and
 * training are attested today (the sample schema's clerk, dpo and finance require both). */
struct pvts_user {
	const char *name;
	const char *roles;
	int attested;
};

/* The cast every fixture holds, one or two of each role of the sample schema, all
 * attested: adm, adm2 (admin), dpo1, dpo2 (dpo), clerk1, clerk2 (clerk), fin (finance),
 * aud (auditor). */
extern const struct pvts_user pvts_cast[];

/* What a fixture is made of: the sample vault's customers (pvgen's n and seed), the users'
 * password, users added after the cast (NULL or ended by a { NULL } entry), the largest
 * body, the server's configuration (NULL: plain HTTP on loopback, sessions of 600 s and
 * rate limits far above what a test does). */
struct pvts_spec {
	unsigned customers;
	unsigned long seed;
	const char *password;
	const struct pvts_user *extra;
	size_t max_body;
	const struct pvs_config *config;
	int tls; /* 1: HTTPS with a certificate made here (pvts_tls_ca) */
};

/* A fixture: its temporary folder, the vault (dir, key file), the customers' CSV, and the
 * server with its port. */
struct pvts_fixture {
	char *tmp, *dir, *key_path;
	char *tls_key, *tls_cert; /* when served over HTTPS */
	struct pvt_csv csv;
	struct pvs_server *srv;
	unsigned port;
};

/* Plain HTTP on loopback, sessions of 600 s and rate limits far above what a test does. */
struct pvs_config pvts_roomy_config(void);
/* Add users (ended by a { NULL } entry) to the vault dir as its root, with password pw,
 * attesting those marked so today. */
void pvts_add_users(const char *dir, const char *key_path, const struct pvts_user *users,
		    const char *pw);
/* A digest (32 bytes) of every row of every table of the vault dir's store (its SQLite
 * file, or its PostgreSQL schema) but the audit log's and the sessions' (what any call may change: it is audited, its session marked
 * used): equal before and after a refused call when it changed nothing. */
void pvts_vault_digest(const char *dir, unsigned char out[32]);
/* Which entries of the audit log pvts_count_entries counts: each member given (not NULL)
 * must match, user, op, ids and outcome exactly, text anywhere in the entry's columns. */
struct pvts_entries {
	const char *user, *op, *ids, *outcome, *text;
};
/* The entries of the vault dir's audit log that match m, read from its store as a DBA
 * would (read-only, without a key); -1 when they cannot be read. It asserts nothing, so a
 * client's thread may call it. */
long pvts_count_entries(const char *dir, const struct pvts_entries *m);
/* Build the sample vault of s with the cast and s->extra, and start a server on it. */
void pvts_fixture_up(struct pvts_fixture *f, const struct pvts_spec *s);
/* Stop the server, release what the test held (pvt_release_all) and remove the folder. */
void pvts_fixture_down(struct pvts_fixture *f);

#endif
