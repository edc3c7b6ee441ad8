/* SPDX-License-Identifier: Apache-2.0 */
/* mask.c: the masking rules behind pv_mask_value (names, phones, resident IDs, bank cards,
 * e-mail addresses, addresses, amount buckets, PII embedded in free text). Pure libc. */
#include "mask.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* Output buffer                                                                        */
/* ------------------------------------------------------------------------------------ */

/* A growing NUL-terminated string; once an allocation fails, every later call is a
 * no-op and ob_finish returns NULL. */
struct obuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void ob_init(struct obuf *b, size_t hint)
{
	b->len = 0;
	b->failed = 0;
	b->cap = hint < 32 ? 32 : hint;
	b->p = malloc(b->cap);
	if (!b->p)
		b->failed = 1;
	else
		b->p[0] = '\0';
}

/* Make room for extra more bytes plus the terminator; 0 on success. */
static int ob_reserve(struct obuf *b, size_t extra)
{
	if (b->failed)
		return -1;
	if (extra > SIZE_MAX - b->len - 1) {
		b->failed = 1;
		return -1;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *np = realloc(b->p, cap);
	if (!np) {
		b->failed = 1;
		return -1;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

static void ob_put(struct obuf *b, const char *s, size_t n)
{
	if (n == 0 || ob_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void ob_puts(struct obuf *b, const char *s)
{
	ob_put(b, s, strlen(s));
}

static void ob_stars(struct obuf *b, size_t n)
{
	if (n == 0 || ob_reserve(b, n) != 0)
		return;
	memset(b->p + b->len, '*', n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* The finished string (the caller frees it), or NULL if memory ran out. */
static char *ob_finish(struct obuf *b)
{
	if (b->failed) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

/* ------------------------------------------------------------------------------------ */
/* UTF-8 and character classes                                                          */
/* ------------------------------------------------------------------------------------ */

/* Decode one strictly valid UTF-8 character at s[0..n) (no overlong forms, no surrogates,
 * nothing above U+10FFFF). Returns its length in bytes (1..4) and stores the code point in
 * *cp, or returns 0 when the bytes there are not a valid character (or n == 0). Never
 * reads past s[n - 1]. */
static size_t utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	if (n == 0)
		return 0;
	unsigned c = s[0];
	size_t len;
	uint32_t v;
	unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	v = (v << 6) | (s[1] & 0x3F);
	for (size_t i = 2; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	*cp = v;
	return len;
}

/* 1 if s[0..n) is text a rule can read: entirely valid UTF-8 and free of NUL bytes (a NUL
 * kept in a masked form would cut the returned C string short). */
static int readable_text(const char *s, size_t n)
{
	uint32_t cp;
	for (size_t i = 0; i < n;) {
		size_t w = utf8_decode(s + i, n - i, &cp);
		if (w == 0 || cp == 0)
			return 0;
		i += w;
	}
	return 1;
}

/* Number of characters in s[0..n), counting each byte that is not part of a valid
 * character as one. */
static size_t utf8_count(const char *s, size_t n)
{
	uint32_t cp;
	size_t count = 0;
	for (size_t i = 0; i < n; count++) {
		size_t w = utf8_decode(s + i, n - i, &cp);
		i += w ? w : 1;
	}
	return count;
}

/* The fallback for values a rule cannot read (invalid UTF-8, NUL bytes, not the shape the
 * rule needs): one '*' per character (a byte that is not part of a valid character counts
 * as one), so nothing of the value but its rough length is shown. */
static void mask_all(struct obuf *b, const char *s, size_t n)
{
	ob_stars(b, utf8_count(s, n));
}

static int is_ascii_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_ascii_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_ascii_alnum(char c)
{
	return is_ascii_digit(c) || is_ascii_alpha(c);
}

/* 1 if s[0..n) are all ASCII digits (and n > 0). */
static int all_digits(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_ascii_digit(s[i]))
			return 0;
	return 1;
}

/* 1 for a CJK unified or compatibility ideograph (and 〇). */
static int is_cjk(uint32_t cp)
{
	return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	       (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x323AF) ||
	       cp == 0x3007;
}

/* White space separating the words of a name: space, tab, ideographic space. */
static int is_name_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == 0x3000;
}

/* ------------------------------------------------------------------------------------ */
/* Shared masked forms of numbers                                                       */
/* ------------------------------------------------------------------------------------ */

/* 1 if d[0..11) is a mainland mobile number: 11 ASCII digits, "1" then 3..9. */
static int is_mobile(const char *d)
{
	return all_digits(d, 11) && d[0] == '1' && d[1] >= '3' && d[1] <= '9';
}

/* 138****5678 from the 11 digits of a mobile number. */
static void emit_mobile_mask(struct obuf *b, const char *d)
{
	ob_put(b, d, 3);
	ob_stars(b, 4);
	ob_put(b, d + 7, 4);
}

/* 110105********1234 from the 18 characters of a resident ID number. */
static void emit_resident_id_mask(struct obuf *b, const char *d)
{
	ob_put(b, d, 6);
	ob_stars(b, 8);
	ob_put(b, d + 14, 4);
}

/* First 4 and last 4 of the nd >= 12 ASCII digits d[0..nd), the rest '*'. */
static void emit_card_mask(struct obuf *b, const char *d, size_t nd)
{
	ob_put(b, d, 4);
	ob_stars(b, nd - 8);
	ob_put(b, d + nd - 4, 4);
}

/* ------------------------------------------------------------------------------------ */
/* name                                                                                 */
/* ------------------------------------------------------------------------------------ */

/* Compound (two-character) surnames, simplified and traditional forms; a name starting
 * with one of them keeps both characters. */
static const char *const compound_surnames[] = {
	"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
	"宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离", "澹台", "公冶", "太史", "端木",
	"申屠", "闻人", "赫连", "南宫", "西门", "百里", "呼延", "万俟", "独孤", "拓跋",
	"司空", "濮阳", "淳于", "单于", "仲孙", "宗政", "公羊", "亓官", "司寇", "巫马",
	"子车", "颛孙", "壤驷", "公良", "漆雕", "乐正", "宰父", "谷梁", "段干", "东郭",
	"梁丘", "左丘", "东门", "羊舌", "微生", "公西", "第五", "鲜于", "闾丘", "公输",
	"歐陽", "司馬", "諸葛", "東方", "尉遲", "公孫", "長孫", "軒轅", "鍾離", "澹臺",
	"聞人", "南宮", "西門", "獨孤", "濮陽", "顓孫", "壤駟", "漆雕", "樂正", "穀梁",
	"東郭", "東門", "鮮于", "閭丘", "公輸",
};

/* Bytes of the compound surname s starts with, or 0. */
static size_t compound_surname_len(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof compound_surnames / sizeof compound_surnames[0]; i++) {
		size_t l = strlen(compound_surnames[i]);
		if (n >= l && memcmp(s, compound_surnames[i], l) == 0)
			return l;
	}
	return 0;
}

/* Chinese name (valid UTF-8, starting with an ideograph): the surname is kept (two
 * characters for a compound surname followed by a given name, else one), each other
 * character, spaces and '·' included, becomes '*'. A one-character value becomes "*", so
 * the masked form never equals the clear value. */
static void mask_name_chinese(struct obuf *b, const char *s, size_t n)
{
	size_t nchars = utf8_count(s, n);
	if (nchars < 2) {
		ob_stars(b, nchars);
		return;
	}
	uint32_t cp;
	size_t keep = utf8_decode(s, n, &cp), kept_chars = 1;
	size_t compound = compound_surname_len(s, n);
	if (compound && nchars >= 3) {
		keep = compound;
		kept_chars = 2;
	}
	ob_put(b, s, keep);
	ob_stars(b, nchars - kept_chars);
}

/* Other names (valid UTF-8): words are separated by white space, which is kept; the first
 * character of each word is kept and every other character becomes '*'. When no word has
 * a second character (only initials: "A", "J R") every character is hidden, so the masked
 * form never equals the clear value. */
static void mask_name_words(struct obuf *b, const char *s, size_t n)
{
	uint32_t cp;
	int word_start = 1, hides_something = 0;
	for (size_t i = 0; i < n;) {
		size_t w = utf8_decode(s + i, n - i, &cp);
		if (is_name_space(cp)) {
			word_start = 1;
		} else {
			if (!word_start)
				hides_something = 1;
			word_start = 0;
		}
		i += w;
	}
	word_start = 1;
	for (size_t i = 0; i < n;) {
		size_t w = utf8_decode(s + i, n - i, &cp);
		if (is_name_space(cp)) {
			ob_put(b, s + i, w);
			word_start = 1;
		} else {
			if (word_start && hides_something)
				ob_put(b, s + i, w);
			else
				ob_stars(b, 1);
			word_start = 0;
		}
		i += w;
	}
}

/* The name rule: Chinese names by mask_name_chinese, everything else word by word. */
static void mask_name(struct obuf *b, const char *s, size_t n)
{
	uint32_t cp;
	if (!readable_text(s, n)) {
		mask_all(b, s, n);
		return;
	}
	utf8_decode(s, n, &cp);
	if (is_cjk(cp))
		mask_name_chinese(b, s, n);
	else
		mask_name_words(b, s, n);
}

/* ------------------------------------------------------------------------------------ */
/* phone, resident_id, bank_card, email                                                 */
/* ------------------------------------------------------------------------------------ */

/* Fewer digits than this in a non-mainland phone number hide it entirely: showing the
 * last four would show most of it. */
#define PHONE_OTHER_MIN_DIGITS 7

/* The phone rule. A mainland mobile ("+86" + 11 digits, also accepted as "0086"/"86" +
 * 11 digits or the bare 11 digits) becomes 138****5678. Any other number keeps its last
 * four digits and the characters + - ( ) and space; other digits and any other character
 * become '*'. A number with fewer than 7 digits, or unreadable text (invalid UTF-8,
 * NUL), is hidden entirely. */
static void mask_phone(struct obuf *b, const char *s, size_t n)
{
	if (!readable_text(s, n)) {
		mask_all(b, s, n);
		return;
	}
	if (n == 14 && s[0] == '+' && s[1] == '8' && s[2] == '6' && is_mobile(s + 3)) {
		emit_mobile_mask(b, s + 3);
		return;
	}
	if (n == 15 && memcmp(s, "0086", 4) == 0 && is_mobile(s + 4)) {
		emit_mobile_mask(b, s + 4);
		return;
	}
	if (n == 13 && s[0] == '8' && s[1] == '6' && is_mobile(s + 2)) {
		emit_mobile_mask(b, s + 2);
		return;
	}
	if (n == 11 && is_mobile(s)) {
		emit_mobile_mask(b, s);
		return;
	}
	size_t nd = 0;
	for (size_t i = 0; i < n; i++)
		nd += is_ascii_digit(s[i]);
	if (nd < PHONE_OTHER_MIN_DIGITS) {
		mask_all(b, s, n);
		return;
	}
	size_t seen = 0;
	uint32_t cp;
	for (size_t i = 0; i < n;) {
		size_t w = utf8_decode(s + i, n - i, &cp);
		char c = s[i];
		if (is_ascii_digit(c)) {
			seen++;
			if (seen > nd - 4)
				ob_put(b, &c, 1);
			else
				ob_stars(b, 1);
		} else if (c == '+' || c == '-' || c == '(' || c == ')' || c == ' ') {
			ob_put(b, &c, 1);
		} else {
			ob_stars(b, 1);
		}
		i += w;
	}
}

/* The resident_id rule: 17 digits and a digit or X (either case) become the first 6,
 * eight '*' and the last 4. Anything else is hidden entirely. */
static void mask_resident_id(struct obuf *b, const char *s, size_t n)
{
	if (n == 18 && all_digits(s, 17) &&
	    (is_ascii_digit(s[17]) || s[17] == 'X' || s[17] == 'x'))
		emit_resident_id_mask(b, s);
	else
		mask_all(b, s, n);
}

/* The bank_card rule: 12 or more ASCII digits (single spaces or hyphens between them are
 * tolerated and dropped) become the first 4, a '*' per middle digit and the last 4.
 * Anything else is hidden entirely. */
static void mask_bank_card(struct obuf *b, const char *s, size_t n)
{
	size_t nd = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_ascii_digit(s[i])) {
			nd++;
		} else if ((s[i] == ' ' || s[i] == '-') && i > 0 && is_ascii_digit(s[i - 1]) &&
			   i + 1 < n && is_ascii_digit(s[i + 1])) {
			continue;
		} else {
			nd = 0;
			break;
		}
	}
	if (nd < 12) {
		mask_all(b, s, n);
		return;
	}
	size_t seen = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_ascii_digit(s[i]))
			continue;
		if (seen < 4 || seen >= nd - 4)
			ob_put(b, s + i, 1);
		else
			ob_stars(b, 1);
		seen++;
	}
}

/* The email rule: the first character of the local part, "***@", then the domain (after
 * the last '@'). Without a non-empty local part and domain, or with unreadable text, the
 * value is hidden entirely. */
static void mask_email(struct obuf *b, const char *s, size_t n)
{
	size_t at = n;
	for (size_t i = n; i > 0; i--) {
		if (s[i - 1] == '@') {
			at = i - 1;
			break;
		}
	}
	if (at == n || at == 0 || at + 1 == n || !readable_text(s, n)) {
		mask_all(b, s, n);
		return;
	}
	uint32_t cp;
	size_t first = utf8_decode(s, at, &cp);
	if (first == 0 || first > at) { /* an '@' cannot sit inside a character; belt and braces */
		mask_all(b, s, n);
		return;
	}
	ob_put(b, s, first);
	ob_puts(b, "***@");
	ob_put(b, s + at + 1, n - at - 1);
}

/* ------------------------------------------------------------------------------------ */
/* address                                                                              */
/* ------------------------------------------------------------------------------------ */

/* A district marker (区/县/旗) counts only within the first this many characters: further
 * on it is far more likely part of a street-level name (阳光小区, 科技园区) than a district. */
#define ADDR_DISTRICT_WINDOW 20
/* The 市 fallback looks at the first this many characters. */
#define ADDR_CITY_WINDOW 12
/* With no marker, at most this many leading characters are kept. */
#define ADDR_FALLBACK_KEEP 6

#define CP_QU 0x533A   /* 区 */
#define CP_XIAN 0x53BF /* 县 */
#define CP_QI 0x65D7   /* 旗 */
#define CP_SHI 0x5E02  /* 市 */

struct addr_char {
	uint32_t cp;
	size_t end; /* byte offset just past the character */
};

/* 1 if cp is one of the code points in list[0..n). */
static int cp_in(uint32_t cp, const uint32_t *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == cp)
			return 1;
	return 0;
}

