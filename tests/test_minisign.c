/* SPDX-License-Identifier: Apache-2.0 */
/* test_minisign.c: tests of src/minisign.c: sign/verify round trips (whole message and
 * streaming prehash), each kind of damage refused with its reason (message byte, trusted
 * comment, swapped lines, wrong key, wrong key id, every truncation, bad base64), the
 * tolerated variations (CRLF, no final newline), public key files, and interoperation
 * with the real minisign program in both directions (prehashed and legacy signatures). */
#include "testutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/minisign.h"

#define TC "timestamp:1700000000\tfile:export.tar.age"

struct keys {
	uint8_t pk[32], sk[64];
};

static struct keys new_keys(void)
{
	struct keys k;
	assert_true(sodium_init() >= 0);
	crypto_sign_keypair(k.pk, k.sk);
	return k;
}

static const char msg[] = "name,phone\nZhang San,13800138000\n";

/* Verify with the given text copied into a buffer of exactly its length (so a sanitizer
 * catches any read beyond it); the result, with err filled. */
static int verify_exact(const char *text, size_t len, const void *m, size_t mlen,
			const uint8_t pk[32], char **tc, char *err, size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, text, len);
	int rc = pv_minisign_verify(copy, len, m, mlen, pk, tc, err, errlen);
	free(copy);
	return rc;
}

/* The text must be refused with needle in the reason. */
static void expect_refused(const char *text, size_t len, const void *m, size_t mlen,
			   const uint8_t pk[32], const char *needle)
{
	char err[256] = "";
	char *tc = (char *)"untouched";
	int rc = verify_exact(text, len, m, mlen, pk, &tc, err, sizeof err);
	if (rc != -1 || !strstr(err, needle))
		fail_msg("verify: rc %d, reason '%s' (want '%s')", rc, err, needle);
	assert_null(tc);
}

/* Line i (0-based) of a text, as a malloc'd string without its end. */
static char *line_of(const char *text, int i)
{
	const char *p = text;
	while (i-- > 0) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	size_t n = strcspn(p, "\n");
	char *s = malloc(n + 1);
	assert_non_null(s);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Four lines joined with LF ends. */
static char *join4(const char *a, const char *b, const char *c, const char *d)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 5;
	char *s = malloc(n);
	assert_non_null(s);
	snprintf(s, n, "%s\n%s\n%s\n%s\n", a, b, c, d);
	return s;
}

/* ---- round trips ------------------------------------------------------------------- */

static void test_round_trip(void **state)
{
	(void)state;
	struct keys k = new_keys();
	char *sig = pv_minisign_sign(k.sk, msg, strlen(msg), TC, NULL);
	assert_non_null(sig);
	char *l0 = line_of(sig, 0), *l2 = line_of(sig, 2);
	assert_string_equal(l0, "untrusted comment: signature from pivault secret key");
	assert_string_equal(l2, "trusted comment: " TC);
	free(l0), free(l2);

	char err[256] = "";
	char *tc = NULL;
	assert_int_equal(
	    pv_minisign_verify(sig, strlen(sig), msg, strlen(msg), k.pk, &tc, err, sizeof err), 0);
	assert_string_equal(tc, TC);
	free(tc);
	assert_int_equal(
	    pv_minisign_verify(sig, strlen(sig), msg, strlen(msg), k.pk, NULL, err, sizeof err), 0);

	/* the streaming prehash, fed in odd pieces, gives the same signature check */
	pv_minisign_hash h;
	uint8_t ph[PV_MINISIGN_PREHASH];
	pv_minisign_hash_init(&h);
	for (size_t off = 0, step = 1; off < strlen(msg); off += step, step++)
		pv_minisign_hash_update(&h, msg + off,
					step < strlen(msg) - off ? step : strlen(msg) - off);
	pv_minisign_hash_final(&h, ph);
	uint8_t direct[64];
	crypto_generichash(direct, sizeof direct, (const uint8_t *)msg, strlen(msg), NULL, 0);
	assert_memory_equal(ph, direct, 64);
	assert_int_equal(
	    pv_minisign_verify_prehashed(sig, strlen(sig), ph, k.pk, &tc, err, sizeof err), 0);
	assert_string_equal(tc, TC);
	free(tc);

	/* signing the prehash gives a file that verifies against the message */
	char *sig2 = pv_minisign_sign_prehashed(k.sk, ph, "", "my own comment");
	assert_non_null(sig2);
	assert_int_equal(strncmp(sig2, "untrusted comment: my own comment\n", 34), 0);
	assert_int_equal(
	    pv_minisign_verify(sig2, strlen(sig2), msg, strlen(msg), k.pk, &tc, err, sizeof err),
	    0);
	assert_string_equal(tc, "");
	free(tc);

	/* an empty message */
	char *sig3 = pv_minisign_sign(k.sk, NULL, 0, "empty", NULL);
	assert_non_null(sig3);
	assert_int_equal(
	    pv_minisign_verify(sig3, strlen(sig3), NULL, 0, k.pk, NULL, err, sizeof err), 0);
	free(sig), free(sig2), free(sig3);
}

