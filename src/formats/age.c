/* SPDX-License-Identifier: Apache-2.0 */
/* age.c: the age v1 file format with X25519 recipients, composed from libsodium
 * primitives: HKDF-SHA-256 over HMAC-SHA-256, X25519, ChaCha20-Poly1305 (IETF), canonical
 * unpadded base64, and a Bech32 encoding of keys written here (it is not cryptography).
 * The payload is streamed in 64 KiB chunks; the reader releases a chunk's plaintext only
 * after that chunk's tag has verified. */
#include "age.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILE_KEY      16
#define TAG	      crypto_aead_chacha20poly1305_ietf_ABYTES
#define NONCE	      crypto_aead_chacha20poly1305_ietf_NPUBBYTES
#define PAYLOAD_NONCE 16
#define ENC_CHUNK     (PV_AGE_CHUNK + TAG)
#define MAX_LINE      16384
#define KEY_FILE_MAX  65536
#define B64_32	      43 /* unpadded base64 length of 32 bytes */

static const char VERSION_LINE[] = "age-encryption.org/v1";
static const char X25519_INFO[] = "age-encryption.org/v1/X25519";
static const char RECIPIENT_HRP[] = "age";
static const char IDENTITY_HRP[] = "AGE-SECRET-KEY-";

const char *pv_age_status_name(pv_age_status s)
{
	switch (s) {
	case PV_AGE_OK:
		return "success";
	case PV_AGE_NO_MATCH:
		return "no match";
	case PV_AGE_HEADER_FAILURE:
		return "header failure";
	case PV_AGE_HMAC_FAILURE:
		return "HMAC failure";
	case PV_AGE_PAYLOAD_FAILURE:
		return "payload failure";
	case PV_AGE_IO_FAILURE:
		return "I/O failure";
	}
	return "unknown";
}

/* Picks libsodium's fastest ChaCha20 and Poly1305 code; idempotent and thread-safe.
 * 0, or -1 if libsodium cannot start (no randomness source). */
static int lib_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* ---- HKDF-SHA-256 (RFC 5869) with a 32-byte output: one Expand block ---- */

static void hkdf_sha256(uint8_t out[32], const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
			size_t salt_len, const char *info)
{
	static const uint8_t counter = 1;
	const uint8_t none = 0;
	crypto_auth_hmacsha256_state st;
	uint8_t prk[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, salt_len ? salt : &none, salt_len);
	crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
	crypto_auth_hmacsha256_final(&st, prk);
	crypto_auth_hmacsha256_init(&st, prk, sizeof prk);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)info, strlen(info));
	crypto_auth_hmacsha256_update(&st, &counter, 1);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(prk, sizeof prk);
	sodium_memzero(&st, sizeof st);
}

/* ---- canonical unpadded base64 ---- */

static int is_b64_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

static int all_b64_chars(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_b64_char(s[i]))
			return 0;
	return 1;
}

