/* SPDX-License-Identifier: Apache-2.0 */
/* mask.c: the masking rules behind pv_mask_value (names, phones, resident IDs, bank cards,
 * e-mail addresses, addresses, amount buckets, PII embedded in free text, found by
 * pii_detect.c). Pure libc. */
#include "mask.h"
#include "pii_detect.h"

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

/* The value of an ASCII or full-width (U+FF10..U+FF19) digit at s[i], its byte length in
 * *w; -1 if there is none (or i >= n). */
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

/* The digits (ASCII or full-width) of s[0..n) as ASCII into d (at most cap); their count. */
static size_t span_digits(const char *s, size_t n, char *d, size_t cap)
{
	size_t nd = 0, w = 1;
	for (size_t i = 0; i < n; i += w) {
		int v = digit_at(s, n, i, &w);
		if (v < 0) {
			w = 1;
			continue;
		}
		if (nd < cap)
			d[nd] = (char)('0' + v);
		nd++;
	}
	return nd;
}

/* A phone number found in text: a mobile (after +86/0086 or not) as 138****5678; any other
 * number as written, each digit but the last four '*', the other characters kept. */
static void emit_text_phone(struct obuf *b, const char *s, size_t n)
{
	char d[32];
	size_t nd = span_digits(s, n, d, sizeof d), seen = 0, w = 1;
	if (nd >= 11 && nd <= sizeof d && is_mobile(d + nd - 11)) {
		emit_mobile_mask(b, d + nd - 11);
		return;
	}
	for (size_t i = 0; i < n; i += w) {
		int v = digit_at(s, n, i, &w);
		if (v < 0) {
			w = 1;
			ob_put(b, s + i, 1);
		} else if (++seen > nd - 4) {
			char c = (char)('0' + v);
			ob_put(b, &c, 1);
		} else {
			ob_stars(b, 1);
		}
	}
}

/* A resident ID number found in text (18 characters, or the old 15 digits): the first 6
 * and the last 4 kept (an X upper case), the rest '*'. */
static void emit_text_resident_id(struct obuf *b, const char *s, size_t n)
{
	char d[24];
	size_t nd = span_digits(s, n, d, sizeof d);
	if (nd == 17) {
		d[nd++] = 'X';
	} else if (nd != 18 && nd != 15) {
		mask_all(b, s, n);
		return;
	}
	ob_put(b, d, 6);
	ob_stars(b, nd - 10);
	ob_put(b, d + nd - 4, 4);
}

/* Keep the first `head` and last `tail` characters of the ASCII word s[0..n), the rest '*'. */
static void emit_word_mask(struct obuf *b, const char *s, size_t n, size_t head, size_t tail)
{
	if (n <= head + tail) {
		ob_stars(b, n);
		return;
	}
	ob_put(b, s, head);
	ob_stars(b, n - head - tail);
	ob_put(b, s + n - tail, tail);
}

static void mask_text_body(struct obuf *b, const char *s, size_t n);

/* An e-mail address found in text: the first character, "***@", the domain (a number
 * written into it masked like any other: "a@13812345678.cn"). */
static void emit_text_email(struct obuf *b, const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	if (!at || at == s) {
		mask_all(b, s, n);
		return;
	}
	ob_put(b, s, 1);
	ob_puts(b, "***@");
	mask_text_body(b, at + 1, n - (size_t)(at + 1 - s)); /* no '@' there: no deeper */
}

/* The masked form of a span of type t found in text. */
static void emit_text_span(struct obuf *b, const char *s, size_t n, pv_pii_type t)
{
	char d[24];
	switch (t) {
	case PV_PII_PHONE:
		emit_text_phone(b, s, n);
		return;
	case PV_PII_RESIDENT_ID:
		emit_text_resident_id(b, s, n);
		return;
	case PV_PII_BANK_CARD: {
		size_t nd = span_digits(s, n, d, sizeof d);
		if (nd >= 12 && nd <= sizeof d)
			emit_card_mask(b, d, nd);
		else
			mask_all(b, s, n);
		return;
	}
	case PV_PII_EMAIL:
		emit_text_email(b, s, n);
		return;
	case PV_PII_USCC:
		emit_word_mask(b, s, n, 2, 2);
		return;
	case PV_PII_PASSPORT:
		emit_word_mask(b, s, n, 1, 2);
		return;
	case PV_PII_ADDRESS:
		mask_address(b, s, n);
		return;
	case PV_PII_NAME:
		mask_name_chinese(b, s, n);
		return;
	}
	mask_all(b, s, n);
}

struct text_mask {
	struct obuf *b;
	const char *s;
	size_t done; /* bytes of s written so far */
};

static int on_text_span(void *ctx, const pv_pii_span *span)
{
	struct text_mask *m = ctx;
	ob_put(m->b, m->s + m->done, span->start - m->done);
	emit_text_span(m->b, m->s + span->start, span->end - span->start, span->type);
	m->done = span->end;
	return 0;
}

/* The free_text rule: copy the text, replacing each span the detector (pv_pii_scan) finds
 * by its masked form: phones, resident IDs, bank cards and e-mail addresses as the phone,
 * resident_id, bank_card and email rules mask them, names as the name rule, addresses as
 * the address rule, USCC codes and passport numbers with only their ends kept. Numbers that
 * are none of these (order, tracking, invoice and member numbers, dates, amounts) stay.
 * Unreadable text (invalid UTF-8, NUL) is hidden entirely. */
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
	struct text_mask m = { b, s, 0 };
	pv_pii_scan(s, n, PV_PII_MIN_CONFIDENCE, on_text_span, &m);
	ob_put(b, s + m.done, n - m.done);
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
