/* SPDX-License-Identifier: Apache-2.0 */
/* certificates.c: destruction certificates read back from the shred ledger, where each
 * shred keeps its certificate with its lines (ledger.h), for whoever lost the file. */
#include "audit.h"
#include "signed_json.h"
#include "ledger.h"
#include "policy.h"

#include <stdlib.h>
#include <string.h>

struct walk {
	pv_certificate_kept_fn fn;
	void *ctx;
	char **seen; /* hashes met, so a head appended twice is given once */
	size_t nseen;
	int nomem;
};

static int seen_before(struct walk *w, const char *hash)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (strcmp(w->seen[i], hash) == 0)
			return 1;
	char **s = realloc(w->seen, (w->nseen + 1) * sizeof *s);
	if (!s || !(s[w->nseen] = strdup(hash))) {
		w->seen = s ? s : w->seen;
		w->nomem = 1;
		return -1;
	}
	w->seen = s;
	w->nseen++;
	return 0;
}

static int one_line(void *ctx, json_t *line)
{
	struct walk *w = ctx;
	const char *hash = json_string_value(json_object_get(line, "certificate"));
	const char *text = json_string_value(json_object_get(line, "certificate_text"));
	if (!json_object_get(line, "intent") || !hash || !text)
		return 0; /* not a shred's head line */
	int seen = seen_before(w, hash);
	if (seen)
		return seen < 0 ? 1 : 0;
	json_t *doc = json_loads(text, 0, NULL);
	json_t *cert = json_object_get(doc, "certificate");
	pv_certificate_info c = { hash, pv_json_text(line, "time"), text,
				  (uint64_t)json_integer_value(json_object_get(cert, "count")) };
	int stop = w->fn(w->ctx, &c);
	json_decref(doc);
	return stop ? 2 : 0;
}

pv_rc pv_certificates(pv_vault *v, const pv_access *who, pv_certificate_kept_fn fn, void *ctx)
{
	if (!pv_policy_may(v, who, PV_OP_AUDIT) && !pv_policy_may(v, who, PV_OP_SHRED))
		return pv_audit_failure(v, who && who->role ?
			pv_fail(v, PV_ERR_DENIED, "role '%s' of user %s grants neither permission "
				"'audit' nor 'shred'", who->role, v->principal) :
			pv_fail(v, PV_ERR_DENIED, "user %s has no role with permission 'audit' or "
				"'shred'", v->principal),
					"certificates", NULL, NULL);
	struct pv_audit_event e = { "certificates", NULL, NULL, NULL, "ok", NULL };
	pv_rc rc = pv_audit_append(v, &e);
	if (rc)
		return rc;
	struct walk w = { fn, ctx, NULL, 0, 0 };
	char why[300];
	uint64_t damaged;
	int st = pv_ledger_each(v, one_line, &w, &damaged, why, sizeof why);
	for (size_t i = 0; i < w.nseen; i++)
		free(w.seen[i]);
	free(w.seen);
	if (w.nomem)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	return st < 0 ? pv_fail(v, PV_ERR_IO, "%s", why) : pv_ok(v);
}

struct pending_count {
	uint64_t last;
	unsigned nodes, pending;
};

static int count_node(void *ctx, const char *node_id, const char *name,
		      const char *registered_at, uint64_t applied_seq)
{
	struct pending_count *c = ctx;
	(void)node_id;
	(void)name;
	(void)registered_at;
	c->nodes++;
	c->pending += applied_seq < c->last;
	return 0;
}

pv_rc pv_certificate_nodes_pending(pv_vault *v, const char *text, unsigned *nodes,
				   unsigned *pending)
{
	*nodes = *pending = 0;
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
	json_t *part = json_object_get(json_object_get(json_object_get(doc, "certificate"),
						       "keyring_nodes"), "journal_entries");
	json_t *last = json_array_get(part, 1);
	struct pending_count c = { 0, 0, 0 };
	int ok = json_is_integer(last) && json_integer_value(last) > 0;
	if (ok)
		c.last = (uint64_t)json_integer_value(last);
	json_decref(doc);
	if (!ok)
		return pv_fail(v, PV_ERR_INPUT, "not a destruction certificate that names keyring "
			       "journal entries");
	if (pv_store_node_scan(v->store, count_node, &c) < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	*nodes = c.nodes;
	*pending = c.pending;
	return pv_ok(v);
}
