/* SPDX-License-Identifier: Apache-2.0 */
/* validate.c: checks and normalises field values of every schema type (resident IDs,
 * phones, emails, bank cards, USCCs, dates, timestamps, amounts, booleans, text), and
 * computes the normal form hashed into blind indexes; also the shape of a customer id.
 * Reasons never quote the value. */
#include "validate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

/* ---- small helpers ------------------------------------------------------------------ */

/* Output under construction: bytes are stored while they fit, one byte always kept free
 * for the terminating NUL; overflow remembers that something did not fit. */
struct sink {
	char *buf;
	size_t cap;
	size_t len;
	int overflow;
};

static void sink_byte(struct sink *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len++] = c;
	else
		o->overflow = 1;
}

static void sink_bytes(struct sink *o, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sink_byte(o, p[i]);
}

/* Append v as exactly width decimal digits, zero-padded (v < 10^width). */
static void sink_padded(struct sink *o, int v, int width)
{
	char digits[8];
	for (int i = width - 1; i >= 0; i--) {
		digits[i] = (char)('0' + v % 10);
		v /= 10;
	}
	sink_bytes(o, digits, (size_t)width);
}

/* Overwrite n bytes at p with zeros in a way the compiler keeps (values are personal). */
static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char to_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static char to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Value of the n decimal digits at s (the caller has checked they are digits). */
static int digits_value(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* 1 if s[0..n) equals word, ignoring ASCII case. */
static int equals_ignoring_case(const char *s, size_t n, const char *word)
{
	size_t wn = strlen(word);
	if (wn != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (to_lower(s[i]) != to_lower(word[i]))
			return 0;
	return 1;
}

/* 1 if s[*pos..n) starts with the bytes of prefix; then *pos moves past it. */
static int take_prefix(const char *s, size_t n, size_t *pos, const char *prefix)
{
	size_t pn = strlen(prefix);
	if (n - *pos < pn || memcmp(s + *pos, prefix, pn) != 0)
		return 0;
	*pos += pn;
	return 1;
}

/* Read between min and max decimal digits at s[*pos..n) into *val; 1 on success, with
 * *pos moved past them. */
static int take_digits(const char *s, size_t n, size_t *pos, size_t min, size_t max, int *val)
{
	size_t k = 0;
	while (*pos + k < n && k < max && is_digit(s[*pos + k]))
		k++;
	if (k < min)
		return 0;
	*val = digits_value(s + *pos, k);
	*pos += k;
	return 1;
}

/* Decode the code point at s[*pos..n) (pos < n) and move *pos past it; -1 when the bytes
 * there are not valid UTF-8 (overlong forms, surrogates and truncations included), and
 * then *pos still moves one byte on, so no loop can stall. */
static int32_t next_code_point(const char *s, size_t n, size_t *pos)
{
	unsigned char c = (unsigned char)s[*pos];
	if (c < 0x80) { /* ASCII, the common case, without a library call */
		(*pos)++;
		return c;
	}
	utf8proc_int32_t cp = -1;
	utf8proc_ssize_t used = utf8proc_iterate((const utf8proc_uint8_t *)s + *pos,
						 (utf8proc_ssize_t)(n - *pos), &cp);
	if (used <= 0) {
		(*pos)++;
		return -1;
	}
	*pos += (size_t)used;
	return cp;
}

/* The length of the UTF-8 sequence starting at s[0..n) (n > 0, s[0] >= 0x80), or 0 when
 * it is not one: overlong forms, surrogates, code points past U+10FFFF and truncated
 * sequences are refused, as RFC 3629 says. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
	else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

enum { TEXT_OK, TEXT_NUL, TEXT_NOT_UTF8 };

/* What s[0..n) is, in one pass: TEXT_NUL when it holds a NUL byte (wherever it is),
 * else TEXT_NOT_UTF8 when it is not valid UTF-8, else TEXT_OK. ASCII runs are checked
 * eight bytes at a time. */
static int scan_text(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t pos = 0;
	while (pos < n) {
		uint64_t w;
		if (n - pos >= 8 && (memcpy(&w, p + pos, 8), (w & 0x8080808080808080ull) == 0)) {
			if ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull)
				return TEXT_NUL; /* a zero byte among the eight */
			pos += 8;
		} else if (p[pos] < 0x80) {
			if (p[pos++] == 0)
				return TEXT_NUL;
		} else {
			size_t len = utf8_sequence(p + pos, n - pos);
			if (!len)
				return memchr(p + pos, 0, n - pos) ? TEXT_NUL : TEXT_NOT_UTF8;
			pos += len;
		}
	}
	return TEXT_OK;
}

/* White space trimmed from values: ASCII blanks and line ends, NEL, and the Unicode
 * space separators (no-break space, ideographic space U+3000, ...). */
static int is_white_space(int32_t cp)
{
	if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0)
		return 1;
	if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029)
		return 1;
	return cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Narrow s[0..*n) (valid UTF-8) to its part without surrounding white space: returns the
 * new start, and sets *n to the new length. Only the ends are decoded. */
