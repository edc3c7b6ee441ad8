/* SPDX-License-Identifier: Apache-2.0 */
/* tar.c: a streaming POSIX ustar (IEEE 1003.1-1988 / pax "ustar" interchange format)
 * writer and reader of regular files, for the handover package; see tar.h. */
#include "tar.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 512
/* The reader's buffer; reads of at least this much go straight to the caller's buffer. */
#define READ_BUF (64 * 1024)

/* Header field offsets and widths (POSIX ustar). */
#define F_NAME	   0
#define W_NAME	   100
#define F_MODE	   100
#define F_UID	   108
#define F_GID	   116
#define W_ID	   8
#define F_SIZE	   124
#define W_SIZE	   12
#define F_MTIME	   136
#define W_MTIME	   12
#define F_CHKSUM   148
#define W_CHKSUM   8
#define F_TYPE	   156
#define F_MAGIC	   257
#define F_VERSION  263
#define F_UNAME	   265
#define F_GNAME	   297
#define W_OWNER	   32
#define F_DEVMAJOR 329
#define F_DEVMINOR 337
#define W_DEV	   8
#define F_PREFIX   345
#define W_PREFIX   155

#define OWNER "pivault"

static const uint8_t zero_block[BLOCK];

/* ---- names ----------------------------------------------------------------------- */

/* 1 if the component [p, p+n) is c. */
static int component_is(const char *p, size_t n, const char *c)
{
	return n == strlen(c) && memcmp(p, c, n) == 0;
}

/* 1 if a name is relative and has no ".." component; strict also refuses empty and "."
 * components (so no "//", no trailing "/"). */
static int name_is_safe(const char *name, size_t n, int strict)
{
	if (n == 0 || name[0] == '/')
		return 0;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && name[i] != '/')
			continue;
		const char *c = name + start;
		size_t len = i - start;
		if (component_is(c, len, ".."))
			return 0;
		if (strict && (len == 0 || component_is(c, len, ".")))
			return 0;
		start = i + 1;
	}
	return 1;
}

/* Where to split a name into ustar prefix and name: the length of the shortest prefix
 * (ending before a '/') that leaves at most 100 bytes; 0 when the name fits whole; -1 when
 * no split fits. */
static long split_point(const char *name, size_t n)
{
	if (n <= W_NAME)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (name[i] != '/' || n - i - 1 > W_NAME)
			continue;
		return i > 0 && i <= W_PREFIX && i + 1 < n ? (long)i : -1;
	}
	return -1;
}

/* ---- writer ---------------------------------------------------------------------- */

/* Hand bytes to the output; any failure leaves the writer failed. */
static int emit(struct pv_tar_writer *w, const void *buf, size_t len)
{
	if (w->failed)
		return -1;
	if (len == 0)
		return 0;
	if (!w->out || w->out(w->ctx, buf, len) != 0) {
		w->failed = 1;
		return -1;
	}
	w->written += len;
	return 0;
}

/* A zero-padded octal number filling width-1 digits and a NUL; -1 if it does not fit. */
static int put_octal(uint8_t *field, size_t width, uint64_t v)
{
	for (size_t i = width - 1; i-- > 0;) {
		field[i] = (uint8_t)('0' + (v & 7));
		v >>= 3;
	}
	field[width - 1] = '\0';
	return v == 0 ? 0 : -1;
}

/* Sum of the header's bytes with the checksum field taken as spaces. */
static unsigned long header_sum(const uint8_t h[BLOCK])
{
	unsigned long sum = 0;
	for (size_t i = 0; i < BLOCK; i++)
		sum += i >= F_CHKSUM && i < F_CHKSUM + W_CHKSUM ? ' ' : h[i];
	return sum;
}

/* The same, with the bytes taken as signed chars (as some old tars computed it). */
static long header_sum_signed(const uint8_t h[BLOCK])
{
	long sum = 0;
	for (size_t i = 0; i < BLOCK; i++)
		sum += i >= F_CHKSUM && i < F_CHKSUM + W_CHKSUM ? ' ' : (signed char)h[i];
	return sum;
}

/* Checksum field: six octal digits, NUL, space. */
static void put_checksum(uint8_t h[BLOCK])
{
	put_octal(h + F_CHKSUM, 7, header_sum(h));
	h[F_CHKSUM + 7] = ' ';
}

