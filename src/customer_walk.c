/* SPDX-License-Identifier: Apache-2.0 */
/* customer_walk.c: every customer opened, in id order, for work that reads the whole
 * vault (a handover package, notices, an assessment). Customers are read a page at a
 * time; while the caller works through one page on its thread, a second thread opens
 * (decrypts) the next, so the two cores share the work. Opened values live only as long
 * as the caller's callback and are wiped after it. */
#include "customer_walk.h"

#include "keyring.h"
#include "record.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 512
#define PARALLEL_MIN 4096 /* below this many customers, one thread does it all */

/* A stored customer copied out of the store's buffers, and its opened values. */
struct item {
	struct pv_stored_customer c; /* id always; the rest only when not skipped */
	int skip;
	char **values;
	pv_rc rc;
};

struct page {
	pv_vault *v;
	struct item items[PAGE];
	size_t n;
	int oom, stop;
	int (*keep)(void *ctx, const struct pv_stored_customer *c);
	void *ctx;
};

static void *dup_bytes(const void *p, size_t n)
{
	void *q = n ? malloc(n) : NULL;
	if (q)
		memcpy(q, p, n);
	return q;
}

static int copy_in(void *arg, const struct pv_stored_customer *c)
{
	struct page *pg = arg;
	struct item *it = &pg->items[pg->n++];
	memset(it, 0, sizeof *it);
	int k = pg->keep ? pg->keep(pg->ctx, c) : 1;
	if (k < 0)
		return pg->stop = -1;
	it->skip = k == 0; /* left out, but its id is where the next page starts */
	if (!it->skip)
		it->c = *c; /* then the copies of what the store lends */
	it->c.id = strdup(c->id);
	if (!it->skip) {
		it->c.wdek = dup_bytes(c->wdek, c->wdek_len);
		for (int g = 0; g < PV_GROUPS; g++)
			it->c.group[g] = dup_bytes(c->group[g], c->group_len[g]);
	}
	if (!it->c.id || (!it->skip && c->wdek_len && !it->c.wdek))
		pg->oom = 1;
	return pg->oom ? -1 : 0;
}

static void item_free(pv_vault *v, struct item *it)
{
	if (it->values)
		pv_values_wipe_free(it->values, v->schema->nfields);
	free((void *)it->c.id);
	free((void *)it->c.wdek);
	for (int g = 0; g < PV_GROUPS; g++)
		free((void *)it->c.group[g]);
	memset(it, 0, sizeof *it);
}

static void *open_page(void *arg)
{
	struct page *pg = arg;
	for (size_t i = 0; i < pg->n; i++)
		if (!pg->items[i].skip)
			pg->items[i].rc = pv_open_customer(pg->v, &pg->items[i].c, &pg->items[i].values);
	return NULL;
}

/* Read the page after `after` (NULL: the first) into pg. */
static pv_rc read_page(pv_vault *v, struct page *pg, const char *after)
{
	pg->n = 0;
	pg->oom = pg->stop = 0;
	int st = pv_store_customer_scan(v->store, after, PAGE, copy_in, pg);
	if (pg->oom)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (pg->stop || st < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

/* The walk; tolerant: a customer that does not open goes to fn with values NULL, and the
 * walk goes on (else the walk stops with the customer's error). */
static pv_rc walk(pv_vault *v, int (*keep)(void *ctx, const struct pv_stored_customer *c),
		  pv_opened_fn fn, void *ctx, int tolerant)
{
	uint64_t total = 0;
	if (pv_store_customer_count(v->store, &total) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	int parallel = total >= PARALLEL_MIN && sysconf(_SC_NPROCESSORS_ONLN) > 1;
	char err[512];
	/* the worker only reads the keyring: load every slot now, not lazily in two threads */
	if (parallel && pv_keyring_load_all(v->keyring, err, sizeof err) != 0)
		return pv_fail(v, PV_ERR_BAD_KEY, "%s", err);
	struct page *pages = calloc(2, sizeof *pages);
	if (!pages)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	for (int i = 0; i < 2; i++) {
		pages[i].v = v;
		pages[i].keep = keep;
		pages[i].ctx = ctx;
	}
	int cur = 0, stop = 0;
	pv_rc rc = read_page(v, &pages[cur], NULL);
	if (!rc)
		open_page(&pages[cur]);
	while (!rc && !stop && pages[cur].n) {
		struct page *now = &pages[cur], *next = &pages[!cur];
		rc = read_page(v, next, now->items[now->n - 1].c.id);
		pthread_t t;
		int threaded = !rc && next->n && parallel &&
			       pthread_create(&t, NULL, open_page, next) == 0;
		for (size_t i = 0; !rc && !stop && i < now->n; i++) {
			struct item *it = &now->items[i];
			if (it->skip)
				continue;
			if (it->rc && tolerant) {
				stop = fn(ctx, &it->c, NULL);
				continue;
			}
			if (it->rc) { /* opened again on this thread, for its message */
				char **values = NULL;
				rc = pv_open_customer(v, &it->c, &values);
				if (values)
					pv_values_wipe_free(values, v->schema->nfields);
				rc = rc ? rc : it->rc;
				break;
			}
			stop = fn(ctx, &it->c, it->values);
		}
		if (threaded)
			pthread_join(t, NULL);
		else if (!rc && next->n)
			open_page(next);
		for (size_t i = 0; i < now->n; i++)
			item_free(v, &now->items[i]);
		now->n = 0;
		cur = !cur;
	}
	for (int p = 0; p < 2; p++)
		for (size_t i = 0; i < pages[p].n; i++)
			item_free(v, &pages[p].items[i]);
	free(pages);
	if (!rc && stop)
		rc = PV_ERR_STORE; /* stopped by the callback, whose message stands */
	return rc;
}

pv_rc pv_walk_opened(pv_vault *v, int (*keep)(void *ctx, const struct pv_stored_customer *c),
		     pv_opened_fn fn, void *ctx)
{
	return walk(v, keep, fn, ctx, 0);
}

pv_rc pv_walk_checked(pv_vault *v, int (*keep)(void *ctx, const struct pv_stored_customer *c),
		      pv_opened_fn fn, void *ctx)
{
	return walk(v, keep, fn, ctx, 1);
}