static const char *trim_white_space(const char *s, size_t *n)
{
	size_t first = 0, end = *n;
	while (first < end) {
		size_t pos = first;
		if (!is_white_space(next_code_point(s, end, &pos)))
			break;
		first = pos;
	}
	while (end > first) {
		size_t start = end - 1; /* back to the first byte of the last code point */
		while (start > first && ((unsigned char)s[start] & 0xC0) == 0x80)
			start--;
		size_t pos = start;
		if (!is_white_space(next_code_point(s, end, &pos)))
			break;
		end = start;
	}
	*n = end - first;
	return s + first;
}

/* Today's date (UTC) as y * 10000 + m * 100 + d; 0 if the clock cannot be read. */
static long today_as_number(void)
{
	time_t now = time(NULL);
	struct tm tm;
	if (now == (time_t)-1 || !gmtime_r(&now, &tm))
		return 0;
	return (tm.tm_year + 1900L) * 10000L + (tm.tm_mon + 1L) * 100L + tm.tm_mday;
}

/* Decimal value of an ASCII digit or a full-width digit (U+FF10..U+FF19); else -1. */
static int digit_of(int32_t cp)
{
	if (cp >= '0' && cp <= '9')
		return (int)(cp - '0');
	if (cp >= 0xFF10 && cp <= 0xFF19)
		return (int)(cp - 0xFF10);
	return -1;
}

/* Separators allowed inside phone and card numbers: spaces (ASCII, ideographic) and
 * hyphens (ASCII, full-width). */
static int is_number_separator(int32_t cp)
{
	return cp == ' ' || cp == 0x3000 || cp == '-' || cp == 0xFF0D;
}

/* ---- check-digit algorithms ----------------------------------------------------------- */

char pv_resident_id_check_char(const char *first17)
{
	static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check_chars[] = "10X98765432";
	if (!first17)
		return 0;
	int sum = 0;
	for (int i = 0; i < 17; i++) {
		if (!is_digit(first17[i]))
			return 0;
		sum += (first17[i] - '0') * weights[i];
	}
	return check_chars[sum % 11];
}

