/* SPDX-License-Identifier: Apache-2.0 */
/* test_age.c: the age v1 implementation (src/age.c): round trips, tampering and
 * truncation, key encoding and key files, the C2SP/CCTV conformance vectors from
 * ../shared/testvectors/age, and interoperability with the age and age-keygen tools. */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "formats/age.h"
#include "age_stream.h"

#define CHUNK	   PV_AGE_CHUNK

/* ---- in-memory sinks and sources ---- */

static uint8_t *random_bytes(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	assert_non_null(p);
	randombytes_buf(p, len);
	return p;
}

/* Offset of the payload: just after the "--- MAC\n" line. */
static size_t header_len(const struct pvt_sink *f)
{
	for (size_t i = 0; i + 4 < f->len; i++)
		if ((i == 0 || f->p[i - 1] == '\n') && memcmp(f->p + i, "--- ", 4) == 0) {
			const uint8_t *nl = memchr(f->p + i, '\n', f->len - i);
			assert_non_null(nl);
			return (size_t)(nl - f->p) + 1;
		}
	fail_msg("no MAC line");
	return 0;
}

static size_t expected_file_len(size_t hdr, size_t len)
{
	size_t chunks = len == 0 ? 1 : (len + CHUNK - 1) / CHUNK;
	return hdr + 16 + len + chunks * 16;
}

/* ---- round trips ---- */

static void test_round_trip(void **state)
{
	(void)state;
	static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 3 * 65536, 1 << 20, (17u << 20) + 3};
	uint8_t sk[2][PV_AGE_KEY], pk[2][PV_AGE_KEY];
	pv_age_keygen(sk[0], pk[0]);
	pv_age_keygen(sk[1], pk[1]);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		for (size_t nrec = 1; nrec <= 2; nrec++) {
			size_t len = sizes[i];
			uint8_t *data = random_bytes(len);
			size_t wstep = nrec == 1 ? 0 : 1000;
			struct pvt_sink f = pvt_encrypt_to(pk, nrec, data, len, wstep);
			size_t hdr = header_len(&f);
			assert_int_equal(f.len, expected_file_len(hdr, len));
			for (size_t who = 0; who < nrec; who++) {
				/* Whole reads into a big buffer, then short reads into a small one.
				 */
				struct pvt_result a = pvt_decrypt_from(&sk[who], 1, f.p, f.len, 0, 1 << 20);
				struct pvt_result b = pvt_decrypt_from(&sk[who], 1, f.p, f.len, 4097, 1000);
				assert_int_equal(a.status, PV_AGE_OK);
				assert_int_equal(b.status, PV_AGE_OK);
				assert_int_equal(a.released.len, len);
				assert_int_equal(b.released.len, len);
				assert_false(a.bad_return || b.bad_return);
				if (len) {
					assert_memory_equal(a.released.p, data, len);
					assert_memory_equal(b.released.p, data, len);
				}
				free(a.released.p);
				free(b.released.p);
			}
			/* Both identities given, only the second one matches. */
			struct pvt_result c = pvt_decrypt_from(sk, 2, f.p, f.len, 0, CHUNK);
			assert_int_equal(c.status, PV_AGE_OK);
			assert_int_equal(c.released.len, len);
			free(c.released.p);
			free(f.p);
			free(data);
		}
	}
}

static void test_two_files_differ(void **state)
{
	(void)state;
	uint8_t sk[PV_AGE_KEY], pk[1][PV_AGE_KEY];
	pv_age_keygen(sk, pk[0]);
	static const uint8_t text[] = "the same text";
	struct pvt_sink a = pvt_encrypt_to(pk, 1, text, sizeof text, 0);
	struct pvt_sink b = pvt_encrypt_to(pk, 1, text, sizeof text, 0);
	assert_int_equal(a.len, b.len);
	assert_memory_not_equal(a.p, b.p, a.len); /* fresh file key, share and nonce */
	free(a.p);
	free(b.p);
}

