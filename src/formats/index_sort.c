/* SPDX-License-Identifier: Apache-2.0 */
/* index_sort.c: sorted runs of blind-index entries in memory and in an unlinked
 * temporary file, merged with a small heap. */
#include "index_sort.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct entry {
	uint8_t h[16];
	int64_t rid;
	int32_t field;
	int32_t pad;
};

struct run {
	off_t start;    /* byte offset in the file */
	uint64_t count; /* entries in the run */
};

struct pv_index_sorter {
	char *tmpdir;
	struct entry *buf;
	size_t n, cap;
	uint32_t *order, *order2, *counts; /* sort_entries' scratch, made on first use */
	int fd;           /* -1 until the first spill */
	off_t end;
	struct run *runs;
	size_t nruns, capruns;
};

/* Eight bytes of a hash as a big-endian number: comparing two is comparing the bytes. */
static uint64_t be64(const uint8_t *p)
{
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | p[i];
	return x;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	if (a->field != b->field)
		return a->field < b->field ? -1 : 1;
	uint64_t x = be64(a->h), y = be64(b->h);
	if (x == y)
		x = be64(a->h + 8), y = be64(b->h + 8);
	if (x != y)
		return x < y ? -1 : 1;
	return (a->rid > b->rid) - (a->rid < b->rid);
}

#define PREFIXES 65536   /* entries are first distributed by their hash's first two bytes */
#define FIELDS_MAX 4096  /* and then by field number, when the numbers are this small */

/* Sort e[0..n) by entry_cmp: a stable distribution by the hash's first two bytes, then by
 * field, puts the entries in (field, prefix) order in linear time; the groups left (a
 * few entries each, as blind hashes are uniform) are sorted by comparison. */
static int sort_entries(struct pv_index_sorter *s, struct entry *e, size_t n)
{
	int32_t maxf = 0;
	int distribute = n >= 1024;
	for (size_t i = 0; distribute && i < n; i++) {
		if (e[i].field < 0 || e[i].field >= FIELDS_MAX)
			distribute = 0;
		else if (e[i].field > maxf)
			maxf = e[i].field;
	}
	if (!distribute) {
		qsort(e, n, sizeof *e, entry_cmp);
		return 0;
	}
	if (!s->order && (!(s->order = malloc(s->cap * sizeof *s->order)) ||
			  !(s->order2 = malloc(s->cap * sizeof *s->order2)) ||
			  !(s->counts = malloc((PREFIXES + 1) * sizeof *s->counts))))
		return -1;
	uint32_t *c = s->counts, *by_prefix = s->order2, *ord = s->order;
	memset(c, 0, (PREFIXES + 1) * sizeof *c);
	for (size_t i = 0; i < n; i++)
		c[((unsigned)e[i].h[0] << 8 | e[i].h[1]) + 1]++;
	for (size_t k = 1; k <= PREFIXES; k++)
		c[k] += c[k - 1];
	for (size_t i = 0; i < n; i++)
		by_prefix[c[(unsigned)e[i].h[0] << 8 | e[i].h[1]]++] = (uint32_t)i;
	memset(c, 0, ((size_t)maxf + 2) * sizeof *c);
	for (size_t i = 0; i < n; i++)
		c[e[i].field + 1]++;
	for (int32_t k = 1; k <= maxf + 1; k++)
		c[k] += c[k - 1];
	for (size_t j = 0; j < n; j++)
		ord[c[e[by_prefix[j]].field]++] = by_prefix[j];
	/* Put entry ord[j] at position j, cycle by cycle (a placed position is marked by
	 * ord[j] = j). */
	for (size_t i = 0; i < n; i++) {
		if (ord[i] == i)
			continue;
		struct entry t = e[i];
		size_t j = i;
		for (;;) {
			size_t from = ord[j];
			ord[j] = (uint32_t)j;
			if (from == i) {
				e[j] = t;
				break;
			}
			e[j] = e[from];
			j = from;
		}
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && e[j].field == e[i].field && e[j].h[0] == e[i].h[0] &&
		       e[j].h[1] == e[i].h[1])
			j++;
		if (j - i > 1)
			qsort(e + i, j - i, sizeof *e, entry_cmp);
		i = j;
	}
	return 0;
}

struct pv_index_sorter *pv_index_sorter_new(const char *tmpdir, size_t mem_entries)
{
	struct pv_index_sorter *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->cap = mem_entries < 1024 ? 1024 : mem_entries;
	s->buf = malloc(s->cap * sizeof *s->buf);
	s->tmpdir = strdup(tmpdir ? tmpdir : "/tmp");
	s->fd = -1;
	if (!s->buf || !s->tmpdir) {
		pv_index_sorter_free(s);
		return NULL;
	}
	return s;
}

