/* SPDX-License-Identifier: Apache-2.0 */
/* limits.c: the server's rate limits (transport policy; the audit entries are the
 * library's, pv_audit_rate_limited). A token bucket per key (a client address, a user name
 * tried at sign-in, a session's user), in a table of fixed size: keys are hashed with a
 * random key of this process (siphash), so a client can neither aim at a set nor learn
 * the layout; a set is 8-way, and a new key evicts the entry whose bucket is fullest (the
 * least constrained: evicting it forgives the least), so a flood of new keys cannot free a
 * limited one while fuller entries remain. One mutex guards the table (the work under it
 * is a few arithmetic steps). Refusals are counted per key: the first in an audit window
 * is to be audited with those counted since the last entry, the rest only counted, and
 * a key's next request after the window reports what was still counted. */
#include "server.h"

#include <math.h> /* INFINITY (no libm call) */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SETS 1024
#define WAYS 8

struct entry {
	uint64_t hash; /* 0: empty */
	double tokens, last, audited;
	unsigned long pending; /* refusals not yet audited */
};

struct rule {
	double rate, burst; /* tokens per second; most tokens held */
};

struct pvs_limits {
	pthread_mutex_t lock;
	unsigned char key[crypto_shorthash_KEYBYTES];
	struct rule rules[3];
	double audit_window;
	struct entry table[SETS][WAYS];
};

static double now_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned or_default(unsigned x, unsigned d)
{
	return x ? x : d;
}

struct pvs_limits *pvs_limits_new(const struct pvs_config *cfg)
{
	struct pvs_limits *l = calloc(1, sizeof *l);
	if (!l || pthread_mutex_init(&l->lock, NULL) != 0) {
		free(l);
		return NULL;
	}
	randombytes_buf(l->key, sizeof l->key);
	double window = or_default(cfg->sign_in_window_seconds, 60);
	double per_address = or_default(cfg->sign_in_per_address, 10);
	double per_user = or_default(cfg->sign_in_per_user, 5);
	double reads = or_default(cfg->reads_per_second, 20);
	l->rules[PV_LIMIT_SIGN_IN_ADDRESS] = (struct rule){ per_address / window, per_address };
	l->rules[PV_LIMIT_SIGN_IN_USER] = (struct rule){ per_user / window, per_user };
	l->rules[PV_LIMIT_READS] = (struct rule){ reads, or_default(cfg->reads_burst, 40) };
	l->audit_window = window;
	return l;
}

void pvs_limits_free(struct pvs_limits *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	sodium_memzero(l->key, sizeof l->key);
	free(l);
}

/* The key's hash (never 0: 0 marks an empty entry). */
static uint64_t hash_of(const struct pvs_limits *l, pv_rate_limit limit, const void *key,
			size_t len)
{
	unsigned char buf[1 + 256], out[crypto_shorthash_BYTES];
	len = len > 256 ? 256 : len;
	buf[0] = (unsigned char)limit;
	memcpy(buf + 1, key, len);
	crypto_shorthash(out, buf, 1 + len, l->key);
	uint64_t h;
	memcpy(&h, out, sizeof h);
	return h ? h : 1;
}

/* An entry's tokens at time now (refilled, capped at the burst). */
static double tokens_at(const struct entry *e, const struct rule *r, double now)
{
	double t = e->tokens + (now - e->last) * r->rate;
	return t < r->burst ? t : r->burst;
}

/* The entry of hash in its set: found, or a new one in place of the fullest. */
static struct entry *entry_for(struct pvs_limits *l, const struct rule *r, uint64_t hash,
			       double now)
{
	struct entry *set = l->table[hash % SETS], *victim = &set[0];
	double most = -1;
	for (int i = 0; i < WAYS; i++) {
		if (set[i].hash == hash)
			return &set[i];
		double t = set[i].hash ? tokens_at(&set[i], r, now) : INFINITY;
		if (t > most) {
			most = t;
			victim = &set[i];
		}
	}
	*victim = (struct entry){ hash, r->burst, now, -INFINITY, 0 };
	return victim;
}

/* Counted, and to be audited when the key's audit window has passed. */
static unsigned long to_audit(struct pvs_limits *l, struct entry *e, double now)
{
	if (e->pending == 0 || now - e->audited < l->audit_window)
		return 0;
	unsigned long n = e->pending;
	e->pending = 0;
	e->audited = now;
	return n;
}

struct pvs_verdict pvs_limit_take(struct pvs_limits *l, pv_rate_limit limit, const void *key,
				  size_t len)
{
	struct pvs_verdict v = { 1, 0, 0 };
	const struct rule *r = &l->rules[limit];
	uint64_t hash = hash_of(l, limit, key, len);
	pthread_mutex_lock(&l->lock);
	double now = now_seconds();
	struct entry *e = entry_for(l, r, hash, now);
	e->tokens = tokens_at(e, r, now);
	e->last = now;
	if (e->tokens >= 1) {
		e->tokens -= 1;
	} else {
		v.allowed = 0;
		v.retry_after = (unsigned)((1 - e->tokens) / r->rate) + 1; /* rounded up */
		e->pending++;
	}
	v.to_audit = to_audit(l, e, now);
	pthread_mutex_unlock(&l->lock);
	return v;
}