static void test_wrong_identity(void **state)
{
	(void)state;
	uint8_t sk[2][PV_AGE_KEY], pk[2][PV_AGE_KEY];
	pv_age_keygen(sk[0], pk[0]);
	pv_age_keygen(sk[1], pk[1]);
	uint8_t *data = random_bytes(1000);
	struct pvt_sink f = pvt_encrypt_to(pk, 1, data, 1000, 0);
	struct pvt_result r = pvt_decrypt_from(&sk[1], 1, f.p, f.len, 0, CHUNK);
	assert_int_equal(r.status, PV_AGE_NO_MATCH);
	assert_int_equal(r.released.len, 0);
	r = pvt_decrypt_from(NULL, 0, f.p, f.len, 0, CHUNK);
	assert_int_equal(r.status, PV_AGE_NO_MATCH);
	char err[200];
	pv_age_status st = PV_AGE_OK;
	struct pvt_source src = {f.p, f.len, 0, 0};
	assert_null(pv_age_reader_new(&sk[1], 1, pvt_source_read, &src, &st, err, sizeof err));
	assert_int_equal(st, PV_AGE_NO_MATCH);
	assert_non_null(strstr(err, "no match"));
	free(f.p);
	free(data);
}

/* Every single-byte change in the header is refused before any plaintext. */
static void test_header_tamper(void **state)
{
	(void)state;
	uint8_t sk[PV_AGE_KEY], pk[1][PV_AGE_KEY];
	pv_age_keygen(sk, pk[0]);
	uint8_t *data = random_bytes(5000);
	struct pvt_sink f = pvt_encrypt_to(pk, 1, data, 5000, 0);
	size_t hdr = header_len(&f);
	for (size_t i = 0; i < hdr; i++) {
		f.p[i] ^= 0x01;
		struct pvt_result r =
		    pvt_decrypt_from((const uint8_t(*)[PV_AGE_KEY])sk, 1, f.p, f.len, 0, CHUNK);
		f.p[i] ^= 0x01;
		if (r.status != PV_AGE_HEADER_FAILURE && r.status != PV_AGE_HMAC_FAILURE &&
		    r.status != PV_AGE_NO_MATCH)
			fail_msg("byte %zu flipped: %s", i, pv_age_status_name(r.status));
		assert_int_equal(r.released.len, 0);
	}
	/* The version line: header failure; the first MAC character (A..Z stays valid
	 * base64 when flipping the low bit): HMAC failure. */
	f.p[3] ^= 0x01;
	assert_int_equal(
	    pvt_decrypt_from((const uint8_t(*)[PV_AGE_KEY])sk, 1, f.p, f.len, 0, CHUNK).status,
	    PV_AGE_HEADER_FAILURE);
	f.p[3] ^= 0x01;
	size_t mac = hdr - 44;
	assert_memory_equal(f.p + mac - 4, "--- ", 4);
	uint8_t orig = f.p[mac];
	f.p[mac] = orig == 'A' ? 'B' : 'A';
	struct pvt_result r = pvt_decrypt_from((const uint8_t(*)[PV_AGE_KEY])sk, 1, f.p, f.len, 0, CHUNK);
	assert_int_equal(r.status, PV_AGE_HMAC_FAILURE);
	f.p[mac] = orig;
	r = pvt_decrypt_from((const uint8_t(*)[PV_AGE_KEY])sk, 1, f.p, f.len, 0, CHUNK);
	assert_int_equal(r.status, PV_AGE_OK);
	free(r.released.p);
	free(f.p);
	free(data);
}

/* Released bytes are exactly the first want bytes of data. */
static void assert_released(const struct pvt_result *r, const uint8_t *data, size_t want)
{
	if (r->released.len != want)
		fail_msg("released %zu bytes, want %zu", r->released.len, want);
	if (want)
		assert_memory_equal(r->released.p, data, want);
}

