/* SPDX-License-Identifier: Apache-2.0 */
/* test_pii.c: the PII detector (pv_pii_scan) and the free_text mask built on it: the
 * issue's examples, the written forms of each kind, look-alikes that must stay as written,
 * and precision and recall per type over the labelled corpus of pii_corpus.c, asserted
 * against issue 14's targets. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "pii_corpus.h"

#define MAX_SPANS 64

struct found {
	pv_pii_span span[MAX_SPANS];
	size_t n;
};

static int collect(void *ctx, const pv_pii_span *s)
{
	struct found *f = ctx;
	if (f->n < MAX_SPANS)
		f->span[f->n++] = *s;
	return 0;
}

static void scan(const char *text, struct found *f)
{
	f->n = 0;
	pv_pii_scan(text, strlen(text), PV_PII_MIN_CONFIDENCE, collect, f);
}

/* text must hold exactly the spans (type, text) listed, in order. */
static void expect_spans(const char *text, size_t n, const pv_pii_type *types,
			 const char *const *spans)
{
	struct found f;
	scan(text, &f);
	if (f.n != n) {
		for (size_t i = 0; i < f.n; i++)
			print_message("found %s \"%.*s\"\n", pv_pii_type_name(f.span[i].type),
				      (int)(f.span[i].end - f.span[i].start), text + f.span[i].start);
		fail_msg("%zu spans in \"%s\", want %zu", f.n, text, n);
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = f.span[i].end - f.span[i].start;
		if (f.span[i].type != types[i] || len != strlen(spans[i]) ||
		    memcmp(text + f.span[i].start, spans[i], len) != 0)
			fail_msg("span %zu of \"%s\": %s \"%.*s\", want %s \"%s\"", i, text,
				 pv_pii_type_name(f.span[i].type), (int)len,
				 text + f.span[i].start, pv_pii_type_name(types[i]), spans[i]);
	}
}

#define EXPECT_ONE(text, type, span)                                                         \
	do {                                                                                 \
		pv_pii_type t_[1] = { type };                                                \
		const char *s_[1] = { span };                                                \
		expect_spans(text, 1, t_, s_);                                               \
	} while (0)

#define EXPECT_NONE(text) expect_spans(text, 0, NULL, NULL)

