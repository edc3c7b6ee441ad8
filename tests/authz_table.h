/* SPDX-License-Identifier: Apache-2.0 */
/* authz_table.h: the authorisation matrix's tables, shared by test_authz_matrix (each
 * operation called through the library) and test_http_authz (each operation that has a
 * route called over HTTPS), so that the two cannot drift: the five roles of
 * examples/schema.yaml with what each is granted, and every guarded operation of
 * include/pivault.h with the permissions it needs. Written by hand from the schema text and
 * the header ("Needs '...'"), never from the library's own permission check. */
#ifndef PV_TEST_AUTHZ_TABLE_H
#define PV_TEST_AUTHZ_TABLE_H

#include <stddef.h>

struct pv_vault;

/* A role: its name, a purpose it may use, its operations list as written (or "all"). */
struct pvat_role {
	const char *name, *purpose;
	const char *grants;
};

/* An operation: the function (and a variant where one function has several rows), every
 * permission it needs (NULL-ended), whether it needs four eyes (an allowed call is asked
 * for and answers PV_REQUESTED / 202), and whether one of needs is enough. */
struct pvat_op {
	const char *fn, *variant;
	const char *needs[4];
	int four_eyes;
	int any_of;
};

extern const struct pvat_role pvat_roles[];
extern const size_t pvat_nroles;
extern const struct pvat_op pvat_ops[];
extern const size_t pvat_nops;

/* 1 when role r's operations list grants perm. */
int pvat_grants(const struct pvat_role *r, const char *perm);
/* The first permission of o's needs that r lacks (when one is not enough), NULL when r may
 * call o. */
const char *pvat_missing(const struct pvat_op *o, const struct pvat_role *r);
/* 1 when msg says "permission" and names (quoted, 'x') a permission of o's needs r lacks. */
int pvat_names_missing(const struct pvat_op *o, const struct pvat_role *r, const char *msg);
/* The row of fn and variant (NULL matches a row without one), or NULL. */
const struct pvat_op *pvat_find(const char *fn, const char *variant);
/* The role named name, or NULL. */
const struct pvat_role *pvat_role(const char *name);
/* Entries of v's audit log whose outcome is "denied" (read as the admin; fails the test
 * when the log cannot be read). */
int pvat_denied_entries(struct pv_vault *v);

#endif