/* 1 if the marker cp, between prev and next (0 at either end), ends a district-level
 * name; 0 for words that merely contain it: 小区 社区 校区 景区 厂区 片区 街区 (below a
 * district), 地区 自治区 行政区 (above one), 旗舰 (flagship store), 超市 门市 市场. */
static int addr_marker_ok(uint32_t prev, uint32_t cp, uint32_t next)
{
	static const uint32_t not_before_qu[] = {
		0x5C0F /* 小 */, 0x793E /* 社 */, 0x6821 /* 校 */, 0x666F /* 景 */,
		0x5382 /* 厂 */, 0x7247 /* 片 */, 0x8857 /* 街 */, 0x5730 /* 地 */,
		0x6CBB /* 治 */, 0x653F /* 政 */,
	};
	static const uint32_t not_before_shi[] = { 0x8D85 /* 超 */, 0x95E8 /* 门 */ };
	switch (cp) {
	case CP_QU:
		return !cp_in(prev, not_before_qu, sizeof not_before_qu / sizeof not_before_qu[0]);
	case CP_XIAN:
		return 1;
	case CP_QI:
		return next != 0x8230 /* 舰 */;
	case CP_SHI:
		return !cp_in(prev, not_before_shi, 2) && next != 0x573A /* 场 */;
	default:
		return 0;
	}
}