char pv_luhn_check_digit(const char *digits, size_t n)
{
	if (!digits && n)
		return 0;
	/* Walking from the right, the digit next to the check digit is doubled, then every
	 * second one. */
	int sum = 0, doubled = 1;
	for (size_t i = n; i-- > 0; doubled = !doubled) {
		if (!is_digit(digits[i]))
			return 0;
		int d = digits[i] - '0';
		if (doubled) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* Position of c in the USCC alphabet (upper case only), or -1. */
static int uscc_value(char c)
{
	if (c == '\0')
		return -1;
	const char *p = strchr(uscc_alphabet, c);
	return p ? (int)(p - uscc_alphabet) : -1;
}

char pv_uscc_check_char(const char *first17)
{
	static const int weights[17] = { 1,  3,  9,  27, 19, 26, 16, 17, 20,
					 29, 25, 13, 8,  24, 10, 30, 28 };
	if (!first17)
		return 0;
	int sum = 0;
	for (int i = 0; i < 17; i++) {
		int v = uscc_value(first17[i]);
		if (v < 0)
			return 0;
		sum += v * weights[i];
	}
	/* 31 - (sum mod 31), where 31 stands for the character of value 0. */
	return uscc_alphabet[(31 - sum % 31) % 31];
}

/* Proleptic Gregorian calendar, years 1..9999 (what four digits can write). */
int pv_date_valid(int y, int m, int d)
{
	static const int days_in_month[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int last = days_in_month[m - 1] + (m == 2 && leap);
	return d <= last;
}

/* ---- one validator per type: s[0..n) is trimmed, non-empty, valid UTF-8 without NUL;
 * each returns NULL and writes the normal form to o, or returns a reason. ------------ */

/* Free text: no control characters other than tab and line breaks (free text such as
 * preferences has several lines); kept as given. */
static const char *validate_text(const char *s, size_t n, struct sink *o)
{
	/* In valid UTF-8 the C0 controls and DEL are single bytes, and the C1 controls
	 * (U+0080..U+009F) are 0xC2 followed by 0x80..0x9F: no decoding needed. */
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F ||
		    (c == 0xC2 && i + 1 < n && p[i + 1] <= 0x9F))
			return "text contains a control character";
	}
	sink_bytes(o, s, n);
	return NULL;
}

/* Resident ID number (GB 11643): 17 digits and a check character, strictly 18 ASCII
 * characters without separators; birth date real and within 1900-01-01..today (UTC). */
static const char *validate_resident_id(const char *s, size_t n, struct sink *o)
{
	char id[19];
	if (n != 18)
		return "resident ID number must have 18 characters";
	for (size_t i = 0; i < 18; i++)
		id[i] = to_upper(s[i]);
	id[18] = '\0';
	for (size_t i = 0; i < 17; i++)
		if (!is_digit(id[i]))
			return "resident ID number must be 17 digits and a check character";
	if (!is_digit(id[17]) && id[17] != 'X')
		return "resident ID number must be 17 digits and a check character";
	if (pv_resident_id_check_char(id) != id[17])
		return "resident ID check character does not match";
	int y = digits_value(id + 6, 4), m = digits_value(id + 10, 2), d = digits_value(id + 12, 2);
	if (!pv_date_valid(y, m, d))
		return "resident ID birth date is not a real date";
	long birth = y * 10000L + m * 100L + d;
	long today = today_as_number();
	if (!today)
		return "cannot read today's date";
	if (birth < 19000101L || birth > today)
		return "resident ID birth date is not between 1900-01-01 and today";
	sink_bytes(o, id, 18);
	return NULL;
}

/* Mainland mobile number. Digits may be ASCII or full-width; spaces, hyphens and one
 * pair of parentheses (ASCII or full-width) are ignored; a '+' (ASCII or full-width) may
 * only come before the first digit and must be followed by 86. Without '+', a leading
 * 0086 (15 digits in all) or 86 (13 digits in all) is the country code. The national
 * number must be 11 digits, 1 then 3..9: landlines and other countries are refused. */
static const char *validate_phone(const char *s, size_t n, struct sink *o)
{
	char digits[21];
	size_t nd = 0, pos = 0;
	int plus = 0, in_parens = 0;
	while (pos < n) {
		int32_t cp = next_code_point(s, n, &pos);
		int d = digit_of(cp);
		if (d >= 0) {
			if (nd == 20)
				return "phone number has too many digits";
			digits[nd++] = (char)('0' + d);
		} else if (cp == '+' || cp == 0xFF0B) {
			if (plus || nd > 0)
				return "phone number has a misplaced '+'";
			plus = 1;
		} else if (cp == '(' || cp == 0xFF08) {
			if (in_parens)
				return "phone number has unbalanced parentheses";
			in_parens = 1;
		} else if (cp == ')' || cp == 0xFF09) {
			if (!in_parens)
				return "phone number has unbalanced parentheses";
			in_parens = 0;
		} else if (!is_number_separator(cp)) {
			return "phone number may contain only digits, '+', spaces, hyphens and parentheses";
		}
	}
	if (in_parens)
		return "phone number has unbalanced parentheses";

	const char *national = digits;
	size_t nn = nd;
	if (plus) {
		if (nd < 2 || digits[0] != '8' || digits[1] != '6')
			return "phone number is not a +86 (mainland China) number";
		national += 2;
		nn -= 2;
	} else if (nd == 15 && memcmp(digits, "0086", 4) == 0) {
		national += 4;
		nn -= 4;
	} else if (nd == 13 && memcmp(digits, "86", 2) == 0) {
		national += 2;
		nn -= 2;
	}
	if (nn != 11 || national[0] != '1' || national[1] < '3' || national[1] > '9')
		return "phone number is not a mainland mobile number (11 digits, 13x to 19x)";
	sink_bytes(o, "+86", 3);
	sink_bytes(o, national, nn);
	return NULL;
}

/* Characters of an unquoted (dot-atom) local part besides '.', RFC 5322 atext. */
static int is_atext(char c)
{
	return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

/* Local part: 1..64 characters of ASCII atext and dots, no dot first, last or doubled. */
static const char *check_email_local(const char *s, size_t n)
{
	if (n == 0)
		return "email local part is empty";
	if (n > 64)
		return "email local part is longer than 64 characters";
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (i == 0 || i == n - 1 || s[i - 1] == '.')
				return "email local part has a misplaced dot";
		} else if (!is_atext(s[i])) {
			return "email local part has a character that is not allowed";
		}
	}
	return NULL;
}