/* The header block of a regular file member; -1 if size or mtime does not fit. */
static int build_header(uint8_t h[BLOCK], const char *name, size_t n, size_t prefix, uint64_t size,
			int64_t mtime)
{
	memset(h, 0, BLOCK);
	if (prefix) {
		memcpy(h + F_PREFIX, name, prefix);
		name += prefix + 1;
		n -= prefix + 1;
	}
	memcpy(h + F_NAME, name, n);
	put_octal(h + F_MODE, W_ID, 0644);
	put_octal(h + F_UID, W_ID, 0);
	put_octal(h + F_GID, W_ID, 0);
	if (mtime < 0 || put_octal(h + F_MTIME, W_MTIME, (uint64_t)mtime) != 0 ||
	    put_octal(h + F_SIZE, W_SIZE, size) != 0)
		return -1;
	h[F_TYPE] = '0';
	memcpy(h + F_MAGIC, "ustar", 6);
	memcpy(h + F_VERSION, "00", 2);
	memcpy(h + F_UNAME, OWNER, sizeof OWNER);
	memcpy(h + F_GNAME, OWNER, sizeof OWNER);
	put_octal(h + F_DEVMAJOR, W_DEV, 0);
	put_octal(h + F_DEVMINOR, W_DEV, 0);
	put_checksum(h);
	return 0;
}

int pv_tar_begin_file(struct pv_tar_writer *w, const char *name, uint64_t size)
{
	uint8_t h[BLOCK];
	if (w->failed || w->in_member || !name)
		return -1;
	size_t n = strlen(name);
	long prefix = split_point(name, n);
	if (n > PV_TAR_NAME_MAX || !name_is_safe(name, n, 1) || prefix < 0 ||
	    size > PV_TAR_SIZE_MAX)
		return -1;
	if (build_header(h, name, n, (size_t)prefix, size, w->mtime) != 0 ||
	    emit(w, h, sizeof h) != 0)
		return -1;
	w->in_member = 1;
	w->member_size = size;
	w->member_done = 0;
	return 0;
}

int pv_tar_write_data(struct pv_tar_writer *w, const void *buf, size_t len)
{
	if (w->failed || !w->in_member)
		return -1;
	if (len > w->member_size - w->member_done) {
		w->failed = 1;
		return -1;
	}
	if (emit(w, buf, len) != 0)
		return -1;
	w->member_done += len;
	return 0;
}

int pv_tar_end_file(struct pv_tar_writer *w)
{
	if (w->failed || !w->in_member)
		return -1;
	if (w->member_done != w->member_size) {
		w->failed = 1;
		return -1;
	}
	size_t pad = (size_t)((BLOCK - w->member_size % BLOCK) % BLOCK);
	if (emit(w, zero_block, pad) != 0)
		return -1;
	w->in_member = 0;
	return 0;
}

int pv_tar_write_file(struct pv_tar_writer *w, const char *name, const void *data, size_t len)
{
	if (pv_tar_begin_file(w, name, len) != 0 || pv_tar_write_data(w, data, len) != 0)
		return -1;
	return pv_tar_end_file(w);
}

int pv_tar_finish(struct pv_tar_writer *w)
{
	if (w->failed || w->in_member)
		return -1;
	if (emit(w, zero_block, BLOCK) != 0 || emit(w, zero_block, BLOCK) != 0)
		return -1;
	return 0;
}

/* ---- reader ---------------------------------------------------------------------- */

enum reader_state { R_START, R_MEMBER, R_END, R_ERROR };

struct pv_tar_reader {
	pv_tar_read_fn in;
	void *ctx;
	enum reader_state state;
	uint64_t left;	 /* data bytes of the current member not yet read */
	uint64_t pad;	 /* padding after them */
	size_t pos, len; /* unread bytes are buf[pos, len) */
	int eof;
	char err[320];
	uint8_t buf[READ_BUF];
};

