/* SPDX-License-Identifier: Apache-2.0 */
/* handles.c: the server's vault handles: one per worker thread, each opened with the root
 * secret and made a server's handle (it acts only inside a session), its bucket keys
 * loaded once. A request takes one for its run and gives it back. All of them write the
 * audit log through one audit writer (a handle of its own): concurrent requests share
 * the sync of their entries instead of paying one each. Their reads linger (see
 * pv_vault_linger_reads) for LINGER_MS, and a thread of their own ends the lingering reads
 * of handles left idle, so that no old snapshot holds back the log's checkpoints (nor a
 * shred's).
 * Long streams (an export, an import: a slow client keeps one for minutes) take theirs
 * from a few handles of their own, never from the workers', and never wait for one: at
 * most cfg->streams at once, cfg->streams_per_user for one user; beyond, the caller
 * answers 503. So a few slow clients cannot make every other request wait. */
#include "server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long a handle's reads may go on in one snapshot: a change made by another process
 * is seen within it. */
#define LINGER_MS 20

struct pvs_handles {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned n, nfree;
	pv_vault **all, **free;
	/* the streams' handles: all[n..n+nstreams), each free or in use by one user */
	unsigned nstreams, per_user;
	char (*stream_user)[128]; /* the user of each in use; "" when free */
	pv_audit_writer *audit;
	pthread_t reaper;
	int reaping, stopping;
};

static pv_rc open_one(const struct pvs_config *cfg, pv_audit_writer *audit, pv_vault **out,
		      char *err, size_t errlen)
{
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open(cfg->vault, cfg->keyring, cfg->key, &v);
	if (!rc)
		rc = pv_vault_join_audit_writer(v, audit);
	if (!rc)
		rc = pv_vault_serve(v);
	if (!rc)
		rc = pv_vault_linger_reads(v, LINGER_MS);
	if (!rc)
		rc = pv_vault_load_keys(v);
	if (rc) {
		snprintf(err, errlen, "%s", pv_errmsg(v));
		pv_vault_close(v);
		return rc;
	}
	*out = v;
	return PV_OK;
}

/* The audit writer the handles share, on a handle of its own. */
static pv_rc start_audit_writer(const struct pvs_config *cfg, pv_audit_writer **out, char *err,
				size_t errlen)
{
	pv_vault *w = NULL;
	pv_rc rc = pv_vault_open(cfg->vault, cfg->keyring, cfg->key, &w);
	if (!rc)
		rc = pv_audit_writer_start(w, out);
	if (rc) {
		snprintf(err, errlen, "%s", pv_errmsg(w));
		pv_vault_close(w);
	}
	return rc;
}

