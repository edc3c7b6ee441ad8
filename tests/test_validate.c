/* SPDX-License-Identifier: Apache-2.0 */
/* test_validate.c: unit tests of the field validators, normal forms, check-digit
 * algorithms and blind-index form in src/validate.c. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "validate.h"

/* ---- helpers ----------------------------------------------------------------------- */

/* Validate in[0..len) as type t and require success with normal form want. */
static void check_ok(enum pv_ftype t, const char *in, size_t len, const char *want,
		     const char *file, int line)
{
	char out[PV_VALUE_MAX + 1];
	size_t outlen = 12345;
	const char *why = pv_validate(t, in, len, out, sizeof out, &outlen);
	if (why) {
		print_error("type %d, input \"%s\": refused (%s), expected \"%s\"\n", (int)t, in,
			    why, want);
		_fail(file, line);
	}
	if (strcmp(out, want) != 0 || outlen != strlen(want)) {
		print_error("type %d, input \"%s\": got \"%s\" (%zu), expected \"%s\"\n", (int)t,
			    in, out, outlen, want);
		_fail(file, line);
	}
}

/* Validate in[0..len) as type t and require refusal; when reason_part is not NULL, the
 * reason must contain it. The reason must never quote the input, and out must be "". */
static void check_bad(enum pv_ftype t, const char *in, size_t len, const char *reason_part,
		      const char *file, int line)
{
	char out[PV_VALUE_MAX + 1];
	size_t outlen = 12345;
	memset(out, 'z', sizeof out);
	const char *why = pv_validate(t, in, len, out, sizeof out, &outlen);
	if (!why) {
		print_error("type %d, input \"%s\": accepted as \"%s\", expected refusal\n",
			    (int)t, in, out);
		_fail(file, line);
		return;
	}
	if (reason_part && !strstr(why, reason_part)) {
		print_error("type %d, input \"%s\": reason \"%s\" lacks \"%s\"\n", (int)t, in, why,
			    reason_part);
		_fail(file, line);
	}
	if (len >= 4 && len < 200) {
		char value[200];
		memcpy(value, in, len);
		value[len] = '\0';
		if (strlen(value) == len && strstr(why, value)) {
			print_error("reason \"%s\" quotes the value\n", why);
			_fail(file, line);
		}
	}
	if (out[0] != '\0' || outlen != 0) {
		print_error("type %d, input \"%s\": output not cleared on refusal\n", (int)t, in);
		_fail(file, line);
	}
}

#define OK(t, in, want) check_ok((t), (in), strlen(in), (want), __FILE__, __LINE__)
#define BAD(t, in) check_bad((t), (in), strlen(in), NULL, __FILE__, __LINE__)
#define BADR(t, in, part) check_bad((t), (in), strlen(in), (part), __FILE__, __LINE__)

static const enum pv_ftype all_types[] = {
	PV_T_TEXT, PV_T_RESIDENT_ID, PV_T_PHONE, PV_T_EMAIL, PV_T_BANK_CARD, PV_T_USCC,
	PV_T_DATE, PV_T_TIMESTAMP, PV_T_AMOUNT, PV_T_BOOL
};
#define NTYPES (sizeof all_types / sizeof all_types[0])

/* A valid value of each type, in all_types order, already in normal form. */
static const char *const sample_values[] = {
	"Zhang Wei", "11010519491231002X", "+8613800138000", "zhang.wei@example.com",
	"4111111111111111", "91350100M000100Y43", "2024-02-29", "2024-02-29T08:30:00+08:00",
	"1234.50", "true"
};

/* Resident ID: first17 followed by its computed check character, into id[19]. */
static void make_resident_id(char id[19], const char *first17)
{
	assert_int_equal(strlen(first17), 17);
	memcpy(id, first17, 17);
	id[17] = pv_resident_id_check_char(first17);
	assert_true(id[17] != 0);
	id[18] = '\0';
}

/* YYYYMMDD of the UTC day days_ahead days from t, into buf[9]. */
static void utc_day(char buf[9], time_t t, int days_ahead)
{
	time_t when = t + (time_t)days_ahead * 86400;
	struct tm tm;
	assert_non_null(gmtime_r(&when, &tm));
	assert_int_equal(strftime(buf, 9, "%Y%m%d", &tm), 8);
}

/* ---- check-digit algorithms ---------------------------------------------------------- */

static void test_resident_id_check_char(void **state)
{
	(void)state;
	/* 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 times 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2:
	 * 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2; "10X98765432"[2] = X */
	assert_int_equal(pv_resident_id_check_char("11010519491231002"), 'X');
	/* 4 4 0 5 2 4 1 8 8 0 0 1 0 1 0 0 1: 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195;
	 * 195 mod 11 = 8; "10X98765432"[8] = '4' */
	assert_int_equal(pv_resident_id_check_char("44052418800101001"), '4');
	/* 1 1 0 1 0 1 2 0 0 0 0 2 2 9 0 0 1: 7+9+0+5+0+4+4+0+0+0+0+18+20+45+0+0+2 = 114;
	 * 114 mod 11 = 4; "10X98765432"[4] = '8' */
	assert_int_equal(pv_resident_id_check_char("11010120000229001"), '8');
	/* The full 18-character number may be passed: only the first 17 count. */
	assert_int_equal(pv_resident_id_check_char("11010519491231002X"), 'X');
	assert_int_equal(pv_resident_id_check_char("1101051949123100X"), 0);
	assert_int_equal(pv_resident_id_check_char("11010519491231 02"), 0);
	assert_int_equal(pv_resident_id_check_char("1101051949"), 0); /* stops at the NUL */
	assert_int_equal(pv_resident_id_check_char(""), 0);
	assert_int_equal(pv_resident_id_check_char(NULL), 0);
	/* One number for each remainder 0..10 (computed apart from this code), so every
	 * entry of "10X98765432" is used, and each is accepted by pv_validate. */
	static const char *const by_remainder[11] = {
		"110105197302187291", "110105195509140600", "11010519820402088X",
		"110105198402193159", "110105195510105378", "110105195302275487",
		"110105197707032466", "110105196810031205", "110105198602086454",
		"110105197906102543", "110105197003136662",
	};
	for (int r = 0; r < 11; r++) {
		assert_int_equal(pv_resident_id_check_char(by_remainder[r]), "10X98765432"[r]);
		OK(PV_T_RESIDENT_ID, by_remainder[r], by_remainder[r]);
	}
}

