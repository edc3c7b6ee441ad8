/* SPDX-License-Identifier: Apache-2.0 */
/* test_tar.c: tests of src/tar.c: members of awkward sizes and long names written and read
 * back through inputs of varied chunk sizes, names and sizes the writer must refuse, our
 * archives listed and extracted by GNU tar, GNU tar's ustar archives read by our reader,
 * and damaged or hostile archives (checksum, truncation, symlink, "../x", lone zero
 * block, bad size field) refused with a reason. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/tar.h"

/* ---- memory output and input --------------------------------------------------------- */

struct sink {
	uint8_t *p;
	size_t len, cap;
	int fail_after; /* calls that succeed before failing; negative: never fail */
};

static int sink_write(void *ctx, const void *buf, size_t len)
{
	struct sink *s = ctx;
	if (s->fail_after == 0)
		return -1;
	if (s->fail_after > 0)
		s->fail_after--;
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + len)
			cap *= 2;
		s->p = realloc(s->p, cap);
		assert_non_null(s->p);
		s->cap = cap;
	}
	memcpy(s->p + s->len, buf, len);
	s->len += len;
	return 0;
}

struct source {
	const uint8_t *p;
	size_t len, pos, chunk;
};

static long source_read(void *ctx, void *buf, size_t len)
{
	struct source *s = ctx;
	size_t n = s->len - s->pos;
	if (n > len)
		n = len;
	if (n > s->chunk)
		n = s->chunk;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (long)n;
}

static long file_read(void *ctx, void *buf, size_t len)
{
	size_t n = fread(buf, 1, len, ctx);
	return ferror((FILE *)ctx) ? -1 : (long)n;
}

/* Deterministic test bytes. */
static void fill(uint8_t *p, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

static struct pv_tar_writer writer_to(struct sink *s)
{
	struct pv_tar_writer w = {.out = sink_write, .ctx = s, .mtime = 1700000000};
	s->fail_after = -1;
	return w;
}

/* ---- the members used throughout ------------------------------------------------------ */

#define NMEMBERS 7
#define BIG	 (300 * 1000 + 7)

static const char *long_name(void)
{
	/* 120 + 1 + 60 bytes: needs the prefix field. */
	return "handover-2024/"
	       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
	       "records-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.csv";
}

struct member {
	const char *name;
	size_t size;
	unsigned seed;
};

static void members(struct member m[NMEMBERS])
{
	struct member all[NMEMBERS] = {
	    {"empty", 0, 1},	    {"one.bin", 1, 2},	    {"dir/five12", 512, 3},
	    {"dir/five13", 513, 4}, {long_name(), 1000, 5}, {"big/stream.dat", BIG, 6},
	    {"last.txt", 10, 7},
	};
	memcpy(m, all, sizeof all);
}

/* An archive of the members; the big one through the streaming calls in odd pieces. */
static struct sink build_archive(void)
{
	struct sink s = {0};
	struct pv_tar_writer w = writer_to(&s);
	struct member m[NMEMBERS];
	members(m);
	for (int i = 0; i < NMEMBERS; i++) {
		uint8_t *data = malloc(m[i].size + 1);
		assert_non_null(data);
		fill(data, m[i].size, m[i].seed);
		if (m[i].size == BIG) {
			assert_int_equal(pv_tar_begin_file(&w, m[i].name, m[i].size), 0);
			size_t off = 0, step = 1;
			while (off < m[i].size) {
				size_t k = m[i].size - off < step ? m[i].size - off : step;
				assert_int_equal(pv_tar_write_data(&w, data + off, k), 0);
				off += k;
				step = step * 3 + 1;
			}
			assert_int_equal(pv_tar_end_file(&w), 0);
		} else {
			assert_int_equal(pv_tar_write_file(&w, m[i].name, data, m[i].size), 0);
		}
		free(data);
	}
	assert_int_equal(pv_tar_finish(&w), 0);
	assert_int_equal(w.written, s.len);
	assert_int_equal(s.len % 512, 0);
	return s;
}

/* Read every member back with reads of rdlen bytes and check names and contents. */
static void check_archive(const uint8_t *p, size_t len, size_t chunk, size_t rdlen)
{
	struct source src = {p, len, 0, chunk};
	struct pv_tar_reader *r = pv_tar_reader_new(source_read, &src);
	assert_non_null(r);
	struct member m[NMEMBERS];
	members(m);
	uint8_t *got = malloc(BIG + 1), *want = malloc(BIG + 1);
	assert_non_null(got);
	assert_non_null(want);
	char name[PV_TAR_NAME_MAX + 1];
	uint64_t size;
	for (int i = 0; i < NMEMBERS; i++) {
		assert_int_equal(pv_tar_next(r, name, &size), 1);
		assert_string_equal(name, m[i].name);
		assert_int_equal(size, m[i].size);
		size_t off = 0;
		long n;
		while ((n = pv_tar_read(r, got + off, rdlen)) > 0)
			off += (size_t)n;
		assert_int_equal(n, 0);
		assert_int_equal(off, m[i].size);
		fill(want, m[i].size, m[i].seed);
		if (m[i].size)
			assert_memory_equal(got, want, m[i].size);
	}
	assert_int_equal(pv_tar_next(r, name, &size), 0);
	assert_int_equal(pv_tar_next(r, name, &size), 0);
	assert_string_equal(pv_tar_reader_error(r), "");
	pv_tar_reader_free(r);
	free(got);
	free(want);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct sink s = build_archive();
	static const size_t chunks[] = {1, 7, 512, 4096, 100000, (size_t)1 << 30};
	static const size_t reads[] = {1, 100, 511, 65536, 200000, (size_t)1 << 30};
	for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++)
		for (size_t k = 0; k < sizeof reads / sizeof *reads; k++) {
			if (chunks[c] == 1 && reads[k] == 1)
				continue; /* slow and adds nothing */
			check_archive(s.p, s.len, chunks[c], reads[k]);
		}
	free(s.p);
}