/* Every half LINGER_MS: the idle handles' lingering reads that are no longer young end. */
static void *reap(void *arg)
{
	struct pvs_handles *h = arg;
	struct timespec nap = { 0, LINGER_MS / 2 * 1000000L };
	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		for (unsigned i = 0; i < h->nfree; i++)
			pv_vault_expire_lingering(h->free[i]);
		for (unsigned i = 0; i < h->nstreams; i++)
			if (!h->stream_user[i][0])
				pv_vault_expire_lingering(h->all[h->n + i]);
		pthread_mutex_unlock(&h->lock);
		nanosleep(&nap, NULL);
		pthread_mutex_lock(&h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* The streams' handles, after the workers' in all[]; 0, or -1 with err. */
static int open_streams(struct pvs_handles *h, const struct pvs_config *cfg, char *err,
			size_t errlen)
{
	unsigned want = cfg->streams ? cfg->streams : 4;
	for (; h->nstreams < want; h->nstreams++)
		if (open_one(cfg, h->audit, &h->all[h->n + h->nstreams], err, errlen) != PV_OK)
			return -1;
	return 0;
}

struct pvs_handles *pvs_handles_open(const struct pvs_config *cfg, char *err, size_t errlen)
{
	struct pvs_handles *h = calloc(1, sizeof *h);
	unsigned n = cfg->threads, streams = cfg->streams ? cfg->streams : 4;
	if (h) {
		pthread_mutex_init(&h->lock, NULL);
		pthread_cond_init(&h->freed, NULL);
		h->all = calloc(n + streams, sizeof *h->all);
		h->free = calloc(n, sizeof *h->free);
		h->stream_user = calloc(streams, sizeof *h->stream_user);
		h->per_user = cfg->streams_per_user ? cfg->streams_per_user : 2;
	}
	if (!h || !h->all || !h->free || !h->stream_user) {
		snprintf(err, errlen, "out of memory");
		pvs_handles_close(h);
		return NULL;
	}
	if (start_audit_writer(cfg, &h->audit, err, errlen) != PV_OK) {
		pvs_handles_close(h);
		return NULL;
	}
	for (; h->n < n; h->n++) {
		if (open_one(cfg, h->audit, &h->all[h->n], err, errlen) != PV_OK) {
			pvs_handles_close(h);
			return NULL;
		}
		h->free[h->nfree++] = h->all[h->n];
	}
	if (open_streams(h, cfg, err, errlen) != 0) {
		pvs_handles_close(h);
		return NULL;
	}
	if (pthread_create(&h->reaper, NULL, reap, h) != 0) {
		snprintf(err, errlen, "the server's threads cannot be started");
		pvs_handles_close(h);
		return NULL;
	}
	h->reaping = 1;
	return h;
}

pv_vault *pvs_handle_take(struct pvs_handles *h)
{
	pthread_mutex_lock(&h->lock);
	while (h->nfree == 0)
		pthread_cond_wait(&h->freed, &h->lock);
	pv_vault *v = h->free[--h->nfree];
	pthread_mutex_unlock(&h->lock);
	return v;
}

void pvs_handle_give(struct pvs_handles *h, pv_vault *v)
{
	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < h->nstreams; i++) {
		if (h->all[h->n + i] == v) { /* a stream's: free again */
			h->stream_user[i][0] = '\0';
			pthread_mutex_unlock(&h->lock);
			return;
		}
	}
	h->free[h->nfree++] = v;
	pthread_cond_signal(&h->freed);
	pthread_mutex_unlock(&h->lock);
}

/* How many of the streams' handles user holds. */
static unsigned streams_of(const struct pvs_handles *h, const char *user)
{
	unsigned k = 0;
	for (unsigned i = 0; i < h->nstreams; i++)
		k += strcmp(h->stream_user[i], user) == 0;
	return k;
}

pv_vault *pvs_stream_handle_take(struct pvs_handles *h)
{
	pv_vault *v = NULL;
	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < h->nstreams && !v; i++) {
		if (!h->stream_user[i][0]) {
			strcpy(h->stream_user[i], " "); /* taken; its user named once known */
			v = h->all[h->n + i];
		}
	}
	pthread_mutex_unlock(&h->lock);
	return v;
}

int pvs_stream_handle_bind(struct pvs_handles *h, pv_vault *v, const char *user)
{
	int ok = 0;
	pthread_mutex_lock(&h->lock);
	if (strlen(user) + 1 < sizeof *h->stream_user && streams_of(h, user) < h->per_user) {
		for (unsigned i = 0; i < h->nstreams; i++)
			if (h->all[h->n + i] == v)
				snprintf(h->stream_user[i], sizeof *h->stream_user, "%s", user);
		ok = 1;
	}
	pthread_mutex_unlock(&h->lock);
	return ok ? 0 : -1;
}

pv_audit_writer *pvs_handles_audit(struct pvs_handles *h)
{
	return h ? h->audit : NULL;
}

void pvs_handles_close(struct pvs_handles *h)
{
	if (!h)
		return;
	if (h->reaping) {
		pthread_mutex_lock(&h->lock);
		h->stopping = 1;
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->reaper, NULL);
	}
	for (unsigned i = 0; h->all && i < h->n + h->nstreams; i++)
		pv_vault_close(h->all[i]);
	if (pv_audit_writer_stop(h->audit) != PV_OK) /* cannot be: its handles are closed */
		abort();
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->freed);
	free(h->all);
	free(h->free);
	free(h->stream_user);
	free(h);
}
