/* SPDX-License-Identifier: Apache-2.0 */
/* test_mask.c: unit tests for pv_mask_value: every masking rule with its examples, the
 * edge cases (short, empty, malformed values), PII embedded in free text, and property
 * loops that mask many random and generated strings. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "pii_corpus.h"

/* Mask the NUL-terminated in by rule and compare with want. */
#define EXPECT_MASK(rule, in, want)                                            \
	do {                                                                   \
		char *got_ = pv_mask_value((rule), (in), strlen(in));          \
		assert_non_null(got_);                                         \
		assert_string_equal(got_, (want));                             \
		free(got_);                                                    \
	} while (0)

/* The same for an input with explicit length (embedded NUL or invalid bytes). */
#define EXPECT_MASK_N(rule, in, len, want)                                     \
	do {                                                                   \
		char *got_ = pv_mask_value((rule), (in), (len));               \
		assert_non_null(got_);                                         \
		assert_string_equal(got_, (want));                             \
		free(got_);                                                    \
	} while (0)

static const enum pv_mask all_rules[] = {
	PV_MASK_NONE,   PV_MASK_NAME,    PV_MASK_PHONE,  PV_MASK_RESIDENT_ID, PV_MASK_BANK_CARD,
	PV_MASK_EMAIL,  PV_MASK_ADDRESS, PV_MASK_AMOUNT, PV_MASK_FREE_TEXT,
};
#define NRULES (sizeof all_rules / sizeof all_rules[0])

/* ---- helpers for the property checks (written independently of mask.c) ---- */

/* 1 if s[0..n) is valid UTF-8: shortest forms only, no surrogates, at most U+10FFFF. */
static int valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t need;
		unsigned long v, min;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			need = 1;
			v = c & 0x1F;
			min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			need = 2;
			v = c & 0x0F;
			min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			need = 3;
			v = c & 0x07;
			min = 0x10000;
		} else {
			return 0;
		}
		if (n - i - 1 < need)
			return 0;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			v = (v << 6) | (s[i + k] & 0x3F);
		}
		if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			return 0;
		i += need + 1;
	}
	return 1;
}

static size_t count_ascii_digits(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += (*s >= '0' && *s <= '9');
	return n;
}

/* Width of a digit (ASCII or full-width) at s, 0 if none. */
static size_t digit_width(const unsigned char *s)
{
	if (s[0] >= '0' && s[0] <= '9')
		return 1;
	if (s[0] == 0xEF && s[1] == 0xBC && s[2] >= 0x90 && s[2] <= 0x99)
		return 3;
	return 0;
}

/* 1 if the NUL-terminated s holds a maximal run of (ASCII or full-width) digits that is a
 * bank card length (12..19) or a mainland mobile (11 digits, 1[3-9]...). */
static int has_clear_number(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n = strlen(str);
	while (i < n) {
		size_t w = digit_width(s + i);
		if (!w) {
			i++;
			continue;
		}
		char first2[2] = { 0, 0 };
		size_t nd = 0;
		while (i < n && (w = digit_width(s + i)) != 0) {
			if (nd < 2)
				first2[nd] = (char)(w == 1 ? s[i] : '0' + (s[i + 2] - 0x90));
			nd++;
			i += w;
		}
		if (nd >= 12 && nd <= 19)
			return 1;
		if (nd == 11 && first2[0] == '1' && first2[1] >= '3' && first2[1] <= '9')
			return 1;
	}
	return 0;
}

/* Fail if any 6 consecutive digits of the number clear (separators ignored) can be read in
 * got, once spaces and hyphens are dropped from it. The 6 digits a masked resident ID keeps
 * (the area code before "********") are blanked first, as they are shown by design. The
 * caller makes sure that no two numbers were written a bare space or hyphen apart. */
static void assert_no_digit_window(const char *got, const char *clear, const char *text)
{
	char digits[64], compact[4096];
	size_t nd = 0, cn = 0;
	for (const char *c = clear; *c && nd + 1 < sizeof digits; c++)
		if (*c >= '0' && *c <= '9')
			digits[nd++] = *c;
	digits[nd] = '\0';
	for (const char *c = got; *c; c++) {
		assert_true(cn + 1 < sizeof compact);
		if (*c != ' ' && *c != '-')
			compact[cn++] = *c;
	}
	compact[cn] = '\0';
	for (char *q = compact; (q = strstr(q, "********")) != NULL; q += 8)
		if (q - compact >= 6 && strspn(q - 6, "0123456789") >= 6)
			memset(q - 6, '#', 6);
	for (size_t k = 0; k + 6 <= nd; k++) {
		char win[7];
		memcpy(win, digits + k, 6);
		win[6] = '\0';
		if (strstr(compact, win))
			fail_msg("digits %s of %s readable in \"%s\" -> \"%s\"", win, clear, text,
				 got);
	}
}

/* A small deterministic PRNG (xorshift64*), so failures reproduce. */
static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;

static unsigned rnd(unsigned bound)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 0x2545F4914F6CDD1DULL) >> 33) % bound;
}

/* Append text to buf (capacity cap, NUL-terminated), failing the test if it overflows. */
static void append(char *buf, size_t cap, const char *text)
{
	size_t l = strlen(buf), t = strlen(text);
	assert_true(l + t < cap);
	memcpy(buf + l, text, t + 1);
}

/* n random decimal digits into out (NUL-terminated). */
static void random_digits(char *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (char)('0' + rnd(10));
	out[n] = '\0';
}