static void test_luhn_check_digit(void **state)
{
	(void)state;
	/* 7992739871: from the right, doubled 1->2, 8->16->7, 3->6, 2->4, 9->18->9, kept
	 * 7, 9, 7, 9, 7: 2+7+7+9+6+7+4+9+9+7 = 67; (10 - 7) mod 10 = 3 */
	assert_int_equal(pv_luhn_check_digit("7992739871", 10), '3');
	/* 411111111111111 (15 digits): seven doubled 1s and one doubled 4 give 2*7 + 8 = 22,
	 * seven kept 1s give 7: 29; (10 - 9) mod 10 = 1 */
	assert_int_equal(pv_luhn_check_digit("411111111111111", 15), '1');
	/* 6222020200123, from the right: 3*2=6, 2, 1*2=2, 0, 0*2=0, 2, 0*2=0, 2, 0*2=0, 2,
	 * 2*2=4, 2, 6*2=12->3: 6+2+2+0+0+2+0+2+0+2+4+2+3 = 25; (10 - 5) mod 10 = 5 */
	assert_int_equal(pv_luhn_check_digit("6222020200123", 13), '5');
	/* Sum a multiple of ten: check digit 0 ("0" alone: sum 0). */
	assert_int_equal(pv_luhn_check_digit("0", 1), '0');
	assert_int_equal(pv_luhn_check_digit("", 0), '0');
	/* Only n digits are read. */
	assert_int_equal(pv_luhn_check_digit("7992739871999", 10), '3');
	assert_int_equal(pv_luhn_check_digit("79927a9871", 10), 0);
	assert_int_equal(pv_luhn_check_digit("7992 39871", 10), 0);
	assert_int_equal(pv_luhn_check_digit(NULL, 3), 0);
	/* One card number (12..19 digits) for each check digit 0..9, computed apart from
	 * this code; each is accepted by pv_validate. */
	static const char *const by_check[10] = {
		"62449500324966850", "6227390000951", "62470249603699632",
		"6200806232013", "6278527749325738344", "62722032711246405",
		"6281613331001471216", "6285997987327", "6234556405440559878",
		"62143015404869",
	};
	for (int d = 0; d < 10; d++) {
		size_t n = strlen(by_check[d]);
		assert_int_equal(pv_luhn_check_digit(by_check[d], n - 1), '0' + d);
		OK(PV_T_BANK_CARD, by_check[d], by_check[d]);
	}
}

static void test_uscc_check_char(void **state)
{
	(void)state;
	/* Values: digits 0-9, A10 B11 C12 D13 E14 F15 G16 H17 J18 K19 L20 M21 N22 P23 Q24
	 * R25 T26 U27 W28 X29 Y30. 91350100M000100Y4 with weights 1 3 9 27 19 26 16 17 20
	 * 29 25 13 8 24 10 30 28: 9+3+27+135+0+26+0+0+420+0+0+0+8+0+0+900+112 = 1640;
	 * 1640 mod 31 = 28; 31 - 28 = 3 -> '3' */
	assert_int_equal(pv_uscc_check_char("91350100M000100Y4"), '3');
	/* 91110108MA01024X0: 9+3+9+27+0+26+0+136+420+290+0+13+0+48+40+870+0 = 1891 = 61*31;
	 * 31 - 0 = 31, which is written '0' */
	assert_int_equal(pv_uscc_check_char("91110108MA01024X0"), '0');
	/* Letters outside the alphabet (I O S V Z) and lower case are refused. */
	assert_int_equal(pv_uscc_check_char("91350100I000100Y4"), 0);
	assert_int_equal(pv_uscc_check_char("91350100O000100Y4"), 0);
	assert_int_equal(pv_uscc_check_char("91350100S000100Y4"), 0);
	assert_int_equal(pv_uscc_check_char("91350100V000100Y4"), 0);
	assert_int_equal(pv_uscc_check_char("91350100Z000100Y4"), 0);
	assert_int_equal(pv_uscc_check_char("91350100m000100Y4"), 0);
	assert_int_equal(pv_uscc_check_char("9135"), 0);
	assert_int_equal(pv_uscc_check_char(NULL), 0);
	/* One code for each check value 0..30 (computed apart from this code), so every
	 * character of the alphabet is produced, and each code is accepted by pv_validate. */
	static const char *const by_check[31] = {
		"918174147PQ67PLEF0", "91838483TE4D3CEA21", "91144024Q4TDUXMTY2",
		"91933633GFBP00R8F3", "912803854NHX0QG9L4", "9175288200RPL3GPX5",
		"91555979RE2T2Y8FN6", "91104319AB8AYYK187", "91656321547M70FTJ8",
		"917127688W4TDUH8N9", "91828807Q5K0QR454A", "91462889FNA281RN5B",
		"91803340Q3GEH0QWXC", "91068265347PTW61WD", "91590139C4L8YBKBFE",
		"912456243QG1LUBYUF", "91592551E75KPY19TG", "91383064106FWMLD2H",
		"913776020YFMEC9P4J", "91148525Q7HHQGAL7K", "91890786CCC3FLC16L",
		"9126330469G7QJA8HM", "91104974NCWMB0YEBN", "912603094D1N15CEWP",
		"916372652RYPCECPYQ", "91463478MC35L526GR", "91379907XLBRL2TM3T",
		"91862527D1YM2QHJRU", "912650202LPW8D512W", "91484777Q3WH692XFX",
		"91791805MGGHFRQ3WY",
	};
	for (int v = 0; v < 31; v++) {
		assert_int_equal(pv_uscc_check_char(by_check[v]),
				 "0123456789ABCDEFGHJKLMNPQRTUWXY"[v]);
		OK(PV_T_USCC, by_check[v], by_check[v]);
	}
}

static void test_date_valid(void **state)
{
	(void)state;
	assert_true(pv_date_valid(2000, 2, 29));  /* divisible by 400: leap */
	assert_false(pv_date_valid(1900, 2, 29)); /* by 100, not 400: not leap */
	assert_false(pv_date_valid(2100, 2, 29));
	assert_true(pv_date_valid(2024, 2, 29));
	assert_false(pv_date_valid(2023, 2, 29));
	assert_true(pv_date_valid(2023, 2, 28));
	assert_false(pv_date_valid(2024, 2, 30));
	assert_true(pv_date_valid(2024, 1, 31));
	assert_false(pv_date_valid(2024, 4, 31));
	assert_false(pv_date_valid(2024, 6, 31));
	assert_false(pv_date_valid(2024, 9, 31));
	assert_false(pv_date_valid(2024, 11, 31));
	assert_true(pv_date_valid(2024, 12, 31));
	assert_false(pv_date_valid(2024, 0, 1));
	assert_false(pv_date_valid(2024, 13, 1));
	assert_false(pv_date_valid(2024, 1, 0));
	assert_false(pv_date_valid(2024, 1, 32));
	assert_false(pv_date_valid(0, 1, 1));
	assert_true(pv_date_valid(1, 1, 1));
	assert_true(pv_date_valid(9999, 12, 31));
	assert_false(pv_date_valid(10000, 1, 1));
	assert_false(pv_date_valid(-4, 2, 29));
}

/* ---- rules common to every type ------------------------------------------------------ */

static void test_empty_is_valid_for_every_type(void **state)
{
	(void)state;
	for (size_t i = 0; i < NTYPES; i++) {
		OK(all_types[i], "", "");
		OK(all_types[i], "   ", "");
		OK(all_types[i], " \t\r\n", "");
		OK(all_types[i], "\xE3\x80\x80", ""); /* ideographic space U+3000 */
		char out[8];
		size_t outlen = 99;
		assert_null(pv_validate(all_types[i], NULL, 0, out, sizeof out, &outlen));
		assert_string_equal(out, "");
		assert_int_equal(outlen, 0);
	}
}

static void test_samples_are_fixed_points(void **state)
{
	(void)state;
	for (size_t i = 0; i < NTYPES; i++)
		OK(all_types[i], sample_values[i], sample_values[i]);
	/* Surrounding white space is trimmed for every type. */
	for (size_t i = 0; i < NTYPES; i++) {
		char padded[128];
		snprintf(padded, sizeof padded, " \t%s\xE3\x80\x80 ", sample_values[i]);
		OK(all_types[i], padded, sample_values[i]);
	}
}