/* Domain: at most 253 characters, two or more dot-separated labels of 1..63 letters,
 * digits and hyphens, no label starting or ending with a hyphen, last label not all
 * digits. Case is ignored here (the caller lower-cases). */
static const char *check_email_domain(const char *s, size_t n)
{
	static const char *const bad = "email domain is not a valid host name";
	if (n == 0)
		return "email domain is empty";
	if (n > 253)
		return "email domain is longer than 253 characters";
	size_t labels = 0, label_len = 0;
	int all_digits = 1;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label_len == 0 || s[i - 1] == '-')
				return bad;
			labels++;
			if (i < n) {
				label_len = 0;
				all_digits = 1;
			}
		} else if (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '-') {
			if (label_len == 0 && s[i] == '-')
				return bad;
			if (++label_len > 63)
				return bad;
			if (!is_digit(s[i]))
				all_digits = 0;
		} else {
			return bad;
		}
	}
	if (labels < 2)
		return "email domain must contain a dot";
	if (all_digits)
		return bad;
	return NULL;
}

/* Email address local@domain, at most 254 characters; domain lower-cased. */
static const char *validate_email(const char *s, size_t n, struct sink *o)
{
	const char *at = memchr(s, '@', n);
	if (!at || memchr(at + 1, '@', n - (size_t)(at - s) - 1))
		return "email address must contain exactly one '@'";
	if (n > 254)
		return "email address is longer than 254 characters";
	size_t local_len = (size_t)(at - s);
	const char *why = check_email_local(s, local_len);
	if (!why)
		why = check_email_domain(at + 1, n - local_len - 1);
	if (why)
		return why;
	sink_bytes(o, s, local_len + 1);
	for (size_t i = local_len + 1; i < n; i++)
		sink_byte(o, to_lower(s[i]));
	return NULL;
}

/* Bank card number: 12..19 digits (ASCII or full-width), spaces and hyphens between them
 * ignored (not first or last), Luhn check digit verified. */
static const char *validate_bank_card(const char *s, size_t n, struct sink *o)
{
	char digits[20];
	size_t nd = 0, pos = 0;
	int last_was_separator = 0;
	while (pos < n) {
		int32_t cp = next_code_point(s, n, &pos);
		int d = digit_of(cp);
		if (d >= 0) {
			if (nd == 19)
				return "bank card number must have 12 to 19 digits";
			digits[nd++] = (char)('0' + d);
			last_was_separator = 0;
		} else if (is_number_separator(cp)) {
			if (nd == 0)
				return "bank card number has a misplaced separator";
			last_was_separator = 1;
		} else {
			return "bank card number may contain only digits, spaces and hyphens";
		}
	}
	if (last_was_separator)
		return "bank card number has a misplaced separator";
	if (nd < 12)
		return "bank card number must have 12 to 19 digits";
	if (pv_luhn_check_digit(digits, nd - 1) != digits[nd - 1])
		return "bank card number fails the Luhn check";
	sink_bytes(o, digits, nd);
	return NULL;
}

