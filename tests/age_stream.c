/* SPDX-License-Identifier: Apache-2.0 */
/* age_stream.c: the age test helpers (age_stream.h). */
#include "testutil.h"

#include "age_stream.h"

#include <stdlib.h>
#include <string.h>

int pvt_sink_write(void *ctx, const void *buf, size_t len)
{
	struct pvt_sink *s = ctx;
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + len)
			cap *= 2;
		uint8_t *p = realloc(s->p, cap);
		if (!p)
			return -1;
		s->p = p;
		s->cap = cap;
	}
	memcpy(s->p + s->len, buf, len);
	s->len += len;
	return 0;
}

long pvt_source_read(void *ctx, void *buf, size_t len)
{
	struct pvt_source *s = ctx;
	size_t n = s->len - s->pos;
	if (n > len)
		n = len;
	if (s->step && n > s->step)
		n = s->step;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (long)n;
}

/* Encrypt data to n recipients, writing it in pieces of step bytes (0: at once). */
struct pvt_sink pvt_encrypt_to(const uint8_t (*pk)[PV_AGE_KEY], size_t n, const uint8_t *data,
			      size_t len, size_t step)
{
	struct pvt_sink out = {0};
	pv_age_writer *w = pv_age_writer_new(pk, n, pvt_sink_write, &out);
	assert_non_null(w);
	size_t pos = 0;
	while (pos < len) {
		size_t k = step && len - pos > step ? step : len - pos;
		assert_int_equal(pv_age_write(w, data + pos, k), 0);
		pos += k;
	}
	assert_int_equal(pv_age_writer_finish(w), 0);
	return out;
}

struct pvt_result pvt_decrypt_from(const uint8_t (*sk)[PV_AGE_KEY], size_t n, const uint8_t *file,
				  size_t len, size_t in_step, size_t out_step)
{
	struct pvt_result res = {0};
	struct pvt_source src = {file, len, 0, in_step};
	char err[200];
	pv_age_reader *r =
	    pv_age_reader_new(sk, n, pvt_source_read, &src, &res.status, err, sizeof err);
	if (!r) {
		assert_int_not_equal(res.status, PV_AGE_OK);
		return res;
	}
	assert_int_equal(res.status, PV_AGE_OK);
	uint8_t *buf = malloc(out_step);
	assert_non_null(buf);
	for (;;) {
		long got = pv_age_read(r, buf, out_step);
		if (got < 0) {
			res.status = pv_age_reader_status(r);
			assert_int_not_equal(res.status, PV_AGE_OK);
			break;
		}
		if (got == 0)
			break;
		if ((size_t)got > out_step)
			res.bad_return = 1;
		assert_int_equal(pvt_sink_write(&res.released, buf, (size_t)got), 0);
	}
	free(buf);
	pv_age_reader_free(r);
	return res;
}

