/* SPDX-License-Identifier: Apache-2.0 */
/* test_notices.c: the record of notices sent to customers (告知): pv_notice_record,
 * pv_notice_set_state and pv_notice_list, as src/notices.c implements them.
 *
 * Three customers are imported from a fixed CSV (so their personal values are known and
 * can be looked for in the audit log). Covered: fields coming back exactly, numbering and
 * order, the customer filter, state changes, validation (kind, channel, text version,
 * customer, state), each kind's permission (examples/schema.yaml roles), the audit
 * entries (naming customer and notice, never personal values, denials recorded) and the
 * pivault notice command. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pivault.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"

static const char ADMIN_PW[] = "admin-password-1";
static const char DPO_PW[] = "dpo-password-1";

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access DPO = { "dpo", NULL, 0 };
static const pv_access CLERK = { "clerk", NULL, 0 };
static const pv_access AUDITOR = { "auditor", NULL, 0 };

static const char CSV[] =
	"customer_id,name,phone,id_number,email,address,bank_card,company_uscc,contract_no,"
	"last_order_amount,last_order_date,preferences,created_at,consent_marketing\n"
	"C00000001,李航泽,+8618454174663,510107198905120119,qpz2d73d@ruifeng-auto.com.cn,"
	"四川省成都市武侯区朝阳路34号翠苑小区4号楼2单元1601室,6228485961249359447,,,339.79,"
	"2019-06-01,周末送货PREFALPHA,2020-01-15T10:00:00+08:00,no\n"
	"C00000002,魏文斌,+8615753996866,340104196801142532,weiwenbin3556@aliyun.com,"
	"安徽省合肥市蜀山区复兴路74号9栋2507,6217008054363600050,,HT-2024-111558,36496.00,"
	"2021-07-01,对坚果过敏PREFBETA,2020-02-29T09:00:00+08:00,yes\n"
	"C00000003,宁文,+8613486858639,510104200509290483,,"
	"四川省成都市锦江区创业路45号紫荆园20号楼6单元2701室,6222623331779576008,,,4491.16,"
	"2010-01-01,,2021-03-10T12:00:00+08:00,yes\n";

/* personal values of the customers above that must never reach the audit log */
static const char *const PERSONAL[] = { "李航泽", "魏文斌", "宁文", "+8618454174663",
					"8618454174663", "+8615753996866", "510107198905120119",
					"qpz2d73d@ruifeng-auto.com.cn", "weiwenbin3556@aliyun.com",
					"6228485961249359447", "朝阳路", "PREFALPHA", NULL };

static char *g_base;
static char *g_key_path;

struct fx {
	char *tmp, *dir, *err;
};



/* ---- notice lists ---- */

struct nrow {
	int64_t notice;
	char customer[32], kind[16], text_version[80], channel[16], sent[40], sent_by[64],
		state[16], state_at[40];
};

struct nlist {
	size_t n;
	struct nrow r[32];
};

static int collect(void *ctx, const pv_notice_info *i)
{
	struct nlist *l = ctx;
	if (l->n == sizeof l->r / sizeof *l->r)
		return 1;
	struct nrow *d = &l->r[l->n++];
	d->notice = i->notice;
	snprintf(d->customer, sizeof d->customer, "%s", i->customer);
	snprintf(d->kind, sizeof d->kind, "%s", i->kind);
	snprintf(d->text_version, sizeof d->text_version, "%s", i->text_version);
	snprintf(d->channel, sizeof d->channel, "%s", i->channel);
	snprintf(d->sent, sizeof d->sent, "%s", i->sent);
	snprintf(d->sent_by, sizeof d->sent_by, "%s", i->sent_by);
	snprintf(d->state, sizeof d->state, "%s", i->state);
	snprintf(d->state_at, sizeof d->state_at, "%s", i->state_at);
	return 0;
}

static pv_rc list_rc(pv_vault *v, const pv_access *who, const char *customer, struct nlist *l)
{
	memset(l, 0, sizeof *l);
	return pv_notice_list(v, who, customer, collect, l);
}

/* Every notice, listed by an admin root session. */
static void list_all(const char *dir, const char *customer, struct nlist *l)
{
	pv_vault *v = pvt_open_root(dir, NULL, g_key_path);
	assert_ok(v, list_rc(v, &ADMIN, customer, l));
	pvt_vclose(v);
}