/* Unified social credit code (GB 32100): 18 characters of its alphabet, any case,
 * upper-cased; check character verified. */
static const char *validate_uscc(const char *s, size_t n, struct sink *o)
{
	char code[19];
	if (n != 18)
		return "unified social credit code must have 18 characters";
	for (size_t i = 0; i < 18; i++) {
		code[i] = to_upper(s[i]);
		if (uscc_value(code[i]) < 0)
			return "unified social credit code has a character outside its alphabet";
	}
	code[18] = '\0';
	if (pv_uscc_check_char(code) != code[17])
		return "unified social credit code check character does not match";
	sink_bytes(o, code, 18);
	return NULL;
}

/* Parse a date written YYYY-MM-DD, YYYY/MM/DD (month and day may have one digit there,
 * with the same separator twice), YYYYMMDD, or YYYY年M月D日. 1 if the form matched. */
static int parse_date_input(const char *s, size_t n, int *y, int *m, int *d)
{
	size_t pos = 0;
	if (n == 8 && take_digits(s, n, &pos, 4, 4, y) && take_digits(s, n, &pos, 2, 2, m) &&
	    take_digits(s, n, &pos, 2, 2, d))
		return 1; /* YYYYMMDD */
	pos = 0;
	if (!take_digits(s, n, &pos, 4, 4, y))
		return 0;
	if (take_prefix(s, n, &pos, "\xE5\xB9\xB4")) { /* 年 */
		return take_digits(s, n, &pos, 1, 2, m) &&
		       take_prefix(s, n, &pos, "\xE6\x9C\x88") && /* 月 */
		       take_digits(s, n, &pos, 1, 2, d) &&
		       take_prefix(s, n, &pos, "\xE6\x97\xA5") && /* 日 */
		       pos == n;
	}
	if (pos == n || (s[pos] != '-' && s[pos] != '/'))
		return 0;
	char sep = s[pos++];
	return take_digits(s, n, &pos, 1, 2, m) && pos < n && s[pos++] == sep &&
	       take_digits(s, n, &pos, 1, 2, d) && pos == n;
}

static void write_date(struct sink *o, int y, int m, int d)
{
	sink_padded(o, y, 4);
	sink_byte(o, '-');
	sink_padded(o, m, 2);
	sink_byte(o, '-');
	sink_padded(o, d, 2);
}

/* Calendar date, written YYYY-MM-DD. */
static const char *validate_date(const char *s, size_t n, struct sink *o)
{
	int y, m, d;
	if (!parse_date_input(s, n, &y, &m, &d))
		return "date must be written YYYY-MM-DD";
	if (!pv_date_valid(y, m, d))
		return "date is not a real calendar date";
	write_date(o, y, m, d);
	return NULL;
}

/* Timestamp YYYY-MM-DD(T|t|space)HH:MM:SS(Z|z|+HH:MM|-HH:MM|+HHMM|-HHMM). Seconds 00..59
 * (no leap second), no fractions; offsets within -14:00..+14:00. Written with 'T', 'Z'
 * and +HH:MM. */
