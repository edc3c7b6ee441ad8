/* SPDX-License-Identifier: Apache-2.0 */
/* notice_render.c: the parts every notice to customers shares (transfer_notify.c,
 * incident_notify.c): templates filled in, contact fields found, the channel chosen,
 * the clear-view rule for names and contacts, and the mail-merge line. */
#include "notice_render.h"

#include "policy.h"

#include <string.h>

/* The first field of type t (masked as mask, unless PV_MASK_NONE), or -1. */
static int field_of(const struct pv_schema *s, enum pv_ftype t, enum pv_mask mask)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (s->fields[i].type == t && (mask == PV_MASK_NONE || s->fields[i].mask == mask))
			return (int)i;
	return -1;
}

void pv_notice_contacts_find(const pv_vault *v, struct pv_notice_contacts *k)
{
	const struct pv_schema *s = v->schema;
	k->name_f = pv_schema_field_index(s, "name");
	k->email_f = field_of(s, PV_T_EMAIL, PV_MASK_NONE);
	k->phone_f = field_of(s, PV_T_PHONE, PV_MASK_NONE);
	k->address_f = field_of(s, PV_T_TEXT, PV_MASK_ADDRESS);
}

pv_rc pv_notice_may_see_contacts(pv_vault *v, int role, const pv_access *who,
				 const struct pv_notice_contacts *k)
{
	pv_access all = *who; /* under the declared purpose */
	all.want_clear = 1;
	const int used[] = { k->name_f, k->email_f, k->phone_f, k->address_f };
	for (size_t i = 0; i < sizeof used / sizeof *used; i++)
		if (used[i] >= 0 && pv_policy_field_view(v, role, &all, (size_t)used[i]) !=
					    PV_VIEW_CLEAR)
			return pv_fail(v, PV_ERR_DENIED, "role '%s' does not see %s in clear: the "
				       "notices carry names and contact details, so rendering them "
				       "takes a role that does for the declared purpose (and its staff "
				       "obligations met)",
				       v->schema->roles[role].name, v->schema->fields[used[i]].name);
	return PV_OK;
}

void pv_notice_channel(const struct pv_notice_contacts *k, char **values, const char **channel,
		       const char **address)
{
	*channel = "letter";
	*address = k->address_f >= 0 ? values[k->address_f] : "";
	if (k->email_f >= 0 && values[k->email_f][0]) {
		*channel = "email";
		*address = values[k->email_f];
	} else if (k->phone_f >= 0 && values[k->phone_f][0]) {
		*channel = "sms";
		*address = values[k->phone_f];
	}
}

void pv_notice_render(struct pv_buf *out, const char *tmpl,
		      const char *(*lookup)(void *ctx, const char *name, size_t len), void *ctx)
{
	const char *s = tmpl;
	while (*s) {
		const char *open = strstr(s, "{{");
		const char *close = open ? strstr(open + 2, "}}") : NULL;
		if (!close) {
			pv_buf_str(out, s);
			return;
		}
		pv_buf_add(out, s, (size_t)(open - s));
		const char *val = lookup(ctx, open + 2, (size_t)(close - open - 2));
		if (val)
			pv_buf_str(out, val);
		else
			pv_buf_add(out, open, (size_t)(close + 2 - open)); /* unknown: kept as is */
		s = close + 2;
	}
}

/* Add s to the line as a CSV field or a JSON string, after sep ("" for the first). */
static void put_field(struct pv_buf *line, const char *sep, const char *s, int json)
{
	pv_buf_str(line, sep);
	if (json)
		pv_buf_json(line, s);
	else
		pv_buf_csv(line, s);
}

void pv_notice_line(struct pv_buf *line, int j, const char *customer, const char *channel,
		    const char *address, const char *text)
{
	put_field(line, j ? "{\"customer_id\":" : "", customer, j);
	put_field(line, j ? ",\"channel\":" : ",", channel, j);
	put_field(line, j ? ",\"address\":" : ",", address, j);
	put_field(line, j ? ",\"text\":" : ",", text, j);
	pv_buf_str(line, j ? "}\n" : "\r\n");
}