static int write_all(int fd, const void *p, size_t n, off_t off)
{
	const char *c = p;
	while (n) {
		ssize_t w = pwrite(fd, c, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* Sort the buffer and append it to the file as one run. */
static int spill(struct pv_index_sorter *s)
{
	if (s->fd < 0) {
		size_t n = strlen(s->tmpdir) + 32;
		char *path = malloc(n);
		if (!path)
			return -1;
		snprintf(path, n, "%s/.pv-index-XXXXXX", s->tmpdir);
		s->fd = mkstemp(path);
		if (s->fd >= 0)
			unlink(path);
		free(path);
		if (s->fd < 0)
			return -1;
	}
	if (s->nruns == s->capruns) {
		size_t cap = s->capruns ? 2 * s->capruns : 16;
		struct run *r = realloc(s->runs, cap * sizeof *r);
		if (!r)
			return -1;
		s->runs = r;
		s->capruns = cap;
	}
	if (sort_entries(s, s->buf, s->n) != 0)
		return -1;
	size_t bytes = s->n * sizeof *s->buf;
	if (write_all(s->fd, s->buf, bytes, s->end) != 0)
		return -1;
	s->runs[s->nruns++] = (struct run){ s->end, s->n };
	s->end += (off_t)bytes;
	s->n = 0;
	return 0;
}

int pv_index_sorter_add(struct pv_index_sorter *s, int field, const uint8_t h[16], int64_t rid)
{
	if (s->n == s->cap && spill(s) != 0)
		return -1;
	struct entry *e = &s->buf[s->n++];
	memcpy(e->h, h, 16);
	e->rid = rid;
	e->field = field;
	e->pad = 0;
	return 0;
}

/* A run being read back: a small window of its entries. */
struct cursor {
	off_t next;
	uint64_t left; /* entries not yet read into the window */
	struct entry *win;
	size_t pos, len;
};

static int cursor_fill(int fd, struct cursor *c, size_t cap)
{
	size_t n = c->left < cap ? (size_t)c->left : cap;
	size_t bytes = n * sizeof *c->win, got = 0;
	while (got < bytes) {
		ssize_t r = pread(fd, (char *)c->win + got, bytes - got, c->next + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	c->next += (off_t)bytes;
	c->left -= n;
	c->pos = 0;
	c->len = n;
	return 0;
}

/* Heap of cursor indexes ordered by their current entry. */
static int cur_less(struct cursor *cs, size_t a, size_t b)
{
	return entry_cmp(&cs[a].win[cs[a].pos], &cs[b].win[cs[b].pos]) < 0;
}

static void sift_down(struct cursor *cs, size_t *heap, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && cur_less(cs, heap[l], heap[m]))
			m = l;
		if (r < n && cur_less(cs, heap[r], heap[m]))
			m = r;
		if (m == i)
			return;
		size_t t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

int pv_index_sorter_finish(struct pv_index_sorter *s, pv_index_emit_fn emit, void *ctx)
{
	if (s->nruns == 0) { /* everything fits in memory */
		if (sort_entries(s, s->buf, s->n) != 0)
			return -1;
		for (size_t i = 0; i < s->n; i++) {
			int rc = emit(ctx, s->buf[i].field, s->buf[i].h, s->buf[i].rid);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (s->n && spill(s) != 0)
		return -1;
	/* Reuse the buffer as the runs' read windows. */
	size_t k = s->nruns, win = s->cap / k;
	if (win == 0)
		return -1;
	struct cursor *cs = calloc(k, sizeof *cs);
	size_t *heap = calloc(k, sizeof *heap), nh = 0;
	int rc = (cs && heap) ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < k; i++) {
		cs[i] = (struct cursor){ s->runs[i].start, s->runs[i].count, s->buf + i * win, 0, 0 };
		if (cursor_fill(s->fd, &cs[i], win) != 0)
			rc = -1;
		else if (cs[i].len)
			heap[nh++] = i;
	}
	for (size_t i = nh; rc == 0 && i-- > 0;)
		sift_down(cs, heap, nh, i);
	while (rc == 0 && nh) {
		struct cursor *c = &cs[heap[0]];
		struct entry *e = &c->win[c->pos];
		rc = emit(ctx, e->field, e->h, e->rid);
		if (rc)
			break;
		if (++c->pos == c->len) {
			if (c->left == 0) {
				heap[0] = heap[--nh];
			} else if (cursor_fill(s->fd, c, win) != 0) {
				rc = -1;
				break;
			}
		}
		sift_down(cs, heap, nh, 0);
	}
	free(cs);
	free(heap);
	return rc;
}

void pv_index_sorter_free(struct pv_index_sorter *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->buf);
	free(s->order);
	free(s->order2);
	free(s->counts);
	free(s->runs);
	free(s->tmpdir);
	free(s);
}