/* ---- every rule: empty values, NULL, unknown rule ---- */

static void test_empty_values(void **state)
{
	(void)state;
	for (size_t r = 0; r < NRULES; r++) {
		char *got = pv_mask_value(all_rules[r], "", 0);
		assert_non_null(got);
		assert_string_equal(got, "");
		free(got);
		got = pv_mask_value(all_rules[r], NULL, 0);
		assert_non_null(got);
		assert_string_equal(got, "");
		free(got);
		/* len 0 with a non-empty buffer is still the empty value */
		got = pv_mask_value(all_rules[r], "13812345678", 0);
		assert_non_null(got);
		assert_string_equal(got, "");
		free(got);
	}
}

static void test_unknown_rule_fails_closed(void **state)
{
	(void)state;
	EXPECT_MASK((enum pv_mask)99, "张三 13812345678", "**************");
}

/* ---- none ---- */

static void test_none(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_NONE, "91350100M000100Y43", "91350100M000100Y43");
	EXPECT_MASK(PV_MASK_NONE, "张三 13812345678", "张三 13812345678");
	/* only len bytes are read */
	EXPECT_MASK_N(PV_MASK_NONE, "abcdef", 3, "abc");
	/* bytes pass through unchanged, invalid UTF-8 included */
	const char raw[] = { 'a', (char)0xFF, 'b', '\0', 'c' };
	char *got = pv_mask_value(PV_MASK_NONE, raw, sizeof raw);
	assert_non_null(got);
	assert_memory_equal(got, raw, sizeof raw);
	assert_int_equal(got[sizeof raw], '\0');
	free(got);
}

/* ---- name ---- */

static void test_name_chinese(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_NAME, "张三", "张*");
	EXPECT_MASK(PV_MASK_NAME, "张三丰", "张**");
	EXPECT_MASK(PV_MASK_NAME, "王小明", "王**");
	EXPECT_MASK(PV_MASK_NAME, "李", "*"); /* nothing would be hidden: hide everything */
	EXPECT_MASK(PV_MASK_NAME, "张 三", "张**");
	EXPECT_MASK(PV_MASK_NAME, "阿依古丽·买买提", "阿*******");
	EXPECT_MASK(PV_MASK_NAME, "𠀀二", "𠀀*"); /* ideograph outside the BMP */
}

static void test_name_compound_surnames(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_NAME, "欧阳娜娜", "欧阳**");
	EXPECT_MASK(PV_MASK_NAME, "欧阳修", "欧阳*");
	EXPECT_MASK(PV_MASK_NAME, "司马相如", "司马**");
	EXPECT_MASK(PV_MASK_NAME, "诸葛亮", "诸葛*");
	EXPECT_MASK(PV_MASK_NAME, "上官婉儿", "上官**");
	EXPECT_MASK(PV_MASK_NAME, "端木蓉", "端木*");
	EXPECT_MASK(PV_MASK_NAME, "慕容复", "慕容*");
	EXPECT_MASK(PV_MASK_NAME, "令狐冲", "令狐*");
	EXPECT_MASK(PV_MASK_NAME, "东方不败", "东方**");
	EXPECT_MASK(PV_MASK_NAME, "皇甫嵩", "皇甫*");
	EXPECT_MASK(PV_MASK_NAME, "尉迟恭", "尉迟*");
	EXPECT_MASK(PV_MASK_NAME, "歐陽修", "歐陽*"); /* traditional form */
	EXPECT_MASK(PV_MASK_NAME, "諸葛亮", "諸葛*");
	/* a compound surname alone: two characters, the second hidden */
	EXPECT_MASK(PV_MASK_NAME, "欧阳", "欧*");
	/* a single-character surname that starts like nothing compound */
	EXPECT_MASK(PV_MASK_NAME, "欧娜娜", "欧**");
	EXPECT_MASK(PV_MASK_NAME, "司小马", "司**");
}

static void test_name_latin(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_NAME, "Zhao Wei", "Z*** W**");
	EXPECT_MASK(PV_MASK_NAME, "Mary Jane Watson", "M*** J*** W*****");
	EXPECT_MASK(PV_MASK_NAME, "Li", "L*");
	EXPECT_MASK(PV_MASK_NAME, "O'Brien", "O******");
	EXPECT_MASK(PV_MASK_NAME, "Anna  Lee", "A***  L**");
	EXPECT_MASK(PV_MASK_NAME, "José Álvarez", "J*** Á******");
	EXPECT_MASK(PV_MASK_NAME, "Иван Петров", "И*** П*****");
	EXPECT_MASK(PV_MASK_NAME, "John F Kennedy", "J*** F K******");
	/* only initials: nothing would be hidden, so everything is */
	EXPECT_MASK(PV_MASK_NAME, "A", "*");
	EXPECT_MASK(PV_MASK_NAME, "J R", "* *");
}

static void test_name_malformed(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_NAME, "\xff\xfe", "**");
	EXPECT_MASK(PV_MASK_NAME, "\xe5\xbc", "**");          /* truncated 张 */
	EXPECT_MASK(PV_MASK_NAME, "张\xe4\xb8", "***");       /* 张 + truncated 三 */
	EXPECT_MASK(PV_MASK_NAME, "\xc0\xaf", "**");          /* overlong '/' */
	EXPECT_MASK(PV_MASK_NAME, "\xed\xa0\x80", "***");     /* surrogate */
	EXPECT_MASK(PV_MASK_NAME, "\xf4\x90\x80\x80", "****"); /* above U+10FFFF */
	EXPECT_MASK(PV_MASK_NAME, "Zhao\x80", "*****");
	EXPECT_MASK(PV_MASK_NAME, "欧阳\xff娜", "****");
}