static int rfail(struct pv_tar_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record why reading failed; the reader stays failed. Returns -1. */
static int rfail(struct pv_tar_reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	r->state = R_ERROR;
	return -1;
}

struct pv_tar_reader *pv_tar_reader_new(pv_tar_read_fn in, void *ctx)
{
	struct pv_tar_reader *r = malloc(sizeof *r);
	if (!r)
		return NULL;
	r->in = in;
	r->ctx = ctx;
	r->state = R_START;
	r->left = r->pad = 0;
	r->pos = r->len = 0;
	r->eof = 0;
	r->err[0] = '\0';
	return r;
}

void pv_tar_reader_free(struct pv_tar_reader *r)
{
	free(r);
}

const char *pv_tar_reader_error(const struct pv_tar_reader *r)
{
	return r->err;
}

/* Call the input once for up to len bytes into dst: the count, 0 at the end, -1 (failed). */
static long pull(struct pv_tar_reader *r, void *dst, size_t len)
{
	if (r->eof)
		return 0;
	long n = r->in(r->ctx, dst, len);
	if (n < 0)
		return rfail(r, "read error");
	if ((unsigned long)n > len)
		return rfail(r, "read callback returned more than asked for");
	if (n == 0)
		r->eof = 1;
	return n;
}

/* Bytes waiting in the buffer, refilling it when empty: the count, 0 at the end, -1. */
static long buffered(struct pv_tar_reader *r)
{
	if (r->pos < r->len)
		return (long)(r->len - r->pos);
	r->pos = r->len = 0;
	long n = pull(r, r->buf, sizeof r->buf);
	if (n > 0)
		r->len = (size_t)n;
	return n;
}

/* Copy up to n bytes into dst, as many as the input has: the count, or -1. */
static long take(struct pv_tar_reader *r, void *dst, size_t n)
{
	size_t got = 0;
	while (got < n) {
		long avail = buffered(r);
		if (avail <= 0)
			return avail < 0 ? -1 : (long)got;
		size_t k = n - got < (size_t)avail ? n - got : (size_t)avail;
		if (dst)
			memcpy((uint8_t *)dst + got, r->buf + r->pos, k);
		r->pos += k;
		got += k;
	}
	return (long)got;
}

/* Skip n bytes of input; 0, or -1 when it ends first. */
static int skip(struct pv_tar_reader *r, uint64_t n)
{
	while (n > 0) {
		long avail = buffered(r);
		if (avail < 0)
			return -1;
		if (avail == 0)
			return rfail(r, "truncated archive: member data ends early");
		size_t k = n < (uint64_t)avail ? (size_t)n : (size_t)avail;
		r->pos += k;
		n -= k;
	}
	return 0;
}

/* 1 if the block is all zero bytes. */
static int is_zero_block(const uint8_t b[BLOCK])
{
	return memcmp(b, zero_block, BLOCK) == 0;
}

/* An octal field: optional leading spaces, digits, then only NULs and spaces; -1 if not. */
static int parse_octal(const uint8_t *f, size_t width, uint64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;
	while (i < width && f[i] == ' ')
		i++;
	size_t first = i;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(f[i] - '0');
	if (i == first)
		return -1;
	for (; i < width; i++)
		if (f[i] != '\0' && f[i] != ' ')
			return -1;
	*out = v;
	return 0;
}

/* A size field: octal, or GNU/star base-256 (first byte 0x80) up to INT64_MAX; -1 if bad. */
static int parse_size(const uint8_t *f, uint64_t *out)
{
	if (!(f[0] & 0x80))
		return parse_octal(f, W_SIZE, out);
	if (f[0] != 0x80)
		return -1; /* negative, or too large */
	uint64_t v = 0;
	for (size_t i = 1; i < W_SIZE; i++) {
		if (v > (UINT64_C(1) << 55) - 1)
			return -1;
		v = v << 8 | f[i];
	}
	if (v > (uint64_t)INT64_MAX)
		return -1;
	*out = v;
	return 0;
}

/* The stored checksum matches the header (unsigned sum, or the historic signed one). */
static int checksum_ok(const uint8_t h[BLOCK])
{
	uint64_t stored;
	if (parse_octal(h + F_CHKSUM, W_CHKSUM, &stored) != 0)
		return 0;
	return stored == header_sum(h) || (long)stored == header_sum_signed(h);
}

/* Longest name a header can hold: prefix, "/", name. */
#define HEADER_NAME_MAX (W_PREFIX + 1 + W_NAME)

/* The member's full name, prefix joined (POSIX ustar only); its length. */
static size_t header_name(const uint8_t h[BLOCK], int posix, char name[HEADER_NAME_MAX + 1])
{
	size_t pn = posix ? strnlen((const char *)h + F_PREFIX, W_PREFIX) : 0;
	size_t nn = strnlen((const char *)h + F_NAME, W_NAME);
	size_t n = 0;
	if (pn) {
		memcpy(name, h + F_PREFIX, pn);
		name[pn] = '/';
		n = pn + 1;
	}
	memcpy(name + n, h + F_NAME, nn);
	n += nn;
	name[n] = '\0';
	return n;
}

/* Check a header block and take the member's name and size from it; 0 or -1. */
static int parse_header(struct pv_tar_reader *r, const uint8_t h[BLOCK],
			char name[PV_TAR_NAME_MAX + 1], uint64_t *size)
{
	int posix = memcmp(h + F_MAGIC, "ustar", 6) == 0 && memcmp(h + F_VERSION, "00", 2) == 0;
	int gnu = memcmp(h + F_MAGIC, "ustar  ", 8) == 0;
	char full[HEADER_NAME_MAX + 1];
	if (!checksum_ok(h))
		return rfail(r, "malformed archive: bad header checksum");
	if (!posix && !gnu)
		return rfail(r, "malformed archive: not a ustar header");
	size_t n = header_name(h, posix, full);
	if (h[F_TYPE] != '0' && h[F_TYPE] != '\0')
		return rfail(r, "member \"%s\" is not a regular file (type '%c')", full,
			     h[F_TYPE] >= 0x20 && h[F_TYPE] < 0x7f ? h[F_TYPE] : '?');
	if (n > 0 && full[n - 1] == '/')
		return rfail(r, "member \"%s\" is not a regular file (a directory)", full);
	if (!name_is_safe(full, n, 0))
		return rfail(r, "unsafe member name \"%s\" (empty, absolute or with \"..\")", full);
	if (n > PV_TAR_NAME_MAX)
		return rfail(r, "member name \"%s\" is longer than %d bytes", full,
			     PV_TAR_NAME_MAX);
	if (parse_size(h + F_SIZE, size) != 0)
		return rfail(r, "member \"%s\" has a bad size field", full);
	memcpy(name, full, n + 1);
	return 0;
}

/* After a zero block: 0 at the end of the archive, -1 otherwise. */
static int end_of_archive(struct pv_tar_reader *r)
{
	uint8_t b[BLOCK];
	long got = take(r, b, BLOCK);
	if (got < 0)
		return -1;
	if (got == 0 || (got == BLOCK && is_zero_block(b))) {
		r->state = R_END;
		return 0;
	}
	if (got < BLOCK)
		return rfail(r, "truncated archive: partial block at the end");
	return rfail(r, "malformed archive: a lone zero block followed by more data");
}

int pv_tar_next(struct pv_tar_reader *r, char name[PV_TAR_NAME_MAX + 1], uint64_t *size)
{
	uint8_t h[BLOCK];
	if (r->state == R_ERROR)
		return -1;
	if (r->state == R_END)
		return 0;
	if (r->state == R_MEMBER && skip(r, r->left + r->pad) != 0)
		return -1;
	r->state = R_START;
	long got = take(r, h, BLOCK);
	if (got < 0)
		return -1;
	if (got == 0)
		return rfail(r, "truncated archive: the end-of-archive blocks are missing");
	if (got < BLOCK)
		return rfail(r, "truncated archive: partial header block");
	if (is_zero_block(h))
		return end_of_archive(r);
	if (parse_header(r, h, name, size) != 0)
		return -1;
	r->state = R_MEMBER;
	r->left = *size;
	r->pad = (BLOCK - *size % BLOCK) % BLOCK;
	return 1;
}

/* Data bytes read from the input straight into the caller's buffer. */
static long read_direct(struct pv_tar_reader *r, void *buf, size_t len)
{
	long n = pull(r, buf, len);
	if (n == 0)
		return rfail(r, "truncated archive: member data ends early");
	return n;
}

long pv_tar_read(struct pv_tar_reader *r, void *buf, size_t len)
{
	if (r->state == R_ERROR)
		return -1;
	if (r->state != R_MEMBER) {
		snprintf(r->err, sizeof r->err, "no current member");
		return -1;
	}
	if (r->left == 0 || len == 0)
		return 0;
	size_t want = len < (size_t)LONG_MAX ? len : (size_t)LONG_MAX;
	if (want > r->left)
		want = (size_t)r->left;
	long n;
	if (r->pos == r->len && want >= READ_BUF)
		n = read_direct(r, buf, want);
	else if ((n = buffered(r)) == 0)
		n = rfail(r, "truncated archive: member data ends early");
	else if (n > 0)
		n = take(r, buf, want < (size_t)n ? want : (size_t)n);
	if (n > 0)
		r->left -= (uint64_t)n;
	return n;
}