/* Characters to keep when no marker is found: at most ADDR_FALLBACK_KEEP, at most half
 * of the value (so something is always hidden), and none from the first digit on (house
 * numbers come first in Latin-script addresses). */
static size_t addr_fallback_end(const char *s, size_t n)
{
	size_t limit = utf8_count(s, n) / 2;
	if (limit > ADDR_FALLBACK_KEEP)
		limit = ADDR_FALLBACK_KEEP;
	size_t end = 0;
	uint32_t cp;
	for (size_t k = 0; k < limit; k++) {
		size_t w = utf8_decode(s + end, n - end, &cp);
		if ((cp >= '0' && cp <= '9') || (cp >= 0xFF10 && cp <= 0xFF19))
			break;
		end += w;
	}
	return end;
}

/* The address rule: kept up to and including the first district marker 区/县/旗 within the
 * first 20 characters (skipping words like 小区 and 自治区, see addr_marker_ok), else up to
 * the last 市 within the first 12 characters, else the fallback of addr_fallback_end;
 * then "****". Unreadable text (invalid UTF-8, NUL) is hidden
 * entirely. */
static void mask_address(struct obuf *b, const char *s, size_t n)
{
	if (!readable_text(s, n)) {
		mask_all(b, s, n);
		return;
	}
	struct addr_char c[ADDR_DISTRICT_WINDOW + 1];
	size_t count = 0;
	for (size_t i = 0; i < n && count < ADDR_DISTRICT_WINDOW + 1;) {
		size_t w = utf8_decode(s + i, n - i, &c[count].cp);
		i += w;
		c[count++].end = i;
	}
	size_t keep = 0;
	int found = 0;
	for (size_t k = 0; k < count && k < ADDR_DISTRICT_WINDOW && !found; k++) {
		uint32_t cp = c[k].cp;
		if (cp != CP_QU && cp != CP_XIAN && cp != CP_QI)
			continue;
		uint32_t prev = k > 0 ? c[k - 1].cp : 0, next = k + 1 < count ? c[k + 1].cp : 0;
		if (addr_marker_ok(prev, cp, next)) {
			keep = c[k].end;
			found = 1;
		}
	}
	for (size_t k = 0; k < count && k < ADDR_CITY_WINDOW && !found; k++) {
		uint32_t prev = k > 0 ? c[k - 1].cp : 0, next = k + 1 < count ? c[k + 1].cp : 0;
		if (c[k].cp == CP_SHI && addr_marker_ok(prev, CP_SHI, next))
			keep = c[k].end; /* the last one wins */
	}
	if (!found && keep == 0)
		keep = addr_fallback_end(s, n);
	ob_put(b, s, keep);
	ob_puts(b, "****");
}

