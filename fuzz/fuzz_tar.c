/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_tar.c: the ustar reader, walking every member of the input and reading its data. */
#include "fuzz.h"

#include "formats/tar.h"

#include <string.h>

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
	struct memory_input in = { data, size, 0 };
	struct pv_tar_reader *r = pv_tar_reader_new(read_memory, &in);
	if (!r)
		return 0;
	char name[PV_TAR_NAME_MAX + 1];
	uint64_t member_size;
	static char buf[4096];
	/* Alternate reading a member through and leaving it for pv_tar_next to skip. */
	for (unsigned i = 0; pv_tar_next(r, name, &member_size) == 1; i++)
		while (i % 2 == 0 && pv_tar_read(r, buf, (i % 4 == 0) ? sizeof buf : 7) > 0)
			;
	pv_tar_reader_error(r);
	pv_tar_reader_free(r);
	return 0;
}