static void expect_mask(const char *in, const char *want)
{
	char *got = pv_mask_value(PV_MASK_FREE_TEXT, in, strlen(in));
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* ---- the issue's examples ---- */

/* The name was shown in full, and every long digit run hidden, order numbers included. */
static void test_issue_examples(void **state)
{
	(void)state;
	expect_mask("快递可交给邻居邱波（13912342163）代收", "快递可交给邻居邱*（139****2163）代收");
	expect_mask("运单SF1819123452970，订单号202312011234567891，会员号6222021234567895",
		    "运单SF1819123452970，订单号202312011234567891，会员号6222021234567895");
	expect_mask("客户王小明先生的身份证110105199001011232，卡号6222021234567894，电话"
		    "010-62345678",
		    "客户王**先生的身份证110105********1232，卡号6222********7894，电话"
		    "***-****5678");
}

/* ---- written forms ---- */

static void test_phone_forms(void **state)
{
	(void)state;
	static const char *const mobiles[] = {
		"13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678",
		"+8613812345678", "+86-13812345678", "0086 13812345678", "0086-138-1234-5678",
		"１３８１２３４５６７８", "１３８-1234-5678", "＋86 13812345678",
	};
	static const char *const landlines[] = {
		"010-62345678", "(010)62345678", "（0755）86668888", "0571 8888 6666",
		"021-6666-8888", "+86 10 6234 5678", "+86-755-86668888", "0086 21 66668888",
	};
	char text[128];
	for (size_t i = 0; i < sizeof mobiles / sizeof mobiles[0]; i++) {
		snprintf(text, sizeof text, "请联系%s谢谢", mobiles[i]);
		EXPECT_ONE(text, PV_PII_PHONE, mobiles[i]);
	}
	for (size_t i = 0; i < sizeof landlines / sizeof landlines[0]; i++) {
		snprintf(text, sizeof text, "公司总机%s，工作日", landlines[i]);
		EXPECT_ONE(text, PV_PII_PHONE, landlines[i]);
	}
	/* a landline run together needs a word saying it is a phone */
	EXPECT_ONE("座机02166668888", PV_PII_PHONE, "02166668888");
	EXPECT_NONE("编号02166668888");
	/* a foreign number after '+' is no mainland number */
	EXPECT_NONE("call +44 20 7946 0958");
}

static void test_ids_cards_codes(void **state)
{
	(void)state;
	EXPECT_ONE("身份证号：11010519900101103X。", PV_PII_RESIDENT_ID, "11010519900101103X");
	EXPECT_ONE("id 110105 19900101 1232", PV_PII_RESIDENT_ID, "110105 19900101 1232");
	EXPECT_ONE("旧身份证110105900101123", PV_PII_RESIDENT_ID, "110105900101123");
	EXPECT_ONE("卡 6222 0212 3456 7894 已挂失", PV_PII_BANK_CARD, "6222 0212 3456 7894");
	EXPECT_ONE("信用代码91350100M000100Y43", PV_PII_USCC, "91350100M000100Y43");
	EXPECT_ONE("护照号E12345678", PV_PII_PASSPORT, "E12345678");
	EXPECT_ONE("发到li.si+tag@mail.corp.cn。", PV_PII_EMAIL, "li.si+tag@mail.corp.cn");
}

static void test_names_and_addresses(void **state)
{
	(void)state;
	EXPECT_ONE("联系人：张伟，谢谢", PV_PII_NAME, "张伟");
	EXPECT_ONE("我母亲陈秀英住院了", PV_PII_NAME, "陈秀英");
	EXPECT_ONE("同事欧阳明说", PV_PII_NAME, "欧阳明");
	EXPECT_ONE("请转告李明先生", PV_PII_NAME, "李明");
	EXPECT_ONE("谢谢王芳女士", PV_PII_NAME, "王芳");
	EXPECT_ONE("地址：北京市朝阳区建国路88号SOHO现代城5号楼1201室，电话", PV_PII_ADDRESS,
		   "北京市朝阳区建国路88号SOHO现代城5号楼1201室");
	EXPECT_ONE("住在幸福小区3栋2单元401室附近", PV_PII_ADDRESS, "幸福小区3栋2单元401室");
	EXPECT_ONE("广东省深圳市南山区科技园路12号", PV_PII_ADDRESS,
		   "广东省深圳市南山区科技园路12号");
	/* context words with no name or address after them */
	EXPECT_NONE("联系人电话已更新，同事们都说不错，客户服务中心，王先生来过");
	EXPECT_NONE("上海的天气很好，广东省人民医院，北京时间");
}

/* ---- look-alikes ---- */

static void test_lookalikes_stay(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"订单号202401151234567890", /* 18 digits: no region, no birth date */
		"单号110105199001011234",   /* an ID's shape, a wrong check digit */
		"编号110105199002301238",   /* February 30th, the check right */
		"运单SF1234567890123，YT1234567890123，JD0012345678901，JDVA12345678901",
		"韵达4312345678901，中通751234567890",
		"会员号6222021234567890，订单号4035501234567890123", /* fail Luhn */
		"发票代码144031900111，发票号码12345678，全电发票24442000000012345678",
		"2024-01-15，2024年1月15日，20240115，2024/01/15 14:30",
		"¥1,234.56，12345678901.50元，共计3,280元",
		"信用代码91350100M000100Y44", /* wrong check character */
		"QQ号1381234567，工单号138123456789，车次G1234，编号E1234567890",
		"分机010-12345678，01012345678",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		EXPECT_NONE(texts[i]);
		expect_mask(texts[i], texts[i]);
	}
}