/* ---- phone ---- */

static void test_phone(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_PHONE, "+8613812345678", "138****5678");
	EXPECT_MASK(PV_MASK_PHONE, "+8619900001111", "199****1111");
	EXPECT_MASK(PV_MASK_PHONE, "13812345678", "138****5678");
	EXPECT_MASK(PV_MASK_PHONE, "008615012345678", "150****5678");
	EXPECT_MASK(PV_MASK_PHONE, "8615012345678", "150****5678");
	/* other numbers: all but the last four digits hidden */
	EXPECT_MASK(PV_MASK_PHONE, "+85291234567", "+*******4567");
	EXPECT_MASK(PV_MASK_PHONE, "+14155552671", "+*******2671");
	EXPECT_MASK(PV_MASK_PHONE, "+8612345678901", "+*********8901"); /* +86, not a mobile */
	EXPECT_MASK(PV_MASK_PHONE, "+86 138-1234-5678", "+** ***-****-5678");
	EXPECT_MASK(PV_MASK_PHONE, "电话13812345678", "*********5678");
	EXPECT_MASK(PV_MASK_PHONE, "1234567", "***4567");
	/* too few digits to show four */
	EXPECT_MASK(PV_MASK_PHONE, "123456", "******");
	EXPECT_MASK(PV_MASK_PHONE, "110", "***");
	EXPECT_MASK(PV_MASK_PHONE, "+", "*");
	EXPECT_MASK(PV_MASK_PHONE, "abc", "***");
	/* malformed */
	EXPECT_MASK(PV_MASK_PHONE, "138\xff" "12345678", "************");
	EXPECT_MASK(PV_MASK_PHONE, "+86138123456\xe5\xbc", "**************");
}

/* ---- resident_id ---- */

static void test_resident_id(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_RESIDENT_ID, "110105199001011234", "110105********1234");
	EXPECT_MASK(PV_MASK_RESIDENT_ID, "11010519900101123X", "110105********123X");
	EXPECT_MASK(PV_MASK_RESIDENT_ID, "11010519900101123x", "110105********123x");
	EXPECT_MASK(PV_MASK_RESIDENT_ID, "440305200012319876", "440305********9876");
	/* not the normal form: hidden entirely */
	EXPECT_MASK(PV_MASK_RESIDENT_ID, "110105900101123", "***************");
	EXPECT_MASK(PV_MASK_RESIDENT_ID, "1101051990010112345", "*******************");
	EXPECT_MASK(PV_MASK_RESIDENT_ID, "11010519900101123Y", "******************");
	EXPECT_MASK(PV_MASK_RESIDENT_ID, "1101051990X101123X", "******************");
	EXPECT_MASK(PV_MASK_RESIDENT_ID, "1", "*");
	EXPECT_MASK(PV_MASK_RESIDENT_ID, "11010519900101\xff\xff\xff\xff", "******************");
	EXPECT_MASK(PV_MASK_RESIDENT_ID, "１１０１０５", "******");
}

/* ---- bank_card ---- */

static void test_bank_card(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_BANK_CARD, "6222021234567890123", "6222***********0123");
	EXPECT_MASK(PV_MASK_BANK_CARD, "4111111111111111", "4111********1111");
	EXPECT_MASK(PV_MASK_BANK_CARD, "622202123456", "6222****3456");
	EXPECT_MASK(PV_MASK_BANK_CARD, "6222 0212 3456 7890", "6222********7890");
	EXPECT_MASK(PV_MASK_BANK_CARD, "6222-0212-3456-7890-123", "6222***********0123");
	/* too short, or not a card: hidden entirely */
	EXPECT_MASK(PV_MASK_BANK_CARD, "12345678901", "***********");
	EXPECT_MASK(PV_MASK_BANK_CARD, "1234", "****");
	EXPECT_MASK(PV_MASK_BANK_CARD, "6222abcd12345678", "****************");
	EXPECT_MASK(PV_MASK_BANK_CARD, "6222  0212 3456 7890", "********************");
	EXPECT_MASK(PV_MASK_BANK_CARD, "-622202123456", "*************");
	EXPECT_MASK(PV_MASK_BANK_CARD, "622202123456 ", "*************");
	EXPECT_MASK(PV_MASK_BANK_CARD, "62220212\xff" "3456789", "****************");
}

/* ---- email ---- */

static void test_email(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_EMAIL, "zhangsan@example.com", "z***@example.com");
	EXPECT_MASK(PV_MASK_EMAIL, "a@b.cn", "a***@b.cn");
	EXPECT_MASK(PV_MASK_EMAIL, "li.si+news@mail.corp.cn", "l***@mail.corp.cn");
	EXPECT_MASK(PV_MASK_EMAIL, "张三@例子.中国", "张***@例子.中国");
	EXPECT_MASK(PV_MASK_EMAIL, "\"a@b\"@example.com", "\"***@example.com");
	EXPECT_MASK(PV_MASK_EMAIL, "a@b@c.com", "a***@c.com");
	/* no local part or domain: hidden entirely */
	EXPECT_MASK(PV_MASK_EMAIL, "no-at-sign", "**********");
	EXPECT_MASK(PV_MASK_EMAIL, "@example.com", "************");
	EXPECT_MASK(PV_MASK_EMAIL, "user@", "*****");
	EXPECT_MASK(PV_MASK_EMAIL, "@", "*");
	/* malformed */
	EXPECT_MASK(PV_MASK_EMAIL, "\xff" "a@b.com", "********");
	EXPECT_MASK(PV_MASK_EMAIL, "a@b.com\xe5", "********");
}

