/* SPDX-License-Identifier: Apache-2.0 */
/* test_schema_shared.c: ../shared/schema.example.yaml, the reference schema, parses
 * unchanged with no diagnostic, and declares its fields as examples/schema.yaml does
 * (same type, category, sensitivity, mask, index), and its roles word for word as
 * examples/schema.yaml writes them (test_authz_matrix.c checks every operation as every
 * role from a table written from those lines). Without ../shared the program reports
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

/* The lines of the roles: block of the schema file at path (kept until pvt_release_all),
 * from "roles:" to the next line that is not indented, comments and blank lines left out. */
static char *roles_block(const char *path)
{
	char *s = pvt_keep(pvt_read_file(path, NULL));
	assert_non_null(s);
	const char *p = strstr(s, "\nroles:\n");
	assert_non_null(p);
	p += strlen("\nroles:\n");
	char *out = pvt_keep(calloc(1, strlen(p) + 1));
	assert_non_null(out);
	size_t n = 0;
	while (*p == ' ' || *p == '\n') {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		const char *t = p + strspn(p, " ");
		if (*t != '#' && *t != '\n') {
			memcpy(out + n, p, len);
			n += len;
		}
		p += len;
	}
	return out;
}

static void test_shared_roles_are_the_matrix_roles(void **state)
{
	(void)state;
	const char *shared = roles_block(SHARED_SCHEMA);
	const char *ours = roles_block(PV_SOURCE_DIR "/examples/schema.yaml");
	if (strcmp(shared, ours) != 0)
		fail_msg("the roles of %s differ from those of examples/schema.yaml, which the "
			 "authorisation matrix (test_authz_matrix.c) is written from:\n%s\nagainst\n%s",
			 SHARED_SCHEMA, shared, ours);
	assert_non_null(strstr(ours, "auditor:"));
	pvt_release_all();
}

int main(void)
{
	pvt_program_needs_shared(SHARED_SCHEMA);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_reference_parses),
		cmocka_unit_test(test_shared_roles_are_the_matrix_roles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
