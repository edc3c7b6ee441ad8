/* SPDX-License-Identifier: Apache-2.0 */
/* pii_detect.h: the checks behind pv_pii_scan (pivault.h) that other rules share: the check
 * characters of resident ID numbers and USCC codes, Luhn, the shape of a mobile number, and
 * of a value that is a name alone. */
#ifndef PV_PII_DETECT_H
#define PV_PII_DETECT_H

#include <stddef.h>

#include "pivault.h"

/* 1 if d[0..18) is a resident ID number: 17 ASCII digits, a plausible region and birth date,
 * and its ISO 7064 MOD 11-2 check character (a digit, or X in either case) right. */
int pv_pii_resident_id_ok(const char *d);

/* 1 if the nd ASCII digits d[0..nd) pass the Luhn check. */
int pv_pii_luhn_ok(const char *d, size_t nd);

/* 1 if c[0..18) is a unified social credit code: a registration authority, a division
 * code and its GB 32100-2015 check character (upper case). */
int pv_pii_uscc_ok(const char *c);

/* 1 if the organisation code at c[8..17) of a USCC code has its GB 11714 check character
 * (real codes do; a number merely passing the USCC check does so one time in eleven). */
int pv_pii_uscc_org_ok(const char *c);

/* 1 if s[0..len) is, as a whole, shaped like a Chinese name: a surname of the list and one
 * or two characters that could be a given name (a column of such values holds names even
 * without the context words pv_pii_scan needs in free text). */
int pv_pii_name_alone(const char *s, size_t len);

/* 1 if d[0..11) are the 11 ASCII digits of a mainland mobile number (1, then 3..9). */
int pv_pii_mobile_ok(const char *d);

#endif