/* ---- address ---- */

static void test_address_districts(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_ADDRESS, "广东省深圳市南山区科技园路1号", "广东省深圳市南山区****");
	EXPECT_MASK(PV_MASK_ADDRESS, "北京市朝阳区建国路88号", "北京市朝阳区****");
	EXPECT_MASK(PV_MASK_ADDRESS, "上海市浦东新区张江路100号", "上海市浦东新区****");
	EXPECT_MASK(PV_MASK_ADDRESS, "浙江省杭州市余杭区良渚街道玉鸟路", "浙江省杭州市余杭区****");
	EXPECT_MASK(PV_MASK_ADDRESS, "河北省保定市涞源县城关镇", "河北省保定市涞源县****");
	EXPECT_MASK(PV_MASK_ADDRESS, "北京市朝阳区", "北京市朝阳区****");
	/* banners, autonomous regions and the Hong Kong SAR are not districts */
	EXPECT_MASK(PV_MASK_ADDRESS, "内蒙古自治区锡林郭勒盟正蓝旗上都镇",
		    "内蒙古自治区锡林郭勒盟正蓝旗****");
	EXPECT_MASK(PV_MASK_ADDRESS, "广西壮族自治区南宁市青秀区民族大道",
		    "广西壮族自治区南宁市青秀区****");
	EXPECT_MASK(PV_MASK_ADDRESS, "香港特别行政区油尖旺区弥敦道", "香港特别行政区油尖旺区****");
	EXPECT_MASK(PV_MASK_ADDRESS, "新疆阿克苏地区库车县人民路", "新疆阿克苏地区库车县****");
}

static void test_address_fallbacks(void **state)
{
	(void)state;
	/* no district: up to the last 市 in the first 12 characters */
	EXPECT_MASK(PV_MASK_ADDRESS, "江苏省昆山市玉山镇同丰路", "江苏省昆山市****");
	EXPECT_MASK(PV_MASK_ADDRESS, "江苏省苏州市昆山市玉山镇", "江苏省苏州市昆山市****");
	/* words that contain a marker do not count: 小区, 超市, 市场, 旗舰 */
	EXPECT_MASK(PV_MASK_ADDRESS, "江苏省苏州市阳光小区5栋", "江苏省苏州市****");
	EXPECT_MASK(PV_MASK_ADDRESS, "浙江省义乌市华联超市旁", "浙江省义乌市****");
	EXPECT_MASK(PV_MASK_ADDRESS, "湖北省武汉市汉正街市场", "湖北省武汉市****");
	EXPECT_MASK(PV_MASK_ADDRESS, "四川省成都市春熙路旗舰店", "四川省成都市****");
	/* a marker beyond the first 20 characters is a street-level name */
	EXPECT_MASK(PV_MASK_ADDRESS, "建国路八十八号华贸中心写字楼三座二十层东区",
		    "建国路八十八****");
	/* no marker: at most 6 characters, at most half, nothing from the first digit on */
	EXPECT_MASK(PV_MASK_ADDRESS, "科技园路1号", "科技园****");
	EXPECT_MASK(PV_MASK_ADDRESS, "12 Main Street, Springfield", "****");
	EXPECT_MASK(PV_MASK_ADDRESS, "Flat 5, 10 Downing Street", "Flat ****");
	EXPECT_MASK(PV_MASK_ADDRESS, "Unter den Linden", "Unter ****");
	EXPECT_MASK(PV_MASK_ADDRESS, "路", "****");
	EXPECT_MASK(PV_MASK_ADDRESS, "区", "区****");
	/* malformed */
	EXPECT_MASK(PV_MASK_ADDRESS, "北京市\xff朝阳区", "*******");
	EXPECT_MASK(PV_MASK_ADDRESS, "北京市朝阳\xe5\x8c", "*******");
}

/* ---- amount ---- */

static void test_amount_buckets(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "0", "0-100" },
		{ "0.00", "0-100" },
		{ "0.01", "0-100" },
		{ "12.5", "0-100" },
		{ "99.99", "0-100" },
		{ "100", "100-1000" },
		{ "100.00", "100-1000" },
		{ "999.99", "100-1000" },
		{ "1000", "1000-10000" },
		{ "1234.50", "1000-10000" },
		{ "9999.99", "1000-10000" },
		{ "10000", "10000-100000" },
		{ "99999.99", "10000-100000" },
		{ "100000", "100000-1000000" },
		{ "999999.99", "100000-1000000" },
		{ "1000000", ">=1000000" },
		{ "1000000.00", ">=1000000" },
		{ "123456789012345", ">=1000000" },
		{ "999999999999999.99", ">=1000000" },
		/* tolerated forms */
		{ "0007", "0-100" },
		{ "00100", "100-1000" },
		{ "1,234.50", "1000-10000" },
		{ "1,000,000", ">=1000000" },
		{ "+250", "100-1000" },
		{ ".5", "0-100" },
		{ "12.", "0-100" },
		{ "12.345", "0-100" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		EXPECT_MASK(PV_MASK_AMOUNT, cases[i].in, cases[i].want);
}