static const char *validate_timestamp(const char *s, size_t n, struct sink *o)
{
	static const char *const form =
		"timestamp must be written YYYY-MM-DDTHH:MM:SS with Z or an offset +HH:MM";
	size_t pos = 0;
	int y, mo, d, h, mi, sec;
	if (!(take_digits(s, n, &pos, 4, 4, &y) && take_prefix(s, n, &pos, "-") &&
	      take_digits(s, n, &pos, 2, 2, &mo) && take_prefix(s, n, &pos, "-") &&
	      take_digits(s, n, &pos, 2, 2, &d)))
		return form;
	if (pos == n || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' '))
		return form;
	pos++;
	if (!(take_digits(s, n, &pos, 2, 2, &h) && take_prefix(s, n, &pos, ":") &&
	      take_digits(s, n, &pos, 2, 2, &mi) && take_prefix(s, n, &pos, ":") &&
	      take_digits(s, n, &pos, 2, 2, &sec)))
		return form;
	if (pos < n && (s[pos] == '.' || s[pos] == ','))
		return "timestamp must not have fractions of a second";
	if (pos == n)
		return "timestamp needs an offset (Z or +HH:MM)";

	char sign = s[pos++];
	int oh = 0, om = 0;
	if (sign == 'Z' || sign == 'z') {
		if (pos != n)
			return form;
	} else if (sign == '+' || sign == '-') {
		if (!take_digits(s, n, &pos, 2, 2, &oh))
			return form;
		take_prefix(s, n, &pos, ":");
		if (!take_digits(s, n, &pos, 2, 2, &om) || pos != n)
			return form;
	} else {
		return form;
	}

	if (!pv_date_valid(y, mo, d))
		return "timestamp date is not a real calendar date";
	if (h > 23 || mi > 59 || sec > 59)
		return "timestamp time of day is out of range";
	if (om > 59 || oh * 60 + om > 14 * 60)
		return "timestamp offset must be within -14:00 and +14:00";

	write_date(o, y, mo, d);
	sink_byte(o, 'T');
	sink_padded(o, h, 2);
	sink_byte(o, ':');
	sink_padded(o, mi, 2);
	sink_byte(o, ':');
	sink_padded(o, sec, 2);
	if (sign == 'Z' || sign == 'z') {
		sink_byte(o, 'Z');
	} else {
		sink_byte(o, sign);
		sink_padded(o, oh, 2);
		sink_byte(o, ':');
		sink_padded(o, om, 2);
	}
	return NULL;
}

/* Length of a currency marker at s[0..n): "¥" (U+00A5), "￥" (U+FFE5) or "CNY" in any
 * case; 0 if none. */
static size_t currency_marker_len(const char *s, size_t n)
{
	size_t pos = 0;
	if (take_prefix(s, n, &pos, "\xC2\xA5") || take_prefix(s, n, &pos, "\xEF\xBF\xA5"))
		return pos;
	if (n >= 3 && equals_ignoring_case(s, 3, "cny"))
		return 3;
	return 0;
}

/* Exact decimal amount. Input: an optional sign, an optional currency marker (¥, ￥, CNY;
 * then spaces allowed, and the sign may come after it instead), integer digits (at least
 * one) with ',' thousands separators only between groups of three, then optionally '.'
 * and one or two decimals. Written [-]digits[.d|.dd]: leading zeros dropped, decimals
 * kept as given, '+' dropped, and a zero amount never negative ("-0.00" -> "0.00"). */