/* Members whose data is never read are skipped. */
static void test_skip_unread(void **state)
{
	(void)state;
	struct sink s = build_archive();
	struct source src = {s.p, s.len, 0, 3000};
	struct pv_tar_reader *r = pv_tar_reader_new(source_read, &src);
	struct member m[NMEMBERS];
	members(m);
	char name[PV_TAR_NAME_MAX + 1];
	uint64_t size;
	uint8_t buf[10];
	for (int i = 0; i < NMEMBERS; i++) {
		assert_int_equal(pv_tar_next(r, name, &size), 1);
		assert_string_equal(name, m[i].name);
		if (i % 2)
			assert_int_equal(pv_tar_read(r, buf, sizeof buf),
					 size < sizeof buf ? (long)size : (long)sizeof buf);
	}
	assert_int_equal(pv_tar_next(r, name, &size), 0);
	pv_tar_reader_free(r);
	free(s.p);
}

/* The exact header bytes of one member, field by field. */
static void test_header_fields(void **state)
{
	(void)state;
	struct sink s = {0};
	struct pv_tar_writer w = writer_to(&s);
	assert_int_equal(pv_tar_write_file(&w, "a/b.txt", "hello", 5), 0);
	assert_int_equal(pv_tar_finish(&w), 0);
	assert_int_equal(s.len, 4 * 512);
	const char *h = (const char *)s.p;
	assert_string_equal(h, "a/b.txt");
	assert_memory_equal(h + 100, "0000644", 8);
	assert_memory_equal(h + 108, "0000000", 8);
	assert_memory_equal(h + 116, "0000000", 8);
	assert_memory_equal(h + 124, "00000000005", 12);
	assert_memory_equal(h + 136, "14524770400", 12); /* 1700000000 */
	assert_int_equal(h[156], '0');
	assert_memory_equal(h + 257, "ustar", 6); /* with its NUL */
	assert_memory_equal(h + 263, "00", 2);
	assert_string_equal(h + 265, "pivault");
	assert_string_equal(h + 297, "pivault");
	unsigned long sum = 0;
	for (int i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : (uint8_t)h[i];
	char want[8];
	snprintf(want, sizeof want, "%06lo", sum);
	assert_memory_equal(h + 148, want, 7);
	assert_int_equal(h[155], ' ');
	assert_memory_equal(s.p + 512, "hello", 5);
	for (size_t i = 517; i < s.len; i++)
		assert_int_equal(s.p[i], 0);
	free(s.p);
}

static void test_names(void **state)
{
	(void)state;
	struct sink s = {0};
	struct pv_tar_writer w = writer_to(&s);
	char n100[101], n101[102], n255[256], n256[257], deep[200];
	memset(n100, 'x', 100), n100[100] = '\0';
	memset(n101, 'x', 101), n101[101] = '\0';
	memset(n255, 'p', 155), n255[155] = '/', memset(n255 + 156, 'n', 99), n255[255] = '\0';
	memset(n256, 'p', 155), n256[155] = '/', memset(n256 + 156, 'n', 100), n256[256] = '\0';
	memset(deep, 'd', 199), deep[199] = '\0';
	deep[40] = '/'; /* prefix 40, name 158: too long */
	const char *bad[] = {"",   "/abs", "..",    "../x", "a/../b", "a/..", "a//b",
			     "a/", "./a",  "a/./b", n101,   n256,     deep};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(pv_tar_write_file(&w, bad[i], "x", 1), -1);
	assert_int_equal(pv_tar_write_file(&w, NULL, "x", 1), -1);
	assert_int_equal(w.written, 0); /* refusals write nothing and leave the writer usable */
	const char *good[] = {n100, n255, "a..b/..c/c..", ".hidden/x"};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		assert_int_equal(pv_tar_write_file(&w, good[i], "x", 1), 0);
	assert_int_equal(pv_tar_finish(&w), 0);
	assert_memory_equal(s.p + 1024 + 345, n255, 155); /* prefix field */
	assert_memory_equal(s.p + 1024, n255 + 156, 99);

	struct source src = {s.p, s.len, 0, 777};
	struct pv_tar_reader *r = pv_tar_reader_new(source_read, &src);
	char name[PV_TAR_NAME_MAX + 1];
	uint64_t size;
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		assert_int_equal(pv_tar_next(r, name, &size), 1);
		assert_string_equal(name, good[i]);
	}
	assert_int_equal(pv_tar_next(r, name, &size), 0);
	pv_tar_reader_free(r);
	free(s.p);
}