static void test_amount_negative_and_malformed(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_AMOUNT, "-12.5", "<0");
	EXPECT_MASK(PV_MASK_AMOUNT, "-0.01", "<0");
	EXPECT_MASK(PV_MASK_AMOUNT, "-1000000", "<0");
	EXPECT_MASK(PV_MASK_AMOUNT, "-0", "0-100"); /* zero is not negative */
	EXPECT_MASK(PV_MASK_AMOUNT, "-0.00", "0-100");
	/* not an amount: hidden entirely */
	EXPECT_MASK(PV_MASK_AMOUNT, "abc", "***");
	EXPECT_MASK(PV_MASK_AMOUNT, "1.2.3", "*****");
	EXPECT_MASK(PV_MASK_AMOUNT, "-", "*");
	EXPECT_MASK(PV_MASK_AMOUNT, ".", "*");
	EXPECT_MASK(PV_MASK_AMOUNT, "--5", "***");
	EXPECT_MASK(PV_MASK_AMOUNT, "1e6", "***");
	EXPECT_MASK(PV_MASK_AMOUNT, "12 34", "*****");
	EXPECT_MASK(PV_MASK_AMOUNT, ",100", "****");
	EXPECT_MASK(PV_MASK_AMOUNT, "100,", "****");
	EXPECT_MASK(PV_MASK_AMOUNT, "１００", "***");
	EXPECT_MASK(PV_MASK_AMOUNT, "12\xff", "***");
	EXPECT_MASK_N(PV_MASK_AMOUNT, "12\0" "34", 5, "*****");
}

/* ---- free_text ---- */

static void test_free_text_phones(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_FREE_TEXT,
		    "请联系13812345678或+86 139-8765-4321，备用 +8615012345678、0086 186 0000 1111。",
		    "请联系138****5678或139****4321，备用 150****5678、186****1111。");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "call 138 1234 5678 or 138-1234-5678.",
		    "call 138****5678 or 138****5678.");
	/* two numbers one space apart stay two numbers */
	EXPECT_MASK(PV_MASK_FREE_TEXT, "13812345678 13987654321", "138****5678 139****4321");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "138 1234 5678 139 8765 4321", "138****5678 139****4321");
	/* neighbouring numbers are not swallowed */
	EXPECT_MASK(PV_MASK_FREE_TEXT, "room 305 13812345678", "room 305 138****5678");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "2024-01-15 13812345678", "2024-01-15 138****5678");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "(+86)13812345678", "(+86)138****5678");
	/* full-width digits (bonus) */
	EXPECT_MASK(PV_MASK_FREE_TEXT, "电话１３８１２３４５６７８", "电话138****5678");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "电话１３８-1234-5678", "电话138****5678");
}

static void test_free_text_ids_and_cards(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_FREE_TEXT, "身份证110105199001011232，另一个：11010519900101103X。",
		    "身份证110105********1232，另一个：110105********103X。");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "ID 110105 19900101 1232 ok", "ID 110105********1232 ok");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "id:11010519900101103x", "id:110105********103X");
	EXPECT_MASK(PV_MASK_FREE_TEXT,
		    "卡号6222021234567890128，旧卡 6222-0212-3456-7894 与 4111 1111 1111 1111。",
		    "卡号6222***********0128，旧卡 6222********7894 与 4111********1111。");
	/* a card followed by a phone: each masked as itself */
	EXPECT_MASK(PV_MASK_FREE_TEXT, "6222 0212 3456 7894 138 1234 5678",
		    "6222********7894 138****5678");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "6222021234567894 13812345678",
		    "6222********7894 138****5678");
	/* ambiguous runs: the reading that leaves the fewest digits unread */
	EXPECT_MASK(PV_MASK_FREE_TEXT, "4534 4369 2249 7366 131 6205 3553 1238 9446",
		    "4534***********6131 6205********9446");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "4534 4369 2249 7366 131 6205-3553-1238-9446",
		    "4534***********6131 6205********9446");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "179-2439-4194 5159 4727 1408 0516 838",
		    "179****4194 5159***********6838");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "158-4791-8508 187-2118-6405 86174-6572-9923",
		    "158****8508 187****6405 174****9923");
	/* a mobile-looking stretch inside a card's own groups does not split the card */
	EXPECT_MASK(PV_MASK_FREE_TEXT, "6222 0212 1381 2345 674", "6222***********5674");
	/* issue 14: numbers that are no ID or card stay as written, so that service staff keep
	 * the order numbers they need: 12 digits (no card is that short), 18 digits failing the
	 * ID check and Luhn, 17 digits followed by letters, cards failing Luhn */
	EXPECT_MASK(PV_MASK_FREE_TEXT, "card 622202123456 end", "card 622202123456 end");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "no 123456789012345670", "no 123456789012345670");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "11010519900101123XYZ", "11010519900101123XYZ");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "身份证110105199001011234", "身份证110105199001011234");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "卡号6222021234567890123", "卡号6222021234567890123");
}