/* ------------------------------------------------------------------------------------ */
/* amount                                                                               */
/* ------------------------------------------------------------------------------------ */

/* The amount rule: a decimal [+-]digits[.digits] (',' allowed between integer digits)
 * becomes its range bucket, read from the number of significant integer digits, without
 * floating point. Negative non-zero amounts give "<0"; -0 counts as 0. Anything else is
 * hidden entirely. */
static void mask_amount(struct obuf *b, const char *s, size_t n)
{
	static const char *const buckets[] = {
		"0-100", "0-100", "0-100", "100-1000", "1000-10000", "10000-100000",
		"100000-1000000", ">=1000000",
	};
	size_t i = 0, sig = 0, ndigits = 0;
	int negative = 0, nonzero = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		negative = s[i++] == '-';
	for (; i < n; i++) {
		if (is_ascii_digit(s[i])) {
			ndigits++;
			if (s[i] != '0' || sig > 0) {
				if (sig < 7)
					sig++;
				nonzero = 1;
			}
		} else if (s[i] == ',' && i > 0 && is_ascii_digit(s[i - 1]) && i + 1 < n &&
			   is_ascii_digit(s[i + 1])) {
			continue;
		} else {
			break;
		}
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && is_ascii_digit(s[i]); i++) {
			ndigits++;
			if (s[i] != '0')
				nonzero = 1;
		}
	}
	if (i != n || ndigits == 0) {
		mask_all(b, s, n);
		return;
	}
	ob_puts(b, negative && nonzero ? "<0" : buckets[sig]);
}