static void test_writer_misuse(void **state)
{
	(void)state;
	struct sink s = {0};
	struct pv_tar_writer w = writer_to(&s);
	assert_int_equal(pv_tar_begin_file(&w, "huge", PV_TAR_SIZE_MAX + 1), -1);
	assert_int_equal(pv_tar_write_data(&w, "x", 1), -1); /* no member begun */
	assert_int_equal(pv_tar_end_file(&w), -1);
	assert_int_equal(pv_tar_begin_file(&w, "max", PV_TAR_SIZE_MAX), 0);
	assert_memory_equal(s.p + 124, "77777777777", 12);
	assert_int_equal(pv_tar_finish(&w), -1); /* inside a member */
	assert_int_equal(pv_tar_write_file(&w, "other", "x", 1), -1);

	/* too many bytes, too few bytes: the writer fails for good */
	struct sink s2 = {0};
	struct pv_tar_writer w2 = writer_to(&s2);
	assert_int_equal(pv_tar_begin_file(&w2, "f", 3), 0);
	assert_int_equal(pv_tar_write_data(&w2, "abcd", 4), -1);
	assert_int_equal(pv_tar_finish(&w2), -1);
	struct sink s3 = {0};
	struct pv_tar_writer w3 = writer_to(&s3);
	assert_int_equal(pv_tar_begin_file(&w3, "f", 3), 0);
	assert_int_equal(pv_tar_write_data(&w3, "ab", 2), 0);
	assert_int_equal(pv_tar_end_file(&w3), -1);
	assert_int_equal(pv_tar_write_file(&w3, "g", "x", 1), -1);

	/* a negative mtime does not fit */
	struct sink s4 = {0};
	struct pv_tar_writer w4 = writer_to(&s4);
	w4.mtime = -1;
	assert_int_equal(pv_tar_write_file(&w4, "f", "x", 1), -1);

	/* an output error is final */
	struct sink s5 = {0};
	struct pv_tar_writer w5 = writer_to(&s5);
	s5.fail_after = 1;
	assert_int_equal(pv_tar_write_file(&w5, "f", "x", 1), -1);
	s5.fail_after = -1;
	assert_int_equal(pv_tar_write_file(&w5, "g", "x", 1), -1);
	assert_int_equal(pv_tar_finish(&w5), -1);
	assert_int_equal(w5.written, 512);
	free(s.p), free(s2.p), free(s3.p), free(s4.p), free(s5.p);
}

/* ---- GNU tar on our archives and ours on GNU tar's -------------------------------------- */

