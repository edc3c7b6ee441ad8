/* SPDX-License-Identifier: Apache-2.0 */
/* incident_notify.h: the words a breach notice and the regulator's report take from the
 * company (cause, harm, remedies, what the customer can do, contact...), read from the
 * notice file and the caller's options (incident_notice_input.c) for incident_notify.c. */
#ifndef PV_INCIDENT_NOTIFY_H
#define PV_INCIDENT_NOTIFY_H

#include "vault.h"

enum pv_breach_field {
	PV_BF_COMPANY, PV_BF_CONTACT, PV_BF_CAUSE, PV_BF_HARM, PV_BF_REMEDIES, PV_BF_ACTIONS,
	PV_BF_MEASURES, PV_BF_COUNT
};
enum { PV_BREACH_ZH, PV_BREACH_EN, PV_BREACH_LANGS };

/* Each field's text per language (zh, en), owned. */
struct pv_breach_words {
	char *f[PV_BREACH_LANGS][PV_BF_COUNT];
};

/* The field's name as the notice file and the templates spell it ("cause"). */
const char *pv_breach_field_name(enum pv_breach_field f);

/* Read t into w: for each language and field, the option given, else the file's
 * "field.zh"/"field.en" line, else its "field" line; company defaults to the schema's
 * vault label, measures to remedies. Every field must be said in both languages (the
 * regulator's report is written in both). A malformed file is refused naming its file,
 * line and field, a missing field by its name; never a value. */
pv_rc pv_breach_words_read(pv_vault *v, const pv_breach_text *t, struct pv_breach_words *w);
void pv_breach_words_free(struct pv_breach_words *w);

#endif