/* ------------------------------------------------------------------------------------ */
/* free_text                                                                            */
/* ------------------------------------------------------------------------------------ */

/* A run of digit groups in free text: groups of digits joined by a single space or hyphen.
 * Collection stops after FT_COLLECT_DIGITS digits (room for three numbers, enough to see
 * how the first one ends) or FT_MAX_GROUPS groups; only the first FT_MAX_DIGITS digits are
 * stored. */
#define FT_MAX_GROUPS 24
#define FT_MAX_DIGITS 64
#define FT_COLLECT_DIGITS 60

struct digit_run {
	size_t ngroups;
	size_t glen[FT_MAX_GROUPS]; /* digits in each group */
	size_t gend[FT_MAX_GROUPS]; /* byte offset just past each group */
	size_t cum[FT_MAX_GROUPS];  /* digits up to and including each group */
	char sep[FT_MAX_GROUPS];    /* separator before each group (' ' or '-'; 0 for the first) */
	char digits[FT_MAX_DIGITS];  /* the first digits, as ASCII */
	size_t x_end;                /* offset past an X (check character) ending the run, or 0 */
};

/* The value 0..9 of an ASCII or full-width (U+FF10..U+FF19) digit at s[i], its byte
 * length in *w; -1 if there is none (or i >= n). */
static int digit_at(const char *s, size_t n, size_t i, size_t *w)
{
	if (i >= n)
		return -1;
	if (is_ascii_digit(s[i])) {
		*w = 1;
		return s[i] - '0';
	}
	const unsigned char *u = (const unsigned char *)s + i;
	if (n - i >= 3 && u[0] == 0xEF && u[1] == 0xBC && u[2] >= 0x90 && u[2] <= 0x99) {
		*w = 3;
		return u[2] - 0x90;
	}
	return -1;
}

/* Collect the digit groups starting at s[i] (which must be a digit) into *r. */
static void scan_digit_run(const char *s, size_t n, size_t i, struct digit_run *r)
{
	size_t total = 0, w = 0;
	int d;
	char sep = 0;
	r->ngroups = 0;
	r->x_end = 0;
	for (;;) {
		size_t glen = 0;
		while ((d = digit_at(s, n, i, &w)) >= 0) {
			if (total < FT_MAX_DIGITS)
				r->digits[total] = (char)('0' + d);
			total++;
			glen++;
			i += w;
		}
		r->glen[r->ngroups] = glen;
		r->gend[r->ngroups] = i;
		r->cum[r->ngroups] = total;
		r->sep[r->ngroups] = sep;
		r->ngroups++;
		if (total > FT_COLLECT_DIGITS || r->ngroups == FT_MAX_GROUPS)
			return; /* cut short: whatever follows is not known to end it */
		if (i < n && (s[i] == ' ' || s[i] == '-') && digit_at(s, n, i + 1, &w) >= 0)
			sep = s[i++];
		else
			break;
	}
	if (i < n && (s[i] == 'X' || s[i] == 'x') && !(i + 1 < n && is_ascii_alnum(s[i + 1])))
		r->x_end = i + 1;
}