static void test_gnu_tar_reads_ours(void **state)
{
	(void)state;
	char *dir = pvt_tempdir();
	char *tarfile = pvt_path(dir, "ours.tar");
	char *out = pvt_path(dir, "out");
	struct sink s = build_archive();
	assert_int_equal(pvt_write_file(tarfile, s.p, s.len), 0);
	free(s.p);

	struct member m[NMEMBERS];
	members(m);
	char *listing = NULL;
	assert_int_equal(pvt_run(&listing, "tar -tf '%s' 2>&1", tarfile), 0);
	char *p = listing;
	for (int i = 0; i < NMEMBERS; i++) {
		size_t n = strlen(m[i].name);
		assert_memory_equal(p, m[i].name, n);
		assert_int_equal(p[n], '\n');
		p += n + 1;
	}
	assert_string_equal(p, "");
	free(listing);

	assert_int_equal(pvt_run(&listing, "TZ=UTC tar -tvf '%s' 2>&1", tarfile), 0);
	/* "-rw-r--r-- pivault/pivault 1 2023-11-14 22:13 one.bin", columns padded by tar */
	char *line = strstr(listing, " one.bin\n");
	if (!line)
		fail_msg("tar -tv listing without one.bin:\n%s", listing);
	while (line > listing && line[-1] != '\n')
		line--;
	char mode[16], owner[64], date[16], clock[16];
	unsigned long size;
	assert_int_equal(sscanf(line, "%15s %63s %lu %15s %15s", mode, owner, &size, date, clock),
			 5);
	assert_string_equal(mode, "-rw-r--r--");
	assert_string_equal(owner, "pivault/pivault");
	assert_int_equal(size, 1);
	assert_string_equal(date, "2023-11-14");
	assert_string_equal(clock, "22:13");
	free(listing);

	char *msgs = NULL;
	assert_int_equal(
	    pvt_run(&msgs, "mkdir '%s' && tar -xf '%s' -C '%s' 2>&1", out, tarfile, out), 0);
	assert_string_equal(msgs, "");
	free(msgs);
	uint8_t *want = malloc(BIG + 1);
	assert_non_null(want);
	for (int i = 0; i < NMEMBERS; i++) {
		char *path = pvt_path(out, m[i].name);
		size_t len = 0;
		char *got = pvt_read_file(path, &len);
		assert_non_null(got);
		assert_int_equal(len, m[i].size);
		fill(want, m[i].size, m[i].seed);
		if (len)
			assert_memory_equal(got, want, len);
		free(got);
		free(path);
	}
	free(want);
	pvt_rmtree(dir);
	free(tarfile), free(out), free(dir);
}

static void test_ours_reads_gnu_tar(void **state)
{
	(void)state;
	char *dir = pvt_tempdir();
	const char *lname = "a-rather-long-directory-name-for-the-prefix-field/"
			    "and-another-level-of-directories-here/"
			    "the-file-itself-with-a-long-name-of-more-than-a-hundred-bytes.csv";
	const char *names[] = {"a.txt", "sub/b.bin", "empty", lname};
	size_t sizes[] = {13, 70001, 0, 2048};
	assert_int_equal(pvt_run(NULL, "mkdir -p '%s/src/sub' '%s/src/%.*s'", dir, dir,
				 (int)(strrchr(lname, '/') - lname), lname),
			 0);
	uint8_t *data = malloc(70001);
	assert_non_null(data);
	for (int i = 0; i < 4; i++) {
		char rel[512];
		snprintf(rel, sizeof rel, "src/%s", names[i]);
		char *path = pvt_path(dir, rel);
		fill(data, sizes[i], 100 + (unsigned)i);
		assert_int_equal(pvt_write_file(path, data, sizes[i]), 0);
		free(path);
	}
	assert_int_equal(pvt_run(NULL,
				 "cd '%s/src' && tar --format=ustar -cf ../gnu.tar %s %s %s %s",
				 dir, names[0], names[1], names[2], names[3]),
			 0);
	char *tarfile = pvt_path(dir, "gnu.tar");
	FILE *f = fopen(tarfile, "rb");
	assert_non_null(f);
	struct pv_tar_reader *r = pv_tar_reader_new(file_read, f);
	char name[PV_TAR_NAME_MAX + 1];
	uint64_t size;
	uint8_t *got = malloc(70001);
	assert_non_null(got);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pv_tar_next(r, name, &size), 1);
		assert_string_equal(name, names[i]);
		assert_int_equal(size, sizes[i]);
		size_t off = 0;
		long n;
		while ((n = pv_tar_read(r, got + off, 4000)) > 0)
			off += (size_t)n;
		assert_int_equal(n, 0);
		assert_int_equal(off, sizes[i]);
		fill(data, sizes[i], 100 + (unsigned)i);
		if (off)
			assert_memory_equal(got, data, off);
	}
	assert_int_equal(pv_tar_next(r, name, &size), 0);
	pv_tar_reader_free(r);
	fclose(f);
	free(got), free(data), free(tarfile);
	pvt_rmtree(dir);
	free(dir);
}

