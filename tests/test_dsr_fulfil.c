/* SPDX-License-Identifier: Apache-2.0 */
/* test_dsr_fulfil.c: correction, restriction and objection requests. A correction
 * changes exactly the fields named (validated) and closes the request; a restricted
 * customer is refused to every read (get, find, list, export) except under the purpose
 * legal-claims, and comes back once the restriction is lifted; an objecting customer is
 * refused for marketing (a purpose that needs consent) even with consent given, still
 * read for service, and left out of a transfer; requests of the wrong type or closed
 * ones are refused; the permissions are checked. */
#include "testutil.h"

#include "pivault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access CLERK = { "clerk", NULL, 0 };
static const char *g_phone; /* the restricted customer's phone, as stored */

struct fixture {
	char *dir, *vault, *key;
	struct pvt_csv csv;
	pv_vault *v;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = pvt_tempdir();
	f->vault = pvt_path(f->dir, "vault");
	f->key = pvt_path(f->dir, "root.key");
	char *csv = NULL;
	f->v = pvt_sample_vault(f->vault, f->key, 30, 5, &csv);
	assert_int_equal(pvt_csv_parse(csv, &f->csv), 0);
	free(csv);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pv_vault_close(f->v);
	pvt_release_all();
	pvt_csv_free(&f->csv);
	pvt_rmtree(f->dir);
	free(f->dir);
	free(f->vault);
	free(f->key);
	free(f);
	return 0;
}

static char *open_request(pv_vault *v, const char *customer, const char *type)
{
	char *id = NULL;
	assert_ok(v, pv_dsr_open(v, &ADMIN, customer, type, NULL, &id));
	return pvt_keep(id);
}

static pv_rc read_as(pv_vault *v, const char *id, const char *purpose)
{
	pv_access who = { "admin", purpose, 0 };
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &who, id, &r);
	pv_record_free(r);
	return rc;
}

static const char *value_of(pv_vault *v, const char *id, const char *field)
{
	pv_access who = { "admin", "all", 1 };
	pv_record *r = NULL;
	assert_ok(v, pv_get(v, &who, id, &r));
	const char *val = NULL;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), field) == 0)
			val = pvt_keep(strdup(pv_record_field_value(r, i)));
	pv_record_free(r);
	return val;
}

struct listed {
	int seen;
	const char *id;
};

static int note_listed(void *ctx, const pv_record *r)
{
	struct listed *l = ctx;
	l->seen += strcmp(pv_record_id(r), l->id) == 0;
	return 0;
}

static int listed(pv_vault *v, const char *id, const char *purpose)
{
	pv_access who = { "admin", purpose, 0 };
	struct listed l = { 0, id };
	char *next = NULL;
	assert_ok(v, pv_list(v, &who, NULL, 1000, note_listed, &l, &next));
	pv_free(next);
	return l.seen;
}

struct state_ctx {
	const char *id;
	const char *state;
};

static int find_state(void *ctx, const pv_dsr_info *d)
{
	struct state_ctx *s = ctx;
	if (strcmp(d->id, s->id) == 0)
		s->state = pvt_keep(strdup(d->state));
	return 0;
}

static const char *state_of(pv_vault *v, const char *req)
{
	struct state_ctx s = { req, NULL };
	assert_ok(v, pv_dsr_list(v, &ADMIN, 0, find_state, &s));
	assert_non_null(s.state);
	return s.state;
}

static void test_restrict(void **state)
{
	struct fixture *f = *state;
	const char *id = "C00000004";
	assert_int_equal(read_as(f->v, id, "service"), PV_OK);
	g_phone = value_of(f->v, id, "phone");
	char *req = open_request(f->v, id, "restrict");
	assert_ok(f->v, pv_dsr_fulfil(f->v, &ADMIN, req));
	assert_string_equal(state_of(f->v, req), "closed");
	/* every read refused, naming the reason */
	assert_rc_msg(f->v, read_as(f->v, id, "service"), PV_ERR_DENIED, "restricted");
	assert_int_equal(read_as(f->v, id, "billing"), PV_ERR_DENIED);
	assert_int_equal(listed(f->v, id, "service"), 0);
	assert_int_equal(listed(f->v, "C00000005", "service"), 1); /* others unaffected */
	/* found by its phone for legal claims only */
	struct listed l = { 0, id };
	pv_access service = { "admin", "service", 0 }, legal = { "admin", "legal-claims", 0 };
	assert_ok(f->v, pv_find_records(f->v, &service, "phone", g_phone, note_listed, &l));
	assert_int_equal(l.seen, 0);
	assert_ok(f->v, pv_find_records(f->v, &legal, "phone", g_phone, note_listed, &l));
	assert_int_equal(l.seen, 1);
	/* legal claims may still read it: the data is kept */
	assert_int_equal(read_as(f->v, id, "legal-claims"), PV_OK);
	/* a closed request cannot be fulfilled twice */
	assert_int_equal(pv_dsr_fulfil(f->v, &ADMIN, req), PV_ERR_USAGE);
	/* lifted: readable again */
	assert_ok(f->v, pv_dsr_lift(f->v, &ADMIN, id, 0));
	assert_int_equal(read_as(f->v, id, "service"), PV_OK);
	assert_int_equal(listed(f->v, id, "service"), 1);
}