static void test_nul_refused_for_every_type(void **state)
{
	(void)state;
	for (size_t i = 0; i < NTYPES; i++) {
		char buf[128];
		size_t n = strlen(sample_values[i]);
		memcpy(buf, sample_values[i], n);
		buf[n] = '\0';
		/* The NUL is inside the given length, at the end and in the middle. */
		check_bad(all_types[i], buf, n + 1, "NUL", __FILE__, __LINE__);
		memcpy(buf, sample_values[i], n);
		buf[2] = '\0';
		check_bad(all_types[i], buf, n, "NUL", __FILE__, __LINE__);
		check_bad(all_types[i], "\0", 1, "NUL", __FILE__, __LINE__);
	}
}

static void test_too_long_refused_for_every_type(void **state)
{
	(void)state;
	static char big[PV_VALUE_MAX + 2];
	memset(big, 'a', sizeof big);
	for (size_t i = 0; i < NTYPES; i++)
		check_bad(all_types[i], big, PV_VALUE_MAX + 1, "value too long", __FILE__, __LINE__);
	/* White space does not count as shorter: the length limit applies before trimming. */
	memset(big, ' ', sizeof big);
	check_bad(PV_T_TEXT, big, PV_VALUE_MAX + 1, "value too long", __FILE__, __LINE__);
	/* Exactly PV_VALUE_MAX bytes is fine. */
	memset(big, 'a', sizeof big);
	char out[PV_VALUE_MAX + 1];
	size_t outlen = 0;
	assert_null(pv_validate(PV_T_TEXT, big, PV_VALUE_MAX, out, sizeof out, &outlen));
	assert_int_equal(outlen, PV_VALUE_MAX);
	assert_int_equal(strlen(out), PV_VALUE_MAX);
}

static void test_invalid_utf8_refused_for_every_type(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"\xC3",             /* truncated */
		"abc\xC0\xAF",      /* overlong '/' */
		"\xE0\x80\xAF",     /* overlong, 3 bytes */
		"\xED\xA0\x80",     /* surrogate U+D800 */
		"\xF4\x90\x80\x80", /* beyond U+10FFFF */
		"\xFF",
		"\x80",
		"13800138000\xEF\xBC", /* truncated full-width digit */
	};
	for (size_t i = 0; i < NTYPES; i++)
		for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++)
			BADR(all_types[i], bad[j], "UTF-8");
}

/* The edges of each UTF-8 sequence length are accepted, their neighbours just outside
 * refused, also after ASCII runs long enough to be checked eight bytes at a time. */
static void test_utf8_boundaries(void **state)
{
	(void)state;
	static const char *const good[] = {
		"\xDF\xBF",             /* U+07FF */
		"\xE0\xA0\x80",         /* U+0800 */
		"\xED\x9F\xBF",         /* U+D7FF, below the surrogates */
		"\xEE\x80\x80",         /* U+E000, above them */
		"\xEF\xBF\xBD",         /* U+FFFD */
		"\xF0\x90\x80\x80",     /* U+10000 */
		"\xF4\x8F\xBF\xBF",     /* U+10FFFF */
		"abcdefghijklmnop\xE5\xBC\xA0", /* ASCII runs, then CJK */
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		OK(PV_T_TEXT, good[i], good[i]);
	static const char *const bad[] = {
		"\xC1\xBF",             /* overlong, 2 bytes */
		"\xE0\x9F\xBF",         /* overlong, 3 bytes */
		"\xF0\x8F\xBF\xBF",     /* overlong, 4 bytes */
		"\xED\xBF\xBF",         /* surrogate U+DFFF */
		"\xF5\x80\x80\x80",     /* no such lead byte */
		"\xF0\x90\x80\x41",     /* a continuation missing */
		"\xE5\xBC",             /* truncated at the end */
		"abcdefg\xE5\xBC",      /* truncated after seven ASCII bytes */
		"abcdefghijklmnopq\x80", /* a lone continuation after two words of ASCII */
	};
	for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++)
		BADR(PV_T_TEXT, bad[j], "UTF-8");
	/* A NUL byte is named as such wherever it is: inside an eight-byte ASCII run, at
	 * its end, or after a broken sequence. */
	check_bad(PV_T_TEXT, "abcdefghij\0klmnop", 17, "NUL", __FILE__, __LINE__);
	check_bad(PV_T_TEXT, "abcdefg\0", 8, "NUL", __FILE__, __LINE__);
	check_bad(PV_T_TEXT, "\xE5\xBC\0abc", 6, "NUL", __FILE__, __LINE__);
	check_bad(PV_T_TEXT, "\xE5\xBC" "abcdefghijk\0", 14, "NUL", __FILE__, __LINE__);
	/* White space at both ends goes, whatever its length; inside it stays. */
	OK(PV_T_TEXT, "\xE3\x80\x80 \xC2\xA0\xE5\xBC\xA0 \xE4\xBC\x9F\xE3\x80\x80\xC2\x85",
	   "\xE5\xBC\xA0 \xE4\xBC\x9F");
}

static void test_output_buffer_too_small(void **state)
{
	(void)state;
	char out[8];
	size_t outlen = 7;
	const char *why = pv_validate(PV_T_PHONE, "13800138000", 11, out, sizeof out, &outlen);
	assert_non_null(why);
	assert_string_equal(out, "");
	assert_int_equal(outlen, 0);
	/* Exactly enough room: 14 characters and the NUL. */
	char exact[15];
	assert_null(pv_validate(PV_T_PHONE, "13800138000", 11, exact, sizeof exact, &outlen));
	assert_string_equal(exact, "+8613800138000");
	assert_int_equal(outlen, 14);
	assert_non_null(pv_validate(PV_T_PHONE, "13800138000", 11, exact, 14, &outlen));
	assert_non_null(pv_validate(PV_T_TEXT, "a", 1, NULL, 0, &outlen));
	assert_non_null(pv_validate(PV_T_TEXT, "", 0, exact, 0, &outlen));
	/* outlen may be NULL. */
	assert_null(pv_validate(PV_T_BOOL, "yes", 3, exact, sizeof exact, NULL));
	assert_string_equal(exact, "true");
}

static void test_unknown_type_refused(void **state)
{
	(void)state;
	char out[16];
	size_t outlen;
	assert_non_null(pv_validate((enum pv_ftype)99, "x", 1, out, sizeof out, &outlen));
	assert_string_equal(out, "");
}

/* ---- text ----------------------------------------------------------------------------- */