/* ---- damaged and hostile archives ------------------------------------------------------- */

/* Recompute a header's checksum after the test edited it. */
static void fix_checksum(uint8_t *h)
{
	unsigned long sum = 0;
	for (int i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	char f[8];
	snprintf(f, sizeof f, "%06lo", sum);
	memcpy(h + 148, f, 7);
	h[155] = ' ';
}

/* A one-member archive ("dir/file", 1000 bytes) in memory. */
static struct sink one_member(void)
{
	struct sink s = {0};
	struct pv_tar_writer w = writer_to(&s);
	uint8_t data[1000];
	fill(data, sizeof data, 9);
	assert_int_equal(pv_tar_write_file(&w, "dir/file", data, sizeof data), 0);
	assert_int_equal(pv_tar_finish(&w), 0);
	return s;
}

/* pv_tar_next's result on len bytes of p, with the reason checked when it is -1. */
static void expect_next(const uint8_t *p, size_t len, int want, const char *reason)
{
	struct source src = {p, len, 0, 100000};
	struct pv_tar_reader *r = pv_tar_reader_new(source_read, &src);
	char name[PV_TAR_NAME_MAX + 1];
	uint64_t size;
	int rc = pv_tar_next(r, name, &size);
	if (rc != want || (reason && !strstr(pv_tar_reader_error(r), reason)))
		fail_msg("pv_tar_next: %d (want %d), reason '%s' (want '%s')", rc, want,
			 pv_tar_reader_error(r), reason ? reason : "");
	if (rc == -1)
		assert_int_equal(pv_tar_next(r, name, &size), -1); /* stays failed */
	pv_tar_reader_free(r);
}

static void test_bad_checksum(void **state)
{
	(void)state;
	struct sink s = one_member();
	s.p[3] ^= 1; /* name byte */
	expect_next(s.p, s.len, -1, "bad header checksum");
	s.p[3] ^= 1;
	s.p[150] = '9'; /* not octal */
	expect_next(s.p, s.len, -1, "bad header checksum");
	free(s.p);
}

static void test_truncated(void **state)
{
	(void)state;
	struct sink s = one_member();
	char name[PV_TAR_NAME_MAX + 1];
	uint64_t size;
	uint8_t buf[4096];
	/* cut inside the data: reading it fails, and so does skipping it */
	for (int skip = 0; skip < 2; skip++) {
		struct source src = {s.p, 512 + 600, 0, 64};
		struct pv_tar_reader *r = pv_tar_reader_new(source_read, &src);
		assert_int_equal(pv_tar_next(r, name, &size), 1);
		assert_int_equal(size, 1000);
		if (!skip) {
			long n, total = 0;
			while ((n = pv_tar_read(r, buf, sizeof buf)) > 0)
				total += n;
			assert_int_equal(n, -1);
			assert_int_equal(total, 600);
		} else {
			assert_int_equal(pv_tar_next(r, name, &size), -1);
		}
		assert_non_null(strstr(pv_tar_reader_error(r), "truncated"));
		pv_tar_reader_free(r);
	}
	/* cut in the padding, inside a header, before the end blocks */
	expect_next(s.p, 300, -1, "truncated archive: partial header block");
	expect_next(s.p, 0, -1, "truncated archive");
	struct source src = {s.p, 512 + 1024, 0, 100000};
	struct pv_tar_reader *r = pv_tar_reader_new(source_read, &src);
	assert_int_equal(pv_tar_next(r, name, &size), 1);
	assert_int_equal(pv_tar_next(r, name, &size), -1);
	assert_non_null(strstr(pv_tar_reader_error(r), "end-of-archive blocks are missing"));
	pv_tar_reader_free(r);
	/* data complete but padding cut */
	struct source src2 = {s.p, 512 + 1000, 0, 100000};
	r = pv_tar_reader_new(source_read, &src2);
	assert_int_equal(pv_tar_next(r, name, &size), 1);
	assert_int_equal(pv_tar_next(r, name, &size), -1);
	assert_non_null(strstr(pv_tar_reader_error(r), "truncated"));
	pv_tar_reader_free(r);
	free(s.p);
}

static void test_end_markers(void **state)
{
	(void)state;
	struct sink s = one_member();
	size_t end = 512 + 1024;	       /* after the member */
	expect_next(s.p + end, 1024, 0, NULL); /* two zero blocks */
	expect_next(s.p + end, 512, 0, NULL);  /* one zero block, then the end of input */
	expect_next(s.p + end, 700, -1, "truncated");
	/* a lone zero block followed by a member */
	uint8_t *odd = calloc(1, 512 + s.len);
	assert_non_null(odd);
	memcpy(odd + 512, s.p, s.len);
	expect_next(odd, 512 + s.len, -1, "lone zero block");
	free(odd);
	free(s.p);
}

static void test_symlink_member(void **state)
{
	(void)state;
	char *dir = pvt_tempdir();
	assert_int_equal(pvt_run(NULL,
				 "cd '%s' && echo hi > target && ln -s target link && "
				 "tar --format=ustar -cf s.tar link",
				 dir),
			 0);
	char *path = pvt_path(dir, "s.tar");
	size_t len = 0;
	char *t = pvt_read_file(path, &len);
	assert_non_null(t);
	expect_next((uint8_t *)t, len, -1, "member \"link\" is not a regular file (type '2')");
	free(t), free(path);
	pvt_rmtree(dir);
	free(dir);

	/* a hard link and a directory, edited into our own header */
	struct sink s = one_member();
	s.p[156] = '1';
	fix_checksum(s.p);
	expect_next(s.p, s.len, -1, "not a regular file");
	s.p[156] = '5';
	fix_checksum(s.p);
	expect_next(s.p, s.len, -1, "not a regular file");
	free(s.p);
}

static void test_hostile_names(void **state)
{
	(void)state;
	const char *bad[] = {"../x", "/etc/passwd", "a/../../x", "..", "a/.."};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct sink s = one_member();
		memset(s.p, 0, 100);
		memcpy(s.p, bad[i], strlen(bad[i]));
		fix_checksum(s.p);
		expect_next(s.p, s.len, -1, "unsafe member name");
		free(s.p);
	}
	/* ".." hidden in the prefix field */
	struct sink s = one_member();
	memcpy(s.p + 345, "..", 3);
	fix_checksum(s.p);
	expect_next(s.p, s.len, -1, "unsafe member name \"../dir/file\"");
	/* a directory written as a regular file with a trailing slash */
	memset(s.p + 345, 0, 155);
	memcpy(s.p, "dir/", 5);
	fix_checksum(s.p);
	expect_next(s.p, s.len, -1, "not a regular file");
	free(s.p);
}