static const char *validate_amount(const char *s, size_t n, struct sink *o)
{
	static const char *const not_a_number = "amount is not a decimal number";
	static const char *const bad_commas = "amount has misplaced thousands separators";
	size_t pos = 0;
	int negative = 0, has_sign = 0;
	if (pos < n && (s[pos] == '-' || s[pos] == '+')) {
		negative = s[pos++] == '-';
		has_sign = 1;
	}
	size_t marker = currency_marker_len(s + pos, n - pos);
	if (marker) {
		pos += marker;
		while (pos < n && s[pos] == ' ')
			pos++;
		if (!has_sign && pos < n && (s[pos] == '-' || s[pos] == '+'))
			negative = s[pos++] == '-';
	}

	char integer[15];
	size_t int_len = 0, group = 0, commas = 0;
	int any_digit = 0, too_long = 0;
	for (; pos < n && (is_digit(s[pos]) || s[pos] == ','); pos++) {
		if (s[pos] == ',') {
			if (group == 0 || (commas == 0 && group > 3) || (commas > 0 && group != 3))
				return bad_commas;
			commas++;
			group = 0;
			continue;
		}
		any_digit = 1;
		group++;
		if (int_len == 0 && s[pos] == '0')
			continue; /* leading zero */
		if (int_len == sizeof integer)
			too_long = 1;
		else
			integer[int_len++] = s[pos];
	}
	if (!any_digit)
		return not_a_number;
	if (commas > 0 && group != 3)
		return bad_commas;

	char decimals[2];
	size_t dec_len = 0;
	int has_point = 0;
	if (pos < n && s[pos] == '.') {
		has_point = 1;
		for (pos++; pos < n && is_digit(s[pos]); pos++) {
			if (dec_len == 2)
				return "amount has more than two decimals";
			decimals[dec_len++] = s[pos];
		}
		if (dec_len == 0)
			return not_a_number;
	}
	if (pos != n)
		return not_a_number;
	if (too_long)
		return "amount has more than 15 integer digits";

	int is_zero = int_len == 0;
	for (size_t i = 0; i < dec_len; i++)
		if (decimals[i] != '0')
			is_zero = 0;
	if (negative && !is_zero)
		sink_byte(o, '-');
	if (int_len == 0)
		sink_byte(o, '0');
	sink_bytes(o, integer, int_len);
	if (has_point) {
		sink_byte(o, '.');
		sink_bytes(o, decimals, dec_len);
	}
	return NULL;
}

/* Yes/no value: true/false, yes/no, y/n, 1/0 in any case, or 是/否. */
static const char *validate_bool(const char *s, size_t n, struct sink *o)
{
	static const char *const yes[] = { "true", "yes", "y", "1", "\xE6\x98\xAF" /* 是 */ };
	static const char *const no[] = { "false", "no", "n", "0", "\xE5\x90\xA6" /* 否 */ };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (equals_ignoring_case(s, n, yes[i])) {
			sink_bytes(o, "true", 4);
			return NULL;
		}
		if (equals_ignoring_case(s, n, no[i])) {
			sink_bytes(o, "false", 5);
			return NULL;
		}
	}
	return "not a yes/no value";
}

/* ---- public entry points ------------------------------------------------------------- */

/* Run the validator of type t on trimmed, non-empty s[0..n); NULL or a reason. */
static const char *validate_by_type(enum pv_ftype t, const char *s, size_t n, struct sink *o)
{
	switch (t) {
	case PV_T_TEXT:
		return validate_text(s, n, o);
	case PV_T_RESIDENT_ID:
		return validate_resident_id(s, n, o);
	case PV_T_PHONE:
		return validate_phone(s, n, o);
	case PV_T_EMAIL:
		return validate_email(s, n, o);
	case PV_T_BANK_CARD:
		return validate_bank_card(s, n, o);
	case PV_T_USCC:
		return validate_uscc(s, n, o);
	case PV_T_DATE:
		return validate_date(s, n, o);
	case PV_T_TIMESTAMP:
		return validate_timestamp(s, n, o);
	case PV_T_AMOUNT:
		return validate_amount(s, n, o);
	case PV_T_BOOL:
		return validate_bool(s, n, o);
	}
	return "unknown field type";
}

/* See validate.h. On failure out holds "" and *outlen is 0. outlen may be NULL. Checks
 * common to all types come first, in this order: output room, length, NUL bytes, UTF-8;
 * then white space is trimmed (an empty result is valid) and the type's rules apply. */
const char *pv_validate(enum pv_ftype t, const char *in, size_t len,
			char *out, size_t cap, size_t *outlen)
{
	if (outlen)
		*outlen = 0;
	if (!out || cap == 0)
		return "no room for the normal form";
	out[0] = '\0';
	if (!in && len)
		return "value missing";
	if (len > PV_VALUE_MAX)
		return "value too long";
	int text = scan_text(in, len);
	if (text == TEXT_NUL)
		return "value contains a NUL byte";
	if (text == TEXT_NOT_UTF8)
		return "value is not valid UTF-8";

	size_t n = len;
	const char *s = len ? trim_white_space(in, &n) : in;
	struct sink o = { out, cap, 0, 0 };
	const char *why = n ? validate_by_type(t, s, n, &o) : NULL;
	if (!why && o.overflow)
		why = "normal form does not fit the output buffer";
	if (!why && o.len > PV_VALUE_MAX)
		why = "value too long";
	if (why) {
		wipe(out, o.len);
		out[0] = '\0';
		return why;
	}
	out[o.len] = '\0';
	if (outlen)
		*outlen = o.len;
	return NULL;
}