static void test_free_text_emails(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_FREE_TEXT,
		    "发给zhangsan@example.com或li.si+tag@mail.corp.cn，谢谢. Also: Bob.Smith@Example.COM.",
		    "发给z***@example.com或l***@mail.corp.cn，谢谢. Also: B***@Example.COM.");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "13812345678@qq.com", "1***@qq.com");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "a@mail.163.com", "a***@mail.163.com");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "mail a@b.com13812345678", "mail a***@b.com138****5678");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "<x_y@z-corp.com.cn>", "<x***@z-corp.com.cn>");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "a@13812345678.cn", "a***@138****5678.cn");
	/* not addresses */
	EXPECT_MASK(PV_MASK_FREE_TEXT, "a@b, @home, x@y.z, me@localhost",
		    "a@b, @home, x@y.z, me@localhost");
}

static void test_free_text_other_numbers_stay(void **state)
{
	(void)state;
	const char *text = "订单2024-01-15共3件，金额1234.50元，房间305，座机010-12345678，"
			   "01012345678，12345678901，编号12345678901234567890123，版本1.2.3。";
	EXPECT_MASK(PV_MASK_FREE_TEXT, text, text);
	EXPECT_MASK(PV_MASK_FREE_TEXT, "no numbers here, 没有号码。", "no numbers here, 没有号码。");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "+", "+");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "+8", "+8");
}

static void test_free_text_mixed(void **state)
{
	(void)state;
	const char *text = "客户张三，手机13812345678，+86 139 8765 4321；身份证110105199001011232；"
			   "银行卡6222021234567890128和4111-1111-1111-1111；邮箱zhangsan@example.com，"
			   "备用li@corp.cn。订单号A1001。";
	const char *clear[] = {
		"13812345678", "8765", "110105199001011232", "19900101",
		"6222021234567890128", "4111-1111-1111-1111", "zhangsan@", "li@corp", "张三",
	};
	const char *masked[] = {
		"138****5678", "139****4321", "110105********1232", "6222***********0128",
		"4111********1111", "z***@example.com", "l***@corp.cn", "订单号A1001。",
		"客户张*，",
	};
	char *got = pv_mask_value(PV_MASK_FREE_TEXT, text, strlen(text));
	assert_non_null(got);
	for (size_t i = 0; i < sizeof clear / sizeof clear[0]; i++) {
		if (strstr(got, clear[i]))
			fail_msg("clear value %s still in: %s", clear[i], got);
	}
	for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) {
		if (!strstr(got, masked[i]))
			fail_msg("masked form %s missing in: %s", masked[i], got);
	}
	free(got);
}

static void test_free_text_malformed(void **state)
{
	(void)state;
	EXPECT_MASK(PV_MASK_FREE_TEXT, "13812345678\xff", "************");
	EXPECT_MASK(PV_MASK_FREE_TEXT, "电话\xe5\xbc", "****");
	/* a NUL byte (refused by every validator) hides the value too */
	EXPECT_MASK_N(PV_MASK_FREE_TEXT, "a\0b", 3, "***");
}

/* A NUL byte would cut a kept part (and the rest of the masked form) short, so every rule
 * but none treats it as unreadable. */
static void test_nul_bytes(void **state)
{
	(void)state;
	EXPECT_MASK_N(PV_MASK_NAME, "Li\0Wei", 6, "******");
	EXPECT_MASK_N(PV_MASK_NAME, "\0张三", 7, "***");
	EXPECT_MASK_N(PV_MASK_ADDRESS, "\0北京市朝阳区", 19, "*******");
	EXPECT_MASK_N(PV_MASK_EMAIL, "a\0b@c.com", 9, "*********");
	EXPECT_MASK_N(PV_MASK_PHONE, "+86138\0" "12345678", 15, "***************");
	EXPECT_MASK_N(PV_MASK_RESIDENT_ID, "110105\0" "99001011234", 18, "******************");
	EXPECT_MASK_N(PV_MASK_BANK_CARD, "6222\0" "021234567890", 17, "*****************");
}

/* ---- properties ---- */

/* Pieces the random strings are built from: digits, separators, markers, fragments of
 * characters and invalid bytes. */
static const char *const pieces[] = {
	"0", "1", "3", "8", "9", "86", "+", "-", " ", " ", ".", ",", "@", "X", "x", "a", "Z",
	"区", "市", "县", "旗", "小", "欧阳", "张", "·", "８", "１", "\xff", "\xe5\xbc", "\xc0",
	"\x80", "\xed\xa0\x80", "\xf0\x9f\x98", "\t", "\"", "*", "com", "138", "1234",
};

/* Fill buf with a random string: raw bytes or a sequence of pieces. Returns its length. */
static size_t random_string(char *buf, size_t cap)
{
	size_t n = 0;
	if (rnd(3) == 0) {
		size_t len = rnd(48);
		for (; n < len && n + 1 < cap; n++) {
			buf[n] = (char)rnd(256);
		}
		return n;
	}
	size_t count = rnd(30);
	for (size_t i = 0; i < count; i++) {
		const char *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];
		size_t l = strlen(p);
		if (n + l >= cap)
			break;
		memcpy(buf + n, p, l);
		n += l;
	}
	return n;
}

/* The checks that hold for any input: a result, of bounded length, the same every time;
 * none returns the value; every other rule returns valid UTF-8, and the number rules
 * show no more digits than they keep. */