static void test_header_fields_checked(void **state)
{
	(void)state;
	struct sink s = one_member();
	memcpy(s.p + 124, "0000000175x", 12);
	fix_checksum(s.p);
	expect_next(s.p, s.len, -1, "bad size field");
	memcpy(s.p + 124, "           ", 12);
	fix_checksum(s.p);
	expect_next(s.p, s.len, -1, "bad size field");
	memcpy(s.p + 124, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12);
	fix_checksum(s.p);
	expect_next(s.p, s.len, -1, "bad size field");
	free(s.p);

	/* base-256 size (as GNU tar writes for huge files) is accepted */
	s = one_member();
	memset(s.p + 124, 0, 12);
	s.p[124] = 0x80;
	s.p[134] = 1000 >> 8;
	s.p[135] = 1000 & 255;
	fix_checksum(s.p);
	expect_next(s.p, s.len, 1, NULL);
	/* not ustar: v7 header without magic */
	s.p[124] = '0';
	memcpy(s.p + 124, "00000001750", 12);
	memset(s.p + 257, 0, 8);
	fix_checksum(s.p);
	expect_next(s.p, s.len, -1, "not a ustar header");
	free(s.p);
}

static void test_read_without_member(void **state)
{
	(void)state;
	struct sink s = one_member();
	struct source src = {s.p, s.len, 0, 100000};
	struct pv_tar_reader *r = pv_tar_reader_new(source_read, &src);
	uint8_t buf[16];
	assert_int_equal(pv_tar_read(r, buf, sizeof buf), -1);
	assert_string_equal(pv_tar_reader_error(r), "no current member");
	pv_tar_reader_free(r);
	free(s.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_skip_unread),
	    cmocka_unit_test(test_header_fields),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_writer_misuse),
	    cmocka_unit_test(test_gnu_tar_reads_ours),
	    cmocka_unit_test(test_ours_reads_gnu_tar),
	    cmocka_unit_test(test_bad_checksum),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_end_markers),
	    cmocka_unit_test(test_symlink_member),
	    cmocka_unit_test(test_hostile_names),
	    cmocka_unit_test(test_header_fields_checked),
	    cmocka_unit_test(test_read_without_member),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
