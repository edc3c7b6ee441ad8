/* SPDX-License-Identifier: Apache-2.0 */
/* testutil.h: helpers shared by the tests: temporary directories, running the built
 * programs, reading whole files, and the cmocka includes in the order cmocka needs. */
#ifndef PV_TESTUTIL_H
#define PV_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pivault_testing.h"

/* A fresh empty directory under $TMPDIR (or /tmp); malloc'd path. */
char *pvt_tempdir(void);

/* Remove a directory tree (rm -rf); NULL harmless. */
void pvt_rmtree(const char *path);

/* The monotonic clock, in seconds. */
double pvt_now(void);

/* Join two path parts into a malloc'd string. */
char *pvt_path(const char *dir, const char *name);

/* Read a whole file into a malloc'd NUL-terminated buffer; NULL if it cannot be read. */
char *pvt_read_file(const char *path, size_t *len);

/* Write len bytes to path (created or truncated); 0 on success. */
int pvt_write_file(const char *path, const void *data, size_t len);

/* Run a shell command (via /bin/sh -c) built like printf; returns its exit status, or -1.
 * With out non-NULL, its standard output is captured into a malloc'd string. */
int pvt_run(char **out, const char *fmt, ...);

/* Path of a built program (pivault, pvgen) under the build directory; static storage. */
const char *pvt_program(const char *name);

/* The shred ledger at path (KEYRING.ledger), each line's checksum checked (a damaged
 * line fails the test): its data lines (shredded ids, re-wrapped keys) in file order, as
 * a JSON array (a json_t *, freed with json_decref), and, when heads is not NULL, its
 * intents' head lines (kind, time, certificate). An empty array when there is none. */
void *pvt_ledger_read(const char *path, void **heads);

/* For a test program that reads path in ../shared: when path is absent, the program
 * exits 77 (registered as SKIP_RETURN_CODE, so CTest reports it skipped, never passed),
 * or, with PV_REQUIRE_SHARED=1 in the environment (CI, which always has ../shared), fails.
 * Call at the start of main. */
void pvt_program_needs_shared(const char *path);

/* For a test program of the PostgreSQL backend: the cluster's URI (PIVAULT_TEST_PG, which
 * scripts/test.sh sets); without one the program exits 77 (SKIP_RETURN_CODE: reported
 * skipped), or fails where PV_REQUIRE_POSTGRESQL=1 (CI). Call at the start of main. */
const char *pvt_program_needs_postgresql(void);
/* For a test program that starts PostgreSQL clusters of its own (scripts/pg-cluster.sh):
 * without PostgreSQL's programs (initdb) it exits 77, or fails where
 * PV_REQUIRE_POSTGRESQL=1. Call at the start of main. */
void pvt_program_needs_postgresql_binaries(void);

/* ---- CSV tables and sample vaults (test_query, test_tamper, test_cli) ---- */

/* An RFC 4180 table parsed into memory: row 0 is the header; cell[r * ncols + c]. */
struct pvt_csv {
	size_t nrows, ncols;
	char **cell;
};

/* Parse CSV text (quoted fields with "" and line breaks, CRLF or LF record ends); 0, or
 * -1 when malformed or when rows differ in width. */
int pvt_csv_parse(const char *text, struct pvt_csv *out);
/* Index of the header column name, or -1. */
int pvt_csv_col(const struct pvt_csv *t, const char *name);
/* Cell of row r (1 = first data row) in the column named col; NULL if no such column. */
const char *pvt_csv_get(const struct pvt_csv *t, size_t r, const char *col);
void pvt_csv_free(struct pvt_csv *t);

struct pv_vault;
/* Create a vault at dir (must not exist; keyring dir.keyring, 1024 slots) from
 * examples/schema.yaml under a new key file key_path, import n customers written by
 * `pvgen -n n --seed seed --canonical`, and return it open. *csv (may be NULL) receives
 * the generated CSV text (malloc'd). Fails the test on any error. */
struct pv_vault *pvt_sample_vault(const char *dir, const char *key_path, unsigned n,
				  unsigned long seed, char **csv);

/* A vault directory just copied (cp) at dir: when its vault is kept in PostgreSQL, the
 * copy gets a schema of its own, cloned from the original's with every row (the record in
 * dir rewritten to name it), so that the copy is as independent as a copied SQLite file.
 * pvt_copy_vault copies from/vault and from/vault.keyring into to/ (cp -a) so. Fails the
 * test on any error. (vault_copy.c) */