static void check_any_input(enum pv_mask rule, const char *in, size_t len)
{
	char *got = pv_mask_value(rule, in, len);
	assert_non_null(got);
	size_t glen = strlen(got);
	char *again = pv_mask_value(rule, in, len);
	assert_non_null(again);
	assert_string_equal(got, again);
	free(again);
	if (rule == PV_MASK_NONE) {
		assert_memory_equal(got, in, len);
		free(got);
		return;
	}
	assert_true(glen <= 2 * len + 20);
	assert_true(valid_utf8((const unsigned char *)got, glen));
	int valid_in = valid_utf8((const unsigned char *)in, len) && !memchr(in, '\0', len);
	if (!valid_in) {
		/* malformed input or a NUL: the fallback, at most one '*' per byte */
		assert_int_equal(strspn(got, "*"), glen);
		assert_true(glen <= len);
	}
	switch (rule) {
	case PV_MASK_PHONE:
		assert_true(count_ascii_digits(got) <= 7);
		break;
	case PV_MASK_RESIDENT_ID:
		assert_true(count_ascii_digits(got) <= 10);
		break;
	case PV_MASK_BANK_CARD:
		assert_true(count_ascii_digits(got) <= 8);
		break;
	case PV_MASK_AMOUNT: {
		static const char *const buckets[] = {
			"0-100", "100-1000", "1000-10000", "10000-100000", "100000-1000000",
			">=1000000", "<0",
		};
		int ok = strspn(got, "*") == glen;
		for (size_t i = 0; i < sizeof buckets / sizeof buckets[0]; i++)
			ok |= strcmp(got, buckets[i]) == 0;
		assert_true(ok);
		break;
	}
	case PV_MASK_ADDRESS:
		if (valid_in && len > 0)
			assert_true(glen >= 4 && strcmp(got + glen - 4, "****") == 0);
		break;
	case PV_MASK_FREE_TEXT:
		assert_false(has_clear_number(got));
		break;
	case PV_MASK_NONE:
	case PV_MASK_NAME:
	case PV_MASK_EMAIL:
		break;
	}
	free(got);
}

static void test_property_random_strings(void **state)
{
	(void)state;
	char buf[256];
	rng_state = 0x243F6A8885A308D3ULL;
	for (int iter = 0; iter < 5000; iter++) {
		size_t len = random_string(buf, sizeof buf);
		buf[len] = '\0';
		for (size_t r = 0; r < NRULES; r++)
			check_any_input(all_rules[r], buf, len);
	}
}

/* A random mainland mobile number: its clear digits in digits (12 bytes), and its text in
 * one of the ways people write it into text. */
static void random_mobile(char *digits, char *text, size_t cap)
{
	digits[0] = '1';
	digits[1] = (char)('3' + rnd(7));
	random_digits(digits + 2, 9);
	static const char *const prefixes[] = { "", "", "+86", "+86 ", "+86-", "0086 ", "86" };
	const char *prefix = prefixes[rnd(sizeof prefixes / sizeof prefixes[0])];
	switch (rnd(3)) {
	case 0:
		snprintf(text, cap, "%s%s", prefix, digits);
		break;
	default: {
		char sep = rnd(2) ? ' ' : '-';
		snprintf(text, cap, "%s%.3s%c%.4s%c%.4s", prefix, digits, sep, digits + 3, sep,
			 digits + 7);
		break;
	}
	}
}

/* A random resident ID number (a province code, a plausible birth date, its check
 * character: a digit or X). */
static void random_resident_id(char *id, char *text, size_t cap)
{
	static const char *const regions[] = { "11", "31", "44", "51", "65", "23" };
	snprintf(id, 3, "%s", regions[rnd(6)]);
	random_digits(id + 2, 4);
	snprintf(id + 6, 9, "%s%02u%02u%02u", rnd(2) ? "19" : "20", rnd(25), 1 + rnd(12),
		 1 + rnd(28));
	random_digits(id + 14, 3);
	id[17] = pvt_resident_id_check(id);
	id[18] = '\0';
	if (rnd(4) == 0)
		snprintf(text, cap, "%.6s %.8s %.4s", id, id + 6, id + 14);
	else
		snprintf(text, cap, "%s", id);
}

/* A random card number of 16 or 19 digits (17 and 18 are read as cards only after a word
 * such as 卡号) starting 62, 4 or 53, Luhn digit last; written plain, or in groups of four. */
static void random_card(char *digits, char *text, size_t cap)
{
	static const char *const starts[] = { "62", "4", "53" };
	size_t nd = rnd(2) ? 16 : 19;
	const char *start = starts[rnd(3)];
	size_t sl = strlen(start);
	memcpy(digits, start, sl);
	random_digits(digits + sl, nd - 1 - sl);
	digits[nd - 1] = pvt_luhn_digit(digits, nd - 1);
	digits[nd] = '\0';
	if ((nd == 16 || nd == 19) && rnd(2)) {
		char sep = rnd(2) ? ' ' : '-';
		size_t t = 0;
		for (size_t i = 0; i < nd && t + 2 < cap; i++) {
			if (i > 0 && i % 4 == 0)
				text[t++] = sep;
			text[t++] = digits[i];
		}
		text[t] = '\0';
	} else {
		snprintf(text, cap, "%s", digits);
	}
}

/* A random e-mail address; local holds its local part. */
static void random_email(char *local, char *text, size_t cap)
{
	static const char *const domains[] = { "example.com", "qq.com", "mail.corp.cn",
					       "163.com", "b.io" };
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789._";
	size_t l = 3 + rnd(10);
	local[0] = (char)('a' + rnd(26));
	for (size_t i = 1; i < l; i++)
		local[i] = alphabet[rnd(sizeof alphabet - 1)];
	if (local[l - 1] == '.')
		local[l - 1] = 'z';
	local[l] = '\0';
	snprintf(text, cap, "%s@%s", local, domains[rnd(sizeof domains / sizeof domains[0])]);
}