static void test_text(void **state)
{
	(void)state;
	OK(PV_T_TEXT, "  张伟  ", "张伟");
	OK(PV_T_TEXT, "北京市朝阳区\t建国路 1 号", "北京市朝阳区\t建国路 1 号");
	OK(PV_T_TEXT, "\xE3\x80\x80李娜\xE3\x80\x80", "李娜");
	OK(PV_T_TEXT, "line\r\n", "line");
	OK(PV_T_TEXT, "\xC2\xA0Zhang Wei\xC2\xA0", "Zhang Wei"); /* no-break spaces trimmed */
	OK(PV_T_TEXT, "a\xE3\x80\x80" "b", "a\xE3\x80\x80" "b"); /* inner spaces kept */
	OK(PV_T_TEXT, "ＡＢＣ", "ＡＢＣ"); /* kept as given, not NFKC'd */
	OK(PV_T_TEXT, "😀 emoji", "😀 emoji");
	/* Tab, LF and CR may appear inside (several lines of free text). */
	OK(PV_T_TEXT, "two\nlines", "two\nlines");
	OK(PV_T_TEXT, "\r\nfirst\r\nsecond\r\n", "first\r\nsecond");
	OK(PV_T_TEXT, "a\tb\n\tc", "a\tb\n\tc");
	BADR(PV_T_TEXT, "vertical\vtab", "control");
	BADR(PV_T_TEXT, "form\ffeed", "control");
	BADR(PV_T_TEXT, "bell\a", "control");
	BADR(PV_T_TEXT, "esc\x1b[0m", "control");
	BADR(PV_T_TEXT, "del\x7f" "x", "control");
	BADR(PV_T_TEXT, "c1\xC2\x85inside", "control"); /* NEL inside */
	BADR(PV_T_TEXT, "c1\xC2\x9Binside", "control");
}

/* ---- resident ID ------------------------------------------------------------------------ */

static void test_resident_id_valid(void **state)
{
	(void)state;
	OK(PV_T_RESIDENT_ID, "11010519491231002X", "11010519491231002X");
	OK(PV_T_RESIDENT_ID, "11010519491231002x", "11010519491231002X");
	OK(PV_T_RESIDENT_ID, " 11010519491231002x\t", "11010519491231002X");
	OK(PV_T_RESIDENT_ID, "110101200002290018", "110101200002290018"); /* 2000-02-29 */
	OK(PV_T_RESIDENT_ID, "510108198005151231", "510108198005151231");
}

static void test_resident_id_check_digit(void **state)
{
	(void)state;
	BADR(PV_T_RESIDENT_ID, "110105194912310020", "check character");
	BADR(PV_T_RESIDENT_ID, "110105194912310021", "check character");
	BADR(PV_T_RESIDENT_ID, "11010519491231003X", "check character");
	/* Two neighbours swapped. */
	BADR(PV_T_RESIDENT_ID, "10110519491231002X", "check character");
	BADR(PV_T_RESIDENT_ID, "510108198005151230", "check character");
}

static void test_resident_id_format(void **state)
{
	(void)state;
	BADR(PV_T_RESIDENT_ID, "11010519491231002", "18 characters");   /* 17 */
	BADR(PV_T_RESIDENT_ID, "11010519491231002X1", "18 characters"); /* 19 */
	BADR(PV_T_RESIDENT_ID, "110105491231002", "18 characters");     /* old 15-digit */
	BADR(PV_T_RESIDENT_ID, "1101051949123100XX", "17 digits");
	BADR(PV_T_RESIDENT_ID, "X10105194912310020", "17 digits");
	BADR(PV_T_RESIDENT_ID, "11010519491231002Y", "17 digits");
	BADR(PV_T_RESIDENT_ID, "110105 19491231 002X", "18 characters");
	BADR(PV_T_RESIDENT_ID, "110105-19491231-002X", "18 characters");
	BAD(PV_T_RESIDENT_ID, "１１０１０５１９４９１２３１００２Ｘ"); /* full-width */
	BADR(PV_T_RESIDENT_ID, "1101051949123100\xC2\xB2", "17 digits"); /* superscript 2 */
}

static void test_resident_id_birth_date(void **state)
{
	(void)state;
	char id[19];
	/* Feb 29: real in 2000, not in 1900, 2001 or 2100. */
	make_resident_id(id, "11010120000229001");
	OK(PV_T_RESIDENT_ID, id, id);
	make_resident_id(id, "11010119000229001");
	BADR(PV_T_RESIDENT_ID, id, "not a real date");
	make_resident_id(id, "11010120010229001");
	BADR(PV_T_RESIDENT_ID, id, "not a real date");
	make_resident_id(id, "11010119801301001"); /* month 13 */
	BADR(PV_T_RESIDENT_ID, id, "not a real date");
	make_resident_id(id, "11010119800431001"); /* April 31 */
	BADR(PV_T_RESIDENT_ID, id, "not a real date");
	make_resident_id(id, "11010119800100001"); /* day 0 */
	BADR(PV_T_RESIDENT_ID, id, "not a real date");
	/* The range is 1900-01-01..today; 440524188001010014 has a good check digit (see
	 * test_resident_id_check_char) but a birth date in 1880. */
	make_resident_id(id, "11010119000101001");
	OK(PV_T_RESIDENT_ID, id, id);
	make_resident_id(id, "11010118991231001");
	BADR(PV_T_RESIDENT_ID, id, "between");
	BADR(PV_T_RESIDENT_ID, "440524188001010014", "between");
	make_resident_id(id, "11010120990101001");
	BADR(PV_T_RESIDENT_ID, id, "between");

	/* Today is accepted, tomorrow refused (retried if the test straddles midnight UTC). */
	for (int attempt = 0; attempt < 3; attempt++) {
		time_t now = time(NULL);
		char today[9], tomorrow[9], after[9];
		utc_day(today, now, 0);
		utc_day(tomorrow, now, 1);
		char first17[18], id_today[19], id_tomorrow[19];
		snprintf(first17, sizeof first17, "110101%s001", today);
		make_resident_id(id_today, first17);
		snprintf(first17, sizeof first17, "110101%s001", tomorrow);
		make_resident_id(id_tomorrow, first17);
		char out[32];
		size_t outlen;
		const char *today_why =
			pv_validate(PV_T_RESIDENT_ID, id_today, 18, out, sizeof out, &outlen);
		const char *tomorrow_why =
			pv_validate(PV_T_RESIDENT_ID, id_tomorrow, 18, out, sizeof out, &outlen);
		utc_day(after, time(NULL), 0);
		if (strcmp(after, today) != 0)
			continue;
		assert_null(today_why);
		assert_non_null(tomorrow_why);
		assert_non_null(strstr(tomorrow_why, "between"));
		return;
	}
	fail_msg("the date kept changing");
}

/* ---- phone ------------------------------------------------------------------------------ */

static void test_phone_valid(void **state)
{
	(void)state;
	const char *want = "+8613800138000";
	OK(PV_T_PHONE, "13800138000", want);
	OK(PV_T_PHONE, "+8613800138000", want);
	OK(PV_T_PHONE, "+86 138 0013 8000", want);
	OK(PV_T_PHONE, "+86-138-0013-8000", want);
	OK(PV_T_PHONE, "(+86) 138-0013-8000", want);
	OK(PV_T_PHONE, "+86 (138) 0013 8000", want);
	OK(PV_T_PHONE, "0086 138 0013 8000", want);
	OK(PV_T_PHONE, "008613800138000", want);
	OK(PV_T_PHONE, "8613800138000", want);
	OK(PV_T_PHONE, "86 138 0013 8000", want);
	OK(PV_T_PHONE, "138-0013-8000", want);
	/* Full-width digits U+FF10..U+FF19, plus, hyphen, parentheses and spaces. */
	OK(PV_T_PHONE, "１３８００１３８０００", want);
	OK(PV_T_PHONE, "＋８６　１３８－００１３－８０００", want);
	OK(PV_T_PHONE, "（＋８６）１３８００１３８０００", want);
	OK(PV_T_PHONE, "138０0１38000", want); /* mixed */
	OK(PV_T_PHONE, "１５９８７６５４３２１", "+8615987654321"); /* every full-width digit */
	OK(PV_T_PHONE, "１５０ ９８７６ ５４３２", "+8615098765432");
	/* Every second digit from 3 to 9. */
	OK(PV_T_PHONE, "13012345678", "+8613012345678");
	OK(PV_T_PHONE, "19912345678", "+8619912345678");
	OK(PV_T_PHONE, "16612345678", "+8616612345678");
}