static void test_payload_tamper(void **state)
{
	(void)state;
	uint8_t sk[1][PV_AGE_KEY], pk[1][PV_AGE_KEY];
	pv_age_keygen(sk[0], pk[0]);
	size_t len = 3 * CHUNK;
	uint8_t *data = random_bytes(len);
	struct pvt_sink f = pvt_encrypt_to(pk, 1, data, len, 0);
	size_t payload = header_len(&f) + 16;
	/* offset in the file -> authenticated plaintext that may precede the failure */
	struct {
		size_t off, released;
	} cases[] = {
	    {payload - 16, 0},				     /* payload nonce */
	    {payload + 10, 0},				     /* first chunk */
	    {payload + CHUNK + 5, 0},			     /* first chunk's tag */
	    {payload + (CHUNK + 16) + 100, CHUNK},	     /* second chunk */
	    {payload + 2 * (CHUNK + 16) + CHUNK, 2 * CHUNK}, /* last chunk's tag */
	    {f.len - 1, 2 * CHUNK},			     /* last byte */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (int small = 0; small < 2; small++) {
			f.p[cases[i].off] ^= 0x40;
			struct pvt_result r = pvt_decrypt_from(sk, 1, f.p, f.len, small ? 999 : 0,
						       small ? 1000 : 2 * CHUNK);
			f.p[cases[i].off] ^= 0x40;
			assert_int_equal(r.status, PV_AGE_PAYLOAD_FAILURE);
			assert_released(&r, data, cases[i].released);
			free(r.released.p);
		}
	}
	free(f.p);
	free(data);
}

static void test_truncated(void **state)
{
	(void)state;
	uint8_t sk[1][PV_AGE_KEY], pk[1][PV_AGE_KEY];
	pv_age_keygen(sk[0], pk[0]);
	size_t len = 3 * CHUNK + 100;
	uint8_t *data = random_bytes(len);
	struct pvt_sink f = pvt_encrypt_to(pk, 1, data, len, 0);
	size_t payload = header_len(&f) + 16;
	struct {
		size_t keep, released;
	} cases[] = {
	    {f.len - 50, 3 * CHUNK},			  /* cut in the last chunk */
	    {payload + 3 * (CHUNK + 16), 3 * CHUNK},	  /* cut at a chunk boundary */
	    {payload + 2 * (CHUNK + 16), 2 * CHUNK},	  /* an earlier boundary */
	    {payload + 2 * (CHUNK + 16) + 15, 2 * CHUNK}, /* shorter than a tag */
	    {payload + 2 * (CHUNK + 16) + 16, 2 * CHUNK}, /* an empty last chunk */
	    {payload, 0},				  /* no chunk at all */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pvt_result r = pvt_decrypt_from(sk, 1, f.p, cases[i].keep, 0, CHUNK);
		assert_int_equal(r.status, PV_AGE_PAYLOAD_FAILURE);
		assert_released(&r, data, cases[i].released);
		free(r.released.p);
	}
	/* Cut within the payload nonce: the header is incomplete. */
	struct pvt_result r = pvt_decrypt_from(sk, 1, f.p, payload - 3, 0, CHUNK);
	assert_int_equal(r.status, PV_AGE_HEADER_FAILURE);
	free(f.p);
	free(data);

	/* A file of exactly two chunks (the last full) cut after the first one. */
	len = 2 * CHUNK;
	data = random_bytes(len);
	f = pvt_encrypt_to(pk, 1, data, len, 0);
	payload = header_len(&f) + 16;
	r = pvt_decrypt_from(sk, 1, f.p, payload + CHUNK + 16, 0, CHUNK);
	assert_int_equal(r.status, PV_AGE_PAYLOAD_FAILURE);
	assert_released(&r, data, CHUNK);
	free(r.released.p);
	r = pvt_decrypt_from(sk, 1, f.p, f.len, 0, CHUNK);
	assert_int_equal(r.status, PV_AGE_OK);
	assert_released(&r, data, len);
	free(r.released.p);
	free(f.p);
	free(data);
}