void pvt_vault_copied(const char *dir);
void pvt_copy_vault(const char *from, const char *to);
/* Put back in dir the vault copied earlier at copy (cp -a, then pvt_vault_copied), as a DBA
 * restores an old copy: the SQLite file, or the PostgreSQL schema dropped and cloned again
 * from the copy's under its own name. The vault must be closed. (vault_copy.c) */
void pvt_vault_restore(const char *copy, const char *dir);
/* pvt_copy_vault into to once more, over an earlier copy from the same from: for a vault kept
 * in PostgreSQL the earlier copy's schema is emptied and filled again from from's rows
 * (no new schema each time: what a test that copies the same vault hundreds of times
 * needs). (vault_copy.c) */
void pvt_copy_vault_again(const char *from, const char *to);

/* What a test holds, released by pvt_release_all at teardown even when an assertion
 * fails: pvt_keep registers a malloc'd pointer (returned; NULL passes through), pvt_drop
 * frees one now, pvt_track registers an open vault (returned), pvt_vclose closes one. */
void *pvt_keep(void *p);
void pvt_drop(void *p);
struct pv_vault *pvt_track(struct pv_vault *v);
void pvt_vclose(struct pv_vault *v);
void pvt_release_all(void);

/* Open dir (keyring NULL: beside it) with the root key in key_path, or as user with
 * password pw; the handle is tracked (pvt_vclose, pvt_release_all). Fails the test if
 * the vault does not open. */
struct pv_vault *pvt_open_root(const char *dir, const char *keyring, const char *key_path);
struct pv_vault *pvt_open_user(const char *dir, const char *user, const char *pw);

/* Add a user as pv_user_add did when it took a password: pv_user_add in a root-secret
 * session (which gets both halves of the enrolment code), then pv_user_enrol with pw.
 * The first failure's code (its message on v). */
pv_rc pvt_user_add(struct pv_vault *v, const pv_access *who, const char *name,
		   const char *roles, const char *pw, size_t len);
/* pv_user_enrol of name in v's vault with the two halves; the handle made is closed. */
pv_rc pvt_enrol(struct pv_vault *v, const char *name, const char *half_a, const char *half_b,
		const char *pw, size_t len);

/* The calls that work without a vault, with their outcome in why as tests read it: the
 * summary on PV_OK, else pv_errmsg(NULL). Each also checks the contract: a summary
 * exactly on success, and the thread's message cleared by a success. */
pv_rc pvt_certificate_verify(const char *text, const char *pk, char *why, size_t n);
pv_rc pvt_receipt_verify(const char *text, const char *pk, char *why, size_t n);
pv_rc pvt_backup_verify(const char *path, const char *pk, char *why, size_t n);
pv_rc pvt_audit_check_proof(const char *proof, const char *new_checkpoint,
			    const char *old_checkpoint, const char *pk, char *why, size_t n);
pv_rc pvt_restore(const char *backup, const char *dir, const char *keyring, const pv_key *key,
		  pv_restore_result *out, char *why, size_t n);
/* pv_handover_check_receipt with the summary, or v's message, in why. */
pv_rc pvt_handover_check_receipt(pv_vault *v, const pv_access *who, const char *receipt,
				 char *why, size_t n);

/* expr (a pv_rc) must be PV_OK; else fail with v's message. */
#define assert_ok(v, expr)                                                                   \
	do {                                                                                 \
		pv_rc rc_ = (expr);                                                          \
		if (rc_ != PV_OK)                                                            \
			fail_msg("%s:%d: %s: rc %d: %s", __FILE__, __LINE__, #expr, rc_,         \
				 pv_errmsg(v));                                              \
	} while (0)

/* rc must be want, with needle in v's message. */
#define assert_rc_msg(v, rc, want, needle)                                                   \
	do {                                                                                 \
		pv_rc rc_ = (rc);                                                            \
		if (rc_ != (want) || !strstr(pv_errmsg(v), (needle)))                        \
			fail_msg("%s:%d: rc %d (want %d), message '%s' (want '%s')", __FILE__,   \
				 __LINE__, rc_, (want), pv_errmsg(v), (needle));             \
	} while (0)

/* The blind index of the database db has open under schema ("main", or an attached
 * name), read from its postings rows (k = field << 16 | first two hash bytes; entries of
 * 16-byte hash | 8-byte big-endian row id) into a temporary table `table`(field, h, rid)
 * that plain SQL can query. */
struct sqlite3;
void pvt_blind_entries(struct sqlite3 *db, const char *schema, const char *table);

#endif
