/* SPDX-License-Identifier: Apache-2.0 */
/* minisign.h: minisign's public key and signature file formats over the vault's Ed25519
 * key pair, so that `minisign -V` checks what the vault signs and the vault checks what
 * `minisign -S` signs. Signing always uses the prehashed algorithm "ED" (Ed25519 over
 * BLAKE2b-512 of the message); verifying also accepts the legacy "Ed" (Ed25519 over the
 * message itself).
 *
 * Public key file:  "untrusted comment: <text>\n"
 *                   base64("Ed" || key id (8) || public key (32)) "\n"
 * Signature file:   "untrusted comment: <text>\n"
 *                   base64("ED" || key id (8) || signature (64)) "\n"
 *                   "trusted comment: <text>\n"
 *                   base64(Ed25519 signature of (signature (64) || trusted text)) "\n"
 * Base64 is the standard padded alphabet. Readers accept CRLF line ends and a missing final
 * newline, and never read beyond the length given. */
#ifndef PV_MINISIGN_H
#define PV_MINISIGN_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes in a key id. */
#define PV_MINISIGN_KEYID 8
/* Bytes in a message prehash (BLAKE2b-512). */
#define PV_MINISIGN_PREHASH 64
/* Longest comments minisign itself accepts, in bytes (without the "...comment: " prefix). */
#define PV_MINISIGN_UNTRUSTED_MAX 1003
#define PV_MINISIGN_TRUSTED_MAX	  8173

/* Key id of a vault public key: the first 8 bytes of BLAKE2b-256(pk) (stable per key), in
 * the byte order minisign stores it. */
void pv_minisign_key_id(const uint8_t pk[32], uint8_t id[PV_MINISIGN_KEYID]);

/* The key id as minisign prints it: 16 upper-case hex digits of the id read as a
 * little-endian 64-bit number, NUL-terminated. */
void pv_minisign_key_id_hex(const uint8_t id[PV_MINISIGN_KEYID], char hex[17]);

/* Public key file text for pk; malloc'd, NULL on error (comment with a line break or
 * too long). untrusted_comment NULL: "minisign public key <KEYID HEX>" like minisign. */
char *pv_minisign_public_key_text(const uint8_t pk[32], const char *untrusted_comment);

/* Parse a public key file's text (or a bare base64 key line): 0 with pk and id (either may
 * be NULL), or -1 with the reason in err (which may be NULL). */
int pv_minisign_parse_public_key(const char *text, size_t len, uint8_t pk[32],
				 uint8_t id[PV_MINISIGN_KEYID], char *err, size_t errlen);

/* Streaming prehash: BLAKE2b-512 of the message. libsodium's state is declared 64-byte
 * aligned: keep one on the stack or in memory from aligned_alloc(64, ...), not inside a
 * plain malloc'd struct. */
typedef struct {
	crypto_generichash_state st;
} pv_minisign_hash;
void pv_minisign_hash_init(pv_minisign_hash *h);
void pv_minisign_hash_update(pv_minisign_hash *h, const void *buf, size_t len);
void pv_minisign_hash_final(pv_minisign_hash *h, uint8_t out[PV_MINISIGN_PREHASH]);

/* Signature file text over a message's prehash, malloc'd; NULL on error. trusted_comment
 * (NULL: empty) must be one line of at most PV_MINISIGN_TRUSTED_MAX bytes without control
 * characters other than tab; untrusted_comment NULL means "signature from pivault secret
 * key" and obeys the same rules with PV_MINISIGN_UNTRUSTED_MAX. sk is libsodium's 64-byte
 * Ed25519 secret key; the key id is derived from its public half. */
char *pv_minisign_sign_prehashed(const uint8_t sk[64], const uint8_t prehash[PV_MINISIGN_PREHASH],
				 const char *trusted_comment, const char *untrusted_comment);
/* The same over a whole message held in memory (msg may be NULL when len is 0). */
char *pv_minisign_sign(const uint8_t sk[64], const void *msg, size_t len,
		       const char *trusted_comment, const char *untrusted_comment);

/* Verify a signature file's text against a message with pk, whose key id must match the
 * signature's. 0 when both signatures (message and trusted comment) verify, and then
 * *trusted_comment (if trusted_comment is non-NULL) receives a malloc'd copy of the trusted
 * comment; -1 with a precise reason in err: "malformed signature file: line N: ...",
 * "unsupported signature algorithm", "key id does not match", "signature does not match
 * the file", "trusted comment signature does not match", "out of memory". */
int pv_minisign_verify(const char *sig_text, size_t sig_len, const void *msg, size_t msg_len,
		       const uint8_t pk[32], char **trusted_comment, char *err, size_t errlen);
/* Like pv_minisign_verify, with the key id the signature must carry given explicitly (from
 * pv_minisign_parse_public_key): keys made by minisign itself have random key ids, not the
 * id pv_minisign_key_id derives. id NULL: the derived id, as pv_minisign_verify. */
int pv_minisign_verify_id(const char *sig_text, size_t sig_len, const void *msg, size_t msg_len,
			  const uint8_t pk[32], const uint8_t *id, char **trusted_comment,
			  char *err, size_t errlen);
/* The same given only the message's prehash (see pv_minisign_hash); a legacy "Ed"
 * signature cannot be checked this way and is refused with "legacy (non-prehashed)
 * signature needs the whole message". */
int pv_minisign_verify_prehashed(const char *sig_text, size_t sig_len,
				 const uint8_t prehash[PV_MINISIGN_PREHASH], const uint8_t pk[32],
				 char **trusted_comment, char *err, size_t errlen);
int pv_minisign_verify_prehashed_id(const char *sig_text, size_t sig_len,
				    const uint8_t prehash[PV_MINISIGN_PREHASH],
				    const uint8_t pk[32], const uint8_t *id, char **trusted_comment,
				    char *err, size_t errlen);

#endif