static void expect_row(const struct nrow *r, int64_t notice, const char *customer,
		       const char *kind, const char *version, const char *channel,
		       const char *sent_by, const char *state)
{
	assert_int_equal(r->notice, notice);
	assert_string_equal(r->customer, customer);
	assert_string_equal(r->kind, kind);
	assert_string_equal(r->text_version, version);
	assert_string_equal(r->channel, channel);
	assert_string_equal(r->sent_by, sent_by);
	assert_string_equal(r->state, state);
	/* an ISO 8601 time: 2026-11-23T13:10:00... */
	assert_true(strlen(r->sent) >= 19);
	assert_int_equal(r->sent[4], '-');
	assert_int_equal(r->sent[10], 'T');
	assert_true(strlen(r->state_at) >= 19);
}

/* ---- audit ---- */

struct arow {
	char *user, *op, *ids, *outcome, *detail;
};

struct alist {
	size_t n;
	struct arow r[256];
};

static char *dup0(const char *s)
{
	char *d = strdup(s ? s : "");
	assert_non_null(d);
	return pvt_keep(d);
}

static int collect_audit(void *ctx, const pv_audit_entry *e)
{
	struct alist *l = ctx;
	if (l->n == sizeof l->r / sizeof *l->r)
		return 1;
	struct arow *r = &l->r[l->n++];
	r->user = dup0(e->user);
	r->op = dup0(e->op);
	r->ids = dup0(e->ids);
	r->outcome = dup0(e->outcome);
	r->detail = dup0(e->detail);
	return 0;
}

static struct alist *audit_load(const char *dir)
{
	struct alist *l = pvt_keep(calloc(1, sizeof *l));
	assert_non_null(l);
	pv_vault *v = pvt_open_root(dir, NULL, g_key_path);
	assert_ok(v, pv_audit_log(v, &AUDITOR, NULL, collect_audit, l));
	pvt_vclose(v);
	return l;
}

/* How many entries have this op and outcome, with ids containing ids_needle (NULL: any)
 * and detail containing detail_needle (NULL: any). */
static size_t audit_count(const struct alist *l, const char *op, const char *outcome,
			  const char *ids_needle, const char *detail_needle)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct arow *r = &l->r[i];
		if (strcmp(r->op, op) != 0 || strcmp(r->outcome, outcome) != 0)
			continue;
		if (ids_needle && !strstr(r->ids, ids_needle))
			continue;
		if (detail_needle && !strstr(r->detail, detail_needle))
			continue;
		n++;
	}
	return n;
}

/* ---- fixtures ---- */

static void add_user_root(const char *dir, const char *name, const char *roles, const char *pw)
{
	pv_vault *v = pvt_open_root(dir, NULL, g_key_path);
	pv_rc rc = pvt_user_add(v, &ADMIN, name, roles, pw, strlen(pw));
	if (rc)
		fail_msg("pvt_user_add(%s): %s", name, pv_errmsg(v));
	pvt_vclose(v);
}