/* A Luhn-valid number labelled as another kind of number right before it is not a card
 * (one order number in ten passes Luhn); a card after such a label further back is. */
static void test_negative_context(void **state)
{
	(void)state;
	EXPECT_NONE("订单号：6222021234567894");
	EXPECT_ONE("订单日期，6222021234567894", PV_PII_BANK_CARD, "6222021234567894");
	/* a mobile number stays a mobile number after one */
	EXPECT_ONE("订单号13812345678", PV_PII_PHONE, "13812345678");
}

/* ---- precision and recall over the corpus ---- */

#define CORPUS_DOCS 4000
#define CORPUS_SEED 0x5EED14ULL

struct tally {
	size_t labelled, found, hit, reported_hit;
};

/* 1 if span s matches label l: the same type and bytes; an address may run up to three
 * characters further (what follows its last marker), never shorter. */
static int matches(const pv_pii_span *s, const struct pvt_pii_label *l)
{
	if (s->type != l->type)
		return 0;
	if (l->type == PV_PII_ADDRESS)
		return s->start == l->start && s->end >= l->end && s->end - l->end <= 9;
	return s->start == l->start && s->end == l->end;
}

/* text on one line (line ends as '/'), into buf. */
static const char *one_line(const char *text, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", text);
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = '/';
	return buf;
}

/* Count one document into t; print the first misses and false spans of each type. */
static void score_doc(const struct pvt_pii_doc *d, struct tally *t, size_t *shown)
{
	static char line[PVT_DOC_MAX];
	struct found f;
	scan(d->text, &f);
	for (size_t k = 0; k < d->nlabels; k++) {
		const struct pvt_pii_label *l = &d->label[k];
		int hit = 0;
		for (size_t i = 0; i < f.n && !hit; i++)
			hit = matches(&f.span[i], l);
		t[l->type].labelled++;
		t[l->type].hit += (size_t)hit;
		if (!hit && shown[l->type]++ < 40)
			print_message("missed %s \"%.*s\" in: %s\n", pv_pii_type_name(l->type),
				      (int)(l->end - l->start), d->text + l->start,
				      one_line(d->text, line, sizeof line));
	}
	for (size_t i = 0; i < f.n; i++) {
		const pv_pii_span *s = &f.span[i];
		int hit = 0;
		for (size_t k = 0; k < d->nlabels && !hit; k++)
			hit = matches(s, &d->label[k]);
		t[s->type].found++;
		t[s->type].reported_hit += (size_t)hit;
		if (!hit && shown[s->type]++ < 3)
			print_message("false %s \"%.*s\" in: %s\n", pv_pii_type_name(s->type),
				      (int)(s->end - s->start), d->text + s->start,
				      one_line(d->text, line, sizeof line));
	}
}

static void test_corpus_precision_recall(void **state)
{
	(void)state;
	static struct pvt_pii_doc doc;
	struct tally t[PV_PII_TYPES] = { { 0, 0, 0, 0 } };
	size_t shown[PV_PII_TYPES] = { 0 }, lookalikes = 0;
	pvt_pii_corpus_seed(CORPUS_SEED);
	for (int i = 0; i < CORPUS_DOCS; i++) {
		pvt_pii_doc_make(&doc);
		lookalikes += doc.lookalikes;
		score_doc(&doc, t, shown);
	}
	print_message("%d documents, %zu look-alikes\n", CORPUS_DOCS, lookalikes);
	print_message("%-12s %8s %8s %9s %7s\n", "type", "labelled", "found", "precision",
		      "recall");
	int ok = 1;
	for (int k = 0; k < PV_PII_TYPES; k++) {
		double p = t[k].found ? (double)t[k].reported_hit / (double)t[k].found : 1.0;
		double r = t[k].labelled ? (double)t[k].hit / (double)t[k].labelled : 1.0;
		int soft = k == PV_PII_NAME || k == PV_PII_ADDRESS || k == PV_PII_PASSPORT;
		double want_p = soft ? 0.90 : 0.98, want_r = soft ? 0.90 : 0.99;
		print_message("%-12s %8zu %8zu %9.4f %7.4f\n", pv_pii_type_name((pv_pii_type)k),
			      t[k].labelled, t[k].found, p, r);
		assert_true(t[k].labelled >= 300);
		ok &= p >= want_p && r >= want_r;
	}
	assert_true(ok);
}

