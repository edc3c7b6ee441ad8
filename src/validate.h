/* SPDX-License-Identifier: Apache-2.0 */
/* validate.h: field validators and normalisers for every schema type, the check-digit
 * algorithms they rest on (GB 11643, Luhn, GB 32100), and the normal form used for blind
 * indexes, and the shape of a customer id. Messages never contain the value itself. */
#ifndef PV_VALIDATE_H
#define PV_VALIDATE_H

#include <stddef.h>
#include "schema.h"

/* Longest value accepted for any field, in bytes (before and after normalising). */
#define PV_VALUE_MAX 4096

/* Validate in[0..len) as a value of type t and write its normal form, NUL-terminated, to
 * out (capacity cap; PV_VALUE_MAX + 1 always suffices), its length to *outlen.
 * Returns NULL on success, else a static reason ("check digit does not match", ...),
 * which never quotes the value. Input must be UTF-8; all types refuse NUL bytes.
 * Normal forms:
 *   text            the UTF-8 as given (must be valid UTF-8, no control characters but
 *                   tab, LF and CR), surrounding white space trimmed
 *   cn_resident_id  18 characters, last one upper-case X if a letter; GB 11643 check
 *                   digit verified; birth date a real date between 1900-01-01 and today
 *   phone_cn        E.164 "+861xxxxxxxxxx"; input may carry +86 / 0086 / 86, spaces,
 *                   hyphens, parentheses and full-width digits (U+FF10..U+FF19)
 *   email           local@domain, domain lower-cased; basic syntax checked
 *   bank_card       12..19 digits, spaces and hyphens removed, Luhn verified
 *   uscc            18 characters upper-case, GB 32100 check character verified
 *   date            YYYY-MM-DD, a real calendar date (leap years)
 *   timestamp       ISO 8601 with seconds and an offset: YYYY-MM-DDTHH:MM:SS(Z|+HH:MM)
 *                   (a 'Z' stays 'Z'; a space instead of 'T' is accepted, written 'T')
 *   amount          exact decimal, no floating point: [-]digits[.d or .dd], leading zeros
 *                   dropped; input may use ',' thousands separators; more than two
 *                   decimals or more than 15 integer digits refused
 *   bool            "true" or "false"; accepts yes/no, y/n, 1/0, true/false, 是/否
 *                   (any case)
 * An empty value (after trimming) is valid for every type and normalises to "". */
const char *pv_validate(enum pv_ftype t, const char *in, size_t len,
			char *out, size_t cap, size_t *outlen);

/* The form hashed into a blind index, from a value already in normal form: for text and
 * email, Unicode NFKC with case folding (utf8proc); for text also spaces and hyphens
 * removed (not for email, where zhang-wei@ and zhangwei@ are different people); other
 * types are already canonical and are copied. Writes NUL-terminated to out (cap >=
 * 4 * PV_VALUE_MAX + 1 suffices); returns the length, or -1 if it does not fit. */
long pv_index_form(enum pv_ftype t, const char *norm, size_t len, char *out, size_t cap);

/* GB 11643 check character ('0'..'9' or 'X') for the first 17 digits of a resident ID
 * number; 0 if any of the 17 is not a digit. */
char pv_resident_id_check_char(const char *first17);

/* Luhn check digit ('0'..'9') to append to digits[0..n); 0 if a non-digit is present. */
char pv_luhn_check_digit(const char *digits, size_t n);

/* GB 32100 check character for the first 17 characters of a unified social credit code
 * (alphabet 0-9 A-H J-N P-R T-U W-Y); 0 if any character is outside the alphabet. */
char pv_uscc_check_char(const char *first17);

/* 1 if y-m-d is a real calendar date, else 0. */
int pv_date_valid(int y, int m, int d);

/* 1 if id has the shape of a customer id (1 to 64 of A-Z a-z 0-9 . _ : -), so that it may
 * be written to the audit log: a value typed in its place (a phone, a name) never is. */
int pv_customer_id_ok(const char *id);
/* The same for the n bytes at id (not NUL-terminated there). */
int pv_customer_id_ok_len(const char *id, size_t n);

#endif
