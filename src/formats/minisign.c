/* SPDX-License-Identifier: Apache-2.0 */
/* minisign.c: minisign public key and signature files over the vault's Ed25519 key, built
 * from libsodium (Ed25519, BLAKE2b, base64); see minisign.h for the formats. */
#include "minisign.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALG_PREHASHED	    "ED"
#define ALG_LEGACY	    "Ed"
#define UNTRUSTED_PREFIX    "untrusted comment: "
#define TRUSTED_PREFIX	    "trusted comment: "
#define DEFAULT_SIG_COMMENT "signature from pivault secret key"
#define SIG_BYTES	    crypto_sign_ed25519_BYTES
#define PK_BYTES	    crypto_sign_ed25519_PUBLICKEYBYTES
#define B64		    sodium_base64_VARIANT_ORIGINAL

/* The binary payloads of the base64 lines. */
#define PUBKEY_BLOB (2 + PV_MINISIGN_KEYID + PK_BYTES)
#define SIG_BLOB    (2 + PV_MINISIGN_KEYID + SIG_BYTES)

/* One line of a text: its bytes without the line end. */
struct line {
	const char *p;
	size_t n;
};

/* A signature file, parsed; tc points into the file's text. */
struct sigfile {
	uint8_t alg[2];
	uint8_t keyid[PV_MINISIGN_KEYID];
	uint8_t sig[SIG_BYTES];
	uint8_t global_sig[SIG_BYTES];
	const char *tc;
	size_t tclen;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- keys and hashes ------------------------------------------------------------- */

void pv_minisign_key_id(const uint8_t pk[32], uint8_t id[PV_MINISIGN_KEYID])
{
	uint8_t h[crypto_generichash_BYTES];
	crypto_generichash(h, sizeof h, pk, PK_BYTES, NULL, 0);
	memcpy(id, h, PV_MINISIGN_KEYID);
}

void pv_minisign_key_id_hex(const uint8_t id[PV_MINISIGN_KEYID], char hex[17])
{
	static const char digits[] = "0123456789ABCDEF";
	for (size_t i = 0; i < PV_MINISIGN_KEYID; i++) {
		uint8_t b = id[PV_MINISIGN_KEYID - 1 - i];
		hex[2 * i] = digits[b >> 4];
		hex[2 * i + 1] = digits[b & 15];
	}
	hex[16] = '\0';
}

void pv_minisign_hash_init(pv_minisign_hash *h)
{
	crypto_generichash_init(&h->st, NULL, 0, PV_MINISIGN_PREHASH);
}

void pv_minisign_hash_update(pv_minisign_hash *h, const void *buf, size_t len)
{
	if (len)
		crypto_generichash_update(&h->st, buf, len);
}

void pv_minisign_hash_final(pv_minisign_hash *h, uint8_t out[PV_MINISIGN_PREHASH])
{
	crypto_generichash_final(&h->st, out, PV_MINISIGN_PREHASH);
}

static void prehash_message(const void *msg, size_t len, uint8_t out[PV_MINISIGN_PREHASH])
{
	pv_minisign_hash h;
	pv_minisign_hash_init(&h);
	pv_minisign_hash_update(&h, msg, len);
	pv_minisign_hash_final(&h, out);
}

/* ---- writing --------------------------------------------------------------------- */

/* 1 if s can be a comment: at most max bytes, no control characters but tab. */
static int comment_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

/* Base64 (padded) of bin into a malloc'd string. */
static char *to_base64(const uint8_t *bin, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, B64);
	char *s = malloc(n);
	if (s)
		sodium_bin2base64(s, n, bin, len, B64);
	return s;
}