static void test_trailing_garbage(void **state)
{
	(void)state;
	uint8_t sk[1][PV_AGE_KEY], pk[1][PV_AGE_KEY];
	pv_age_keygen(sk[0], pk[0]);
	static const size_t sizes[] = {100, CHUNK, 2 * CHUNK + 7};
	static const size_t extra[] = {1, 16, 100000};
	for (size_t i = 0; i < 3; i++) {
		uint8_t *data = random_bytes(sizes[i]);
		struct pvt_sink f = pvt_encrypt_to(pk, 1, data, sizes[i], 0);
		size_t full = sizes[i] / CHUNK * CHUNK; /* bytes in full chunks */
		for (size_t j = 0; j < 3; j++) {
			struct pvt_sink g = {0};
			uint8_t *junk = random_bytes(extra[j]);
			assert_int_equal(pvt_sink_write(&g, f.p, f.len), 0);
			assert_int_equal(pvt_sink_write(&g, junk, extra[j]), 0);
			struct pvt_result r = pvt_decrypt_from(sk, 1, g.p, g.len, 0, CHUNK);
			assert_int_equal(r.status, PV_AGE_PAYLOAD_FAILURE);
			/* A short last chunk swallows the junk and fails; a full final chunk
			 * authenticates, is released, and the junk after it fails. */
			size_t want = sizes[i] % CHUNK == 0 ? sizes[i] : full;
			assert_released(&r, data, want);
			free(r.released.p);
			free(junk);
			free(g.p);
		}
		free(f.p);
		free(data);
	}
}

/* A writer whose output fails, and a reader whose input fails. */
static int failing_write(void *ctx, const void *buf, size_t len)
{
	int *budget = ctx;
	(void)buf;
	if (*budget <= 0)
		return -1;
	(*budget)--;
	(void)len;
	return 0;
}

/* A source that fails once limit bytes have been handed out. */
struct failing_source {
	struct pvt_source src;
	size_t limit;
};

static long failing_read(void *ctx, void *buf, size_t len)
{
	struct failing_source *f = ctx;
	if (f->src.pos >= f->limit)
		return -1;
	if (len > f->limit - f->src.pos)
		len = f->limit - f->src.pos;
	return pvt_source_read(&f->src, buf, len);
}

static void test_io_failures(void **state)
{
	(void)state;
	uint8_t sk[1][PV_AGE_KEY], pk[1][PV_AGE_KEY];
	pv_age_keygen(sk[0], pk[0]);
	int budget = 0;
	assert_null(pv_age_writer_new(pk, 1, failing_write, &budget));
	assert_null(pv_age_writer_new(pk, 0, failing_write, &budget));
	/* A low-order recipient (here the zero point) gives an all-zero secret: refused. */
	const uint8_t low_order[2][PV_AGE_KEY] = {{0}};
	struct pvt_sink unused = {0};
	assert_null(pv_age_writer_new(low_order, 1, pvt_sink_write, &unused));
	assert_int_equal(unused.len, 0);
	budget = 1; /* the header goes out, the first chunk does not */
	pv_age_writer *w = pv_age_writer_new(pk, 1, failing_write, &budget);
	assert_non_null(w);
	uint8_t *data = random_bytes(3 * CHUNK);
	assert_int_equal(pv_age_write(w, data, 3 * CHUNK), -1);
	assert_int_equal(pv_age_write(w, data, 1), -1);
	assert_int_equal(pv_age_writer_finish(w), -1);

	struct pvt_sink f = pvt_encrypt_to(pk, 1, data, 3 * CHUNK, 0);
	struct failing_source src = {{f.p, f.len, 0, 0}, header_len(&f) + 16 + CHUNK + 16 + 5};
	pv_age_status st;
	pv_age_reader *r = pv_age_reader_new(sk, 1, failing_read, &src, &st, NULL, 0);
	assert_non_null(r);
	uint8_t buf[CHUNK];
	assert_int_equal(pv_age_read(r, buf, sizeof buf), CHUNK);
	assert_memory_equal(buf, data, CHUNK);
	assert_int_equal(pv_age_read(r, buf, sizeof buf), -1);
	assert_int_equal(pv_age_reader_status(r), PV_AGE_IO_FAILURE);
	assert_int_equal(pv_age_read(r, buf, sizeof buf), -1);
	pv_age_reader_free(r);
	src.src.pos = 0;
	src.limit = 10;
	assert_null(pv_age_reader_new(sk, 1, failing_read, &src, &st, NULL, 0));
	assert_int_equal(st, PV_AGE_IO_FAILURE);
	free(f.p);
	free(data);
	assert_string_equal(pv_age_status_name(PV_AGE_OK), "success");
	assert_string_equal(pv_age_status_name(PV_AGE_PAYLOAD_FAILURE), "payload failure");
}