static int group_setup(void **state)
{
	(void)state;
	unsetenv("PIVAULT_VAULT");
	unsetenv("PIVAULT_KEY_FILE");
	unsetenv("PIVAULT_KEYRING");
	unsetenv("PIVAULT_PASSPHRASE_FILE");
	unsetenv("PIVAULT_USER");
	unsetenv("PIVAULT_PASSWORD_FILE");
	g_base = pvt_tempdir();
	g_key_path = pvt_path(g_base, "root.key");
	char *dir = pvt_path(g_base, "vault");
	char *csv_path = pvt_path(g_base, "in.csv");
	assert_int_equal(pvt_write_file(csv_path, CSV, strlen(CSV)), 0);

	assert_int_equal(pv_key_generate_file(g_key_path), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g_key_path, &key), PV_OK);
	pv_create_opts opts = { .schema_path = SCHEMA, .keyring_slots = 1024, .kdf_cost = PV_KDF_FAST,
				.admin_user = "admin", .admin_password = ADMIN_PW,
				.admin_password_len = strlen(ADMIN_PW) };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(dir, &opts, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_create: %s", pv_errmsg(v));
	pv_import_opts io = { 0 };
	io.threads = 1;
	pv_import_result *res = NULL;
	rc = pv_import_csv(v, &ADMIN, csv_path, &io, &res);
	if (rc)
		fail_msg("pv_import_csv: %s", pv_errmsg(v));
	assert_int_equal(pv_import_rows_imported(res), 3);
	pv_import_free(res);
	pvt_vclose(v);
	add_user_root(dir, "dpo1", "dpo", DPO_PW);
	unlink(csv_path);
	free(csv_path);
	free(dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvt_release_all();
	pvt_rmtree(g_base);
	free(g_base);
	free(g_key_path);
	return 0;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->err = pvt_path(f->tmp, "stderr.txt");
	pvt_copy_vault(g_base, f->tmp);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_release_all();
	pvt_rmtree(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f->err);
	free(f);
	return 0;
}

/* ---- tests ---- */

static void test_record_and_list(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	int64_t n1 = 0, n2 = 0, n3 = 0;
	assert_ok(v, pv_notice_record(v, &ADMIN, "C00000001", "transfer", "transfer-2026-11 v2",
				      "sms", NULL, &n1));
	assert_ok(v, pv_notice_record(v, &ADMIN, "C00000002", "breach", "breach-2026-01",
				      "email", "queued", &n2));
	assert_ok(v, pv_notice_record(v, &ADMIN, "C00000001", "policy", "privacy policy v7",
				      "in-person", "delivered", &n3));
	assert_true(n1 > 0);
	assert_true(n2 > n1);
	assert_true(n3 > n2);
	pvt_vclose(v);

	/* a user session: sent_by is the user's name */
	pv_vault *d = pvt_open_user(f->dir, "dpo1", DPO_PW);
	int64_t n4 = 0;
	assert_ok(d, pv_notice_record(d, NULL, "C00000003", "dsr-reply", "dsr-answer v1", "letter",
				      NULL, &n4));
	assert_true(n4 > n3);
	pvt_vclose(d);

	struct nlist l;
	list_all(f->dir, NULL, &l);
	assert_int_equal(l.n, 4);
	expect_row(&l.r[0], n1, "C00000001", "transfer", "transfer-2026-11 v2", "sms",
		   "(root key)", "sent");
	expect_row(&l.r[1], n2, "C00000002", "breach", "breach-2026-01", "email", "(root key)",
		   "queued");
	expect_row(&l.r[2], n3, "C00000001", "policy", "privacy policy v7", "in-person",
		   "(root key)", "delivered");
	expect_row(&l.r[3], n4, "C00000003", "dsr-reply", "dsr-answer v1", "letter", "dpo1",
		   "sent");
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(l.r[i].sent, l.r[i].state_at);
	/* oldest first */
	for (size_t i = 1; i < l.n; i++)
		assert_true(strcmp(l.r[i - 1].sent, l.r[i].sent) <= 0);

	/* one customer's notices only, oldest first */
	list_all(f->dir, "C00000001", &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.r[0].notice, n1);
	assert_int_equal(l.r[1].notice, n3);
	assert_string_equal(l.r[0].customer, "C00000001");
	assert_string_equal(l.r[1].customer, "C00000001");
	list_all(f->dir, "C00000002", &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.r[0].notice, n2);
	/* a customer with no notices, or none at all */
	list_all(f->dir, "C00000099", &l);
	assert_int_equal(l.n, 0);
}

static void test_set_state(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	int64_t n1 = 0, n2 = 0;
	assert_ok(v, pv_notice_record(v, &ADMIN, "C00000001", "breach", "breach-2026-01", "sms",
				      "queued", &n1));
	assert_ok(v, pv_notice_record(v, &ADMIN, "C00000002", "consent", "consent v3", "app",
				      NULL, &n2));
	pvt_vclose(v);

	struct nlist before;
	list_all(f->dir, NULL, &before);
	assert_int_equal(before.n, 2);
	assert_string_equal(before.r[0].state, "queued");

	/* state_at is stored with one-second precision: let the clock move on */
	sleep(1);
	v = pvt_open_root(f->dir, NULL, g_key_path);
	assert_ok(v, pv_notice_set_state(v, &ADMIN, n1, "delivered"));
	pvt_vclose(v);

	struct nlist after;
	list_all(f->dir, NULL, &after);
	assert_int_equal(after.n, 2);
	expect_row(&after.r[0], n1, "C00000001", "breach", "breach-2026-01", "sms", "(root key)",
		   "delivered");
	assert_string_equal(after.r[0].sent, before.r[0].sent);
	assert_string_not_equal(after.r[0].state_at, before.r[0].state_at);
	assert_true(strcmp(after.r[0].state_at, after.r[0].sent) > 0);
	/* the other notice is untouched */
	assert_memory_equal(&after.r[1], &before.r[1], sizeof before.r[1]);

	/* every state can be set, and again to the same */
	v = pvt_open_root(f->dir, NULL, g_key_path);
	static const char *const states[] = { "queued", "sent", "delivered", "failed",
					      "returned", "returned" };
	for (size_t i = 0; i < sizeof states / sizeof *states; i++) {
		assert_ok(v, pv_notice_set_state(v, &ADMIN, n2, states[i]));
		struct nlist l;
		assert_ok(v, list_rc(v, &ADMIN, "C00000002", &l));
		assert_int_equal(l.n, 1);
		assert_string_equal(l.r[0].state, states[i]);
	}

	/* an unknown notice */
	assert_rc_msg(v, pv_notice_set_state(v, &ADMIN, n2 + 100, "delivered"),
		      PV_ERR_NOT_FOUND, "no notice");
	assert_int_equal(pv_notice_set_state(v, &ADMIN, 0, "delivered"), PV_ERR_NOT_FOUND);
	assert_int_equal(pv_notice_set_state(v, &ADMIN, -1, "delivered"), PV_ERR_NOT_FOUND);

	/* a bad state changes nothing */
	struct nlist l1, l2;
	assert_ok(v, list_rc(v, &ADMIN, NULL, &l1));
	assert_rc_msg(v, pv_notice_set_state(v, &ADMIN, n1, "lost"), PV_ERR_USAGE, "state");
	assert_int_equal(pv_notice_set_state(v, &ADMIN, n1, ""), PV_ERR_USAGE);
	assert_int_equal(pv_notice_set_state(v, &ADMIN, n1, NULL), PV_ERR_USAGE);
	assert_int_equal(pv_notice_set_state(v, &ADMIN, n1, "Delivered"), PV_ERR_USAGE);
	assert_ok(v, list_rc(v, &ADMIN, NULL, &l2));
	assert_int_equal(l2.n, 2);
	assert_memory_equal(&l1, &l2, sizeof l1);
	assert_string_equal(l2.r[0].state, "delivered");
	pvt_vclose(v);
}

static void test_validation(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	int64_t n = 42;
	char long_version[66];
	memset(long_version, 'v', 65);
	long_version[65] = '\0';
	char max_version[65];
	memset(max_version, 'w', 64);
	max_version[64] = '\0';

	assert_rc_msg(v, pv_notice_record(v, &ADMIN, "C00000001", "marketing", "v1", "sms", NULL,
					  &n), PV_ERR_USAGE, "kind");
	assert_int_equal(n, 0);
	n = 42;
	assert_int_equal(pv_notice_record(v, &ADMIN, "C00000001", NULL, "v1", "sms", NULL, &n),
			 PV_ERR_USAGE);
	assert_int_equal(n, 0);
	assert_int_equal(pv_notice_record(v, &ADMIN, "C00000001", "Transfer", "v1", "sms", NULL,
					  &n), PV_ERR_USAGE);
	assert_rc_msg(v, pv_notice_record(v, &ADMIN, "C00000001", "transfer", "v1", "fax", NULL,
					  &n), PV_ERR_USAGE, "channel");
	assert_int_equal(n, 0);
	assert_int_equal(pv_notice_record(v, &ADMIN, "C00000001", "transfer", "v1", NULL, NULL,
					  &n), PV_ERR_USAGE);
	assert_rc_msg(v, pv_notice_record(v, &ADMIN, "C00000001", "transfer", "", "sms", NULL,
					  &n), PV_ERR_USAGE, "version");
	assert_int_equal(pv_notice_record(v, &ADMIN, "C00000001", "transfer", NULL, "sms", NULL,
					  &n), PV_ERR_USAGE);
	assert_rc_msg(v, pv_notice_record(v, &ADMIN, "C00000001", "transfer", long_version, "sms",
					  NULL, &n), PV_ERR_USAGE, "64");
	assert_int_equal(pv_notice_record(v, &ADMIN, "C00000001", "transfer", "v1\nDear 李航泽",
					  "sms", NULL, &n), PV_ERR_USAGE);
	assert_int_equal(pv_notice_record(v, &ADMIN, "C00000001", "transfer", "v1\tx", "sms",
					  NULL, &n), PV_ERR_USAGE);
	assert_rc_msg(v, pv_notice_record(v, &ADMIN, "C00000001", "transfer", "v1", "sms", "lost",
					  &n), PV_ERR_USAGE, "state");
	assert_rc_msg(v, pv_notice_record(v, &ADMIN, "C00000099", "transfer", "v1", "sms", NULL,
					  &n), PV_ERR_NOT_FOUND, "C00000099");
	assert_int_equal(n, 0);
	assert_int_equal(pv_notice_record(v, &ADMIN, "", "transfer", "v1", "sms", NULL, &n),
			 PV_ERR_USAGE);
	assert_int_equal(pv_notice_record(v, &ADMIN, NULL, "transfer", "v1", "sms", NULL, &n),
			 PV_ERR_USAGE);
	assert_int_equal(n, 0);
	pvt_vclose(v);

	struct nlist l;
	list_all(f->dir, NULL, &l);
	assert_int_equal(l.n, 0);

	/* the boundaries that are allowed: 64 characters, UTF-8, every channel */
	v = pvt_open_root(f->dir, NULL, g_key_path);
	assert_ok(v, pv_notice_record(v, &ADMIN, "C00000001", "transfer", max_version, "sms", NULL,
				      &n));
	assert_ok(v, pv_notice_record(v, &ADMIN, "C00000001", "consent", "告知书 v2", "email",
				      NULL, &n));
	static const char *const channels[] = { "letter", "phone", "app", "in-person" };
	for (size_t i = 0; i < 4; i++)
		assert_ok(v, pv_notice_record(v, &ADMIN, "C00000002", "policy", "p1", channels[i],
					      NULL, &n));
	pvt_vclose(v);
	list_all(f->dir, NULL, &l);
	assert_int_equal(l.n, 6);
	assert_string_equal(l.r[0].text_version, max_version);
	assert_string_equal(l.r[1].text_version, "告知书 v2");
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(l.r[2 + i].channel, channels[i]);
}

static void test_permissions(void **state)
{
	struct fx *f = *state;
	static const char *const kinds[] = { "transfer", "breach", "dsr-reply", "consent",
					     "policy" };
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	int64_t n = 0;
	struct nlist l;

	/* clerk: no kind, no list */
	for (size_t i = 0; i < 5; i++) {
		n = 7;
		assert_int_equal(pv_notice_record(v, &CLERK, "C00000001", kinds[i], "v1", "sms",
						  NULL, &n), PV_ERR_DENIED);
		assert_int_equal(n, 0);
	}
	assert_int_equal(list_rc(v, &CLERK, NULL, &l), PV_ERR_DENIED);
	assert_int_equal(l.n, 0);
	assert_int_equal(list_rc(v, &CLERK, "C00000001", &l), PV_ERR_DENIED);

	/* auditor: may list, may record nothing */
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(pv_notice_record(v, &AUDITOR, "C00000001", kinds[i], "v1", "sms",
						  NULL, &n), PV_ERR_DENIED);
	assert_ok(v, list_rc(v, &AUDITOR, NULL, &l));
	assert_int_equal(l.n, 0);

	/* dpo: every kind */
	int64_t nums[5];
	for (size_t i = 0; i < 5; i++) {
		assert_ok(v, pv_notice_record(v, &DPO, "C00000002", kinds[i], "v1", "email", "queued",
					      &nums[i]));
		assert_true(nums[i] > 0);
	}
	assert_ok(v, list_rc(v, &AUDITOR, NULL, &l));
	assert_int_equal(l.n, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(l.r[i].notice, nums[i]);
		assert_string_equal(l.r[i].kind, kinds[i]);
	}

	/* set_state needs the kind's permission */
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(pv_notice_set_state(v, &AUDITOR, nums[i], "delivered"),
				 PV_ERR_DENIED);
		assert_int_equal(pv_notice_set_state(v, &CLERK, nums[i], "delivered"),
				 PV_ERR_DENIED);
	}
	assert_ok(v, list_rc(v, &AUDITOR, NULL, &l));
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(l.r[i].state, "queued");
	for (size_t i = 0; i < 5; i++)
		assert_ok(v, pv_notice_set_state(v, &DPO, nums[i], "delivered"));
	assert_ok(v, list_rc(v, &AUDITOR, NULL, &l));
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(l.r[i].state, "delivered");
	pvt_vclose(v);

	/* the same through user sessions */
	pv_vault *d = pvt_open_user(f->dir, "dpo1", DPO_PW);
	assert_ok(d, pv_notice_record(d, NULL, "C00000003", "breach", "b1", "phone", NULL, &n));
	assert_ok(d, pv_notice_set_state(d, NULL, n, "failed"));
	assert_ok(d, list_rc(d, NULL, "C00000003", &l));
	assert_int_equal(l.n, 1);
	assert_string_equal(l.r[0].state, "failed");
	assert_string_equal(l.r[0].sent_by, "dpo1");
	pvt_vclose(d);
}