static void test_phone_invalid(void **state)
{
	(void)state;
	const char *mobile = "mobile";
	/* Landlines are refused: phone_cn holds mainland mobile numbers only. */
	BADR(PV_T_PHONE, "010-12345678", mobile);
	BADR(PV_T_PHONE, "01012345678", mobile);   /* 11 digits, but starts with 0 */
	BADR(PV_T_PHONE, "+86 10 1234 5678", mobile);
	BADR(PV_T_PHONE, "0755-1234-5678", mobile);
	/* Wrong length or prefix. */
	BADR(PV_T_PHONE, "1380013800", mobile);    /* 10 digits */
	BADR(PV_T_PHONE, "138001380001", mobile);  /* 12 digits */
	BADR(PV_T_PHONE, "12345678901", mobile);   /* second digit 2 */
	BADR(PV_T_PHONE, "11345678901", mobile);   /* second digit 1 */
	BADR(PV_T_PHONE, "10345678901", mobile);
	BADR(PV_T_PHONE, "23800138000", mobile);
	BADR(PV_T_PHONE, "+86 0138 0013 8000", mobile); /* trunk 0 after +86 */
	BADR(PV_T_PHONE, "86 12345678901", mobile);
	BADR(PV_T_PHONE, "0086 1380013800", mobile);    /* 14 digits with 0086 */
	BADR(PV_T_PHONE, "086 13800138000", mobile);
	BADR(PV_T_PHONE, "8613800138", mobile);
	/* Other countries. */
	BADR(PV_T_PHONE, "+1 415 555 2671", "+86");
	BADR(PV_T_PHONE, "+852 9123 4567", "+86");
	BADR(PV_T_PHONE, "+0086 13800138000", "+86");
	/* Misplaced '+', bad parentheses, other characters, too many digits. */
	BADR(PV_T_PHONE, "138+00138000", "'+'");
	BADR(PV_T_PHONE, "++8613800138000", "'+'");
	BADR(PV_T_PHONE, "(138 0013 8000", "parentheses");
	BADR(PV_T_PHONE, "138) 0013 8000", "parentheses");
	BADR(PV_T_PHONE, "((138)) 0013 8000", "parentheses");
	BADR(PV_T_PHONE, "138.0013.8000", "only digits");
	BADR(PV_T_PHONE, "138001380OO", "only digits");
	BADR(PV_T_PHONE, "tel:13800138000", "only digits");
	BADR(PV_T_PHONE, "13800138000 ext 12", "only digits");
	BADR(PV_T_PHONE, "1380013800013800138000", "too many");
	BADR(PV_T_PHONE, "+", "+86");
	BADR(PV_T_PHONE, "-", mobile);
}

/* ---- email ------------------------------------------------------------------------------ */

static void test_email_valid(void **state)
{
	(void)state;
	OK(PV_T_EMAIL, "zhang.wei@example.com", "zhang.wei@example.com");
	OK(PV_T_EMAIL, "Zhang.Wei+vip@Example.COM", "Zhang.Wei+vip@example.com");
	OK(PV_T_EMAIL, " li_na@mail.example-corp.com.cn ", "li_na@mail.example-corp.com.cn");
	OK(PV_T_EMAIL, "a@b.co", "a@b.co");
	OK(PV_T_EMAIL, "12345@QQ.COM", "12345@qq.com");
	OK(PV_T_EMAIL, "x@163.com", "x@163.com");
	OK(PV_T_EMAIL, "o'brien!#$%&*/=?^`{|}~-@x.org", "o'brien!#$%&*/=?^`{|}~-@x.org");
	OK(PV_T_EMAIL, "a@xn--fiqs8s.cn", "a@xn--fiqs8s.cn");
	/* Local part of exactly 64 characters. */
	char addr[128];
	memset(addr, 'a', 64);
	strcpy(addr + 64, "@example.com");
	OK(PV_T_EMAIL, addr, addr);
}