/* ---- key encoding ---- */

static void test_keys(void **state)
{
	(void)state;
	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY], out[PV_AGE_KEY];
	for (int i = 0; i < 50; i++) {
		pv_age_keygen(sk, pk);
		char *r = pv_age_format_recipient(pk), *id = pv_age_format_identity(sk);
		assert_non_null(r);
		assert_non_null(id);
		assert_int_equal(strlen(r), 62);
		assert_int_equal(strncmp(r, "age1", 4), 0);
		assert_int_equal(strlen(id), 74);
		assert_int_equal(strncmp(id, "AGE-SECRET-KEY-1", 16), 0);
		assert_int_equal(pv_age_parse_recipient(r, strlen(r), out), 0);
		assert_memory_equal(out, pk, PV_AGE_KEY);
		assert_int_equal(pv_age_parse_identity(id, strlen(id), out), 0);
		assert_memory_equal(out, sk, PV_AGE_KEY);
		/* Each kind refused as the other. */
		assert_int_equal(pv_age_parse_recipient(id, strlen(id), out), -1);
		assert_int_equal(pv_age_parse_identity(r, strlen(r), out), -1);
		/* Any changed character breaks the checksum. */
		for (size_t k = 4; k < strlen(r); k++) {
			char saved = r[k];
			r[k] = saved == 'q' ? 'p' : 'q';
			assert_int_equal(pv_age_parse_recipient(r, strlen(r), out), -1);
			r[k] = saved;
		}
		/* Mixed case refused; all upper case is not the recipient HRP. */
		size_t k = 4;
		while (r[k] < 'a' || r[k] > 'z')
			k++;
		r[k] = (char)(r[k] - 'a' + 'A');
		assert_int_equal(pv_age_parse_recipient(r, strlen(r), out), -1);
		sodium_memzero(id, strlen(id));
		free(id);
		free(r);
	}
	/* The spec's example identity is 32 bytes of 0x42. */
	static const char spec_id[] =
	    "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
	uint8_t b[PV_AGE_KEY];
	memset(b, 0x42, sizeof b);
	assert_int_equal(pv_age_parse_identity(spec_id, strlen(spec_id), out), 0);
	assert_memory_equal(out, b, PV_AGE_KEY);
	char *again = pv_age_format_identity(b);
	assert_string_equal(again, spec_id);
	free(again);
	char lower_id[sizeof spec_id];
	for (size_t i = 0; i < sizeof spec_id; i++)
		lower_id[i] =
		    (char)(spec_id[i] >= 'A' && spec_id[i] <= 'Z' ? spec_id[i] + 32 : spec_id[i]);
	assert_int_equal(pv_age_parse_identity(lower_id, strlen(lower_id), out), -1);
	/* Valid Bech32 checksums, but 31 and 33 bytes, or another HRP. */
	static const char *bad[] = {
	    "age1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7ru28p0lr",
	    "age1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7ruszzxrc4t3",
	    "bge1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7rusqckya64",
	    "age1gfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpqxkm8f5",
	    "AGE1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQXKM8F4",
	    "age1",
	    "",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (pv_age_parse_recipient(bad[i], strlen(bad[i]), out) != -1)
			fail_msg("accepted %s", bad[i]);
	static const char good[] = "age1gfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpqxkm8f4";
	assert_int_equal(pv_age_parse_recipient(good, strlen(good), out), 0);
	assert_memory_equal(out, b, PV_AGE_KEY);
	/* The length given counts: the same string with one more character is refused. */
	char longer[sizeof good + 1];
	memcpy(longer, good, sizeof good);
	longer[sizeof good - 1] = 'q';
	longer[sizeof good] = '\0';
	assert_int_equal(pv_age_parse_recipient(longer, strlen(longer), out), -1);
	assert_int_equal(pv_age_parse_recipient(longer, strlen(good), out), 0);
}