static void test_audit(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	int64_t n1 = 0, n2 = 0, n = 0;
	assert_ok(v, pv_notice_record(v, &DPO, "C00000001", "transfer", "transfer v2", "sms", NULL,
				      &n1));
	assert_ok(v, pv_notice_record(v, &DPO, "C00000002", "breach", "breach v1", "letter",
				      "queued", &n2));
	assert_ok(v, pv_notice_set_state(v, &DPO, n2, "returned"));
	assert_int_equal(pv_notice_record(v, &CLERK, "C00000003", "consent", "c1", "app", NULL,
					  &n), PV_ERR_DENIED);
	assert_int_equal(pv_notice_set_state(v, &AUDITOR, n1, "delivered"), PV_ERR_DENIED);
	assert_int_equal(pv_notice_list(v, &CLERK, "C00000001", collect,
					&(struct nlist){ 0 }), PV_ERR_DENIED);
	pvt_vclose(v);

	struct alist *a = audit_load(f->dir);
	char d1[32], d2[32];
	snprintf(d1, sizeof d1, "notice %lld:", (long long)n1);
	snprintf(d2, sizeof d2, "notice %lld:", (long long)n2);
	assert_int_equal(audit_count(a, "notice record", "ok", "C00000001", d1), 1);
	assert_int_equal(audit_count(a, "notice record", "ok", "C00000002", d2), 1);
	assert_int_equal(audit_count(a, "notice record", "ok", NULL, NULL), 2);
	assert_int_equal(audit_count(a, "notice state", "ok", "C00000002", d2), 1);
	assert_int_equal(audit_count(a, "notice state", "ok", NULL, NULL), 1);
	/* the new state is in the detail */
	assert_int_equal(audit_count(a, "notice state", "ok", NULL, "returned"), 1);
	/* denied attempts */
	assert_int_equal(audit_count(a, "notice record", "denied", "C00000003", NULL), 1);
	assert_int_equal(audit_count(a, "notice state", "denied", NULL, NULL), 1);
	assert_int_equal(audit_count(a, "notice list", "denied", NULL, NULL), 1);
	/* no personal value anywhere in the log */
	for (size_t i = 0; i < a->n; i++)
		for (const char *const *p = PERSONAL; *p; p++) {
			const struct arow *r = &a->r[i];
			if (strstr(r->ids, *p) || strstr(r->detail, *p) || strstr(r->op, *p) ||
			    strstr(r->user, *p))
				fail_msg("audit entry %zu (%s) holds personal value %s", i, r->op,
					 *p);
		}
}

