/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_age.c: the age reader (header, recipient stanzas, payload chunks) decrypting an
 * input file with a fixed identity, and the recipient and identity string parsers. */
#include "fuzz.h"

#include "formats/age.h"

#include <string.h>

/* The identity the seed corpus was encrypted to: the secret key is 32 bytes of 0x42. */
static void fixed_identity(uint8_t sk[PV_AGE_KEY])
{
	memset(sk, 0x42, PV_AGE_KEY);
}

struct memory_input {
	const uint8_t *data;
	size_t size, at;
};

static long read_memory(void *ctx, void *buf, size_t len)
{
	struct memory_input *in = ctx;
	size_t left = in->size - in->at;
	size_t n = len < left ? len : left;
	memcpy(buf, in->data + in->at, n);
	in->at += n;
	return (long)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[PV_AGE_KEY];
	pv_age_parse_recipient((const char *)data, size, key);
	pv_age_parse_identity((const char *)data, size, key);

	uint8_t ids[1][PV_AGE_KEY];
	fixed_identity(ids[0]);
	struct memory_input in = { data, size, 0 };
	pv_age_status status;
	char err[256];
	pv_age_reader *r = pv_age_reader_new((const uint8_t(*)[PV_AGE_KEY])ids, 1, read_memory,
					     &in, &status, err, sizeof err);
	if (r) {
		static uint8_t plain[PV_AGE_CHUNK];
		while (pv_age_read(r, plain, sizeof plain) > 0)
			;
		pv_age_reader_status(r);
		pv_age_reader_free(r);
	}
	return 0;
}
