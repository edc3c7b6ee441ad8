/* SPDX-License-Identifier: Apache-2.0 */
/* store_bytes.h: every byte a vault's store holds, as a DBA reading it would find them,
 * on either backend, for the tests that promise a value (a token, a secret, clear text) is
 * nowhere in the store. */
#ifndef PV_TEST_STORE_BYTES_H
#define PV_TEST_STORE_BYTES_H

#include <stddef.h>

/* The store of the vault at dir as bytes (malloc'd, *len set; never NULL):
 * - SQLite: the database file followed by its write-ahead log (-wal), where there is one;
 * - PostgreSQL: every value of every table of the vault's schema in its stored form (a
 *   bytea as its bytes, text as its UTF-8, a number as its binary form), read in one
 *   snapshot. Rows already removed are not in it, as SQLite's secure_delete leaves none. */
char *pvt_store_bytes(const char *dir, size_t *len);

/* 1 when needle[0..n) occurs in the store's bytes (pvt_store_bytes), else 0. */
int pvt_store_holds(const char *dir, const void *needle, size_t n);

#endif
