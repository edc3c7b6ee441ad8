/* SPDX-License-Identifier: Apache-2.0 */
/* test_schema_shared.c: ../shared/schema.example.yaml, the reference schema, parses
 * unchanged with no diagnostic, and declares its fields as examples/schema.yaml does
 * (same type, category, sensitivity, mask, index). Without ../shared the program reports
 * itself skipped to CTest (exit 77); with PV_REQUIRE_SHARED=1 (CI) that is a failure. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

#define SHARED_SCHEMA PV_SHARED_DIR "/schema.example.yaml"

static void count_diag(void *ctx, int line, int column, const char *message)
{
	print_message("diagnostic at %d:%d: %s\n", line, column, message);
	++*(int *)ctx;
}

static struct pv_schema *parse_clean(const char *path)
{
	size_t len = 0;
	char *text = pvt_read_file(path, &len);
	if (!text)
		fail_msg("cannot read %s", path);
	int diags = 0;
	struct pv_schema *s = pv_schema_parse(text, len, path, count_diag, &diags);
	free(text);
	if (!s || diags)
		fail_msg("%s: %d diagnostic(s)%s", path, diags, s ? "" : ", refused");
	return s;
}

static void test_shared_reference_parses(void **state)
{
	(void)state;
	struct pv_schema *shared = parse_clean(SHARED_SCHEMA);
	struct pv_schema *ours = parse_clean(PV_SOURCE_DIR "/examples/schema.yaml");
	assert_true(shared->nfields >= 10);
	assert_true(shared->npurposes >= 1 && shared->nroles >= 1);
	for (size_t i = 0; i < shared->nfields; i++) {
		const struct pv_schema_field *a = &shared->fields[i];
		int j = pv_schema_field_index(ours, a->name);
		if (j < 0)
			fail_msg("field %s of the reference is not in examples/schema.yaml", a->name);
		const struct pv_schema_field *b = &ours->fields[j];
		if (a->type != b->type || a->category != b->category ||
		    a->sensitivity != b->sensitivity || a->mask != b->mask ||
		    a->indexed != b->indexed)
			fail_msg("field %s is declared otherwise than in examples/schema.yaml",
				 a->name);
	}
	pv_schema_free(shared);
	pv_schema_free(ours);
}

int main(void)
{
	pvt_program_needs_shared(SHARED_SCHEMA);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_reference_parses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
