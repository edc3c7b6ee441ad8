/* SPDX-License-Identifier: Apache-2.0 */
/* test_age_vectors.c: the age reader against the public conformance vectors in
 * ../shared/testvectors/age, read in place. Without ../shared (a clone on its own) the
 * program reports itself skipped to CTest (exit 77); where the vectors must be there
 * (CI sets PV_REQUIRE_SHARED=1) their absence is a failure. */
#include <dirent.h>
#include <dlfcn.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#include "formats/age.h"
#include "age_stream.h"

#define VECTOR_DIR PV_SHARED_DIR "/testvectors/age"

/* ---- conformance vectors ---- */

struct vector {
	char expect[64];
	char payload[65];
	uint8_t identities[8][PV_AGE_KEY];
	size_t nidentities;
	const char *skip; /* why it is skipped, or NULL */
	int compressed;	  /* body is zlib-compressed */
	const uint8_t *body;
	size_t body_len;
};

static int field(const char *line, size_t len, const char *name, const char **value, size_t *vlen)
{
	size_t n = strlen(name);
	if (len < n + 2 || memcmp(line, name, n) != 0 || line[n] != ':' || line[n + 1] != ' ')
		return 0;
	*value = line + n + 2;
	*vlen = len - n - 2;
	return 1;
}

/* Parse the key: value lines up to the empty line; 0, or -1 if malformed. */
static int parse_vector(const uint8_t *text, size_t len, struct vector *v)
{
	size_t pos = 0;
	memset(v, 0, sizeof *v);
	for (;;) {
		const uint8_t *nl = memchr(text + pos, '\n', len - pos);
		if (!nl)
			return -1;
		const char *line = (const char *)text + pos, *val;
		size_t n = (size_t)(nl - (text + pos)), vlen;
		pos += n + 1;
		if (n == 0)
			break;
		if (field(line, n, "expect", &val, &vlen) && vlen < sizeof v->expect) {
			memcpy(v->expect, val, vlen);
		} else if (field(line, n, "payload", &val, &vlen) && vlen == 64) {
			memcpy(v->payload, val, 64);
		} else if (field(line, n, "identity", &val, &vlen)) {
			if (vlen < 16 || memcmp(val, "AGE-SECRET-KEY-1", 16) != 0)
				v->skip = "not an X25519 identity";
			else if (v->nidentities == 8 ||
				 pv_age_parse_identity(val, vlen, v->identities[v->nidentities++]))
				return -1;
		} else if (field(line, n, "passphrase", &val, &vlen)) {
			v->skip = "passphrase (scrypt)";
		} else if (field(line, n, "armored", &val, &vlen)) {
			if (vlen == 3 && memcmp(val, "yes", 3) == 0)
				v->skip = "armored";
		} else if (field(line, n, "compressed", &val, &vlen)) {
			if (vlen != 4 || memcmp(val, "zlib", 4) != 0)
				return -1;
			v->compressed = 1;
		} else if (!field(line, n, "file key", &val, &vlen) &&
			   !field(line, n, "comment", &val, &vlen)) {
			return -1;
		}
	}
	if (!v->expect[0])
		return -1;
	if (strcmp(v->expect, "armor failure") == 0)
		v->skip = "armored";
	v->body = text + pos;
	v->body_len = len - pos;
	return 0;
}

/* Vectors marked "compressed: zlib" hold the age file zlib-compressed. libz is loaded at
 * run time (the tests do not link it); *out is malloc'd. 0, or -1 if it cannot be done. */
typedef int (*uncompress_fn)(unsigned char *, unsigned long *, const unsigned char *,
			     unsigned long);

static int zlib_inflate(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	uncompress_fn uncompress = NULL;
	void *lib = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
	int rc = -5; /* Z_BUF_ERROR: the output did not fit */
	if (lib)
		*(void **)&uncompress = dlsym(lib, "uncompress");
	for (unsigned long cap = 1 << 20; uncompress && rc == -5 && cap <= (1ul << 30); cap *= 2) {
		unsigned long n = cap;
		uint8_t *p = malloc(cap);
		assert_non_null(p);
		rc = uncompress(p, &n, in, len);
		if (rc == 0) {
			*out = p;
			*out_len = n;
		} else {
			free(p);
		}
	}
	if (lib)
		dlclose(lib);
	return rc == 0 ? 0 : -1;
}