static char *write_temp(const char *dir, const char *name, const char *text)
{
	char *path = pvt_path(dir, name);
	assert_int_equal(pvt_write_file(path, text, strlen(text)), 0);
	return path;
}

static void test_key_files(void **state)
{
	(void)state;
	char *dir = pvt_tempdir(), err[512];
	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY], out[PV_AGE_KEY];
	pv_age_keygen(sk, pk);
	char *id = pv_age_format_identity(sk), *rcp = pv_age_format_recipient(pk), text[1024];

	snprintf(text, sizeof text, "# created: 2025-01-01T00:00:00Z\n# public key: %s\n\n%s\n",
		 rcp, id);
	char *idfile = write_temp(dir, "key.txt", text);
	assert_int_equal(pv_age_read_identity_file(idfile, out, err, sizeof err), 0);
	assert_memory_equal(out, sk, PV_AGE_KEY);
	assert_int_equal(pv_age_read_recipient_file(idfile, out, err, sizeof err), 0);
	assert_memory_equal(out, pk, PV_AGE_KEY);

	snprintf(text, sizeof text, "# a recipient\r\n%s\r\n", rcp);
	char *rfile = write_temp(dir, "rcp.txt", text);
	assert_int_equal(pv_age_read_recipient_file(rfile, out, err, sizeof err), 0);
	assert_memory_equal(out, pk, PV_AGE_KEY);
	/* A recipient is no identity: the error names the file and line 2. */
	assert_int_equal(pv_age_read_identity_file(rfile, out, err, sizeof err), -1);
	assert_non_null(strstr(err, rfile));
	assert_non_null(strstr(err, ":2:"));

	/* A damaged identity on line 4: named by path and line, the key never shown. */
	char broken[128];
	snprintf(broken, sizeof broken, "%s", id);
	broken[30] = broken[30] == 'Q' ? 'P' : 'Q';
	snprintf(text, sizeof text, "# created\n# public key: %s\n\n%s\n", rcp, broken);
	char *bad = write_temp(dir, "bad.txt", text);
	assert_int_equal(pv_age_read_identity_file(bad, out, err, sizeof err), -1);
	assert_non_null(strstr(err, bad));
	assert_non_null(strstr(err, ":4:"));
	assert_null(strstr(err, "AGE-SECRET-KEY-1"));
	assert_null(strstr(err, broken + 16));

	snprintf(text, sizeof text, "# only comments\n\n");
	char *empty = write_temp(dir, "empty.txt", text);
	assert_int_equal(pv_age_read_identity_file(empty, out, err, sizeof err), -1);
	assert_non_null(strstr(err, empty));

	snprintf(text, sizeof text, "%s\n# another\n%s\n", id, id);
	char *two = write_temp(dir, "two.txt", text);
	assert_int_equal(pv_age_read_identity_file(two, out, err, sizeof err), -1);
	assert_non_null(strstr(err, ":3:"));

	char *missing = pvt_path(dir, "missing.txt");
	assert_int_equal(pv_age_read_identity_file(missing, out, err, sizeof err), -1);
	assert_non_null(strstr(err, missing));

	sodium_memzero(id, strlen(id));
	sodium_memzero(text, sizeof text);
	free(id);
	free(rcp);
	free(idfile);
	free(rfile);
	free(bad);
	free(empty);
	free(two);
	free(missing);
	pvt_rmtree(dir);
	free(dir);
}

/* ---- interoperability with age and age-keygen ---- */

static uint8_t *read_all(const char *path, size_t *len)
{
	char *p = pvt_read_file(path, len);
	assert_non_null(p);
	return (uint8_t *)p;
}

static void encrypt_file(const char *path, const uint8_t (*pk)[PV_AGE_KEY], size_t n,
			 const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	pv_age_writer *w = pv_age_writer_new(pk, n, pv_age_fd_write, &fd);
	assert_non_null(w);
	assert_int_equal(pv_age_write(w, data, len), 0);
	assert_int_equal(pv_age_writer_finish(w), 0);
	assert_int_equal(close(fd), 0);
}

