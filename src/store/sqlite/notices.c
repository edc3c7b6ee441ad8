/* SPDX-License-Identifier: Apache-2.0 */
/* notices.c: the record of notices sent to customers in the SQLite store:
 * which customer, what kind, which text version, by which channel, when, and where its
 * delivery stands. No personal value is stored: the text lives outside pivault. */
#include "internal.h"

#include <stdio.h>

const char pv_sqlite_notices_tables[] =
	"CREATE TABLE IF NOT EXISTS notices("
	"  notice INTEGER PRIMARY KEY, customer TEXT NOT NULL, kind TEXT NOT NULL,"
	"  text_version TEXT NOT NULL, channel TEXT NOT NULL, sent TEXT NOT NULL,"
	"  sent_by TEXT NOT NULL, state TEXT NOT NULL, state_at TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS notices_customer ON notices(customer, notice);";

int pv_sqlite_notice_add(struct pv_store *s, const struct pv_store_notice *n, int64_t *notice)
{
	static const char sql[] =
		"INSERT INTO notices(customer, kind, text_version, channel, sent, sent_by, state,"
		"  state_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	const char *t[] = { n->customer, n->kind, n->text_version, n->channel, n->sent,
			    n->sent_by, n->state };
	for (int i = 0; i < 7; i++)
		sqlite3_bind_text(q, i + 1, t[i], -1, SQLITE_TRANSIENT);
	if (pv_sqlite_run(s, q, "record a notice") != 0)
		return -1;
	*notice = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int pv_sqlite_notice_set_state(struct pv_store *s, int64_t notice, const char *state,
			      const char *when, char *customer, size_t clen)
{
	static const char sql[] = "UPDATE notices SET state = ?2, state_at = ?3 WHERE notice = ?1 "
				  "RETURNING customer";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, notice);
	sqlite3_bind_text(q, 2, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, when, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(customer, clen, "%s", (const char *)sqlite3_column_text(q, 0));
		rc = sqlite3_step(q);
	} else if (rc == SQLITE_DONE) {
		sqlite3_reset(q);
		return 1;
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : pv_sqlite_fail(s, "update a notice");
}

int pv_sqlite_notice_kind(struct pv_store *s, int64_t notice, char *kind, size_t klen,
			 char *customer, size_t clen)
{
	static const char sql[] = "SELECT kind, customer FROM notices WHERE notice = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, notice);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(kind, klen, "%s", (const char *)sqlite3_column_text(q, 0));
		snprintf(customer, clen, "%s", (const char *)sqlite3_column_text(q, 1));
	}
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : pv_sqlite_fail(s, "read a notice");
}

int pv_sqlite_notice_row(void *p, sqlite3_stmt *q)
{
	struct pv_sqlite_notice_walk *w = p;
	const char *t[8];
	for (int i = 0; i < 8; i++)
		t[i] = (const char *)sqlite3_column_text(q, i + 1);
	struct pv_store_notice n = { t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7] };
	return w->fn(w->ctx, sqlite3_column_int64(q, 0), &n);
}

int pv_sqlite_notice_scan(struct pv_store *s, const char *customer, pv_store_notice_fn fn,
			 void *ctx)
{
	static const char all[] =
		"SELECT notice, customer, kind, text_version, channel, sent, sent_by, state, state_at"
		"  FROM notices ORDER BY notice";
	static const char one[] =
		"SELECT notice, customer, kind, text_version, channel, sent, sent_by, state, state_at"
		"  FROM notices WHERE customer = ?1 ORDER BY notice";
	struct pv_sqlite_notice_walk w = { fn, ctx };
	return pv_sqlite_rows(s, customer ? one : all, customer, pv_sqlite_notice_row, &w,
			      "scan notices");
}