static void test_tolerated_forms(void **state)
{
	(void)state;
	struct keys k = new_keys();
	char *sig = pv_minisign_sign(k.sk, msg, strlen(msg), TC, NULL);
	char err[256] = "";
	char *tc = NULL;
	/* no final newline */
	assert_int_equal(
	    verify_exact(sig, strlen(sig) - 1, msg, strlen(msg), k.pk, &tc, err, sizeof err), 0);
	assert_string_equal(tc, TC);
	free(tc);
	/* CRLF line ends, with and without the final one */
	char crlf[1024];
	size_t n = 0;
	for (const char *p = sig; *p; p++) {
		if (*p == '\n')
			crlf[n++] = '\r';
		crlf[n++] = *p;
	}
	assert_int_equal(verify_exact(crlf, n, msg, strlen(msg), k.pk, &tc, err, sizeof err), 0);
	assert_string_equal(tc, TC); /* no CR in the comment */
	free(tc);
	assert_int_equal(verify_exact(crlf, n - 2, msg, strlen(msg), k.pk, NULL, err, sizeof err),
			 0);
	/* a trailing blank line */
	char more[1024];
	snprintf(more, sizeof more, "%s\n", sig);
	assert_int_equal(
	    verify_exact(more, strlen(more), msg, strlen(msg), k.pk, NULL, err, sizeof err), 0);
	free(sig);
}

/* ---- refusals ------------------------------------------------------------------------ */

static void test_changed_message(void **state)
{
	(void)state;
	struct keys k = new_keys();
	char *sig = pv_minisign_sign(k.sk, msg, strlen(msg), TC, NULL);
	char m[sizeof msg];
	for (size_t i = 0; i < strlen(msg); i += 5) {
		memcpy(m, msg, sizeof msg);
		m[i] ^= 0x01;
		expect_refused(sig, strlen(sig), m, strlen(msg), k.pk,
			       "signature does not match the file");
	}
	expect_refused(sig, strlen(sig), msg, strlen(msg) - 1, k.pk,
		       "signature does not match the file");
	free(sig);
}

static void test_changed_trusted_comment(void **state)
{
	(void)state;
	struct keys k = new_keys();
	char *sig = pv_minisign_sign(k.sk, msg, strlen(msg), TC, NULL);
	char *l0 = line_of(sig, 0), *l1 = line_of(sig, 1), *l3 = line_of(sig, 3);
	const char *changed[] = {"trusted comment: timestamp:1700000001\tfile:export.tar.age",
				 ("trusted comment: " TC " "),
				 "trusted comment: ", ("trusted comment:  " TC)};
	for (size_t i = 0; i < sizeof changed / sizeof *changed; i++) {
		char *t = join4(l0, l1, changed[i], l3);
		expect_refused(t, strlen(t), msg, strlen(msg), k.pk,
			       "trusted comment signature does not match");
		free(t);
	}
	/* the untrusted comment is not signed */
	char *t = join4("untrusted comment: anything at all", l1, "trusted comment: " TC, l3);
	char err[256];
	assert_int_equal(verify_exact(t, strlen(t), msg, strlen(msg), k.pk, NULL, err, sizeof err),
			 0);
	free(t);
	/* a trusted comment with a control character is malformed */
	t = join4(l0, l1, "trusted comment: a\x01z", l3);
	expect_refused(t, strlen(t), msg, strlen(msg), k.pk, "malformed signature file: line 3");
	free(t);
	free(l0), free(l1), free(l3), free(sig);
}

