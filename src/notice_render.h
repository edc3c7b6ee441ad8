/* SPDX-License-Identifier: Apache-2.0 */
/* notice_render.h: what the notices to customers share (transfer notices, breach
 * notices): a template's {{placeholders}} filled in, the schema's contact fields, the
 * channel a notice goes by, the rule that whoever renders names and contacts in clear
 * must see them in clear, and one mail-merge line (CSV or JSON Lines). */
#ifndef PV_NOTICE_RENDER_H
#define PV_NOTICE_RENDER_H

#include "formats/buf.h"
#include "vault.h"

/* The schema's fields a notice is addressed with; -1 when absent. */
struct pv_notice_contacts {
	int name_f, email_f, phone_f, address_f;
};

/* The contact fields of v's schema: the field "name", the first email and phone_cn
 * fields, the first text field masked as an address. */
void pv_notice_contacts_find(const pv_vault *v, struct pv_notice_contacts *k);

/* The notices carry names and contact details in clear: PV_OK when role (under who's
 * purpose, staff obligations included) sees each of those fields in clear, else
 * PV_ERR_DENIED naming the first it does not see. */
pv_rc pv_notice_may_see_contacts(pv_vault *v, int role, const pv_access *who,
				 const struct pv_notice_contacts *k);

/* How the notice reaches the customer: email, else SMS, else a letter to the address
 * (values borrowed from the customer's opened values). */
void pv_notice_channel(const struct pv_notice_contacts *k, char **values, const char **channel,
		       const char **address);

/* Append tmpl to out with every {{name}} replaced through lookup (NULL: kept as is). */
void pv_notice_render(struct pv_buf *out, const char *tmpl,
		      const char *(*lookup)(void *ctx, const char *name, size_t len), void *ctx);

/* Append one mail-merge line to line: customer id, channel, address, text, as a CSV row
 * (CRLF) or a JSON object (jsonl). */
void pv_notice_line(struct pv_buf *line, int jsonl, const char *customer, const char *channel,
		    const char *address, const char *text);

/* The CSV header of those lines. */
#define PV_NOTICE_CSV_HEADER "customer_id,channel,address,text\r\n"

#endif
