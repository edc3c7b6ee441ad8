/* SPDX-License-Identifier: Apache-2.0 */
/* age_stream.h: test helpers for the age reader and writer (test_age, test_age_vectors):
 * a growing memory sink, a source handing out bytes in steps, and whole-file
 * encryption and decryption through them. */
#ifndef PVT_AGE_STREAM_H
#define PVT_AGE_STREAM_H

#include "formats/age.h"

#include <stddef.h>
#include <stdint.h>

/* Bytes written, in a growing buffer (p: malloc'd). */
struct pvt_sink {
	uint8_t *p;
	size_t len, cap;
};

/* A source handing out at most step bytes per call (0: as many as asked). */
struct pvt_source {
	const uint8_t *p;
	size_t len, pos, step;
};

/* What a decryption gave: the reader's status at its end and every byte it returned. */
struct pvt_result {
	pv_age_status status;
	struct pvt_sink released;
	int bad_return; /* pv_age_read returned more than asked */
};

/* A pv_age_write_fn appending to a struct pvt_sink. */
int pvt_sink_write(void *ctx, const void *buf, size_t len);
/* A pv_age_read_fn reading from a struct pvt_source. */
long pvt_source_read(void *ctx, void *buf, size_t len);
/* Encrypt data to n recipients, writing it in pieces of step bytes (0: at once). */
struct pvt_sink pvt_encrypt_to(const uint8_t (*pk)[PV_AGE_KEY], size_t n, const uint8_t *data,
			       size_t len, size_t step);
/* Decrypt file with n identities, reading in_step bytes at a time (0: as asked) and out_step
 * bytes out per call; the outcome is the reader's status at its end. */
struct pvt_result pvt_decrypt_from(const uint8_t (*sk)[PV_AGE_KEY], size_t n,
				   const uint8_t *file, size_t len, size_t in_step,
				   size_t out_step);

#endif