static void test_property_embedded_pii(void **state)
{
	(void)state;
	static const char *const fillers[] = {
		"，", "。", "电话", "邮箱：", " ", "和", "；", "备注 ", "(", ")", "订单日期，",
		"共3件", "\n", " / ",
	};
	rng_state = 0x13198A2E03707344ULL;
	for (int iter = 0; iter < 4000; iter++) {
		char text[2048] = "";
		char clear[8][40];
		size_t nclear = 0;
		size_t items = 1 + rnd(6);
		int bare_space = 0; /* two numbers only a space apart: windows may span both */
		for (size_t i = 0; i < items; i++) {
			char item[64];
			const char *filler = fillers[rnd(sizeof fillers / sizeof fillers[0])];
			bare_space |= strcmp(filler, " ") == 0;
			append(text, sizeof text, filler);
			switch (rnd(4)) {
			case 0:
				random_mobile(clear[nclear], item, sizeof item);
				break;
			case 1:
				random_resident_id(clear[nclear], item, sizeof item);
				break;
			case 2:
				random_card(clear[nclear], item, sizeof item);
				break;
			default:
				random_email(clear[nclear], item, sizeof item);
				strcat(clear[nclear], "@");
				break;
			}
			nclear++;
			append(text, sizeof text, item);
		}
		append(text, sizeof text, fillers[rnd(sizeof fillers / sizeof fillers[0])]);
		char *got = pv_mask_value(PV_MASK_FREE_TEXT, text, strlen(text));
		assert_non_null(got);
		for (size_t i = 0; i < nclear; i++) {
			if (strstr(got, clear[i]))
				fail_msg("clear %s survived in \"%s\" -> \"%s\"", clear[i], text, got);
			if (!bare_space && !strchr(clear[i], '@'))
				assert_no_digit_window(got, clear[i], text);
		}
		assert_false(has_clear_number(got));
		assert_true(valid_utf8((const unsigned char *)got, strlen(got)));
		free(got);
	}
}

/* Values in the normal form of their type mask to a shape that never shows the value. */
static void test_property_normal_forms(void **state)
{
	(void)state;
	rng_state = 0xA4093822299F31D0ULL;
	for (int iter = 0; iter < 2000; iter++) {
		char digits[40], text[64], want[80], e164[48];
		char *got;

		random_mobile(digits, text, sizeof text);
		snprintf(e164, sizeof e164, "+86%s", digits);
		snprintf(want, sizeof want, "%.3s****%.4s", digits, digits + 7);
		EXPECT_MASK(PV_MASK_PHONE, e164, want);

		random_resident_id(digits, text, sizeof text);
		snprintf(want, sizeof want, "%.6s********%.4s", digits, digits + 14);
		EXPECT_MASK(PV_MASK_RESIDENT_ID, digits, want);

		random_card(digits, text, sizeof text);
		size_t nd = strlen(digits);
		got = pv_mask_value(PV_MASK_BANK_CARD, digits, nd);
		assert_non_null(got);
		assert_int_equal(strlen(got), nd);
		assert_memory_equal(got, digits, 4);
		assert_memory_equal(got + nd - 4, digits + nd - 4, 4);
		assert_int_equal(strspn(got + 4, "*"), nd - 8);
		free(got);

		random_email(digits, text, sizeof text);
		got = pv_mask_value(PV_MASK_EMAIL, text, strlen(text));
		assert_non_null(got);
		assert_int_equal(got[0], digits[0]);
		assert_memory_equal(got + 1, "***@", 4);
		assert_string_equal(got + 5, strchr(text, '@') + 1);
		free(got);

		/* an amount: integer part of random width, bucket from that width */
		static const char *const by_width[] = {
			"0-100", "0-100", "0-100", "100-1000", "1000-10000", "10000-100000",
			"100000-1000000", ">=1000000",
		};
		size_t w = 1 + rnd(15);
		digits[0] = (char)('1' + rnd(9));
		random_digits(digits + 1, w - 1);
		snprintf(text, sizeof text, "%s.%02u", digits, rnd(100));
		EXPECT_MASK(PV_MASK_AMOUNT, text, by_width[w > 7 ? 7 : w]);
		snprintf(want, sizeof want, "-%s", text);
		EXPECT_MASK(PV_MASK_AMOUNT, want, "<0");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_unknown_rule_fails_closed),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_name_chinese),
		cmocka_unit_test(test_name_compound_surnames),
		cmocka_unit_test(test_name_latin),
		cmocka_unit_test(test_name_malformed),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_resident_id),
		cmocka_unit_test(test_bank_card),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_address_districts),
		cmocka_unit_test(test_address_fallbacks),
		cmocka_unit_test(test_amount_buckets),
		cmocka_unit_test(test_amount_negative_and_malformed),
		cmocka_unit_test(test_free_text_phones),
		cmocka_unit_test(test_free_text_ids_and_cards),
		cmocka_unit_test(test_free_text_emails),
		cmocka_unit_test(test_free_text_other_numbers_stay),
		cmocka_unit_test(test_free_text_mixed),
		cmocka_unit_test(test_free_text_malformed),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_property_random_strings),
		cmocka_unit_test(test_property_embedded_pii),
		cmocka_unit_test(test_property_normal_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