static void test_email_invalid(void **state)
{
	(void)state;
	BADR(PV_T_EMAIL, "zhang.wei.example.com", "exactly one '@'");
	BADR(PV_T_EMAIL, "zhang@wei@example.com", "exactly one '@'");
	BADR(PV_T_EMAIL, "@example.com", "local part is empty");
	BADR(PV_T_EMAIL, "zhang@", "domain is empty");
	BADR(PV_T_EMAIL, "zhang@localhost", "dot");
	BADR(PV_T_EMAIL, "zhang@-example.com", "host name");
	BADR(PV_T_EMAIL, "zhang@example-.com", "host name");
	BADR(PV_T_EMAIL, "zhang@example.com-", "host name");
	BADR(PV_T_EMAIL, "zhang@example..com", "host name");
	BADR(PV_T_EMAIL, "zhang@.example.com", "host name");
	BADR(PV_T_EMAIL, "zhang@example.com.", "host name");
	BADR(PV_T_EMAIL, "zhang@exa_mple.com", "host name");
	BADR(PV_T_EMAIL, "zhang@exa mple.com", "host name");
	BADR(PV_T_EMAIL, "zhang@例子.中国", "host name");
	BADR(PV_T_EMAIL, "zhang@127.0.0.1", "host name");
	BADR(PV_T_EMAIL, "zhang@[127.0.0.1]", "host name");
	BADR(PV_T_EMAIL, ".zhang@example.com", "dot");
	BADR(PV_T_EMAIL, "zhang.@example.com", "dot");
	BADR(PV_T_EMAIL, "zh..ang@example.com", "dot");
	BADR(PV_T_EMAIL, "zh ang@example.com", "not allowed");
	BADR(PV_T_EMAIL, "\"zh ang\"@example.com", "not allowed");
	BADR(PV_T_EMAIL, "张伟@example.com", "not allowed");
	BADR(PV_T_EMAIL, "zhang(wei)@example.com", "not allowed");
	BADR(PV_T_EMAIL, "zhang\xEF\xBC\xA0" "example.com", "exactly one '@'"); /* full-width @ */
	char addr[400];
	memset(addr, 'a', 65);
	strcpy(addr + 65, "@example.com");
	BADR(PV_T_EMAIL, addr, "64");
	/* A 64-character label is too long; 63 is fine. */
	strcpy(addr, "a@");
	memset(addr + 2, 'b', 64);
	strcpy(addr + 66, ".com");
	BADR(PV_T_EMAIL, addr, "host name");
	strcpy(addr, "a@");
	memset(addr + 2, 'b', 63);
	strcpy(addr + 65, ".com");
	OK(PV_T_EMAIL, addr, addr);
	/* Whole address longer than 254. */
	strcpy(addr, "a@");
	for (int i = 0; i < 5; i++)
		memcpy(addr + 2 + 50 * i, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.", 50);
	strcpy(addr + 252, "com");
	BADR(PV_T_EMAIL, addr, "longer than");
}

/* ---- bank card ------------------------------------------------------------------------------ */

static void test_bank_card(void **state)
{
	(void)state;
	OK(PV_T_BANK_CARD, "4111111111111111", "4111111111111111");
	OK(PV_T_BANK_CARD, "4111 1111 1111 1111", "4111111111111111");
	OK(PV_T_BANK_CARD, "4111-1111-1111-1111", "4111111111111111");
	OK(PV_T_BANK_CARD, "４１１１　１１１１　１１１１　１１１１", "4111111111111111");
	OK(PV_T_BANK_CARD, "4111-1111 1111-1111", "4111111111111111");
	OK(PV_T_BANK_CARD, "4111  1111  1111  1111", "4111111111111111");
}

static void test_bank_card_lengths_and_luhn(void **state)
{
	(void)state;
	/* 11 digits pass Luhn but are too short; 12 and 19 are the bounds. */
	BADR(PV_T_BANK_CARD, "79927398713", "12 to 19");
	OK(PV_T_BANK_CARD, "622202020013", "622202020013");
	OK(PV_T_BANK_CARD, "6217001234567890122", "6217001234567890122");
	BADR(PV_T_BANK_CARD, "62170012345678901220", "12 to 19"); /* 20 digits */
	/* One digit changed, two neighbours swapped. */
	BADR(PV_T_BANK_CARD, "4111111111111112", "Luhn");
	BADR(PV_T_BANK_CARD, "1411111111111111", "Luhn");
	BADR(PV_T_BANK_CARD, "6217001234567890121", "Luhn");
	/* Characters and separators. */
	BADR(PV_T_BANK_CARD, "4111.1111.1111.1111", "only digits");
	BADR(PV_T_BANK_CARD, "4111a111111111111", "only digits");
	BADR(PV_T_BANK_CARD, "-4111111111111111", "separator");
	BADR(PV_T_BANK_CARD, "4111111111111111-", "separator");
}

/* ---- USCC ------------------------------------------------------------------------------------ */

static void test_uscc(void **state)
{
	(void)state;
	OK(PV_T_USCC, "91350100M000100Y43", "91350100M000100Y43");
	OK(PV_T_USCC, "91350100m000100y43", "91350100M000100Y43");
	OK(PV_T_USCC, " 91110108MA01024X00 ", "91110108MA01024X00");
	BADR(PV_T_USCC, "91350100M000100Y44", "check character");
	BADR(PV_T_USCC, "91350100M000100Y40", "check character");
	BADR(PV_T_USCC, "91350100N000100Y43", "check character");
	BADR(PV_T_USCC, "91350100M000100Y4", "18 characters");
	BADR(PV_T_USCC, "91350100M000100Y433", "18 characters");
	BADR(PV_T_USCC, "91350100I000100Y43", "alphabet");
	BADR(PV_T_USCC, "91350100O000100Y43", "alphabet");
	BADR(PV_T_USCC, "91350100-000100Y43", "alphabet");
	BADR(PV_T_USCC, "9135 0100M000100Y4", "alphabet");
}

/* ---- date and timestamp ---------------------------------------------------------------------- */

static void test_date(void **state)
{
	(void)state;
	OK(PV_T_DATE, "2024-02-29", "2024-02-29");
	OK(PV_T_DATE, "2000-02-29", "2000-02-29");
	OK(PV_T_DATE, "2024/3/5", "2024-03-05");
	OK(PV_T_DATE, "2024-3-05", "2024-03-05");
	OK(PV_T_DATE, "20240305", "2024-03-05");
	OK(PV_T_DATE, "2024年3月5日", "2024-03-05");
	OK(PV_T_DATE, "1900-02-28", "1900-02-28");
	OK(PV_T_DATE, "0001-01-01", "0001-01-01");
	BADR(PV_T_DATE, "1900-02-29", "real calendar date");
	BADR(PV_T_DATE, "2023-02-29", "real calendar date");
	BADR(PV_T_DATE, "2100-02-29", "real calendar date");
	BADR(PV_T_DATE, "2024-04-31", "real calendar date");
	BADR(PV_T_DATE, "2024-13-01", "real calendar date");
	BADR(PV_T_DATE, "2024-00-10", "real calendar date");
	BADR(PV_T_DATE, "0000-01-01", "real calendar date");
	BADR(PV_T_DATE, "20230229", "real calendar date");
	BADR(PV_T_DATE, "2024-02-3x", "YYYY-MM-DD");
	BADR(PV_T_DATE, "2024/03-05", "YYYY-MM-DD");
	BADR(PV_T_DATE, "24-03-05", "YYYY-MM-DD");
	BADR(PV_T_DATE, "05/03/2024", "YYYY-MM-DD");
	BADR(PV_T_DATE, "2024-003-05", "YYYY-MM-DD");
	BADR(PV_T_DATE, "2024-03-05T00:00:00Z", "YYYY-MM-DD");
	BADR(PV_T_DATE, "2024.03.05", "YYYY-MM-DD");
	BADR(PV_T_DATE, "2024年3月5", "YYYY-MM-DD");
	BADR(PV_T_DATE, "2024-03-", "YYYY-MM-DD");
	BADR(PV_T_DATE, "2024", "YYYY-MM-DD");
	BADR(PV_T_DATE, "2024030", "YYYY-MM-DD");
}

static void test_timestamp(void **state)
{
	(void)state;
	OK(PV_T_TIMESTAMP, "2024-02-29T08:30:00Z", "2024-02-29T08:30:00Z");
	OK(PV_T_TIMESTAMP, "2024-02-29t08:30:00z", "2024-02-29T08:30:00Z");
	OK(PV_T_TIMESTAMP, "2024-02-29 08:30:00+08:00", "2024-02-29T08:30:00+08:00");
	OK(PV_T_TIMESTAMP, "2024-02-29T08:30:00+0800", "2024-02-29T08:30:00+08:00");
	OK(PV_T_TIMESTAMP, "2024-02-29T08:30:00-0530", "2024-02-29T08:30:00-05:30");
	OK(PV_T_TIMESTAMP, "2024-02-29T23:59:59+14:00", "2024-02-29T23:59:59+14:00");
	OK(PV_T_TIMESTAMP, "2024-02-29T00:00:00-14:00", "2024-02-29T00:00:00-14:00");
	OK(PV_T_TIMESTAMP, "2024-02-29T00:00:00+00:00", "2024-02-29T00:00:00+00:00");
	OK(PV_T_TIMESTAMP, "2024-02-29T00:00:00+05:45", "2024-02-29T00:00:00+05:45");
	BADR(PV_T_TIMESTAMP, "2024-02-29T08:30:00+14:01", "offset");
	BADR(PV_T_TIMESTAMP, "2024-02-29T08:30:00-15:00", "offset");
	BADR(PV_T_TIMESTAMP, "2024-02-29T08:30:00+08:60", "offset");
	BADR(PV_T_TIMESTAMP, "2024-02-29T08:30:00", "needs an offset");
	BADR(PV_T_TIMESTAMP, "2024-02-29T08:30:00.123Z", "fractions");
	BADR(PV_T_TIMESTAMP, "2024-02-29T08:30:00,5+08:00", "fractions");
	BADR(PV_T_TIMESTAMP, "2023-02-29T08:30:00Z", "real calendar date");
	BADR(PV_T_TIMESTAMP, "1900-02-29T08:30:00Z", "real calendar date");
	BADR(PV_T_TIMESTAMP, "2024-02-29T24:00:00Z", "time of day");
	BADR(PV_T_TIMESTAMP, "2024-02-29T23:60:00Z", "time of day");
	BADR(PV_T_TIMESTAMP, "2024-02-29T23:59:60Z", "time of day");
	BADR(PV_T_TIMESTAMP, "2024-02-29T08:30Z", "YYYY-MM-DDTHH:MM:SS");
	BADR(PV_T_TIMESTAMP, "2024-02-29T8:30:00Z", "YYYY-MM-DDTHH:MM:SS");
	BADR(PV_T_TIMESTAMP, "2024-2-29T08:30:00Z", "YYYY-MM-DDTHH:MM:SS");
	BADR(PV_T_TIMESTAMP, "2024-02-29_08:30:00Z", "YYYY-MM-DDTHH:MM:SS");
	BADR(PV_T_TIMESTAMP, "2024-02-29T08:30:00+08", "YYYY-MM-DDTHH:MM:SS");
	BADR(PV_T_TIMESTAMP, "2024-02-29T08:30:00+8:00", "YYYY-MM-DDTHH:MM:SS");
	BADR(PV_T_TIMESTAMP, "2024-02-29T08:30:00+08:00:00", "YYYY-MM-DDTHH:MM:SS");
	BADR(PV_T_TIMESTAMP, "2024-02-29T08:30:00 +08:00", "YYYY-MM-DDTHH:MM:SS");
	BADR(PV_T_TIMESTAMP, "2024-02-29T08:30:00ZZ", "YYYY-MM-DDTHH:MM:SS");
	BADR(PV_T_TIMESTAMP, "2024-02-29T08:30:00UTC", "YYYY-MM-DDTHH:MM:SS");
	BADR(PV_T_TIMESTAMP, "2024-02-29", "YYYY-MM-DDTHH:MM:SS");
}

/* ---- amount ------------------------------------------------------------------------------------ */

static void test_amount_valid(void **state)
{
	(void)state;
	OK(PV_T_AMOUNT, "0012.5", "12.5");
	OK(PV_T_AMOUNT, "1,234.50", "1234.50");
	OK(PV_T_AMOUNT, "1,234,567", "1234567");
	OK(PV_T_AMOUNT, "123,456.7", "123456.7");
	OK(PV_T_AMOUNT, "12.0", "12.0");
	OK(PV_T_AMOUNT, "0", "0");
	OK(PV_T_AMOUNT, "000", "0");
	OK(PV_T_AMOUNT, "0.05", "0.05");
	OK(PV_T_AMOUNT, "00.50", "0.50");
	OK(PV_T_AMOUNT, "-12.50", "-12.50");
	OK(PV_T_AMOUNT, "+12.50", "12.50");
	OK(PV_T_AMOUNT, "-0012", "-12");
	/* Zero is never negative. */
	OK(PV_T_AMOUNT, "-0", "0");
	OK(PV_T_AMOUNT, "-0.00", "0.00");
	OK(PV_T_AMOUNT, "-000.0", "0.0");
	OK(PV_T_AMOUNT, "-0.01", "-0.01");
	/* Currency markers. */
	OK(PV_T_AMOUNT, "¥1,234.50", "1234.50");
	OK(PV_T_AMOUNT, "￥88", "88");
	OK(PV_T_AMOUNT, "¥ 88", "88");
	OK(PV_T_AMOUNT, "CNY 1,000.00", "1000.00");
	OK(PV_T_AMOUNT, "cny1000", "1000");
	OK(PV_T_AMOUNT, "-¥12.50", "-12.50");
	OK(PV_T_AMOUNT, "¥-12.50", "-12.50");
	OK(PV_T_AMOUNT, "CNY -12.50", "-12.50");
	/* Fifteen integer digits, leading zeros not counted. */
	OK(PV_T_AMOUNT, "999999999999999.99", "999999999999999.99");
	OK(PV_T_AMOUNT, "000999999999999999", "999999999999999");
	OK(PV_T_AMOUNT, "999,999,999,999,999", "999999999999999");
}

static void test_amount_invalid(void **state)
{
	(void)state;
	BADR(PV_T_AMOUNT, "12.345", "two decimals");
	BADR(PV_T_AMOUNT, "0.001", "two decimals");
	BADR(PV_T_AMOUNT, "1000000000000000", "15 integer digits");
	BADR(PV_T_AMOUNT, "-1,000,000,000,000,000.00", "15 integer digits");
	BADR(PV_T_AMOUNT, "1,23", "thousands");
	BADR(PV_T_AMOUNT, "1,2345", "thousands");
	BADR(PV_T_AMOUNT, "1234,567", "thousands");
	BADR(PV_T_AMOUNT, "12,34,567", "thousands");
	BADR(PV_T_AMOUNT, ",123", "thousands");
	BADR(PV_T_AMOUNT, "1,,234", "thousands");
	BADR(PV_T_AMOUNT, "1,234,", "thousands");
	BADR(PV_T_AMOUNT, "1,234.5,0", "decimal number");
	BADR(PV_T_AMOUNT, "12.", "decimal number");
	BADR(PV_T_AMOUNT, ".5", "decimal number");
	BADR(PV_T_AMOUNT, "-.5", "decimal number");
	BADR(PV_T_AMOUNT, "1.2.3", "decimal number");
	BADR(PV_T_AMOUNT, "1e3", "decimal number");
	BADR(PV_T_AMOUNT, "12 345", "decimal number");
	BADR(PV_T_AMOUNT, "--12", "decimal number");
	BADR(PV_T_AMOUNT, "-¥-12", "decimal number");
	BADR(PV_T_AMOUNT, "+-12", "decimal number");
	BADR(PV_T_AMOUNT, "12-", "decimal number");
	BADR(PV_T_AMOUNT, "(12.50)", "decimal number");
	BADR(PV_T_AMOUNT, "¥", "decimal number");
	BADR(PV_T_AMOUNT, "CNY", "decimal number");
	BADR(PV_T_AMOUNT, "12.50元", "decimal number");
	BADR(PV_T_AMOUNT, "12.50 CNY", "decimal number");
	BADR(PV_T_AMOUNT, "USD 12", "decimal number");
	BADR(PV_T_AMOUNT, "１２", "decimal number");
	BADR(PV_T_AMOUNT, "NaN", "decimal number");
	BADR(PV_T_AMOUNT, "-", "decimal number");
}

/* ---- bool -------------------------------------------------------------------------------------- */

static void test_bool(void **state)
{
	(void)state;
	static const char *const yes[] = { "true", "TRUE", "True", "yes", "YES", "Yes", "y",
					   "Y", "1", "是", " 是 " };
	static const char *const no[] = { "false", "FALSE", "False", "no", "NO", "No", "n",
					  "N", "0", "否", "\t否\xE3\x80\x80" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		OK(PV_T_BOOL, yes[i], "true");
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		OK(PV_T_BOOL, no[i], "false");
	static const char *const bad[] = { "2", "-1", "00", "ye", "yess", "t", "f", "on",
					   "off", "是的", "不", "对", "true false", "１", "nope" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		BADR(PV_T_BOOL, bad[i], "yes/no");
}

/* ---- blind-index form ------------------------------------------------------------------------- */

/* Index form of s for type t (must fit in 256 bytes), into a static buffer. */
static const char *index_form(enum pv_ftype t, const char *s)
{
	static char out[256];
	long n = pv_index_form(t, s, strlen(s), out, sizeof out);
	assert_true(n >= 0);
	assert_int_equal((size_t)n, strlen(out));
	return out;
}

static void test_index_form_text(void **state)
{
	(void)state;
	assert_string_equal(index_form(PV_T_TEXT, "Zhang WEI"), "zhangwei");
	assert_string_equal(index_form(PV_T_TEXT, "zhang-wei"), "zhangwei");
	assert_string_equal(index_form(PV_T_TEXT, "ZHANG\tWei"), "zhangwei");
	assert_string_equal(index_form(PV_T_TEXT, "Zhang\r\nWei"), "zhangwei");
	/* Full-width Latin letters, space and hyphen fold to ASCII (NFKC). */
	assert_string_equal(index_form(PV_T_TEXT, "ＺＨＡＮＧ　ＷＥＩ"), "zhangwei");
	assert_string_equal(index_form(PV_T_TEXT, "Ｚｈａｎｇ－Ｗｅｉ"), "zhangwei");
	/* Other hyphens and dashes, no-break space. */
	assert_string_equal(index_form(PV_T_TEXT, "zhang\xE2\x80\x90wei"), "zhangwei");
	assert_string_equal(index_form(PV_T_TEXT, "zhang\xE2\x80\x94wei"), "zhangwei");
	assert_string_equal(index_form(PV_T_TEXT, "zhang\xC2\xA0wei"), "zhangwei");
	/* Invisible (default-ignorable) characters: zero-width space, soft hyphen. */
	assert_string_equal(index_form(PV_T_TEXT, "zhang\xE2\x80\x8Bwei"), "zhangwei");
	assert_string_equal(index_form(PV_T_TEXT, "zhang\xC2\xADwei"), "zhangwei");
	/* Chinese is untouched except for spaces; case folding beyond ASCII. */
	assert_string_equal(index_form(PV_T_TEXT, "张 伟"), "张伟");
	assert_string_equal(index_form(PV_T_TEXT, "STRASSE Straße"), "strassestrasse");
	assert_string_equal(index_form(PV_T_TEXT, "ÉLODIE"), "élodie");
	/* Decomposed and composed forms meet. */
	assert_string_equal(index_form(PV_T_TEXT, "E\xCC\x81lodie"), "élodie");
	/* Compatibility characters: circled digit, ligature, full-width digits. */
	assert_string_equal(index_form(PV_T_TEXT, "①ﬁ１２"), "1fi12");
	assert_string_equal(index_form(PV_T_TEXT, ""), "");
	assert_string_equal(index_form(PV_T_TEXT, " - "), "");
}

static void test_index_form_email_and_others(void **state)
{
	(void)state;
	assert_string_equal(index_form(PV_T_EMAIL, "Zhang.Wei@example.com"), "zhang.wei@example.com");
	/* A hyphen in an email address is significant: two addresses, two people. */
	assert_string_equal(index_form(PV_T_EMAIL, "Zhang-Wei@example.com"), "zhang-wei@example.com");
	/* Other types are already canonical: copied as they are. */
	for (size_t i = 0; i < NTYPES; i++) {
		if (all_types[i] == PV_T_TEXT || all_types[i] == PV_T_EMAIL)
			continue;
		assert_string_equal(index_form(all_types[i], sample_values[i]), sample_values[i]);
	}
	assert_string_equal(index_form(PV_T_DATE, "2024-02-29"), "2024-02-29");
	/* The same index form from any valid spelling of a phone number. */
	char norm[PV_VALUE_MAX + 1];
	size_t n;
	assert_null(pv_validate(PV_T_PHONE, "＋８６ １３８-0013-8000", strlen("＋８６ １３８-0013-8000"),
				norm, sizeof norm, &n));
	assert_string_equal(index_form(PV_T_PHONE, norm), "+8613800138000");
}

static void test_index_form_limits(void **state)
{
	(void)state;
	char out[8];
	/* Does not fit: -1 and an empty string. */
	assert_int_equal(pv_index_form(PV_T_TEXT, "abcdefgh", 8, out, sizeof out), -1);
	assert_string_equal(out, "");
	assert_int_equal(pv_index_form(PV_T_PHONE, "+8613800138000", 14, out, sizeof out), -1);
	assert_string_equal(out, "");
	/* Exactly fits. */
	assert_int_equal(pv_index_form(PV_T_TEXT, "A-B-C-D-E-F-G", 13, out, sizeof out), 7);
	assert_string_equal(out, "abcdefg");
	assert_int_equal(pv_index_form(PV_T_BOOL, "true", 4, out, 5), 4);
	assert_string_equal(out, "true");
	assert_int_equal(pv_index_form(PV_T_BOOL, "false", 5, out, 5), -1);
	/* Bad input. */
	assert_int_equal(pv_index_form(PV_T_TEXT, "a\xFF", 2, out, sizeof out), -1);
	assert_int_equal(pv_index_form(PV_T_TEXT, "a\0b", 3, out, sizeof out), -1);
	assert_int_equal(pv_index_form(PV_T_DATE, "a\0b", 3, out, sizeof out), -1);
	assert_int_equal(pv_index_form(PV_T_TEXT, "a", 1, NULL, 0), -1);
	assert_int_equal(pv_index_form(PV_T_TEXT, "a", 1, out, 0), -1);
	assert_int_equal(pv_index_form(PV_T_TEXT, NULL, 0, out, sizeof out), 0);
	assert_string_equal(out, "");
	/* A full-length value fits the suggested capacity. */
	static char big[PV_VALUE_MAX];
	static char folded[4 * PV_VALUE_MAX + 1];
	for (size_t i = 0; i + 3 <= sizeof big; i += 3)
		memcpy(big + i, "\xEF\xBC\xA1", 3); /* full-width A */
	assert_int_equal(pv_index_form(PV_T_TEXT, big, sizeof big - sizeof big % 3, folded,
				       sizeof folded),
			 (long)(sizeof big / 3));
	assert_int_equal(folded[0], 'a');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resident_id_check_char),
		cmocka_unit_test(test_luhn_check_digit),
		cmocka_unit_test(test_uscc_check_char),
		cmocka_unit_test(test_date_valid),
		cmocka_unit_test(test_empty_is_valid_for_every_type),
		cmocka_unit_test(test_samples_are_fixed_points),
		cmocka_unit_test(test_nul_refused_for_every_type),
		cmocka_unit_test(test_too_long_refused_for_every_type),
		cmocka_unit_test(test_invalid_utf8_refused_for_every_type),
		cmocka_unit_test(test_utf8_boundaries),
		cmocka_unit_test(test_output_buffer_too_small),
		cmocka_unit_test(test_unknown_type_refused),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_resident_id_valid),
		cmocka_unit_test(test_resident_id_check_digit),
		cmocka_unit_test(test_resident_id_format),
		cmocka_unit_test(test_resident_id_birth_date),
		cmocka_unit_test(test_phone_valid),
		cmocka_unit_test(test_phone_invalid),
		cmocka_unit_test(test_email_valid),
		cmocka_unit_test(test_email_invalid),
		cmocka_unit_test(test_bank_card),
		cmocka_unit_test(test_bank_card_lengths_and_luhn),
		cmocka_unit_test(test_uscc),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_amount_valid),
		cmocka_unit_test(test_amount_invalid),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_index_form_text),
		cmocka_unit_test(test_index_form_email_and_others),
		cmocka_unit_test(test_index_form_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