/* 1 if groups [from, k) of r may form one number: a single group, or groups of 3 to 8
 * digits each joined by one kind of separator (138 1234 5678, 6222-0212-3456-7890-123,
 * 110105 19900101 1234). This keeps "2024-01-15", "room 305 13812345678" and
 * "138-1234-5678 6222 ..." from being read as one number. */
static int groups_ok(const struct digit_run *r, size_t from, size_t k)
{
	if (k - from == 1)
		return 1;
	for (size_t g = from; g < k; g++) {
		if (r->glen[g] < 3 || r->glen[g] > 8)
			return 0;
		if (g > from + 1 && r->sep[g] != r->sep[from + 1])
			return 0;
	}
	return 1;
}

/* Digits in groups [from, k) of r. */
static size_t groups_digits(const struct digit_run *r, size_t from, size_t k)
{
	return r->cum[k - 1] - (from > 0 ? r->cum[from - 1] : 0);
}

/* If groups [from, k) of r are a mainland mobile number (optionally after a country code
 * 86 or 0086, in a group of its own or joined to the number), the offset of its 11 digits
 * in r->digits; else -1. */
static int run_mobile_at(const struct digit_run *r, size_t from, size_t k)
{
	size_t base = from > 0 ? r->cum[from - 1] : 0, nd = groups_digits(r, from, k);
	if (r->cum[k - 1] > FT_MAX_DIGITS)
		return -1; /* digits not stored; and no pattern is that long */
	const char *d = r->digits + base;
	size_t cc_group = k - from > 1 ? from + 1 : from;
	if (nd == 11 && is_mobile(d) && groups_ok(r, from, k))
		return (int)base;
	if (nd == 13 && d[0] == '8' && d[1] == '6' && is_mobile(d + 2) &&
	    groups_ok(r, r->glen[from] == 2 ? cc_group : from, k))
		return (int)base + 2;
	if (nd == 15 && memcmp(d, "0086", 4) == 0 && is_mobile(d + 4) &&
	    groups_ok(r, r->glen[from] == 4 ? cc_group : from, k))
		return (int)base + 4;
	return -1;
}

/* 1 if d[0..8) looks like a birth date YYYYMMDD (19xx or 20xx, month 1-12, day 1-31). */
static int plausible_birth_date(const char *d)
{
	if (!all_digits(d, 8) || !((d[0] == '1' && d[1] == '9') || (d[0] == '2' && d[1] == '0')))
		return 0;
	int m = (d[4] - '0') * 10 + (d[5] - '0'), day = (d[6] - '0') * 10 + (d[7] - '0');
	return m >= 1 && m <= 12 && day >= 1 && day <= 31;
}

enum ft_kind { FT_NONE, FT_MOBILE, FT_RESIDENT_ID, FT_CARD };

/* What groups [g, h) of r are when read as one number: a mobile number (its 11 digits at
 * r->digits + *offset), a resident ID (18 digits with a plausible birth date, or 17 and
 * the check character X right after the run), a 12..19 digit card number, or none. Split
 * into groups, an ID is written 6-8-4 and a card starts with a group of 4 (or 6). */
static enum ft_kind classify_groups(const struct digit_run *r, size_t g, size_t h,
				    size_t *offset)
{
	int off = run_mobile_at(r, g, h);
	if (off >= 0) {
		*offset = (size_t)off;
		return FT_MOBILE;
	}
	size_t nd = groups_digits(r, g, h), base = g > 0 ? r->cum[g - 1] : 0;
	int single = h - g == 1;
	if (r->cum[h - 1] > FT_MAX_DIGITS || !groups_ok(r, g, h))
		return FT_NONE;
	if ((single || r->glen[g] == 6) &&
	    ((nd == 17 && h == r->ngroups && r->x_end) ||
	     (nd == 18 && plausible_birth_date(r->digits + base + 6))))
		return FT_RESIDENT_ID;
	if ((single || r->glen[g] == 4 || r->glen[g] == 6) && nd >= 12 && nd <= 19)
		return FT_CARD;
	return FT_NONE;
}

/* The cost of one way of reading the groups of a run, compared in this order: digits left
 * as written (fewest wins: a doubtful reading that masks more beats one that leaks), then
 * card numbers read (the catch-all; a mobile or ID reading is the more specific), then
 * numbers read (longer numbers). */
struct read_cost {
	size_t unmatched, cards, numbers;
};

