/* SPDX-License-Identifier: Apache-2.0 */
/* complaints.c: customers' complaints in the PostgreSQL store, and their notes, sealed by
 * the library under the customer's data key (so a shred leaves them unreadable). */
#include "internal.h"
#include "pg_store.h"

const char pv_pg_complaint_tables[] =
	"CREATE TABLE complaints(id text COLLATE \"C\" PRIMARY KEY, customer text NOT NULL,"
	"  dsr text NOT NULL, opened text NOT NULL, due text COLLATE \"C\" NOT NULL,"
	"  resolved text NOT NULL DEFAULT '');"
	"CREATE TABLE complaint_notes(note bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  complaint text NOT NULL, note_id text NOT NULL, at text NOT NULL,"
	"  written_by text NOT NULL, kind text NOT NULL, sealed bytea NOT NULL);"
	"CREATE INDEX complaint_notes_by ON complaint_notes(complaint, note);";

#define COLUMNS "id, customer, dsr, opened, due, resolved"
#define NCOLUMNS 6
#define TEXTS(c) { &(c)->id, &(c)->customer, &(c)->dsr, &(c)->opened, &(c)->due, &(c)->resolved }

static void row_to_complaint(const PGresult *r, int i, struct pv_stored_complaint *c)
{
	const char **t[NCOLUMNS] = TEXTS(c);
	for (int k = 0; k < NCOLUMNS; k++)
		*t[k] = PQgetvalue(r, i, k);
}

int pv_pg_complaint_put(struct pv_store *s, const struct pv_stored_complaint *c)
{
	struct pv_stored_complaint w = *c;
	const char **t[NCOLUMNS] = TEXTS(&w);
	const char *values[NCOLUMNS];
	for (int k = 0; k < NCOLUMNS; k++)
		values[k] = *t[k] ? *t[k] : "";
	return pv_pg_upsert(pg_of(s), "complaints", "id", COLUMNS, NCOLUMNS, values, NULL, NULL,
			    "write a complaint");
}

int pv_pg_complaint_get(struct pv_store *s, const char *id, struct pv_stored_complaint *c)
{
	PGresult *row = NULL;
	int got = pv_pg_row(pg_of(s), "SELECT " COLUMNS " FROM complaints WHERE id = $1", id, &row,
			    "read a complaint");
	if (got == 0)
		row_to_complaint(row, 0, c);
	return got;
}

struct complaint_walk {
	int (*fn)(void *ctx, const struct pv_stored_complaint *c);
	void *ctx;
};

static int complaint_row(void *ctx, const PGresult *r, int i)
{
	struct complaint_walk *w = ctx;
	struct pv_stored_complaint c;
	row_to_complaint(r, i, &c);
	return w->fn(w->ctx, &c);
}

int pv_pg_complaint_scan(struct pv_store *s,
			 int (*fn)(void *ctx, const struct pv_stored_complaint *c), void *ctx)
{
	struct complaint_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT " COLUMNS " FROM complaints ORDER BY due, id", 0, NULL,
			  complaint_row, &w, "scan complaints");
}

int pv_pg_complaint_note_add(struct pv_store *s, const char *complaint, const char *note_id,
			     const char *at, const char *by, const char *kind, const uint8_t *sealed,
			     size_t len)
{
	const char *values[6] = { complaint, note_id, at, by, kind, (const char *)sealed };
	const int lengths[6] = { [5] = (int)len }, binary[6] = { [5] = 1 };
	PGresult *r = pv_pg_query(pg_of(s), "INSERT INTO complaint_notes(complaint, note_id, at, "
				  "written_by, kind, sealed) VALUES ($1,$2,$3,$4,$5,$6)", 6, values,
				  lengths, binary, "add a note");
	PQclear(r);
	return r ? 0 : -1;
}

struct note_walk {
	int (*fn)(void *ctx, const char *note_id, const char *at, const char *by, const char *kind,
		  const uint8_t *sealed, size_t len);
	void *ctx;
};

static int note_row(void *ctx, const PGresult *r, int i)
{
	struct note_walk *w = ctx;
	return w->fn(w->ctx, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		     PQgetvalue(r, i, 3), (const uint8_t *)PQgetvalue(r, i, 4),
		     (size_t)PQgetlength(r, i, 4));
}

int pv_pg_complaint_note_scan(struct pv_store *s, const char *complaint,
			      int (*fn)(void *ctx, const char *note_id, const char *at,
					const char *by, const char *kind, const uint8_t *sealed,
					size_t len),
			      void *ctx)
{
	struct note_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT note_id, at, written_by, kind, sealed FROM "
			  "complaint_notes WHERE complaint = $1 ORDER BY note", 1, &complaint,
			  note_row, &w, "scan notes");
}
