/* SPDX-License-Identifier: Apache-2.0 */
/* incident_notice_input.c: the company's words for a breach notice and the regulator's
 * report (cause, harm, remedies, what the customer can do, contact, measures, company),
 * from a notice file of "field: text" lines (field.zh / field.en for one language) and
 * from options that stand for a line in both languages. A malformed file is refused
 * naming file, line and field; no text given is ever repeated in a message. */
#include "incident_notify.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define WORDS_MAX 2000 /* bytes in one field's text */

static const char *const field_names[PV_BF_COUNT] = { "company", "contact", "cause",
						      "harm",	 "remedies", "actions",
						      "measures" };
static const char *const lang_names[PV_BREACH_LANGS] = { "zh", "en" };

const char *pv_breach_field_name(enum pv_breach_field f)
{
	return (unsigned)f < PV_BF_COUNT ? field_names[f] : "?";
}

/* The file's lines, by field and language (PV_BREACH_LANGS: the line without one). */
struct file_words {
	char *f[PV_BREACH_LANGS + 1][PV_BF_COUNT];
};

static const char *file_name(const pv_breach_text *t)
{
	return t->notice_file ? t->notice_file : "the notice file";
}

/* 1 when s is a text a notice may carry: not empty, at most WORDS_MAX bytes, no control
 * character. */
static int words_ok(const char *s, size_t n)
{
	if (n == 0 || n > WORDS_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Field and language of key (k bytes): 0, or -1 for an unknown key. */
static int parse_key(const char *key, size_t k, int *field, int *lang)
{
	*lang = PV_BREACH_LANGS;
	for (int l = 0; l < PV_BREACH_LANGS; l++)
		if (k > 3 && key[k - 3] == '.' && memcmp(key + k - 2, lang_names[l], 2) == 0) {
			*lang = l;
			k -= 3;
		}
	for (int f = 0; f < PV_BF_COUNT; f++)
		if (strlen(field_names[f]) == k && memcmp(key, field_names[f], k) == 0) {
			*field = f;
			return 0;
		}
	return -1;
}

static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* One line (n bytes, no newline) numbered line into w. */
static pv_rc read_line(pv_vault *v, const pv_breach_text *t, size_t line, const char *s, size_t n,
		       struct file_words *w)
{
	trim(&s, &n);
	if (n == 0 || *s == '#')
		return PV_OK;
	const char *colon = memchr(s, ':', n);
	if (!colon)
		return pv_fail(v, PV_ERR_USAGE, "%s:%zu: not a 'field: text' line", file_name(t),
			       line);
	const char *key = s, *val = colon + 1;
	size_t k = (size_t)(colon - s), vn = n - k - 1;
	trim(&key, &k);
	trim(&val, &vn);
	int field, lang;
	if (parse_key(key, k, &field, &lang) != 0)
		return pv_fail(v, PV_ERR_USAGE, "%s:%zu: unknown field (company, contact, cause, "
			       "harm, remedies, actions or measures, each may end in .zh or .en)",
			       file_name(t), line);
	const char *suffix = lang < PV_BREACH_LANGS ? lang_names[lang] : NULL;
	if (w->f[lang][field])
		return pv_fail(v, PV_ERR_USAGE, "%s:%zu: field %s%s%s: given twice", file_name(t),
			       line, field_names[field], suffix ? "." : "", suffix ? suffix : "");
	if (!words_ok(val, vn))
		return pv_fail(v, PV_ERR_USAGE, "%s:%zu: field %s%s%s: empty, longer than %d bytes "
			       "or holding a control character", file_name(t), line,
			       field_names[field], suffix ? "." : "", suffix ? suffix : "",
			       WORDS_MAX);
	w->f[lang][field] = strndup(val, vn);
	return w->f[lang][field] ? PV_OK : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}

static pv_rc read_file(pv_vault *v, const pv_breach_text *t, struct file_words *w)
{
	const char *s = t->notice_text;
	for (size_t line = 1; s && *s; line++) {
		const char *end = strchr(s, '\n');
		size_t n = end ? (size_t)(end - s) : strlen(s);
		pv_rc rc = read_line(v, t, line, s, n, w);
		if (rc)
			return rc;
		s = end ? end + 1 : s + n;
	}
	return PV_OK;
}

/* The options, by field (NULL when not given). */
static void options_of(const pv_breach_text *t, const char *opt[PV_BF_COUNT])
{
	const char *given[PV_BF_COUNT] = { t->company,	t->contact, t->cause,	t->harm,
					   t->remedies, t->actions, t->measures };
	memcpy(opt, given, sizeof given);
}

/* The text field f takes in language l; NULL when not said. */
static const char *pick(const pv_vault *v, const char *const *opt, const struct file_words *fw,
			int l, int f)
{
	if (opt[f])
		return opt[f];
	if (fw->f[l][f])
		return fw->f[l][f];
	if (fw->f[PV_BREACH_LANGS][f])
		return fw->f[PV_BREACH_LANGS][f];
	if (f == PV_BF_COMPANY)
		return v->schema->vault_label;
	return NULL;
}

static pv_rc resolve(pv_vault *v, const pv_breach_text *t, const struct file_words *fw,
		     struct pv_breach_words *w)
{
	const char *opt[PV_BF_COUNT];
	options_of(t, opt);
	for (int f = 0; f < PV_BF_COUNT; f++)
		if (opt[f] && !words_ok(opt[f], strlen(opt[f])))
			return pv_fail(v, PV_ERR_USAGE, "%s: empty, longer than %d bytes or holding "
				       "a control character", field_names[f], WORDS_MAX);
	for (int l = 0; l < PV_BREACH_LANGS; l++)
		for (int f = 0; f < PV_BF_COUNT; f++) {
			const char *s = pick(v, opt, fw, l, f);
			if (!s && f == PV_BF_MEASURES)
				s = w->f[l][PV_BF_REMEDIES];
			if (!s)
				return pv_fail(v, PV_ERR_USAGE, "%s%s%s.%s: missing (the notices and "
					       "the regulator's report are written in zh and en)",
					       t->notice_text ? file_name(t) : "",
					       t->notice_text ? ": field " : "field ",
					       field_names[f], lang_names[l]);
			if (!(w->f[l][f] = strdup(s)))
				return pv_fail(v, PV_ERR_NOMEM, "out of memory");
		}
	return PV_OK;
}

pv_rc pv_breach_words_read(pv_vault *v, const pv_breach_text *t, struct pv_breach_words *w)
{
	static const pv_breach_text none = { 0 };
	memset(w, 0, sizeof *w);
	struct file_words fw = { { { 0 } } };
	pv_rc rc = read_file(v, t ? t : &none, &fw);
	if (!rc)
		rc = resolve(v, t ? t : &none, &fw, w);
	for (int l = 0; l <= PV_BREACH_LANGS; l++)
		for (int f = 0; f < PV_BF_COUNT; f++)
			free(fw.f[l][f]);
	if (rc)
		pv_breach_words_free(w);
	return rc;
}

void pv_breach_words_free(struct pv_breach_words *w)
{
	for (int l = 0; l < PV_BREACH_LANGS; l++)
		for (int f = 0; f < PV_BF_COUNT; f++) {
			free(w->f[l][f]);
			w->f[l][f] = NULL;
		}
}