static int cost_less(const struct read_cost *a, const struct read_cost *b)
{
	if (a->unmatched != b->unmatched)
		return a->unmatched < b->unmatched;
	if (a->cards != b->cards)
		return a->cards < b->cards;
	return a->numbers < b->numbers;
}

struct ft_match {
	enum ft_kind kind; /* FT_NONE: the first group stays as written */
	size_t end;        /* byte offset just past the match */
	size_t offset;     /* of a mobile's 11 digits in the run's digits */
	size_t nd;         /* digits of a card */
	int x;             /* resident ID ending in X */
};

/* Read the run r: choose, by dynamic programming over its groups, the split into numbers
 * (classify_groups) and groups left as written that has the lowest read_cost, and return
 * the first element of that split. So "6222 0212 3456 7890 138 1234 5678" is a card and a
 * phone, while "... 7366 135 6205 3553 1238 9449" is two cards, not a card, a phone and
 * "1238 9449" in clear. Only the first element is used; the caller scans again after it,
 * so every decision sees up to FT_COLLECT_DIGITS digits ahead. */
static struct ft_match plan_run(const struct digit_run *r)
{
	struct read_cost best[FT_MAX_GROUPS + 1];
	enum ft_kind kind[FT_MAX_GROUPS + 1];
	size_t hend[FT_MAX_GROUPS + 1], off[FT_MAX_GROUPS + 1];
	size_t ng = r->ngroups;
	best[ng] = (struct read_cost){ 0, 0, 0 };
	for (size_t g = ng; g-- > 0;) {
		int have = 0;
		size_t base = g > 0 ? r->cum[g - 1] : 0;
		/* longest first, so that among equal costs the longer number wins */
		for (size_t h = ng; h > g; h--) {
			size_t o = 0;
			if (r->cum[h - 1] - base > 19)
				continue;
			enum ft_kind k = classify_groups(r, g, h, &o);
			if (k == FT_NONE)
				continue;
			struct read_cost c = best[h];
			c.numbers++;
			c.cards += k == FT_CARD;
			if (!have || cost_less(&c, &best[g])) {
				best[g] = c;
				kind[g] = k;
				hend[g] = h;
				off[g] = o;
				have = 1;
			}
		}
		struct read_cost c = best[g + 1];
		c.unmatched += r->glen[g];
		if (!have || cost_less(&c, &best[g])) {
			best[g] = c;
			kind[g] = FT_NONE;
			hend[g] = g + 1;
			off[g] = 0;
		}
	}
	struct ft_match m = { kind[0], r->gend[hend[0] - 1], off[0], r->cum[hend[0] - 1], 0 };
	if (m.kind == FT_RESIDENT_ID && m.nd == 17) {
		m.x = 1;
		m.end = r->x_end;
	}
	return m;
}

/* Write the masked form of match m of run r. */
static void emit_run_mask(struct obuf *b, const struct digit_run *r, const struct ft_match *m)
{
	char id[18];
	switch (m->kind) {
	case FT_MOBILE:
		emit_mobile_mask(b, r->digits + m->offset);
		break;
	case FT_RESIDENT_ID:
		memcpy(id, r->digits, 17);
		id[17] = m->x ? 'X' : r->digits[17];
		emit_resident_id_mask(b, id);
		break;
	case FT_CARD:
		emit_card_mask(b, r->digits, m->nd);
		break;
	case FT_NONE:
		break;
	}
}

