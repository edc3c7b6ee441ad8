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

/* A fresh empty directory under $TMPDIR (or /tmp); malloc'd path. */
char *pvt_tempdir(void);

/* Remove a directory tree (rm -rf); NULL harmless. */
void pvt_rmtree(const char *path);

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

/* 1 if the shared test vectors (../shared/testvectors) are present. */
int pvt_have_shared(void);

#endif