/* Decode canonical unpadded base64 into at most cap bytes; the decoded length, or -1. */
static long b64_decode(uint8_t *out, size_t cap, const uint8_t *s, size_t len)
{
	size_t n = 0;
	if (!all_b64_chars(s, len))
		return -1;
	if (sodium_base642bin(out, cap, (const char *)s, len, NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
		return -1;
	return (long)n;
}

/* Encode exactly 32 bytes as 43 unpadded base64 characters (no terminator) at out. */
static void b64_encode_32(char out[B64_32], const uint8_t in[32])
{
	char tmp[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	sodium_bin2base64(tmp, sizeof tmp, in, 32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	memcpy(out, tmp, B64_32);
}

/* ---- Bech32 (BIP 173 checksum, no length limit) ---- */

static const char BECH32_CHARS[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t bech32_step(uint32_t chk, uint8_t v)
{
	static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
	uint32_t top = chk >> 25;
	chk = ((chk & 0x1ffffff) << 5) ^ v;
	for (int i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Checksum state after the expanded human-readable part (taken in lower case). */
static uint32_t bech32_hrp_state(const char *hrp, size_t len)
{
	uint32_t chk = 1;
	for (size_t i = 0; i < len; i++)
		chk = bech32_step(chk, (uint8_t)lower(hrp[i]) >> 5);
	chk = bech32_step(chk, 0);
	for (size_t i = 0; i < len; i++)
		chk = bech32_step(chk, (uint8_t)lower(hrp[i]) & 31);
	return chk;
}

/* 8-bit bytes to 5-bit groups, zero-padded; returns the number of groups. */
static size_t bytes_to_groups(uint8_t *groups, const uint8_t *data, size_t len)
{
	size_t n = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8 | data[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			groups[n++] = (uint8_t)(acc >> bits & 31);
		}
	}
	if (bits)
		groups[n++] = (uint8_t)(acc << (5 - bits) & 31);
	return n;
}

/* hrp, '1', the data and the checksum; upper case if the hrp is. Malloc'd. */
static char *bech32_encode(const char *hrp, const uint8_t *data, size_t len)
{
	size_t hrp_len = strlen(hrp), ngroups = (len * 8 + 4) / 5;
	int up = hrp_len && upper(hrp[0]) == hrp[0] && lower(hrp[0]) != hrp[0];
	uint8_t *groups = malloc(ngroups + 6);
	char *s = malloc(hrp_len + 1 + ngroups + 6 + 1);
	if (!groups || !s) {
		free(groups);
		free(s);
		return NULL;
	}
	bytes_to_groups(groups, data, len);
	uint32_t chk = bech32_hrp_state(hrp, hrp_len);
	for (size_t i = 0; i < ngroups; i++)
		chk = bech32_step(chk, groups[i]);
	for (int i = 0; i < 6; i++)
		chk = bech32_step(chk, 0);
	chk ^= 1;
	for (int i = 0; i < 6; i++)
		groups[ngroups + (size_t)i] = (uint8_t)(chk >> (5 * (5 - i)) & 31);
	memcpy(s, hrp, hrp_len);
	s[hrp_len] = '1';
	for (size_t i = 0; i < ngroups + 6; i++) {
		char c = BECH32_CHARS[groups[i]];
		s[hrp_len + 1 + i] = up ? upper(c) : c;
	}
	s[hrp_len + 1 + ngroups + 6] = '\0';
	sodium_memzero(groups, ngroups + 6);
	free(groups);
	return s;
}

static int bech32_value(char c)
{
	const char *p = strchr(BECH32_CHARS, lower(c));
	return c && p ? (int)(p - BECH32_CHARS) : -1;
}

static int bech32_case_ok(const char *s, size_t len)
{
	int has_lower = 0, has_upper = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < 33 || s[i] > 126)
			return 0;
		has_lower |= s[i] >= 'a' && s[i] <= 'z';
		has_upper |= s[i] >= 'A' && s[i] <= 'Z';
	}
	return !(has_lower && has_upper);
}

/* Decode s (len chars) whose hrp must be exactly want_hrp (case-sensitive) into exactly
 * want bytes at out. 0 / -1. */
static int bech32_decode_exact(const char *s, size_t len, const char *want_hrp, uint8_t *out,
			       size_t want)
{
	size_t hrp_len = strlen(want_hrp), sep = len;
	if (!s || len < hrp_len + 1 + 6 || !bech32_case_ok(s, len))
		return -1;
	while (sep > 0 && s[sep - 1] != '1')
		sep--;
	if (sep == 0 || sep - 1 != hrp_len || memcmp(s, want_hrp, hrp_len) != 0)
		return -1;
	size_t ndata = len - sep; /* groups including the 6 checksum ones */
	if (ndata < 6)
		return -1;
	uint32_t chk = bech32_hrp_state(s, hrp_len), acc = 0;
	unsigned bits = 0;
	size_t n = 0;
	int ok = 1;
	for (size_t i = 0; i < ndata; i++) {
		int v = bech32_value(s[sep + i]);
		if (v < 0)
			return -1;
		chk = bech32_step(chk, (uint8_t)v);
		if (i >= ndata - 6)
			continue;
		acc = (acc << 5 | (uint32_t)v) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n < want)
				out[n] = (uint8_t)(acc >> bits);
			n++;
		}
	}
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		ok = 0; /* padding longer than 4 bits, or not zero */
	if (chk != 1 || n != want)
		ok = 0;
	if (!ok)
		sodium_memzero(out, want);
	return ok ? 0 : -1;
}

/* ---- keys ---- */

void pv_age_keygen(uint8_t sk[PV_AGE_KEY], uint8_t pk[PV_AGE_KEY])
{
	(void)lib_init(); /* without it randombytes_buf still works, only slower code runs */
	do
		randombytes_buf(sk, PV_AGE_KEY);
	while (crypto_scalarmult_curve25519_base(pk, sk) != 0);
}

void pv_age_public_key(const uint8_t sk[PV_AGE_KEY], uint8_t pk[PV_AGE_KEY])
{
	(void)lib_init();
	if (crypto_scalarmult_curve25519_base(pk, sk) != 0)
		memset(pk, 0, PV_AGE_KEY);
}

char *pv_age_format_recipient(const uint8_t pk[PV_AGE_KEY])
{
	return bech32_encode(RECIPIENT_HRP, pk, PV_AGE_KEY);
}

char *pv_age_format_identity(const uint8_t sk[PV_AGE_KEY])
{
	return bech32_encode(IDENTITY_HRP, sk, PV_AGE_KEY);
}

int pv_age_parse_recipient(const char *s, size_t len, uint8_t pk[PV_AGE_KEY])
{
	return bech32_decode_exact(s, len, RECIPIENT_HRP, pk, PV_AGE_KEY);
}

int pv_age_parse_identity(const char *s, size_t len, uint8_t sk[PV_AGE_KEY])
{
	return bech32_decode_exact(s, len, IDENTITY_HRP, sk, PV_AGE_KEY);
}

/* ---- key files ---- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Whole file (at most KEY_FILE_MAX bytes) into a malloc'd buffer; caller wipes and frees. */
static char *read_key_file(const char *path, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(KEY_FILE_MAX + 1);
	size_t n = 0;
	long got = 1;
	while (buf && n <= KEY_FILE_MAX && got > 0) {
		got = pv_age_fd_read(&fd, buf + n, KEY_FILE_MAX + 1 - n);
		if (got > 0)
			n += (size_t)got;
	}
	int saved = errno;
	close(fd);
	if (!buf || got < 0 || n > KEY_FILE_MAX) {
		if (!buf)
			set_err(err, errlen, "%s: out of memory", path);
		else if (got < 0)
			set_err(err, errlen, "%s: %s", path, strerror(saved));
		else
			set_err(err, errlen, "%s: too large for a key file", path);
		if (buf)
			sodium_memzero(buf, n);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The next line of text[*pos..len) with surrounding blanks trimmed; 0 at the end. */
static int next_text_line(const char *text, size_t len, size_t *pos, const char **line,
			  size_t *line_len)
{
	if (*pos >= len)
		return 0;
	const char *start = text + *pos, *nl = memchr(start, '\n', len - *pos);
	size_t n = nl ? (size_t)(nl - start) : len - *pos;
	*pos += n + (nl ? 1 : 0);
	while (n && is_space(start[n - 1]))
		n--;
	while (n && is_space(*start)) {
		start++;
		n--;
	}
	*line = start;
	*line_len = n;
	return 1;
}

static int has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

enum key_kind { KEY_IDENTITY, KEY_RECIPIENT };

/* One key line into key: for KEY_RECIPIENT an age1 line, or an identity (whose public
 * key is taken). 0, or -1 with a message naming the line (never its content). */
static int parse_key_line(enum key_kind kind, const char *line, size_t len, uint8_t key[PV_AGE_KEY],
			  const char *path, unsigned lineno, char *err, size_t errlen)
{
	if (has_prefix(line, len, "AGE-SECRET-KEY-1")) {
		if (pv_age_parse_identity(line, len, key) != 0) {
			set_err(err, errlen, "%s:%u: malformed age identity", path, lineno);
			return -1;
		}
		if (kind == KEY_RECIPIENT) {
			uint8_t sk[PV_AGE_KEY];
			memcpy(sk, key, sizeof sk);
			pv_age_public_key(sk, key);
			sodium_memzero(sk, sizeof sk);
		}
		return 0;
	}
	if (kind == KEY_RECIPIENT && has_prefix(line, len, "age1")) {
		if (pv_age_parse_recipient(line, len, key) != 0) {
			set_err(err, errlen, "%s:%u: malformed age recipient", path, lineno);
			return -1;
		}
		return 0;
	}
	set_err(err, errlen, "%s:%u: not an age %s", path, lineno,
		kind == KEY_IDENTITY ? "identity (AGE-SECRET-KEY-1...)" : "recipient (age1...)");
	return -1;
}

static int read_key(enum key_kind kind, const char *path, uint8_t key[PV_AGE_KEY], char *err,
		    size_t errlen)
{
	size_t len = 0, pos = 0, line_len;
	const char *line;
	unsigned lineno = 0;
	int found = 0, rc = 0;
	char *text = read_key_file(path, &len, err, errlen);
	if (!text)
		return -1;
	while (rc == 0 && next_text_line(text, len, &pos, &line, &line_len)) {
		lineno++;
		if (line_len == 0 || line[0] == '#')
			continue;
		if (found) {
			set_err(err, errlen, "%s:%u: more than one key in the file", path, lineno);
			rc = -1;
		} else {
			rc = parse_key_line(kind, line, line_len, key, path, lineno, err, errlen);
			found = rc == 0;
		}
	}
	if (rc == 0 && !found) {
		set_err(err, errlen, "%s:%u: no age %s found", path, lineno,
			kind == KEY_IDENTITY ? "identity" : "recipient");
		rc = -1;
	}
	if (rc != 0)
		sodium_memzero(key, PV_AGE_KEY);
	sodium_memzero(text, len);
	free(text);
	return rc;
}

int pv_age_read_identity_file(const char *path, uint8_t sk[PV_AGE_KEY], char *err, size_t errlen)
{
	return read_key(KEY_IDENTITY, path, sk, err, errlen);
}

int pv_age_read_recipient_file(const char *path, uint8_t pk[PV_AGE_KEY], char *err, size_t errlen)
{
	return read_key(KEY_RECIPIENT, path, pk, err, errlen);
}

/* ---- the X25519 stanza ---- */

static void x25519_wrap_key(uint8_t key[32], const uint8_t shared[32], const uint8_t share[32],
			    const uint8_t recipient[32])
{
	uint8_t salt[64];
	memcpy(salt, share, 32);
	memcpy(salt + 32, recipient, 32);
	hkdf_sha256(key, shared, 32, salt, sizeof salt, X25519_INFO);
}

/* Body (wrapped file key and tag) and ephemeral share for one recipient; -1 if the
 * recipient is a low-order point. */
static int x25519_wrap(uint8_t body[FILE_KEY + TAG], uint8_t share[32], const uint8_t pk[32],
		       const uint8_t file_key[FILE_KEY])
{
	static const uint8_t zero_nonce[NONCE];
	uint8_t esk[32], shared[32], key[32];
	int rc = -1;
	randombytes_buf(esk, sizeof esk);
	if (crypto_scalarmult_curve25519_base(share, esk) == 0 &&
	    crypto_scalarmult_curve25519(shared, esk, pk) == 0 && !sodium_is_zero(shared, 32)) {
		x25519_wrap_key(key, shared, share, pk);
		crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, FILE_KEY, NULL, 0,
							  NULL, zero_nonce, key);
		rc = 0;
	}
	sodium_memzero(esk, sizeof esk);
	sodium_memzero(shared, sizeof shared);
	sodium_memzero(key, sizeof key);
	return rc;
}

enum unwrap_result { UNWRAP_OK, UNWRAP_NOT_MINE, UNWRAP_BAD_SHARE };

static enum unwrap_result x25519_unwrap(uint8_t file_key[FILE_KEY], const uint8_t share[32],
					const uint8_t body[FILE_KEY + TAG], const uint8_t sk[32],
					const uint8_t pk[32])
{
	static const uint8_t zero_nonce[NONCE];
	uint8_t shared[32], key[32];
	enum unwrap_result res = UNWRAP_NOT_MINE;
	if (crypto_scalarmult_curve25519(shared, sk, share) != 0 || sodium_is_zero(shared, 32)) {
		res = UNWRAP_BAD_SHARE;
	} else {
		x25519_wrap_key(key, shared, share, pk);
		if (crypto_aead_chacha20poly1305_ietf_decrypt(
			file_key, NULL, NULL, body, FILE_KEY + TAG, NULL, 0, zero_nonce, key) == 0)
			res = UNWRAP_OK;
	}
	sodium_memzero(shared, sizeof shared);
	sodium_memzero(key, sizeof key);
	return res;
}

/* ---- payload chunk nonces ---- */

/* Increment the 11-byte big-endian counter; -1 when it would wrap. */
static int next_chunk_nonce(uint8_t nonce[NONCE])
{
	for (int i = NONCE - 2; i >= 0; i--)
		if (++nonce[i] != 0)
			return 0;
	return -1;
}

static int chunk_nonce_is_first(const uint8_t nonce[NONCE])
{
	return sodium_is_zero(nonce, NONCE - 1);
}

static void payload_key(uint8_t key[32], const uint8_t file_key[FILE_KEY],
			const uint8_t nonce[PAYLOAD_NONCE])
{
	hkdf_sha256(key, file_key, FILE_KEY, nonce, PAYLOAD_NONCE, "payload");
}

static void header_mac(uint8_t mac[32], const uint8_t file_key[FILE_KEY], const void *hdr,
		       size_t len)
{
	uint8_t key[32];
	hkdf_sha256(key, file_key, FILE_KEY, NULL, 0, "header");
	crypto_auth_hmacsha256(mac, hdr, len, key);
	sodium_memzero(key, sizeof key);
}

/* ---- writer ---- */

/* Long runs of whole chunks are sealed in batches of up to BATCH_CHUNKS, the batch split
 * between the calling thread and one helper thread (chunks are independent: each has its
 * own counter nonce), and written with one call. */
#define BATCH_CHUNKS 64
#define BATCH_MIN    8 /* below this, one thread is faster than starting another */

struct pv_age_writer {
	pv_age_write_fn out;
	void *ctx;
	int failed;
	int threads; /* 2 when a second core is there to share long writes */
	size_t held; /* plaintext bytes waiting in plain: the chunk that may be the last */
	uint8_t key[32];
	uint8_t nonce[NONCE];
	uint8_t plain[PV_AGE_CHUNK];
	uint8_t sealed[ENC_CHUNK];
	uint8_t *batch; /* BATCH_CHUNKS sealed chunks, allocated on first use */
};

#define STANZA_LEN   (sizeof "-> X25519 " - 1 + B64_32 + 1 + B64_32 + 1)
#define MAC_LINE_LEN (sizeof "--- " - 1 + B64_32 + 1)

static char *put(char *p, const void *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* The whole header and the payload nonce into hdr (sized by the caller); its length,
 * or 0 when a recipient is unusable. Derives the payload key into w->key. */
static size_t build_header(pv_age_writer *w, char *hdr, const uint8_t (*recipients)[PV_AGE_KEY],
			   size_t n)
{
	uint8_t file_key[FILE_KEY], body[FILE_KEY + TAG], share[32], mac[32];
	uint8_t *nonce;
	char *p = put(hdr, VERSION_LINE, sizeof VERSION_LINE - 1);
	size_t len = 0;
	*p++ = '\n';
	randombytes_buf(file_key, sizeof file_key);
	for (size_t i = 0; i < n; i++) {
		if (x25519_wrap(body, share, recipients[i], file_key) != 0)
			goto out;
		p = put(p, "-> X25519 ", 10);
		b64_encode_32(p, share);
		p += B64_32;
		*p++ = '\n';
		b64_encode_32(p, body);
		p += B64_32;
		*p++ = '\n';
	}
	p = put(p, "---", 3);
	header_mac(mac, file_key, hdr, (size_t)(p - hdr));
	*p++ = ' ';
	b64_encode_32(p, mac);
	p += B64_32;
	*p++ = '\n';
	nonce = (uint8_t *)p;
	randombytes_buf(nonce, PAYLOAD_NONCE);
	payload_key(w->key, file_key, nonce);
	len = (size_t)(p - hdr) + PAYLOAD_NONCE;
out:
	sodium_memzero(file_key, sizeof file_key);
	sodium_memzero(body, sizeof body);
	return len;
}

static void writer_destroy(pv_age_writer *w)
{
	free(w->batch); /* ciphertext only */
	sodium_memzero(w, sizeof *w);
	free(w);
}

pv_age_writer *pv_age_writer_new(const uint8_t (*recipients)[PV_AGE_KEY], size_t n,
				 pv_age_write_fn out, void *ctx)
{
	if (lib_init() != 0 || !recipients || n == 0 || !out ||
	    n > (PV_AGE_MAX_HEADER - sizeof VERSION_LINE - MAC_LINE_LEN) / STANZA_LEN)
		return NULL;
	size_t cap = sizeof VERSION_LINE + n * STANZA_LEN + MAC_LINE_LEN + PAYLOAD_NONCE;
	pv_age_writer *w = calloc(1, sizeof *w);
	char *hdr = malloc(cap);
	size_t len = w && hdr ? build_header(w, hdr, recipients, n) : 0;
	int ok = len > 0 && out(ctx, hdr, len) == 0;
	free(hdr);
	if (!ok) {
		if (w)
			writer_destroy(w);
		return NULL;
	}
	w->out = out;
	w->ctx = ctx;
	w->threads = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
	return w;
}

static int seal_chunk(pv_age_writer *w, const uint8_t *pt, size_t len, int final)
{
	w->nonce[NONCE - 1] = final ? 1 : 0;
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(w->sealed, w->sealed + len, NULL, pt,
							   len, NULL, 0, NULL, w->nonce, w->key);
	if (w->out(w->ctx, w->sealed, len + TAG) != 0 || next_chunk_nonce(w->nonce) != 0) {
		w->failed = 1;
		return -1;
	}
	return 0;
}

/* The nonce of the chunk i places after the one in base. 0, or -1 on counter overflow. */
static int nonce_after(uint8_t out[NONCE], const uint8_t base[NONCE], size_t i)
{
	memcpy(out, base, NONCE);
	out[NONCE - 1] = 0;
	unsigned long long carry = i;
	for (int b = NONCE - 2; b >= 0 && carry; b--) {
		carry += out[b];
		out[b] = (uint8_t)carry;
		carry >>= 8;
	}
	return carry ? -1 : 0;
}

struct batch_part {
	const pv_age_writer *w;
	const uint8_t *pt;
	uint8_t *ct;
	size_t first, count; /* chunks [first, first + count) of the batch */
	int rc;
};

static void *seal_part(void *arg)
{
	struct batch_part *b = arg;
	uint8_t nonce[NONCE];
	b->rc = 0;
	for (size_t i = b->first; i < b->first + b->count; i++) {
		if (nonce_after(nonce, b->w->nonce, i) != 0) {
			b->rc = -1;
			break;
		}
		uint8_t *c = b->ct + i * ENC_CHUNK;
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			c, c + PV_AGE_CHUNK, NULL, b->pt + i * PV_AGE_CHUNK, PV_AGE_CHUNK, NULL, 0,
			NULL, nonce, b->w->key);
	}
	return NULL;
}

/* Seal n (<= BATCH_CHUNKS) whole non-final chunks from pt on two threads and write them. */
static int seal_batch(pv_age_writer *w, const uint8_t *pt, size_t n)
{
	if (!w->batch && !(w->batch = malloc((size_t)BATCH_CHUNKS * ENC_CHUNK)))
		return -1;
	struct batch_part lo = { w, pt, w->batch, 0, n / 2, 0 };
	struct batch_part hi = { w, pt, w->batch, n / 2, n - n / 2, 0 };
	pthread_t t;
	int helper = pthread_create(&t, NULL, seal_part, &hi) == 0;
	seal_part(&lo);
	if (helper)
		pthread_join(t, NULL);
	else
		seal_part(&hi);
	uint8_t next[NONCE];
	if (lo.rc || hi.rc || nonce_after(next, w->nonce, n) != 0 ||
	    w->out(w->ctx, w->batch, n * ENC_CHUNK) != 0) {
		w->failed = 1;
		return -1;
	}
	memcpy(w->nonce, next, NONCE);
	return 0;
}

int pv_age_write(pv_age_writer *w, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	if (!w || w->failed || (!buf && len))
		return -1;
	while (len > 0) {
		if (w->held == PV_AGE_CHUNK) {
			/* More data follows, so the held chunk is not the last. */
			if (seal_chunk(w, w->plain, PV_AGE_CHUNK, 0) != 0)
				return -1;
			w->held = 0;
		}
		size_t run = len > PV_AGE_CHUNK ? (len - 1) / PV_AGE_CHUNK : 0; /* not the last */
		if (w->held == 0 && w->threads > 1 && run >= BATCH_MIN) {
			size_t n = run < BATCH_CHUNKS ? run : BATCH_CHUNKS;
			if (seal_batch(w, p, n) != 0)
				return -1;
			p += n * PV_AGE_CHUNK;
			len -= n * PV_AGE_CHUNK;
			continue;
		}
		if (w->held == 0 && len > PV_AGE_CHUNK) {
			/* Sealed straight from the caller's buffer: no copy. */
			if (seal_chunk(w, p, PV_AGE_CHUNK, 0) != 0)
				return -1;
			p += PV_AGE_CHUNK;
			len -= PV_AGE_CHUNK;
			continue;
		}
		size_t take = PV_AGE_CHUNK - w->held < len ? PV_AGE_CHUNK - w->held : len;
		memcpy(w->plain + w->held, p, take);
		w->held += take;
		p += take;
		len -= take;
	}
	return 0;
}

int pv_age_writer_finish(pv_age_writer *w)
{
	if (!w)
		return -1;
	int rc = w->failed ? -1 : seal_chunk(w, w->plain, w->held, 1);
	writer_destroy(w);
	return rc;
}

void pv_age_writer_free(pv_age_writer *w)
{
	if (w)
		writer_destroy(w);
}

/* ---- reader: input buffering ---- */

struct pv_age_reader {
	pv_age_read_fn in;
	void *ctx;
	pv_age_status status;
	pv_age_status after_last; /* raised once the final chunk's plaintext is delivered */
	int eof;		  /* the source has reported its end */
	int last_seen;		  /* the final chunk has been opened */
	size_t pos, end;	  /* unconsumed input: buf[pos..end) */
	size_t out_pos, out_len;  /* undelivered plaintext: plain[out_pos..out_len) */
	uint8_t key[32];
	uint8_t nonce[NONCE];
	uint8_t buf[ENC_CHUNK];
	uint8_t plain[PV_AGE_CHUNK];
};

/* Read until at least want (<= ENC_CHUNK) bytes are buffered or the input ends. Greedy
 * reads take as much as fits (header); otherwise exactly what is missing, so that payload
 * chunks land at the start of buf without being moved. 0, or -1 on an input error. */
static int fill(pv_age_reader *r, size_t want, int greedy)
{
	if (r->pos == r->end)
		r->pos = r->end = 0;
	if (r->pos + want > sizeof r->buf) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->end -= r->pos;
		r->pos = 0;
	}
	while (r->end - r->pos < want && !r->eof) {
		size_t room = greedy ? sizeof r->buf - r->end : r->pos + want - r->end;
		long got = r->in(r->ctx, r->buf + r->end, room);
		if (got < 0 || (size_t)got > room)
			return -1;
		if (got == 0)
			r->eof = 1;
		r->end += (size_t)got;
	}
	return 0;
}

/* ---- reader: header ---- */

/* The header text as read so far (kept for the MAC), and what parsing has found. */
struct header {
	uint8_t *text;
	size_t len, cap;
	size_t nstanzas;
	const char *why; /* reason for a failure */
	int have_key;
	uint8_t file_key[FILE_KEY];
	const uint8_t (*sk)[PV_AGE_KEY];
	uint8_t (*pk)[PV_AGE_KEY];
	size_t nkeys;
};

static pv_age_status header_fail(struct header *h, const char *why)
{
	h->why = why;
	return PV_AGE_HEADER_FAILURE;
}

static int header_append(struct header *h, const uint8_t *s, size_t n)
{
	if (n > PV_AGE_MAX_HEADER - h->len)
		return -1;
	if (h->len + n > h->cap) {
		size_t cap = h->cap ? h->cap : 1024;
		while (cap < h->len + n)
			cap *= 2;
		uint8_t *t = realloc(h->text, cap);
		if (!t)
			return -1;
		h->text = t;
		h->cap = cap;
	}
	memcpy(h->text + h->len, s, n);
	h->len += n;
	return 0;
}

/* The next header line, appended with its LF to h->text; *off and *len locate it there
 * (without the LF). */
static pv_age_status next_header_line(pv_age_reader *r, struct header *h, size_t *off, size_t *len)
{
	size_t scanned = 0;
	const uint8_t *nl;
	for (;;) {
		size_t have = r->end - r->pos;
		nl = memchr(r->buf + r->pos + scanned, '\n', have - scanned);
		if (nl)
			break;
		scanned = have;
		if (have > MAX_LINE)
			return header_fail(h, "header line too long");
		if (r->eof)
			return header_fail(h, "header ends early");
		if (fill(r, have + 1, 1) != 0) {
			h->why = "read error";
			return PV_AGE_IO_FAILURE;
		}
	}
	size_t n = (size_t)(nl - (r->buf + r->pos));
	if (n > MAX_LINE)
		return header_fail(h, "header line too long");
	*off = h->len;
	*len = n;
	if (header_append(h, r->buf + r->pos, n + 1) != 0)
		return header_fail(h, "header too large");
	r->pos += n + 1;
	return PV_AGE_OK;
}

static int line_is(const struct header *h, size_t off, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(h->text + off, s, len) == 0;
}

#define MAX_ARGS 3 /* X25519 needs 2; more are counted, not kept */

struct stanza {
	size_t argc;
	size_t arg_off[MAX_ARGS], arg_len[MAX_ARGS];
	uint8_t body[48]; /* the decoded final body line; full lines are not kept */
	size_t body_len;  /* bytes in body */
	size_t full_lines;
};

/* "-> arg arg ...": arguments of one or more VCHARs, each after a single space. */
static pv_age_status parse_arg_line(struct header *h, size_t off, size_t len, struct stanza *st)
{
	const uint8_t *s = h->text + off;
	size_t i = 2;
	st->argc = 0;
	while (i < len) {
		size_t start;
		if (s[i] != ' ')
			return header_fail(h, "malformed stanza line");
		start = ++i;
		while (i < len && s[i] >= 0x21 && s[i] <= 0x7e)
			i++;
		if (i == start || (i < len && s[i] != ' '))
			return header_fail(h, "malformed stanza argument");
		if (st->argc < MAX_ARGS) {
			st->arg_off[st->argc] = off + start;
			st->arg_len[st->argc] = i - start;
		}
		st->argc++;
	}
	if (st->argc == 0)
		return header_fail(h, "stanza without arguments");
	return PV_AGE_OK;
}

/* Body lines: full lines of 64 base64 characters, then one shorter final line. */
static pv_age_status read_stanza_body(pv_age_reader *r, struct header *h, struct stanza *st)
{
	size_t off, len;
	st->full_lines = 0;
	for (;;) {
		pv_age_status s = next_header_line(r, h, &off, &len);
		if (s != PV_AGE_OK)
			return s;
		if (len > 64 || !all_b64_chars(h->text + off, len))
			return header_fail(h, "malformed stanza body");
		if (len < 64)
			break;
		st->full_lines++;
	}
	long n = b64_decode(st->body, sizeof st->body, h->text + off, len);
	if (n < 0)
		return header_fail(h, "stanza body is not canonical base64");
	st->body_len = (size_t)n;
	return PV_AGE_OK;
}

static int arg_is(const struct header *h, const struct stanza *st, size_t i, const char *s)
{
	return i < st->argc && i < MAX_ARGS && line_is(h, st->arg_off[i], st->arg_len[i], s);
}

/* An X25519 stanza: check its shape, then try each identity unless a key is known. */
static pv_age_status process_x25519(struct header *h, const struct stanza *st)
{
	uint8_t share[32];
	if (st->argc != 2)
		return header_fail(h, "X25519 stanza needs exactly one argument");
	if (st->arg_len[1] != B64_32 ||
	    b64_decode(share, sizeof share, h->text + st->arg_off[1], st->arg_len[1]) != 32)
		return header_fail(h, "X25519 share is not canonical base64 of 32 bytes");
	if (st->full_lines != 0 || st->body_len != FILE_KEY + TAG)
		return header_fail(h, "X25519 stanza body is not 32 bytes");
	for (size_t i = 0; i < h->nkeys && !h->have_key; i++) {
		switch (x25519_unwrap(h->file_key, share, st->body, h->sk[i], h->pk[i])) {
		case UNWRAP_OK:
			h->have_key = 1;
			break;
		case UNWRAP_BAD_SHARE:
			return header_fail(h, "X25519 share gives an all-zero secret");
		case UNWRAP_NOT_MINE:
			break;
		}
	}
	return PV_AGE_OK;
}

static pv_age_status read_stanza(pv_age_reader *r, struct header *h, size_t off, size_t len)
{
	struct stanza st;
	pv_age_status s = parse_arg_line(h, off, len, &st);
	if (s == PV_AGE_OK)
		s = read_stanza_body(r, h, &st);
	if (s == PV_AGE_OK && arg_is(h, &st, 0, "X25519"))
		s = process_x25519(h, &st); /* other types (scrypt, plugins) are not ours */
	h->nstanzas++;
	sodium_memzero(&st, sizeof st);
	return s;
}

/* "--- " and the 43-character MAC; *mac_end is where the MAC'd text ends. */
static pv_age_status parse_mac_line(struct header *h, size_t off, size_t len, uint8_t mac[32],
				    size_t *mac_end)
{
	if (len != 4 + B64_32 || h->text[off + 3] != ' ')
		return header_fail(h, "malformed MAC line");
	if (b64_decode(mac, 32, h->text + off + 4, B64_32) != 32)
		return header_fail(h, "MAC is not canonical base64");
	*mac_end = off + 3;
	return PV_AGE_OK;
}

/* Version line, stanzas, MAC line. On success *mac and *mac_end describe the MAC. */
static pv_age_status parse_header(pv_age_reader *r, struct header *h, uint8_t mac[32],
				  size_t *mac_end)
{
	size_t off, len;
	pv_age_status s = next_header_line(r, h, &off, &len);
	if (s != PV_AGE_OK)
		return s;
	if (!line_is(h, off, len, VERSION_LINE))
		return header_fail(h, "not an age v1 file");
	for (;;) {
		if ((s = next_header_line(r, h, &off, &len)) != PV_AGE_OK)
			return s;
		if (len >= 3 && memcmp(h->text + off, "---", 3) == 0)
			break;
		if (len < 2 || memcmp(h->text + off, "->", 2) != 0)
			return header_fail(h, "unexpected header line");
		if ((s = read_stanza(r, h, off, len)) != PV_AGE_OK)
			return s;
	}
	if (h->nstanzas == 0)
		return header_fail(h, "header has no stanza");
	return parse_mac_line(h, off, len, mac, mac_end);
}

/* Everything pv_age_reader_new checks before the payload: the header, a matching
 * identity, the MAC and the payload nonce. Derives the payload key. */
static pv_age_status open_header(pv_age_reader *r, struct header *h)
{
	uint8_t mac[32], want[32], nonce[PAYLOAD_NONCE];
	size_t mac_end = 0;
	pv_age_status s = parse_header(r, h, mac, &mac_end);
	if (s != PV_AGE_OK)
		return s;
	if (!h->have_key) {
		h->why = "no identity matches";
		return PV_AGE_NO_MATCH;
	}
	header_mac(want, h->file_key, h->text, mac_end);
	if (crypto_verify_32(want, mac) != 0) {
		h->why = "header MAC does not match";
		return PV_AGE_HMAC_FAILURE;
	}
	if (fill(r, PAYLOAD_NONCE, 1) != 0) {
		h->why = "read error";
		return PV_AGE_IO_FAILURE;
	}
	if (r->end - r->pos < PAYLOAD_NONCE)
		return header_fail(h, "payload nonce missing");
	memcpy(nonce, r->buf + r->pos, PAYLOAD_NONCE);
	r->pos += PAYLOAD_NONCE;
	payload_key(r->key, h->file_key, nonce);
	return PV_AGE_OK;
}

static void reader_destroy(pv_age_reader *r)
{
	sodium_memzero(r, sizeof *r);
	free(r);
}

pv_age_reader *pv_age_reader_new(const uint8_t (*identities)[PV_AGE_KEY], size_t n,
				 pv_age_read_fn in, void *ctx, pv_age_status *status, char *err,
				 size_t errlen)
{
	struct header h = {0};
	pv_age_status s = PV_AGE_IO_FAILURE;
	pv_age_reader *r = NULL;
	h.why = "out of memory";
	if (lib_init() != 0 || !in || (n && !identities)) {
		h.why = "invalid arguments, or libsodium cannot start";
		goto out;
	}
	r = calloc(1, sizeof *r);
	h.pk = n ? calloc(n, sizeof *h.pk) : NULL;
	if (!r || (n && !h.pk))
		goto out;
	r->in = in;
	r->ctx = ctx;
	h.sk = identities;
	h.nkeys = n;
	for (size_t i = 0; i < n; i++)
		pv_age_public_key(identities[i], h.pk[i]);
	s = open_header(r, &h);
out:
	if (h.pk)
		sodium_memzero(h.pk, n * sizeof *h.pk);
	free(h.pk);
	free(h.text);
	sodium_memzero(h.file_key, sizeof h.file_key);
	if (status)
		*status = s;
	if (s != PV_AGE_OK) {
		set_err(err, errlen, "%s: %s", pv_age_status_name(s), h.why);
		if (r)
			reader_destroy(r);
		return NULL;
	}
	set_err(err, errlen, "%s", "");
	return r;
}

/* ---- reader: payload ---- */

static long reader_fail(pv_age_reader *r, pv_age_status s)
{
	r->status = s;
	return -1;
}

static int open_chunk(pv_age_reader *r, uint8_t *dst, const uint8_t *c, size_t len, int final)
{
	r->nonce[NONCE - 1] = final ? 1 : 0;
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(dst, NULL, c, len, c + len, NULL,
								  0, r->nonce, r->key);
}

/* After the final chunk: OK if the input ends there, else what to report. */
static pv_age_status check_input_ends(pv_age_reader *r)
{
	if (r->end > r->pos)
		return PV_AGE_PAYLOAD_FAILURE;
	if (fill(r, 1, 1) != 0)
		return PV_AGE_IO_FAILURE;
	return r->end > r->pos ? PV_AGE_PAYLOAD_FAILURE : PV_AGE_OK;
}

/* Open the next chunk into direct when its plaintext fits in direct_cap bytes (then
 * *direct_len says how many), else into r->plain. A full-size chunk is tried as a
 * middle chunk first, then as a final one. 0, or -1 with r->status set. */
static int next_chunk(pv_age_reader *r, uint8_t *direct, size_t direct_cap, size_t *direct_len)
{
	if (fill(r, ENC_CHUNK, 0) != 0)
		return (int)reader_fail(r, PV_AGE_IO_FAILURE);
	size_t n = r->end - r->pos;
	int final = n < ENC_CHUNK;
	if (n < TAG || (n == TAG && !chunk_nonce_is_first(r->nonce)))
		return (int)reader_fail(r, PV_AGE_PAYLOAD_FAILURE); /* truncated, or empty last */
	size_t len = n - TAG;
	uint8_t *dst = len <= direct_cap ? direct : r->plain;
	const uint8_t *c = r->buf + r->pos;
	int rc = open_chunk(r, dst, c, len, final);
	if (rc != 0 && !final) {
		final = 1;
		rc = open_chunk(r, dst, c, len, final);
	}
	if (rc != 0 || (!final && next_chunk_nonce(r->nonce) != 0))
		return (int)reader_fail(r, PV_AGE_PAYLOAD_FAILURE);
	r->pos += n;
	if (final) {
		r->last_seen = 1;
		r->after_last = check_input_ends(r);
	}
	*direct_len = dst == direct ? len : 0;
	if (dst == r->plain) {
		r->out_pos = 0;
		r->out_len = len;
	}
	return 0;
}

long pv_age_read(pv_age_reader *r, void *buf, size_t len)
{
	if (!r || r->status != PV_AGE_OK || !buf)
		return -1;
	if (len > PV_AGE_CHUNK)
		len = PV_AGE_CHUNK;
	while (len > 0) {
		if (r->out_pos < r->out_len) {
			size_t n = r->out_len - r->out_pos < len ? r->out_len - r->out_pos : len;
			memcpy(buf, r->plain + r->out_pos, n);
			r->out_pos += n;
			return (long)n;
		}
		if (r->last_seen)
			return r->after_last == PV_AGE_OK ? 0 : reader_fail(r, r->after_last);
		size_t direct = 0;
		if (next_chunk(r, buf, len, &direct) != 0)
			return -1;
		if (direct > 0)
			return (long)direct;
	}
	return 0;
}

pv_age_status pv_age_reader_status(const pv_age_reader *r)
{
	return r ? r->status : PV_AGE_IO_FAILURE;
}

void pv_age_reader_free(pv_age_reader *r)
{
	if (r)
		reader_destroy(r);
}

/* ---- file descriptor callbacks ---- */

int pv_age_fd_write(void *ctx, const void *buf, size_t len)
{
	int fd = *(const int *)ctx;
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

long pv_age_fd_read(void *ctx, void *buf, size_t len)
{
	int fd = *(const int *)ctx;
	for (;;) {
		ssize_t n = read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -1 : (long)n;
	}
}
