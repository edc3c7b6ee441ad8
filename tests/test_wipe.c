/* SPDX-License-Identifier: Apache-2.0 */
/* test_wipe.c: plaintext is wiped before its memory goes back to the allocator. This
 * program stands in for free(): while it watches, a block freed that still holds a
 * marker value (a customer's address) is counted. An import whose CSV carries the marker
 * (its read buffer held it), and a data-subject access report (its JSON document held
 * it), must free no such block. Blocks that realloc moves, and blocks the C library
 * frees itself (a FILE's buffer at fclose: the CLI's password files), are out of this
 * program's sight: the CLI reads those through a buffer of its own, wiped after use. */
#define _GNU_SOURCE
#include "testutil.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pivault.h"

#define MARKER "WIPEMARK-Zz9-address-4417"

static int g_watch, g_leaks;

#ifdef __SANITIZE_ADDRESS__
/* AddressSanitizer's allocator is its own and cannot be watched from here: the test is
 * reported skipped in that build, and runs in every other. */
static int install_watch(void)
{
	return 0;
}
#else
/* Count a block about to be freed that still holds the marker. */
static void watch(const void *p, size_t size)
{
	if (p && __atomic_load_n(&g_watch, __ATOMIC_RELAXED) &&
	    memmem(p, size, MARKER, sizeof MARKER - 1))
		__atomic_add_fetch(&g_leaks, 1, __ATOMIC_RELAXED);
}

extern void __libc_free(void *p);

void free(void *p)
{
	if (p)
		watch(p, malloc_usable_size(p));
	__libc_free(p);
}

static int install_watch(void)
{
	return 1;
}
#endif

static const pv_access ADMIN = { "admin", NULL, 1 };
static const pv_access READER = { "admin", "all", 1 };

struct fx {
	char *base, *dir, *key, *csv;
	pv_vault *v;
};

/* An empty vault, and a CSV of 20 generated customers whose first address is MARKER. */
static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->base = pvt_tempdir();
	f->dir = pvt_path(f->base, "vault");
	f->key = pvt_path(f->base, "root.key");
	f->csv = pvt_path(f->base, "in.csv");
	f->v = pvt_track(pvt_sample_vault(f->dir, f->key, 0, 41, NULL));
	char *text = NULL;
	assert_int_equal(pvt_run(&text, "'%s' -n 20 --seed 41 --canonical", pvt_program("pvgen")), 0);
	struct pvt_csv t;
	assert_int_equal(pvt_csv_parse(text, &t), 0);
	const char *addr = pvt_csv_get(&t, 1, "address");
	char *at = strstr(text, addr);
	assert_non_null(at);
	size_t before = (size_t)(at - text), alen = strlen(addr);
	char *out = malloc(strlen(text) + sizeof MARKER);
	memcpy(out, text, before);
	strcpy(out + before, MARKER);
	strcpy(out + before + sizeof MARKER - 1, at + alen);
	/* written without stdio, and wiped: no copy of the marker is left in freed memory by
	 * the test itself (the check looks at whole blocks, stale bytes included) */
	int fd = open(f->csv, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, out, strlen(out)), (ssize_t)strlen(out));
	assert_int_equal(close(fd), 0);
	pvt_csv_free(&t);
	explicit_bzero(out, strlen(out));
	free(out);
	free(text);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	g_watch = 0;
	pvt_release_all();
	pvt_rmtree(f->base);
	free(f->base);
	free(f->dir);
	free(f->key);
	free(f->csv);
	free(f);
	return 0;
}

static void import_marked(struct fx *f)
{
	pv_import_result *res = NULL;
	pv_import_opts o = { 0 };
	assert_ok(f->v, pv_import_csv(f->v, &ADMIN, f->csv, &o, &res));
	assert_int_equal(pv_import_rows_imported(res), 20);
	pv_import_free(res);
}

static void test_import_buffers_wiped(void **state)
{
	struct fx *f = *state;
	g_leaks = 0;
	g_watch = 1;
	import_marked(f);
	g_watch = 0;
	if (g_leaks)
		fail_msg("the import freed %d block(s) still holding a customer's address", g_leaks);
}

static void test_access_report_wiped(void **state)
{
	struct fx *f = *state;
	import_marked(f);
	char *dsr = NULL;
	assert_ok(f->v, pv_dsr_open(f->v, &ADMIN, "C00000001", "access", NULL, &dsr));
	/* to a file through a buffer of the test's own: no stdio block of the C library
	 * (a memory stream's, moved by realloc) holds the report */
	char *path = pvt_path(f->base, "report.json"), iobuf[1 << 16];
	FILE *out = fopen(path, "w");
	assert_non_null(out);
	setvbuf(out, iobuf, _IOFBF, sizeof iobuf);
	g_leaks = 0;
	g_watch = 1;
	pv_rc rc = pv_dsr_access_report(f->v, &READER, dsr, 0, out);
	g_watch = 0;
	fclose(out);
	explicit_bzero(iobuf, sizeof iobuf);
	assert_ok(f->v, rc);
	size_t len = 0;
	char *buf = pvt_read_file(path, &len);
	assert_non_null(strstr(buf, MARKER)); /* the report did show it */
	explicit_bzero(buf, len);
	free(buf);
	free(path);
	pv_free(dsr);
	if (g_leaks)
		fail_msg("the access report freed %d block(s) still holding the address", g_leaks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_import_buffers_wiped, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_access_report_wiped, fx_setup, fx_teardown),
	};
	if (!install_watch()) { /* reported to CTest as skipped (SKIP_RETURN_CODE) */
		fputs("test_wipe: skipped: this allocator cannot be watched\n", stderr);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
