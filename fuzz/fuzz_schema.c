/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_schema.c: the schema YAML parser and checker (every diagnostic formatted). */
#include "fuzz.h"

#include "schema.h"

#include <stdio.h>

static void count_diag(void *ctx, int line, int column, const char *message)
{
	char text[512];
	snprintf(text, sizeof text, "%d:%d: %s", line, column, message);
	++*(unsigned *)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned problems = 0;
	struct pv_schema *s = pv_schema_parse((const char *)data, size, "fuzz.yaml", count_diag,
					      &problems);
	pv_schema_free(s);
	return 0;
}
