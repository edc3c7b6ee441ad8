/* SPDX-License-Identifier: Apache-2.0 */
/* age.h: the age v1 file format (https://age-encryption.org/v1) with X25519 recipients:
 * key encoding (Bech32), key files as age-keygen writes them, and streaming encryption
 * and decryption over read/write callbacks. */
#ifndef PV_AGE_H
#define PV_AGE_H

#include <stddef.h>
#include <stdint.h>

#define PV_AGE_KEY 32
/* Plaintext bytes per payload chunk; pv_age_read never returns more than this at once. */
#define PV_AGE_CHUNK 65536
/* Upper bound on the header size pv_age_reader_new accepts (and so allocates). */
#define PV_AGE_MAX_HEADER (1024 * 1024)

typedef int (*pv_age_write_fn)(void *ctx, const void *buf, size_t len); /* 0, or -1 on error */
typedef long (*pv_age_read_fn)(void *ctx, void *buf, size_t len);        /* bytes read, 0 at end of input, -1 on error */

typedef enum pv_age_status {
	PV_AGE_OK = 0,
	PV_AGE_NO_MATCH,       /* no identity opens any stanza */
	PV_AGE_HEADER_FAILURE, /* malformed header, bad base64, bad stanza, wrong version line */
	PV_AGE_HMAC_FAILURE,   /* header MAC does not match */
	PV_AGE_PAYLOAD_FAILURE,/* a chunk fails authentication, truncated or trailing data, bad chunking */
	PV_AGE_IO_FAILURE,     /* the read or write callback failed, or out of memory */
} pv_age_status;
/* "success", "no match", "header failure", "HMAC failure", "payload failure", "I/O failure" */
const char *pv_age_status_name(pv_age_status s);

/* Keys: recipient "age1..." (bech32 of the X25519 public key), identity "AGE-SECRET-KEY-1..." */
void pv_age_keygen(uint8_t sk[PV_AGE_KEY], uint8_t pk[PV_AGE_KEY]);
void pv_age_public_key(const uint8_t sk[PV_AGE_KEY], uint8_t pk[PV_AGE_KEY]);
char *pv_age_format_recipient(const uint8_t pk[PV_AGE_KEY]); /* malloc'd */
char *pv_age_format_identity(const uint8_t sk[PV_AGE_KEY]);  /* malloc'd; caller wipes+frees */
int pv_age_parse_recipient(const char *s, size_t len, uint8_t pk[PV_AGE_KEY]); /* 0 / -1 */
int pv_age_parse_identity(const char *s, size_t len, uint8_t sk[PV_AGE_KEY]);  /* 0 / -1 */
/* Files as age-keygen writes them: '#' comment lines, blank lines, and one key line.
 * Identity file: an AGE-SECRET-KEY-1 line. Recipient file: an age1 line (also accept an
 * identity file and derive the recipient from it). 0, or -1 with a message naming the file
 * and the line number in err (never the key itself). */
int pv_age_read_identity_file(const char *path, uint8_t sk[PV_AGE_KEY], char *err, size_t errlen);
int pv_age_read_recipient_file(const char *path, uint8_t pk[PV_AGE_KEY], char *err, size_t errlen);

/* Streaming encryption to n X25519 recipients. The header is written by pv_age_writer_new;
 * pv_age_write buffers into 64 KiB chunks; pv_age_writer_finish seals the last chunk and
 * frees the writer (also on error); pv_age_writer_free aborts (frees without finishing).
 * pv_age_writer_new returns NULL when n is 0, a recipient is a low-order point, the
 * header cannot be written or memory runs out. After a failed pv_age_write, every later
 * call fails. */
typedef struct pv_age_writer pv_age_writer;
pv_age_writer *pv_age_writer_new(const uint8_t (*recipients)[PV_AGE_KEY], size_t n, pv_age_write_fn out, void *ctx);
int pv_age_write(pv_age_writer *w, const void *buf, size_t len); /* 0 / -1 */
int pv_age_writer_finish(pv_age_writer *w);                       /* 0 / -1 */
void pv_age_writer_free(pv_age_writer *w);

/* Streaming decryption with n identities. pv_age_reader_new reads and checks the header;
 * NULL on failure with *status set (and a short reason in err, if err non-NULL).
 * pv_age_read returns up to len plaintext bytes (only authenticated ones), 0 at the
 * authenticated end of the payload, -1 on failure (pv_age_reader_status says which).
 * A final chunk that authenticates is released even when trailing data follows it; the
 * call after it then fails with PV_AGE_PAYLOAD_FAILURE instead of returning 0. A call
 * with len 0 returns 0 and reads nothing. */
typedef struct pv_age_reader pv_age_reader;
pv_age_reader *pv_age_reader_new(const uint8_t (*identities)[PV_AGE_KEY], size_t n, pv_age_read_fn in, void *ctx, pv_age_status *status, char *err, size_t errlen);
long pv_age_read(pv_age_reader *r, void *buf, size_t len);
pv_age_status pv_age_reader_status(const pv_age_reader *r);
void pv_age_reader_free(pv_age_reader *r);
/* Convenience for files: callbacks over a file descriptor (ctx = pointer to int fd). */
int pv_age_fd_write(void *ctx, const void *buf, size_t len);
long pv_age_fd_read(void *ctx, void *buf, size_t len);

#endif