/* Characters allowed in the local part of an e-mail address found in free text. */
static int is_local_char(char c)
{
	return is_ascii_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

/* The end of a domain name starting at s[i] (ASCII labels of letters, digits and inner
 * hyphens, at least two labels, the last of two or more letters), or 0 if there is none.
 * A trailing '.' (end of sentence) is not part of it; nor are digits run straight onto
 * the top-level label ("a@b.com13812345678" is an address and a phone number). */
static size_t domain_end(const char *s, size_t n, size_t i)
{
	size_t labels = 0, good = 0;
	for (;;) {
		size_t q = i, alpha_prefix = 0;
		while (q < n && (is_ascii_alnum(s[q]) || s[q] == '-')) {
			if (alpha_prefix == q - i && is_ascii_alpha(s[q]))
				alpha_prefix++;
			q++;
		}
		if (q == i || q - i > 63 || s[i] == '-' || s[q - 1] == '-')
			break;
		labels++;
		if (labels >= 2 && alpha_prefix >= 2) {
			if (alpha_prefix == q - i)
				good = q;
			else if (is_ascii_digit(s[i + alpha_prefix]))
				good = i + alpha_prefix; /* unless a later label does better */
		}
		if (q + 1 < n && s[q] == '.' && is_ascii_alnum(s[q + 1]))
			i = q + 1;
		else
			break;
	}
	return good;
}

static void mask_text_body(struct obuf *b, const char *s, size_t n);

/* If an e-mail address starts at s[i] (at the start of a word of local-part characters),
 * write the characters before it (leading '.', '-', '+'), then its masked form, and
 * return the offset just past it; else write nothing and return 0. The domain is kept,
 * but a number written into it is masked like any other ("a@13812345678.cn"). */
static size_t try_email(struct obuf *b, const char *s, size_t n, size_t i)
{
	if (i > 0 && is_local_char(s[i - 1]))
		return 0;
	size_t at = i;
	while (at < n && is_local_char(s[at]))
		at++;
	if (at == i || at >= n || s[at] != '@' || s[at - 1] == '.')
		return 0;
	size_t local = i;
	while (local < at && (s[local] == '.' || s[local] == '-' || s[local] == '+'))
		local++;
	if (local == at)
		return 0;
	size_t end = domain_end(s, n, at + 1);
	if (end == 0)
		return 0;
	ob_put(b, s + i, local - i);
	ob_put(b, s + local, 1);
	ob_puts(b, "***@");
	mask_text_body(b, s + at + 1, end - at - 1); /* no '@' there: no deeper recursion */
	return end;
}

/* The free_text rule: copy the text, replacing each embedded mainland mobile number
 * (optionally +86/0086, single spaces or hyphens between digit groups), resident ID
 * number, 12..19 digit card number and e-mail address by its masked form (the form the
 * phone, resident_id, bank_card and email rules give its normalised value). Other digit
 * runs stay. ASCII and full-width digits are recognised. Unreadable text (invalid UTF-8,
 * NUL) is hidden entirely. */
static void mask_free_text(struct obuf *b, const char *s, size_t n)
{
	if (readable_text(s, n))
		mask_text_body(b, s, n);
	else
		mask_all(b, s, n);
}

/* The scan behind mask_free_text, on text already known to be readable (readable_text). */
static void mask_text_body(struct obuf *b, const char *s, size_t n)
{
	struct digit_run run;
	size_t i = 0, w = 0;
	uint32_t cp;
	while (i < n) {
		size_t end = try_email(b, s, n, i);
		if (end) {
			i = end;
			continue;
		}
		int plus = s[i] == '+' && digit_at(s, n, i + 1, &w) >= 0;
		if (plus || digit_at(s, n, i, &w) >= 0) {
			scan_digit_run(s, n, i + (size_t)plus, &run);
			struct ft_match m = plan_run(&run);
			if (m.kind != FT_NONE) {
				emit_run_mask(b, &run, &m);
				i = m.end;
			} else {
				ob_put(b, s + i, run.gend[0] - i);
				i = run.gend[0];
			}
			continue;
		}
		w = utf8_decode(s + i, n - i, &cp);
		if (w == 0)
			w = 1; /* cannot happen after readable_text; never loop forever */
		ob_put(b, s + i, w);
		i += w;
	}
}

/* ------------------------------------------------------------------------------------ */
/* Entry point                                                                          */
/* ------------------------------------------------------------------------------------ */

/* See mask.h. A NULL value is taken as empty. A rule number outside enum pv_mask hides the
 * value entirely (fail closed). */
char *pv_mask_value(enum pv_mask rule, const char *value, size_t len)
{
	struct obuf b;
	if (!value)
		len = 0;
	ob_init(&b, len < SIZE_MAX - 16 ? len + 16 : len);
	if (len == 0)
		return ob_finish(&b);
	switch (rule) {
	case PV_MASK_NONE:
		ob_put(&b, value, len);
		return ob_finish(&b);
	case PV_MASK_NAME:
		mask_name(&b, value, len);
		return ob_finish(&b);
	case PV_MASK_PHONE:
		mask_phone(&b, value, len);
		return ob_finish(&b);
	case PV_MASK_RESIDENT_ID:
		mask_resident_id(&b, value, len);
		return ob_finish(&b);
	case PV_MASK_BANK_CARD:
		mask_bank_card(&b, value, len);
		return ob_finish(&b);
	case PV_MASK_EMAIL:
		mask_email(&b, value, len);
		return ob_finish(&b);
	case PV_MASK_ADDRESS:
		mask_address(&b, value, len);
		return ob_finish(&b);
	case PV_MASK_AMOUNT:
		mask_amount(&b, value, len);
		return ob_finish(&b);
	case PV_MASK_FREE_TEXT:
		mask_free_text(&b, value, len);
		return ob_finish(&b);
	}
	mask_all(&b, value, len);
	return ob_finish(&b);
}