/* printf into a malloc'd string. */
static char *format_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *format_text(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

char *pv_minisign_public_key_text(const uint8_t pk[32], const char *untrusted_comment)
{
	uint8_t blob[PUBKEY_BLOB];
	char hex[17], dflt[64];
	memcpy(blob, ALG_LEGACY, 2);
	pv_minisign_key_id(pk, blob + 2);
	memcpy(blob + 2 + PV_MINISIGN_KEYID, pk, PK_BYTES);
	if (!untrusted_comment) {
		pv_minisign_key_id_hex(blob + 2, hex);
		snprintf(dflt, sizeof dflt, "minisign public key %s", hex);
		untrusted_comment = dflt;
	}
	if (!comment_ok(untrusted_comment, PV_MINISIGN_UNTRUSTED_MAX))
		return NULL;
	char *b64 = to_base64(blob, sizeof blob);
	if (!b64)
		return NULL;
	char *text = format_text(UNTRUSTED_PREFIX "%s\n%s\n", untrusted_comment, b64);
	free(b64);
	return text;
}

/* Ed25519 signature of (sig || trusted comment) with sk. */
static int sign_trusted_comment(const uint8_t sk[64], const uint8_t sig[SIG_BYTES], const char *tc,
				uint8_t out[SIG_BYTES])
{
	size_t tclen = strlen(tc);
	uint8_t *buf = malloc(SIG_BYTES + tclen);
	if (!buf)
		return -1;
	memcpy(buf, sig, SIG_BYTES);
	memcpy(buf + SIG_BYTES, tc, tclen);
	int rc = crypto_sign_ed25519_detached(out, NULL, buf, SIG_BYTES + tclen, sk);
	free(buf);
	return rc == 0 ? 0 : -1;
}

/* The four lines of a signature file from its binary parts. */
static char *signature_text(const uint8_t blob[SIG_BLOB], const uint8_t global_sig[SIG_BYTES],
			    const char *tc, const char *untrusted)
{
	char *b64_sig = to_base64(blob, SIG_BLOB);
	char *b64_global = to_base64(global_sig, SIG_BYTES);
	char *text = NULL;
	if (b64_sig && b64_global)
		text = format_text(UNTRUSTED_PREFIX "%s\n%s\n" TRUSTED_PREFIX "%s\n%s\n", untrusted,
				   b64_sig, tc, b64_global);
	free(b64_sig);
	free(b64_global);
	return text;
}

char *pv_minisign_sign_prehashed(const uint8_t sk[64], const uint8_t prehash[PV_MINISIGN_PREHASH],
				 const char *trusted_comment, const char *untrusted_comment)
{
	uint8_t pk[PK_BYTES], blob[SIG_BLOB], global_sig[SIG_BYTES];
	const char *tc = trusted_comment ? trusted_comment : "";
	const char *uc = untrusted_comment ? untrusted_comment : DEFAULT_SIG_COMMENT;
	if (sodium_init() < 0)
		return NULL;
	if (!comment_ok(tc, PV_MINISIGN_TRUSTED_MAX) || !comment_ok(uc, PV_MINISIGN_UNTRUSTED_MAX))
		return NULL;
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	memcpy(blob, ALG_PREHASHED, 2);
	pv_minisign_key_id(pk, blob + 2);
	uint8_t *sig = blob + 2 + PV_MINISIGN_KEYID;
	if (crypto_sign_ed25519_detached(sig, NULL, prehash, PV_MINISIGN_PREHASH, sk) != 0)
		return NULL;
	if (sign_trusted_comment(sk, sig, tc, global_sig) != 0)
		return NULL;
	return signature_text(blob, global_sig, tc, uc);
}

char *pv_minisign_sign(const uint8_t sk[64], const void *msg, size_t len,
		       const char *trusted_comment, const char *untrusted_comment)
{
	uint8_t prehash[PV_MINISIGN_PREHASH];
	prehash_message(msg, len, prehash);
	return pv_minisign_sign_prehashed(sk, prehash, trusted_comment, untrusted_comment);
}

/* ---- reading --------------------------------------------------------------------- */

/* Next line of [*pos, end): 1 with it (LF or CRLF end removed), 0 when no input is left. */
static int next_line(const char **pos, const char *end, struct line *out)
{
	const char *p = *pos;
	if (p >= end)
		return 0;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *stop = nl ? nl : end;
	*pos = nl ? nl + 1 : end;
	out->p = p;
	out->n = (size_t)(stop - p);
	if (out->n && out->p[out->n - 1] == '\r')
		out->n--;
	return 1;
}

/* 1 if a line holds no stray CR or NUL bytes. */
static int line_clean(const struct line *l)
{
	return !memchr(l->p, '\r', l->n) && !memchr(l->p, '\0', l->n);
}

/* 1 if the line starts with prefix. */
static int has_prefix(const struct line *l, const char *prefix)
{
	size_t n = strlen(prefix);
	return l->n >= n && memcmp(l->p, prefix, n) == 0;
}

/* 1 if what is left of the text is nothing but empty lines. */
static int only_blank_lines(const char *pos, const char *end)
{
	struct line l;
	while (next_line(&pos, end, &l))
		if (l.n)
			return 0;
	return 1;
}

/* Decode a whole line of padded base64 that must give exactly len bytes; 0 or -1. */
static int decode_line(const struct line *l, uint8_t *out, size_t len)
{
	size_t got = 0;
	const char *b64_end = NULL;
	if (sodium_base642bin(out, len, l->p, l->n, NULL, &got, &b64_end, B64) != 0)
		return -1;
	return got == len && b64_end == l->p + l->n ? 0 : -1;
}

/* 1 if the comment text has no control characters but tab. */
static int comment_bytes_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

/* The line holding the key: the second if the first is an untrusted comment, else the
 * first; 0 with it and its number, or -1. */
static int public_key_line(const char **pos, const char *end, struct line *l, int *lineno,
			   char *err, size_t errlen)
{
	*lineno = 1;
	if (!next_line(pos, end, l)) {
		set_err(err, errlen, "malformed public key: empty");
		return -1;
	}
	if (!has_prefix(l, UNTRUSTED_PREFIX))
		return 0;
	if (!line_clean(l)) {
		set_err(err, errlen, "malformed public key: line 1");
		return -1;
	}
	*lineno = 2;
	if (!next_line(pos, end, l)) {
		set_err(err, errlen, "malformed public key: line 2: missing");
		return -1;
	}
	return 0;
}

int pv_minisign_parse_public_key(const char *text, size_t len, uint8_t pk[32],
				 uint8_t id[PV_MINISIGN_KEYID], char *err, size_t errlen)
{
	const char *pos = text ? text : "", *end = text ? text + len : pos;
	struct line l;
	uint8_t blob[PUBKEY_BLOB];
	int lineno;
	if (public_key_line(&pos, end, &l, &lineno, err, errlen) != 0)
		return -1;
	if (!line_clean(&l) || decode_line(&l, blob, sizeof blob) != 0) {
		set_err(err, errlen, "malformed public key: line %d: not a base64 minisign key",
			lineno);
		return -1;
	}
	if (!only_blank_lines(pos, end)) {
		set_err(err, errlen, "malformed public key: line %d: unexpected data", lineno + 1);
		return -1;
	}
	if (memcmp(blob, ALG_LEGACY, 2) != 0) {
		set_err(err, errlen, "unsupported public key algorithm");
		return -1;
	}
	if (id)
		memcpy(id, blob + 2, PV_MINISIGN_KEYID);
	if (pk)
		memcpy(pk, blob + 2 + PV_MINISIGN_KEYID, PK_BYTES);
	return 0;
}

/* Line 1: the untrusted comment. */
static int parse_untrusted(const struct line *l, char *err, size_t errlen)
{
	size_t pre = strlen(UNTRUSTED_PREFIX);
	if (!line_clean(l) || !has_prefix(l, UNTRUSTED_PREFIX)) {
		set_err(err, errlen, "malformed signature file: line 1: expected \"%s\"",
			UNTRUSTED_PREFIX);
		return -1;
	}
	if (l->n - pre > PV_MINISIGN_UNTRUSTED_MAX) {
		set_err(err, errlen, "malformed signature file: line 1: comment too long");
		return -1;
	}
	return 0;
}

/* Line 2: algorithm, key id and message signature. */
static int parse_sig_line(const struct line *l, struct sigfile *s, char *err, size_t errlen)
{
	uint8_t blob[SIG_BLOB];
	if (!line_clean(l) || decode_line(l, blob, sizeof blob) != 0) {
		set_err(err, errlen, "malformed signature file: line 2: not a base64 signature");
		return -1;
	}
	memcpy(s->alg, blob, 2);
	memcpy(s->keyid, blob + 2, PV_MINISIGN_KEYID);
	memcpy(s->sig, blob + 2 + PV_MINISIGN_KEYID, SIG_BYTES);
	if (memcmp(s->alg, ALG_PREHASHED, 2) != 0 && memcmp(s->alg, ALG_LEGACY, 2) != 0) {
		set_err(err, errlen, "unsupported signature algorithm");
		return -1;
	}
	return 0;
}

/* Line 3: the trusted comment. */
static int parse_trusted(const struct line *l, struct sigfile *s, char *err, size_t errlen)
{
	size_t pre = strlen(TRUSTED_PREFIX);
	if (!line_clean(l) || !has_prefix(l, TRUSTED_PREFIX)) {
		set_err(err, errlen, "malformed signature file: line 3: expected \"%s\"",
			TRUSTED_PREFIX);
		return -1;
	}
	s->tc = l->p + pre;
	s->tclen = l->n - pre;
	if (s->tclen > PV_MINISIGN_TRUSTED_MAX) {
		set_err(err, errlen, "malformed signature file: line 3: trusted comment too long");
		return -1;
	}
	if (!comment_bytes_ok(s->tc, s->tclen)) {
		set_err(err, errlen,
			"malformed signature file: line 3: control character in trusted comment");
		return -1;
	}
	return 0;
}

/* Line 4: the signature over the signature and the trusted comment. */
static int parse_global(const struct line *l, struct sigfile *s, char *err, size_t errlen)
{
	if (!line_clean(l) || decode_line(l, s->global_sig, SIG_BYTES) != 0) {
		set_err(err, errlen, "malformed signature file: line 4: not a base64 signature");
		return -1;
	}
	return 0;
}

/* Line n (1-based) of a signature file, which must be there; 0 or -1. */
static int sig_line(const char **pos, const char *end, int n, struct line *l, char *err,
		    size_t errlen)
{
	if (next_line(pos, end, l))
		return 0;
	set_err(err, errlen, "malformed signature file: line %d: missing", n);
	return -1;
}

/* Split and decode a signature file's four lines, each checked before the next is read;
 * 0 or -1 with the reason. */
static int parse_signature(const char *text, size_t len, struct sigfile *s, char *err,
			   size_t errlen)
{
	const char *pos = text ? text : "", *end = text ? text + len : pos;
	struct line l;
	if (sig_line(&pos, end, 1, &l, err, errlen) || parse_untrusted(&l, err, errlen) ||
	    sig_line(&pos, end, 2, &l, err, errlen) || parse_sig_line(&l, s, err, errlen) ||
	    sig_line(&pos, end, 3, &l, err, errlen) || parse_trusted(&l, s, err, errlen) ||
	    sig_line(&pos, end, 4, &l, err, errlen) || parse_global(&l, s, err, errlen))
		return -1;
	if (!only_blank_lines(pos, end)) {
		set_err(err, errlen, "malformed signature file: line 5: unexpected data");
		return -1;
	}
	return 0;
}

/* The signature's key id must be the expected one (id, or pk's derived id when NULL). */
static int check_key_id(const struct sigfile *s, const uint8_t pk[32], const uint8_t *expected_id,
			char *err, size_t errlen)
{
	uint8_t id[PV_MINISIGN_KEYID];
	char want[17], got[17];
	if (expected_id)
		memcpy(id, expected_id, PV_MINISIGN_KEYID);
	else
		pv_minisign_key_id(pk, id);
	if (memcmp(id, s->keyid, PV_MINISIGN_KEYID) == 0)
		return 0;
	pv_minisign_key_id_hex(s->keyid, got);
	pv_minisign_key_id_hex(id, want);
	set_err(err, errlen, "key id does not match (signature %s, public key %s)", got, want);
	return -1;
}

/* The signature over (message signature || trusted comment). */
static int check_trusted_comment(const struct sigfile *s, const uint8_t pk[32], char *err,
				 size_t errlen)
{
	uint8_t *buf = malloc(SIG_BYTES + s->tclen);
	if (!buf) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	memcpy(buf, s->sig, SIG_BYTES);
	memcpy(buf + SIG_BYTES, s->tc, s->tclen);
	int rc = crypto_sign_ed25519_verify_detached(s->global_sig, buf, SIG_BYTES + s->tclen, pk);
	free(buf);
	if (rc != 0) {
		set_err(err, errlen, "trusted comment signature does not match");
		return -1;
	}
	return 0;
}

/* Hand back a copy of the trusted comment; 0 or -1. */
static int give_trusted_comment(const struct sigfile *s, char **out, char *err, size_t errlen)
{
	if (!out)
		return 0;
	*out = malloc(s->tclen + 1);
	if (!*out) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	memcpy(*out, s->tc, s->tclen);
	(*out)[s->tclen] = '\0';
	return 0;
}

/* Key id, then the signature over data (the prehash, or the message for legacy), then the
 * trusted comment's signature. */
static int verify_parsed(const struct sigfile *s, const uint8_t *data, size_t len,
			 const uint8_t pk[32], const uint8_t *id, char **trusted_comment, char *err,
			 size_t errlen)
{
	if (check_key_id(s, pk, id, err, errlen) != 0)
		return -1;
	if (crypto_sign_ed25519_verify_detached(s->sig, data, len, pk) != 0) {
		set_err(err, errlen, "signature does not match the file");
		return -1;
	}
	if (check_trusted_comment(s, pk, err, errlen) != 0)
		return -1;
	return give_trusted_comment(s, trusted_comment, err, errlen);
}

/* Common start of the verifiers. */
static int verify_begin(const char *sig_text, size_t sig_len, struct sigfile *s,
			char **trusted_comment, char *err, size_t errlen)
{
	if (trusted_comment)
		*trusted_comment = NULL;
	if (sodium_init() < 0) {
		set_err(err, errlen, "libsodium could not be initialised");
		return -1;
	}
	return parse_signature(sig_text, sig_len, s, err, errlen);
}

int pv_minisign_verify_id(const char *sig_text, size_t sig_len, const void *msg, size_t msg_len,
			  const uint8_t pk[32], const uint8_t *id, char **trusted_comment,
			  char *err, size_t errlen)
{
	struct sigfile s;
	uint8_t prehash[PV_MINISIGN_PREHASH];
	if (verify_begin(sig_text, sig_len, &s, trusted_comment, err, errlen) != 0)
		return -1;
	if (memcmp(s.alg, ALG_LEGACY, 2) == 0)
		return verify_parsed(&s, msg_len ? msg : (const void *)"", msg_len, pk, id,
				     trusted_comment, err, errlen);
	prehash_message(msg, msg_len, prehash);
	return verify_parsed(&s, prehash, sizeof prehash, pk, id, trusted_comment, err, errlen);
}

int pv_minisign_verify(const char *sig_text, size_t sig_len, const void *msg, size_t msg_len,
		       const uint8_t pk[32], char **trusted_comment, char *err, size_t errlen)
{
	return pv_minisign_verify_id(sig_text, sig_len, msg, msg_len, pk, NULL, trusted_comment,
				     err, errlen);
}

int pv_minisign_verify_prehashed_id(const char *sig_text, size_t sig_len,
				    const uint8_t prehash[PV_MINISIGN_PREHASH],
				    const uint8_t pk[32], const uint8_t *id, char **trusted_comment,
				    char *err, size_t errlen)
{
	struct sigfile s;
	if (verify_begin(sig_text, sig_len, &s, trusted_comment, err, errlen) != 0)
		return -1;
	if (memcmp(s.alg, ALG_LEGACY, 2) == 0) {
		set_err(err, errlen, "legacy (non-prehashed) signature needs the whole message");
		return -1;
	}
	return verify_parsed(&s, prehash, PV_MINISIGN_PREHASH, pk, id, trusted_comment, err,
			     errlen);
}

int pv_minisign_verify_prehashed(const char *sig_text, size_t sig_len,
				 const uint8_t prehash[PV_MINISIGN_PREHASH], const uint8_t pk[32],
				 char **trusted_comment, char *err, size_t errlen)
{
	return pv_minisign_verify_prehashed_id(sig_text, sig_len, prehash, pk, NULL,
					       trusted_comment, err, errlen);
}
