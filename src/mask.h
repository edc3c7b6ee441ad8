/* SPDX-License-Identifier: Apache-2.0 */
/* mask.h: masking rules that turn a normalised value into the form shown to a role that
 * may only see it masked (张*, 138****5678, 110105********1234, ...). */
#ifndef PV_MASK_H
#define PV_MASK_H

#include <stddef.h>
#include "schema.h"

/* Mask value[0..len) (already in the normal form of its type) by rule. Returns a
 * NUL-terminated string allocated with malloc (free with free), or NULL when out of
 * memory. An empty value masks to "". Rules:
 *   none         the value unchanged
 *   name         Chinese: surname kept, each other character '*' (张*, 欧阳** for the
 *                compound surnames); Latin: first letter of each word kept, rest '*'
 *                (Zhao Wei -> Z*** W**)
 *   phone        E.164 +86 mobile: 138****5678 (national number, middle four hidden);
 *                other: all but the last four digits '*'
 *   resident_id  first 6 and last 4 kept, the 8 between '*'
 *   bank_card    first 4 and last 4 kept, the rest '*'
 *   email        first character of the local part, "***@", the domain
 *   address      kept up to and including the district (区/县/旗, or 市 when no district
 *                follows), then "****"; with no such marker the first 6 characters + "****"
 *   amount       a range bucket: "0-100", "100-1000", "1000-10000", "10000-100000",
 *                "100000-1000000", ">=1000000" (negative amounts: "<0")
 *   free_text    the text with each span pv_pii_scan finds replaced by its masked form:
 *                phones, resident IDs, bank cards, e-mails as above, names and addresses
 *                by their rules, USCC codes and passports with only their ends kept;
 *                other numbers (orders, tracking, invoices, dates, amounts) stay */
char *pv_mask_value(enum pv_mask rule, const char *value, size_t len);

#endif