static struct pvt_result decrypt_file(const char *path, const uint8_t sk[PV_AGE_KEY])
{
	struct pvt_result res = {0};
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	pv_age_reader *r = pv_age_reader_new((const uint8_t(*)[PV_AGE_KEY])sk, 1, pv_age_fd_read,
					     &fd, &res.status, NULL, 0);
	if (r) {
		uint8_t buf[8192];
		long got;
		while ((got = pv_age_read(r, buf, sizeof buf)) > 0)
			assert_int_equal(pvt_sink_write(&res.released, buf, (size_t)got), 0);
		res.status = got < 0 ? pv_age_reader_status(r) : PV_AGE_OK;
		pv_age_reader_free(r);
	}
	close(fd);
	return res;
}

static void test_interop(void **state)
{
	(void)state;
	if (pvt_run(NULL, "command -v age >/dev/null && command -v age-keygen >/dev/null") != 0)
		fail_msg("the age and age-keygen tools are missing (scripts/setup.sh installs "
			 "the Debian package age)");
	char *dir = pvt_tempdir(), err[512], *out = NULL;
	char *key = pvt_path(dir, "key.txt"), *plain = pvt_path(dir, "plain"),
	     *enc = pvt_path(dir, "file.age"), *dec = pvt_path(dir, "file.out");
	assert_int_equal(pvt_run(NULL, "age-keygen -o '%s' 2>/dev/null", key), 0);
	uint8_t sk[PV_AGE_KEY], pk[2][PV_AGE_KEY], other[PV_AGE_KEY];
	assert_int_equal(pv_age_read_identity_file(key, sk, err, sizeof err), 0);
	assert_int_equal(pv_age_read_recipient_file(key, pk[0], err, sizeof err), 0);
	pv_age_keygen(other, pk[1]);
	/* Our encoding of the derived recipient is the one age-keygen prints. */
	assert_int_equal(pvt_run(&out, "age-keygen -y '%s'", key), 0);
	char *rcp = pv_age_format_recipient(pk[0]);
	assert_non_null(out);
	assert_int_equal(strncmp(out, rcp, strlen(rcp)), 0);
	free(out);

	/* the last is sealed in batches on two threads, its chunk counter past 255 */
	static const size_t sizes[] = {0, 1, CHUNK, 200000, (17u << 20) + 3};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t len = sizes[i], got_len;
		uint8_t *data = random_bytes(len);
		assert_int_equal(pvt_write_file(plain, data, len), 0);

		/* pivault encrypts (to two recipients), age decrypts (to standard output: age
		 * does not create an -o file for an empty plaintext). */
		encrypt_file(enc, (const uint8_t(*)[PV_AGE_KEY])pk, 2, data, len);
		assert_int_equal(pvt_run(NULL, "age -d -i '%s' '%s' > '%s'", key, enc, dec), 0);
		uint8_t *got = read_all(dec, &got_len);
		assert_int_equal(got_len, len);
		if (len)
			assert_memory_equal(got, data, len);
		free(got);

		/* age encrypts, pivault decrypts with the age-keygen identity. */
		assert_int_equal(pvt_run(NULL, "age -r '%s' -o '%s' '%s'", rcp, enc, plain), 0);
		struct pvt_result r = decrypt_file(enc, sk);
		assert_int_equal(r.status, PV_AGE_OK);
		assert_released(&r, data, len);
		free(r.released.p);
		struct pvt_result w = decrypt_file(enc, other);
		assert_int_equal(w.status, PV_AGE_NO_MATCH);
		free(data);
	}
	sodium_memzero(sk, sizeof sk);
	free(rcp);
	free(key);
	free(plain);
	free(enc);
	free(dec);
	pvt_rmtree(dir);
	free(dir);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_two_files_differ),
	    cmocka_unit_test(test_wrong_identity),
	    cmocka_unit_test(test_header_tamper),
	    cmocka_unit_test(test_payload_tamper),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_trailing_garbage),
	    cmocka_unit_test(test_io_failures),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_key_files),
	    cmocka_unit_test(test_interop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