/* Replace a compressed vector's body by its inflated form (*inflated, malloc'd). */
static int inflate_body(struct vector *v, uint8_t **inflated)
{
	if (zlib_inflate(v->body, v->body_len, inflated, &v->body_len) != 0)
		return -1;
	v->body = *inflated;
	return 0;
}

static void sha256_hex(char out[65], const uint8_t *p, size_t len)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, p, len);
	sodium_bin2hex(out, 65, h, sizeof h);
}

/* Run one vector both with whole reads and with short ones; 0 if it behaves. */
static int run_vector(const char *name, const struct vector *v)
{
	static const size_t steps[][2] = {{0, 1 << 20}, {997, 1000}};
	int ok = 1;
	for (size_t i = 0; i < 2; i++) {
		struct pvt_result r =
		    pvt_decrypt_from((const uint8_t(*)[PV_AGE_KEY])v->identities, v->nidentities,
				 v->body, v->body_len, steps[i][0], steps[i][1]);
		char got[65];
		sha256_hex(got, r.released.p ? r.released.p : (const uint8_t *)"", r.released.len);
		if (strcmp(pv_age_status_name(r.status), v->expect) != 0) {
			print_message("vector %s: got %s, want %s\n", name,
				      pv_age_status_name(r.status), v->expect);
			ok = 0;
		}
		if (v->payload[0] ? strcmp(got, v->payload) != 0 : r.released.len != 0) {
			print_message("vector %s: released %zu bytes, sha256 %s, want %s\n", name,
				      r.released.len, got, v->payload[0] ? v->payload : "nothing");
			ok = 0;
		}
		free(r.released.p);
	}
	return ok ? 0 : -1;
}

static void test_vectors(void **state)
{
	(void)state;
	struct dirent **names;
	struct stat st;
	if (stat(VECTOR_DIR, &st) != 0 || !S_ISDIR(st.st_mode))
		fail_msg("no conformance vectors: %s is absent", VECTOR_DIR);
	int n = scandir(VECTOR_DIR, &names, NULL, alphasort);
	assert_true(n > 0);
	int passed = 0, skipped = 0, failed = 0;
	struct dirent **skipped_names = calloc((size_t)n, sizeof *skipped_names);
	assert_non_null(skipped_names);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *path = pvt_path(VECTOR_DIR, name);
		struct vector v;
		size_t len;
		char *text = NULL;
		uint8_t *inflated = NULL;
		if (name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			goto next;
		text = pvt_read_file(path, &len);
		assert_non_null(text);
		if (parse_vector((const uint8_t *)text, len, &v) != 0) {
			print_message("vector %s: cannot parse its header\n", name);
			failed++;
		} else if (v.skip) {
			print_message("skipped %s (%s)\n", name, v.skip);
			skipped_names[skipped++] = names[i];
			names[i] = NULL;
		} else if (v.compressed && inflate_body(&v, &inflated) != 0) {
			print_message("vector %s: cannot inflate it (libz.so.1 missing?)\n", name);
			failed++;
		} else if (run_vector(name, &v) == 0) {
			passed++;
		} else {
			failed++;
		}
	next:
		free(inflated);
		free(text);
		free(path);
		free(names[i]);
	}
	free(names);
	/* One line, printed in pieces: cmocka formats each message in a small buffer. */
	print_message("age vectors: passed %d, failed %d, skipped %d (", passed, failed, skipped);
	for (int i = 0; i < skipped; i++) {
		print_message("%s%s", i ? " " : "", skipped_names[i]->d_name);
		free(skipped_names[i]);
	}
	print_message(")\n");
	free(skipped_names);
	assert_int_equal(failed, 0);
	assert_true(passed > 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	pvt_program_needs_shared(VECTOR_DIR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