/* A restriction made through another handle (another process) is seen at once. */
static void test_restrict_seen_by_other_handles(void **state)
{
	struct fixture *f = *state;
	const char *id = "C00000010";
	pv_vault *other = pvt_open_root(f->vault, NULL, f->key);
	assert_int_equal(read_as(other, id, "service"), PV_OK); /* nothing restricted yet */
	char *req = open_request(f->v, id, "restrict");
	assert_ok(f->v, pv_dsr_fulfil(f->v, &ADMIN, req));
	assert_int_equal(read_as(other, id, "service"), PV_ERR_DENIED);
	assert_ok(f->v, pv_dsr_lift(f->v, &ADMIN, id, 0));
	assert_int_equal(read_as(other, id, "service"), PV_OK);
	pvt_vclose(other);
}

static void test_object(void **state)
{
	struct fixture *f = *state;
	const char *id = "C00000006";
	assert_ok(f->v, pv_consent_set(f->v, &ADMIN, id, "marketing", 1, "app", "v1"));
	assert_int_equal(read_as(f->v, id, "marketing"), PV_OK);
	char *req = open_request(f->v, id, "object");
	assert_ok(f->v, pv_dsr_fulfil(f->v, &ADMIN, req));
	assert_rc_msg(f->v, read_as(f->v, id, "marketing"), PV_ERR_DENIED, "objected");
	assert_int_equal(listed(f->v, id, "marketing"), 0);
	assert_int_equal(read_as(f->v, id, "service"), PV_OK); /* not a consent purpose */
	assert_ok(f->v, pv_dsr_lift(f->v, &ADMIN, id, 1));
	assert_int_equal(read_as(f->v, id, "marketing"), PV_OK);
}

static int note_exclusion(void *ctx, const char *customer, const char *reason)
{
	struct listed *l = ctx;
	if (strcmp(customer, l->id) == 0) {
		l->seen++;
		assert_non_null(strstr(reason, "objection"));
	}
	return 0;
}

static void test_object_excluded_from_transfer(void **state)
{
	struct fixture *f = *state;
	const char *id = "C00000007";
	char *req = open_request(f->v, id, "object");
	assert_ok(f->v, pv_dsr_fulfil(f->v, &ADMIN, req));
	char *key_file = pvt_keep(pvt_path(f->dir, "recipient.txt"));
	assert_int_equal(pvt_run(NULL, "age-keygen -o '%s' 2>/dev/null", key_file), 0);
	pv_transfer_spec spec = { .recipient_name = "B", .recipient_contact = "b@example.cn",
				  .recipient_key = key_file, .deadline = "2000-01-01" };
	char *plan = NULL;
	assert_ok(f->v, pv_transfer_plan(f->v, &ADMIN, &spec, &plan));
	pvt_keep(plan);
	struct listed l = { 0, id };
	assert_ok(f->v, pv_transfer_exclusions(f->v, &ADMIN, plan, note_exclusion, &l));
	assert_int_equal(l.seen, 1);
}

static void test_correct(void **state)
{
	struct fixture *f = *state;
	const char *id = "C00000008";
	const char *before_phone = value_of(f->v, id, "phone");
	char *req = open_request(f->v, id, "correct");
	const char *fields[] = { "email", "address" };
	const char *values[] = { "Zhang.Wei@Example.COM", "上海市徐汇区漕溪北路 88 号" };
	assert_ok(f->v, pv_dsr_correct(f->v, &ADMIN, req, fields, values, 2));
	assert_string_equal(value_of(f->v, id, "email"), "Zhang.Wei@example.com"); /* normalised */
	assert_string_equal(value_of(f->v, id, "address"), values[1]);
	assert_string_equal(value_of(f->v, id, "phone"), before_phone); /* untouched */
	assert_string_equal(state_of(f->v, req), "closed");
	/* a bad value is refused and the request stays open */
	char *req2 = open_request(f->v, id, "correct");
	const char *bad_f[] = { "phone" };
	const char *bad_v[] = { "12345" };
	assert_int_not_equal(pv_dsr_correct(f->v, &ADMIN, req2, bad_f, bad_v, 1), PV_OK);
	assert_string_equal(value_of(f->v, id, "phone"), before_phone);
	assert_string_equal(state_of(f->v, req2), "open");
	/* a good value before a bad one: neither applied (all the changes, or none) */
	const char *mixed_f[] = { "email", "phone" };
	const char *mixed_v[] = { "li.na@example.com", "12345" };
	assert_int_not_equal(pv_dsr_correct(f->v, &ADMIN, req2, mixed_f, mixed_v, 2), PV_OK);
	assert_string_equal(value_of(f->v, id, "email"), "Zhang.Wei@example.com");
	assert_string_equal(state_of(f->v, req2), "open");
	/* the wrong kind of request */
	char *acc = open_request(f->v, id, "access");
	assert_int_equal(pv_dsr_correct(f->v, &ADMIN, acc, fields, values, 2), PV_ERR_USAGE);
	assert_int_equal(pv_dsr_fulfil(f->v, &ADMIN, acc), PV_ERR_USAGE);
}

static void test_permissions(void **state)
{
	struct fixture *f = *state;
	char *req = open_request(f->v, "C00000009", "restrict");
	assert_int_equal(pv_dsr_fulfil(f->v, &CLERK, req), PV_ERR_DENIED);
	assert_int_equal(pv_dsr_lift(f->v, &CLERK, "C00000009", 0), PV_ERR_DENIED);
	assert_string_equal(state_of(f->v, req), "open");
	assert_int_equal(read_as(f->v, "C00000009", "service"), PV_OK);
	/* lifting for a value typed in place of an id does not echo it */
	assert_int_equal(pv_dsr_lift(f->v, &ADMIN, "13912345678 张三", 0), PV_ERR_NOT_FOUND);
	assert_null(strstr(pv_errmsg(f->v), "13912345678"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_restrict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restrict_seen_by_other_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_object_excluded_from_transfer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_correct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