/* A denied state change should name the customer of the notice, as the ok one does, so
 * that an audit search by customer finds it. */
static void test_audit_denied_state_names_customer(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	int64_t n1 = 0;
	assert_ok(v, pv_notice_record(v, &DPO, "C00000001", "breach", "b1", "sms", NULL, &n1));
	assert_int_equal(pv_notice_set_state(v, &AUDITOR, n1, "delivered"), PV_ERR_DENIED);
	pvt_vclose(v);
	struct alist *a = audit_load(f->dir);
	assert_int_equal(audit_count(a, "notice state", "denied", NULL, NULL), 1);
	assert_int_equal(audit_count(a, "notice state", "denied", "C00000001", NULL), 1);
}

/* ---- CLI ---- */

#define CLI_ENV "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' notice "

static void test_cli(void **state)
{
	struct fx *f = *state;
	const char *pv = pvt_program("pivault-test");
	char *out = NULL;

	assert_int_equal(pvt_run(&out, CLI_ENV "record C00000001 --kind transfer --text-version "
				       "'transfer v2' --channel sms --json --role admin "
				       "</dev/null 2>'%s'", f->dir, g_key_path, pv, f->err), 0);
	pvt_keep(out);
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	assert_non_null(j);
	assert_true(json_is_object(j));
	assert_int_equal(json_object_size(j), 1);
	json_t *num = json_object_get(j, "notice");
	assert_true(json_is_integer(num));
	json_int_t n1 = json_integer_value(num);
	assert_true(n1 > 0);
	json_decref(j);

	char *out2 = NULL;
	assert_int_equal(pvt_run(&out2, CLI_ENV "record C00000002 --kind breach --text-version b1 "
					"--channel letter --state queued --json --role admin "
					"</dev/null 2>'%s'", f->dir, g_key_path, pv, f->err), 0);
	pvt_keep(out2);
	j = json_loads(out2, 0, &je);
	assert_non_null(j);
	json_int_t n2 = json_integer_value(json_object_get(j, "notice"));
	assert_int_equal(n2, n1 + 1);
	json_decref(j);

	char *out3 = NULL;
	assert_int_equal(pvt_run(&out3, CLI_ENV "state %lld delivered --role admin </dev/null "
					"2>'%s'", f->dir, g_key_path, pv, (long long)n2, f->err),
			 0);
	pvt_keep(out3);

	char *lst = NULL;
	assert_int_equal(pvt_run(&lst, CLI_ENV "list --json --role admin </dev/null 2>'%s'",
				 f->dir, g_key_path, pv, f->err), 0);
	pvt_keep(lst);
	char *save = NULL;
	size_t lines = 0;
	for (char *line = strtok_r(lst, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, &je);
		if (!o)
			fail_msg("line %zu is not JSON: %s (%s)", lines, line, je.text);
		const char *want_c = lines == 0 ? "C00000001" : "C00000002";
		const char *want_k = lines == 0 ? "transfer" : "breach";
		const char *want_v = lines == 0 ? "transfer v2" : "b1";
		const char *want_ch = lines == 0 ? "sms" : "letter";
		const char *want_s = lines == 0 ? "sent" : "delivered";
		assert_int_equal(json_integer_value(json_object_get(o, "notice")),
				 lines == 0 ? n1 : n2);
		assert_string_equal(json_string_value(json_object_get(o, "customer")), want_c);
		assert_string_equal(json_string_value(json_object_get(o, "kind")), want_k);
		assert_string_equal(json_string_value(json_object_get(o, "text_version")), want_v);
		assert_string_equal(json_string_value(json_object_get(o, "channel")), want_ch);
		assert_string_equal(json_string_value(json_object_get(o, "state")), want_s);
		assert_string_equal(json_string_value(json_object_get(o, "sent_by")), "(root key)");
		assert_non_null(json_string_value(json_object_get(o, "sent")));
		assert_non_null(json_string_value(json_object_get(o, "state_at")));
		json_decref(o);
		lines++;
	}
	assert_int_equal(lines, 2);

	/* --customer filters */
	char *lst2 = NULL;
	assert_int_equal(pvt_run(&lst2, CLI_ENV "list --customer C00000002 --json --role admin "
					"</dev/null 2>'%s'", f->dir, g_key_path, pv, f->err), 0);
	pvt_keep(lst2);
	assert_null(strstr(lst2, "C00000001"));
	assert_non_null(strstr(lst2, "C00000002"));
	assert_int_equal(strchr(lst2, '\n') - lst2 + 1, (long)strlen(lst2));

	/* a bad channel: non-zero exit, a message naming the allowed channels, nothing kept */
	char *bad = NULL;
	int st = pvt_run(&bad, CLI_ENV "record C00000001 --kind transfer --text-version v1 "
				       "--channel fax --role admin </dev/null 2>'%s'",
			 f->dir, g_key_path, pv, f->err);
	pvt_keep(bad);
	assert_int_not_equal(st, 0);
	char *err = pvt_keep(pvt_read_file(f->err, NULL));
	assert_non_null(err);
	static const char *const channels[] = { "sms", "email", "letter", "phone", "app",
						"in-person" };
	for (size_t i = 0; i < 6; i++)
		if (!strstr(err, channels[i]))
			fail_msg("error '%s' does not name channel %s", err, channels[i]);
	struct nlist l;
	list_all(f->dir, NULL, &l);
	assert_int_equal(l.n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_record_and_list, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_set_state, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_validation, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_permissions, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit_denied_state_names_customer, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_cli, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