/* ---- values of an independent generator ---- */

/* pvgen (written apart from the detector) writes customers with valid resident IDs,
 * phones in several spellings, cards, USCC codes, e-mails and addresses, and with
 * --bad-every one invalid value in turn (wrong ID check character, wrong Luhn digit, a
 * 10-digit phone, a wrong USCC check character). Each valid value must be found as its
 * kind; no invalid one, and nothing in the columns that hold no personal information
 * (customer ids, contract numbers, amounts, dates, timestamps). */
#define PVGEN_N 3000

struct pvgen_column {
	const char *name;
	pv_pii_type type;
	size_t valid, found, bad, bad_found;
};

/* 1 if value holds a span of type t starting where it starts (an address may leave a
 * room number written without 室 after its last marker). */
static int found_as(const char *value, pv_pii_type t)
{
	struct found f;
	scan(value, &f);
	for (size_t i = 0; i < f.n; i++)
		if (f.span[i].type == t && f.span[i].start == 0 &&
		    (t == PV_PII_ADDRESS || f.span[i].end == strlen(value)))
			return 1;
	return 0;
}

/* 1 if pvgen's report err lists customer id's field as invalid. */
static int listed_bad(const char *err, const char *id, const char *field)
{
	char needle[96];
	snprintf(needle, sizeof needle, "(%s, line", id);
	for (const char *p = strstr(err, needle); p; p = strstr(p + 1, needle)) {
		const char *colon = strstr(p, "): ");
		if (colon && strncmp(colon + 3, field, strlen(field)) == 0 &&
		    colon[3 + strlen(field)] == ':')
			return 1;
	}
	return 0;
}

static void test_pvgen_values(void **state)
{
	(void)state;
	static struct pvgen_column cols[] = {
		{ "id_number", PV_PII_RESIDENT_ID, 0, 0, 0, 0 },
		{ "phone", PV_PII_PHONE, 0, 0, 0, 0 },
		{ "bank_card", PV_PII_BANK_CARD, 0, 0, 0, 0 },
		{ "company_uscc", PV_PII_USCC, 0, 0, 0, 0 },
		{ "email", PV_PII_EMAIL, 0, 0, 0, 0 },
		{ "address", PV_PII_ADDRESS, 0, 0, 0, 0 },
	};
	static const char *const neutral[] = { "customer_id", "contract_no", "last_order_amount",
						"last_order_date", "created_at" };
	char *tmp = pvt_tempdir(), *csv_path = pvt_path(tmp, "g.csv"),
	     *err_path = pvt_path(tmp, "g.err");
	assert_int_equal(pvt_run(NULL, "'%s' -n %d --seed 17 --bad-every 5 -v -o '%s' 2>'%s'",
				 pvt_program("pvgen"), PVGEN_N, csv_path, err_path), 0);
	char *text = pvt_read_file(csv_path, NULL), *err = pvt_read_file(err_path, NULL);
	struct pvt_csv t;
	assert_int_equal(pvt_csv_parse(text, &t), 0);
	size_t neutral_found = 0;
	for (size_t r = 1; r < t.nrows; r++) {
		const char *id = pvt_csv_get(&t, r, "customer_id");
		for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
			const char *value = pvt_csv_get(&t, r, cols[k].name);
			if (!value || !*value)
				continue;
			int bad = listed_bad(err, id, cols[k].name), hit = found_as(value, cols[k].type);
			cols[k].valid += !bad;
			cols[k].found += !bad && hit;
			cols[k].bad += bad;
			cols[k].bad_found += bad && hit;
		}
		for (size_t k = 0; k < sizeof neutral / sizeof neutral[0]; k++) {
			struct found f;
			scan(pvt_csv_get(&t, r, neutral[k]), &f);
			neutral_found += f.n;
		}
	}
	int ok = neutral_found == 0;
	for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
		double recall = (double)cols[k].found / (double)(cols[k].valid ? cols[k].valid : 1);
		print_message("pvgen %-13s valid %5zu found %5zu (%.4f); invalid %4zu found %zu\n",
			      cols[k].name, cols[k].valid, cols[k].found, recall, cols[k].bad,
			      cols[k].bad_found);
		ok &= recall >= (cols[k].type == PV_PII_ADDRESS ? 0.90 : 0.99) &&
		      cols[k].bad_found == 0;
	}
	print_message("pvgen spans in columns holding none: %zu\n", neutral_found);
	assert_true(ok);
	pvt_csv_free(&t);
	free(text);
	free(err);
	free(csv_path);
	free(err_path);
	pvt_rmtree(tmp);
	free(tmp);
}