/* Characters left out of the index form: white space and dashes (Unicode category Pd,
 * which holds '-' and the other hyphens, plus the minus sign U+2212). */
static int is_index_separator(int32_t cp)
{
	if (is_white_space(cp) || cp == 0x2212)
		return 1;
	utf8proc_category_t cat = utf8proc_category(cp);
	return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_PD;
}

/* NFKC with case folding and default-ignorable code points removed (as in Unicode's
 * NFKC_Casefold), then (when drop_separators) white space and hyphens dropped; -1 on bad
 * UTF-8 or no room. */
static long fold_for_index(const char *norm, size_t len, char *out, size_t cap,
			   int drop_separators)
{
	size_t ascii = 0;
	while (ascii < len && (unsigned char)norm[ascii] < 0x80)
		ascii++;
	if (ascii == len) { /* NFKC leaves ASCII as it is; case folding is lower-casing */
		size_t w = 0;
		for (size_t i = 0; i < len; i++) {
			char c = norm[i];
			if (drop_separators && (c == '-' || is_white_space((unsigned char)c)))
				continue;
			if (w + 1 >= cap) {
				wipe(out, w);
				out[0] = '\0';
				return -1;
			}
			out[w++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		out[w] = '\0';
		return (long)w;
	}
	utf8proc_uint8_t *mapped = NULL;
	utf8proc_ssize_t mlen = utf8proc_map((const utf8proc_uint8_t *)norm, (utf8proc_ssize_t)len,
					     &mapped, UTF8PROC_STABLE | UTF8PROC_COMPOSE |
					     UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
					     UTF8PROC_IGNORE);
	if (mlen < 0)
		return -1;
	const char *m = (const char *)mapped;
	size_t mn = (size_t)mlen, pos = 0, w = 0;
	int fits = 1;
	while (pos < mn) {
		size_t at = pos;
		int32_t cp = next_code_point(m, mn, &pos);
		if (cp < 0) {
			fits = 0;
			break;
		}
		if (drop_separators && is_index_separator(cp))
			continue;
		if (w + (pos - at) >= cap) {
			fits = 0;
			break;
		}
		memcpy(out + w, m + at, pos - at);
		w += pos - at;
	}
	wipe(mapped, mn);
	free(mapped);
	if (!fits) {
		wipe(out, w);
		out[0] = '\0';
		return -1;
	}
	out[w] = '\0';
	return (long)w;
}

/* See validate.h. Also -1 when norm holds a NUL byte or, for text and email, is not
 * valid UTF-8; out then holds "" (when cap > 0). NFKC can expand some rare characters
 * many times over, so -1 stays possible even with the suggested capacity. */
long pv_index_form(enum pv_ftype t, const char *norm, size_t len, char *out, size_t cap)
{
	if (!out || cap == 0)
		return -1;
	out[0] = '\0';
	if ((!norm && len) || len > PV_VALUE_MAX * 4UL)
		return -1;
	if (len == 0)
		return 0;
	if (memchr(norm, '\0', len))
		return -1;
	if (t == PV_T_TEXT || t == PV_T_EMAIL) /* a hyphen is significant in an address */
		return fold_for_index(norm, len, out, cap, t == PV_T_TEXT);
	if (len >= cap)
		return -1;
	memcpy(out, norm, len);
	out[len] = '\0';
	return (long)len;
}

/* ---- customer ids -------------------------------------------------------------------- */

int pv_customer_id_ok_len(const char *id, size_t n)
{
	if (!id || n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

int pv_customer_id_ok(const char *id)
{
	return id && pv_customer_id_ok_len(id, strlen(id));
}