static void test_swapped_lines(void **state)
{
	(void)state;
	struct keys k = new_keys();
	char *sig = pv_minisign_sign(k.sk, msg, strlen(msg), TC, NULL);
	char *l[4];
	for (int i = 0; i < 4; i++)
		l[i] = line_of(sig, i);
	char *t = join4(l[0], l[3], l[2], l[1]);
	expect_refused(t, strlen(t), msg, strlen(msg), k.pk, "malformed signature file: line 2");
	free(t);
	t = join4(l[2], l[1], l[0], l[3]);
	expect_refused(t, strlen(t), msg, strlen(msg), k.pk, "malformed signature file: line 1");
	free(t);
	t = join4(l[0], l[2], l[1], l[3]);
	expect_refused(t, strlen(t), msg, strlen(msg), k.pk, "malformed signature file: line 2");
	free(t);
	/* extra data after the fourth line */
	size_t n = strlen(sig) + 8;
	t = malloc(n);
	snprintf(t, n, "%sextra\n", sig);
	expect_refused(t, strlen(t), msg, strlen(msg), k.pk, "malformed signature file: line 5");
	free(t);
	for (int i = 0; i < 4; i++)
		free(l[i]);
	free(sig);
}

/* Re-encode line 2 with its bytes changed by edit. */
static char *edit_sig_line(const char *sig, void (*edit)(uint8_t blob[74]))
{
	char *l[4];
	for (int i = 0; i < 4; i++)
		l[i] = line_of(sig, i);
	uint8_t blob[74];
	size_t got = 0;
	assert_int_equal(sodium_base642bin(blob, sizeof blob, l[1], strlen(l[1]), NULL, &got, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_int_equal(got, 74);
	edit(blob);
	char b64[sodium_base64_ENCODED_LEN(74, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
	char *t = join4(l[0], b64, l[2], l[3]);
	for (int i = 0; i < 4; i++)
		free(l[i]);
	return t;
}

static void flip_key_id(uint8_t blob[74])
{
	blob[5] ^= 0x40;
}

static void make_alg_unknown(uint8_t blob[74])
{
	blob[0] = 'X';
}

static void make_alg_legacy(uint8_t blob[74])
{
	blob[1] = 'd';
}

static void test_wrong_key_and_id(void **state)
{
	(void)state;
	struct keys k = new_keys(), other = new_keys();
	char *sig = pv_minisign_sign(k.sk, msg, strlen(msg), TC, NULL);
	char err[256] = "";
	/* another key: its key id differs */
	expect_refused(sig, strlen(sig), msg, strlen(msg), other.pk, "key id does not match");
	/* another key that claims the right key id */
	uint8_t id[PV_MINISIGN_KEYID];
	pv_minisign_key_id(k.pk, id);
	assert_int_equal(pv_minisign_verify_id(sig, strlen(sig), msg, strlen(msg), other.pk, id,
					       NULL, err, sizeof err),
			 -1);
	assert_string_equal(err, "signature does not match the file");
	/* the right key, but the key id in the signature changed */
	char *t = edit_sig_line(sig, flip_key_id);
	expect_refused(t, strlen(t), msg, strlen(msg), k.pk, "key id does not match");
	free(t);
	/* an unknown algorithm */
	t = edit_sig_line(sig, make_alg_unknown);
	expect_refused(t, strlen(t), msg, strlen(msg), k.pk, "unsupported signature algorithm");
	free(t);
	/* relabelled as legacy: the signature covers the prehash, not the message */
	t = edit_sig_line(sig, make_alg_legacy);
	expect_refused(t, strlen(t), msg, strlen(msg), k.pk, "signature does not match the file");
	uint8_t ph[64];
	crypto_generichash(ph, sizeof ph, (const uint8_t *)msg, strlen(msg), NULL, 0);
	assert_int_equal(
	    pv_minisign_verify_prehashed(t, strlen(t), ph, k.pk, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "legacy"));
	free(t);
	free(sig);
}

static void test_truncated(void **state)
{
	(void)state;
	struct keys k = new_keys();
	char *sig = pv_minisign_sign(k.sk, msg, strlen(msg), TC, NULL);
	size_t full = strlen(sig);
	size_t ends[4];
	for (int i = 0, n = 0; i < (int)full; i++)
		if (sig[i] == '\n')
			ends[n++] = (size_t)i;
	/* every shorter prefix is refused as malformed, naming the right line */
	for (size_t len = 0; len < full - 1; len++) {
		int line = 1;
		while (line <= 4 && len > ends[line - 1])
			line++;
		char want[64];
		/* a cut right after a line end leaves the next line missing */
		snprintf(want, sizeof want, "malformed signature file: line %d", line);
		if (len == ends[line - 1] && line < 4)
			snprintf(want, sizeof want, "malformed signature file: line %d", line + 1);
		if (line == 3 && len > ends[1] + strlen("trusted comment: "))
			snprintf(want, sizeof want, "malformed signature file: line 4");
		if (line == 1 && len >= strlen("untrusted comment: "))
			snprintf(want, sizeof want, "malformed signature file: line 2");
		expect_refused(sig, len, msg, strlen(msg), k.pk, want);
	}
	free(sig);
}

static void test_garbage_base64(void **state)
{
	(void)state;
	struct keys k = new_keys();
	char *sig = pv_minisign_sign(k.sk, msg, strlen(msg), TC, NULL);
	char *l[4];
	for (int i = 0; i < 4; i++)
		l[i] = line_of(sig, i);
	char bad[128];
	/* not base64; unpadded; a character changed to one outside the alphabet; too short */
	const char *forms[] = {"!!! not base64 !!!", NULL, NULL, "RWQ=", "", NULL};
	for (int which = 1; which <= 3; which += 2) {
		for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
			const char *g = forms[f];
			if (f == 1 || f == 2 || f == 5) {
				snprintf(bad, sizeof bad, "%s", l[which]);
				if (f == 1)
					bad[strcspn(bad, "=")] = '\0'; /* padding removed */
				else if (f == 2)
					bad[10] = '*';
				else
					snprintf(bad, sizeof bad, " %s", l[which]);
				g = bad;
			}
			char *t =
			    which == 1 ? join4(l[0], g, l[2], l[3]) : join4(l[0], l[1], l[2], g);
			char want[64];
			snprintf(want, sizeof want, "malformed signature file: line %d", which + 1);
			expect_refused(t, strlen(t), msg, strlen(msg), k.pk, want);
			free(t);
		}
	}
	for (int i = 0; i < 4; i++)
		free(l[i]);
	free(sig);
}

static void test_sign_refusals(void **state)
{
	(void)state;
	struct keys k = new_keys();
	assert_null(pv_minisign_sign(k.sk, msg, strlen(msg), "two\nlines", NULL));
	assert_null(pv_minisign_sign(k.sk, msg, strlen(msg), "carriage\rreturn", NULL));
	assert_null(pv_minisign_sign(k.sk, msg, strlen(msg), "ok", "bad\nuntrusted"));
	char *big = malloc(PV_MINISIGN_TRUSTED_MAX + 2);
	memset(big, 'x', PV_MINISIGN_TRUSTED_MAX + 1);
	big[PV_MINISIGN_TRUSTED_MAX + 1] = '\0';
	assert_null(pv_minisign_sign(k.sk, msg, strlen(msg), big, NULL));
	big[PV_MINISIGN_TRUSTED_MAX] = '\0';
	char *sig = pv_minisign_sign(k.sk, msg, strlen(msg), big, NULL);
	assert_non_null(sig);
	char *tc = NULL, err[256];
	assert_int_equal(
	    pv_minisign_verify(sig, strlen(sig), msg, strlen(msg), k.pk, &tc, err, sizeof err), 0);
	assert_string_equal(tc, big);
	free(tc), free(sig), free(big);
}

/* ---- public keys ------------------------------------------------------------------- */

static void test_public_key(void **state)
{
	(void)state;
	struct keys k = new_keys();
	uint8_t id[PV_MINISIGN_KEYID], id2[PV_MINISIGN_KEYID], pk[32];
	pv_minisign_key_id(k.pk, id);
	pv_minisign_key_id(k.pk, id2);
	assert_memory_equal(id, id2, sizeof id);
	uint8_t h[32];
	crypto_generichash(h, sizeof h, k.pk, 32, NULL, 0);
	assert_memory_equal(id, h, sizeof id);
	char hex[17];
	pv_minisign_key_id_hex(id, hex);
	for (int i = 0; i < 8; i++) {
		char two[3];
		snprintf(two, sizeof two, "%02X", id[7 - i]);
		assert_memory_equal(hex + 2 * i, two, 2);
	}

	char *text = pv_minisign_public_key_text(k.pk, NULL);
	assert_non_null(text);
	char *l0 = line_of(text, 0), *l1 = line_of(text, 1);
	char want[64];
	snprintf(want, sizeof want, "untrusted comment: minisign public key %s", hex);
	assert_string_equal(l0, want);
	char err[256] = "";
	memset(pk, 0, sizeof pk);
	assert_int_equal(pv_minisign_parse_public_key(text, strlen(text), pk, id2, err, sizeof err),
			 0);
	assert_memory_equal(pk, k.pk, 32);
	assert_memory_equal(id2, id, sizeof id);
	/* the bare key line, with or without its end, CRLF */
	assert_int_equal(pv_minisign_parse_public_key(l1, strlen(l1), pk, id2, err, sizeof err), 0);
	assert_memory_equal(pk, k.pk, 32);
	char crlf[256];
	snprintf(crlf, sizeof crlf, "%s\r\n%s\r\n", l0, l1);
	assert_int_equal(pv_minisign_parse_public_key(crlf, strlen(crlf), pk, id2, err, sizeof err),
			 0);
	/* refusals */
	const char *bad[] = {"", "untrusted comment: only a comment\n", "RWQ=\n", "garbage\n"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = '\0';
		assert_int_equal(
		    pv_minisign_parse_public_key(bad[i], strlen(bad[i]), pk, id2, err, sizeof err),
		    -1);
		assert_non_null(strstr(err, "public key"));
	}
	char extra[256];
	snprintf(extra, sizeof extra, "%s%s\n", text, l1);
	assert_int_equal(
	    pv_minisign_parse_public_key(extra, strlen(extra), pk, id2, err, sizeof err), -1);
	for (size_t len = 0; len < strlen(text) - 1; len++) {
		char *copy = malloc(len + 1);
		memcpy(copy, text, len);
		assert_int_equal(pv_minisign_parse_public_key(copy, len, pk, id2, err, sizeof err),
				 -1);
		free(copy);
	}
	char *custom = pv_minisign_public_key_text(k.pk, "vault key");
	assert_int_equal(strncmp(custom, "untrusted comment: vault key\n", 29), 0);
	assert_null(pv_minisign_public_key_text(k.pk, "two\nlines"));
	free(custom), free(l0), free(l1), free(text);
}

/* ---- the real minisign --------------------------------------------------------------- */

static void require_minisign(void)
{
	if (pvt_run(NULL, "command -v minisign >/dev/null 2>&1") != 0)
		fail_msg("the minisign program is not installed (Debian package minisign)");
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char *path = pvt_path(dir, name);
	assert_int_equal(pvt_write_file(path, text, strlen(text)), 0);
	free(path);
}

static char *read_text(const char *dir, const char *name, size_t *len)
{
	char *path = pvt_path(dir, name);
	char *t = pvt_read_file(path, len);
	assert_non_null(t);
	free(path);
	return t;
}

static void test_minisign_verifies_ours(void **state)
{
	(void)state;
	require_minisign();
	struct keys k = new_keys();
	char *dir = pvt_tempdir();
	char *pub = pv_minisign_public_key_text(k.pk, NULL);
	char *sig = pv_minisign_sign(k.sk, msg, strlen(msg), TC, NULL);
	write_text(dir, "pub", pub);
	write_text(dir, "msg", msg);
	write_text(dir, "msg.minisig", sig);
	char *out = NULL;
	assert_int_equal(pvt_run(&out, "cd '%s' && minisign -V -p pub -m msg 2>&1", dir), 0);
	assert_non_null(strstr(out, "Trusted comment: " TC "\n"));
	free(out);
	/* the prehashed signing path too, with an explicit signature file */
	pv_minisign_hash h;
	uint8_t ph[64];
	pv_minisign_hash_init(&h);
	pv_minisign_hash_update(&h, msg, strlen(msg));
	pv_minisign_hash_final(&h, ph);
	char *sig2 = pv_minisign_sign_prehashed(k.sk, ph, "second", "other comment");
	write_text(dir, "second.sig", sig2);
	assert_int_equal(
	    pvt_run(&out, "cd '%s' && minisign -V -p pub -m msg -x second.sig 2>&1", dir), 0);
	free(out);
	/* a changed byte is caught */
	char m[sizeof msg];
	memcpy(m, msg, sizeof msg);
	m[7] ^= 0x20;
	write_text(dir, "msg", m);
	assert_int_not_equal(pvt_run(&out, "cd '%s' && minisign -V -p pub -m msg 2>&1", dir), 0);
	assert_null(strstr(out, "Trusted comment"));
	free(out);
	pvt_rmtree(dir);
	free(dir), free(pub), free(sig), free(sig2);
}

/* pk and key id from the public key file minisign wrote. */
static void load_minisign_key(const char *dir, uint8_t pk[32], uint8_t id[PV_MINISIGN_KEYID])
{
	size_t len = 0;
	char *text = read_text(dir, "pub", &len);
	char err[256] = "";
	if (pv_minisign_parse_public_key(text, len, pk, id, err, sizeof err) != 0)
		fail_msg("minisign's public key refused: %s", err);
	free(text);
}

static void test_we_verify_minisign(void **state)
{
	(void)state;
	require_minisign();
	char *dir = pvt_tempdir();
	char *out = NULL;
	write_text(dir, "msg", msg);
	assert_int_equal(
	    pvt_run(&out, "cd '%s' && minisign -G -W -p pub -s sec 2>&1 </dev/null", dir), 0);
	free(out);
	assert_int_equal(pvt_run(&out,
				 "cd '%s' && minisign -S -s sec -m msg -t 'handover 2024-06-01' "
				 "2>&1 </dev/null",
				 dir),
			 0);
	free(out);
	uint8_t pk[32], id[PV_MINISIGN_KEYID];
	load_minisign_key(dir, pk, id);
	size_t len = 0;
	char *sig = read_text(dir, "msg.minisig", &len);
	char err[256] = "", *tc = NULL;
	if (pv_minisign_verify_id(sig, len, msg, strlen(msg), pk, id, &tc, err, sizeof err) != 0)
		fail_msg("minisign's signature refused: %s", err);
	assert_string_equal(tc, "handover 2024-06-01");
	free(tc);
	/* minisign's key ids are random, so pv_minisign_verify (derived id) refuses */
	assert_int_equal(pv_minisign_verify(sig, len, msg, strlen(msg), pk, NULL, err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "key id does not match"));
	/* the prehashed verifier agrees */
	uint8_t ph[64];
	crypto_generichash(ph, sizeof ph, (const uint8_t *)msg, strlen(msg), NULL, 0);
	assert_int_equal(
	    pv_minisign_verify_prehashed_id(sig, len, ph, pk, id, NULL, err, sizeof err), 0);
	/* a changed byte is refused */
	char m[sizeof msg];
	memcpy(m, msg, sizeof msg);
	m[20] ^= 0x01;
	assert_int_equal(
	    pv_minisign_verify_id(sig, len, m, strlen(m), pk, id, &tc, err, sizeof err), -1);
	assert_string_equal(err, "signature does not match the file");
	assert_null(tc);
	free(sig);

	/* the legacy (non-prehashed) form: Debian's minisign offers -l; one that does not
	 * cannot test it, which is a failure, not a pass */
	char *help = NULL;
	pvt_run(&help, "minisign -h 2>&1");
	if (!help || !strstr(help, "-l "))
		fail_msg("this minisign cannot make legacy signatures (no -l): install Debian's");
	{
		assert_int_equal(pvt_run(&out,
					 "cd '%s' && minisign -S -l -s sec -m msg -x legacy.sig "
					 "-t 'legacy form' 2>&1 </dev/null",
					 dir),
				 0);
		free(out);
		sig = read_text(dir, "legacy.sig", &len);
		char *l1 = line_of(sig, 1);
		uint8_t blob[74];
		size_t got = 0;
		assert_int_equal(sodium_base642bin(blob, sizeof blob, l1, strlen(l1), NULL, &got,
						   NULL, sodium_base64_VARIANT_ORIGINAL),
				 0);
		assert_memory_equal(blob, "Ed", 2);
		free(l1);
		if (pv_minisign_verify_id(sig, len, msg, strlen(msg), pk, id, &tc, err,
					  sizeof err) != 0)
			fail_msg("minisign's legacy signature refused: %s", err);
		assert_string_equal(tc, "legacy form");
		free(tc);
		assert_int_equal(
		    pv_minisign_verify_id(sig, len, m, strlen(m), pk, id, NULL, err, sizeof err),
		    -1);
		assert_string_equal(err, "signature does not match the file");
		assert_int_equal(
		    pv_minisign_verify_prehashed_id(sig, len, ph, pk, id, NULL, err, sizeof err),
		    -1);
		assert_non_null(strstr(err, "legacy"));
		free(sig);
	}
	free(help);
	pvt_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_tolerated_forms),
	    cmocka_unit_test(test_changed_message),
	    cmocka_unit_test(test_changed_trusted_comment),
	    cmocka_unit_test(test_swapped_lines),
	    cmocka_unit_test(test_wrong_key_and_id),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_garbage_base64),
	    cmocka_unit_test(test_sign_refusals),
	    cmocka_unit_test(test_public_key),
	    cmocka_unit_test(test_minisign_verifies_ours),
	    cmocka_unit_test(test_we_verify_minisign),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