/* ---- any input ---- */

struct order_check {
	size_t len, last_end, n;
	int bad;
};

static int check_order(void *ctx, const pv_pii_span *s)
{
	struct order_check *o = ctx;
	if (s->start < o->last_end || s->end <= s->start || s->end > o->len ||
	    s->confidence < PV_PII_MIN_CONFIDENCE || s->confidence > 100 ||
	    (unsigned)s->type >= PV_PII_TYPES)
		o->bad = 1;
	o->last_end = s->end;
	o->n++;
	return 0;
}

/* Random bytes and random pieces of the forms the detector reads (invalid UTF-8 included,
 * cut anywhere): it reads nothing outside the text (the sanitizer build checks) and its
 * spans lie inside it, in order, apart. */
static void test_any_input(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"1", "3", "8", "0", "86", "+", "＋", "(", "（", ")", "）", "-", "－", " ", "X", "x",
		"@", ".", "a", "E", "G", "9", "１", "联系人", "先生", "身份证", "地址：", "北京市",
		"区", "路", "号", "室", "张", "欧阳", "订单号", "\xff", "\xe5\xbc", "\xef\xbc",
		"\xef", "\xe4", "91350100M000100Y4", "11010519900101103", "6222", "市", "谢谢",
	};
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	char buf[512];
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = 0;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (x % 4 == 0) {
			for (n = 0; n < (x >> 8) % 200; n++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				buf[n] = (char)(x >> 24);
			}
		} else {
			for (size_t k = (x >> 8) % 40; k > 0; k--) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				const char *p = pieces[(x >> 16) % (sizeof pieces / sizeof pieces[0])];
				size_t l = strlen(p);
				if (n + l >= sizeof buf)
					break;
				memcpy(buf + n, p, l);
				n += l;
			}
		}
		char *exact = malloc(n ? n : 1); /* no terminator: reads past it are caught */
		assert_non_null(exact);
		memcpy(exact, buf, n);
		struct order_check o = { n, 0, 0, 0 };
		size_t reported = pv_pii_scan(exact, n, PV_PII_MIN_CONFIDENCE, check_order, &o);
		assert_false(o.bad);
		assert_int_equal(reported, o.n);
		free(exact);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_examples),
		cmocka_unit_test(test_phone_forms),
		cmocka_unit_test(test_ids_cards_codes),
		cmocka_unit_test(test_names_and_addresses),
		cmocka_unit_test(test_lookalikes_stay),
		cmocka_unit_test(test_negative_context),
		cmocka_unit_test(test_corpus_precision_recall),
		cmocka_unit_test(test_pvgen_values),
		cmocka_unit_test(test_any_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
