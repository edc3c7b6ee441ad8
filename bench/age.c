/* SPDX-License-Identifier: Apache-2.0 */
/* age.c: benchmark of the age v1 implementation (src/age.c): encryption and decryption of
 * N MiB from memory to a discarding sink, in MB/s, and, when the age tool is installed,
 * the same bytes through `age -r` and `age -d` (from a file under $TMPDIR to /dev/null)
 * with the ratio between the two.
 * usage: bench_age [MiB]   (default 256, random bytes)
 *        bench_age --file PATH   (the bytes of a file, e.g. a handover package's tar) */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "formats/age.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A sink that keeps the bytes only when it has room for them (cap 0: discard). */
struct sink {
	uint8_t *p;
	size_t len, cap;
};

static int sink_write(void *ctx, const void *buf, size_t len)
{
	struct sink *s = ctx;
	if (s->cap) {
		if (len > s->cap - s->len)
			return -1;
		memcpy(s->p + s->len, buf, len);
	}
	s->len += len;
	return 0;
}

struct source {
	const uint8_t *p;
	size_t len, pos;
};

static long source_read(void *ctx, void *buf, size_t len)
{
	struct source *s = ctx;
	size_t n = s->len - s->pos < len ? s->len - s->pos : len;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (long)n;
}

static int encrypt(const uint8_t pk[PV_AGE_KEY], const uint8_t *data, size_t len, struct sink *out)
{
	const size_t piece = 1 << 20;
	pv_age_writer *w = pv_age_writer_new((const uint8_t(*)[PV_AGE_KEY])pk, 1, sink_write, out);
	if (!w)
		return -1;
	for (size_t pos = 0; pos < len; pos += piece)
		if (pv_age_write(w, data + pos, len - pos < piece ? len - pos : piece) != 0) {
			pv_age_writer_free(w);
			return -1;
		}
	return pv_age_writer_finish(w);
}

/* Decrypt and discard; the plaintext length, or -1. */
static long long decrypt(const uint8_t sk[PV_AGE_KEY], const uint8_t *file, size_t len)
{
	uint8_t *buf = malloc(PV_AGE_CHUNK);
	struct source src = {file, len, 0};
	pv_age_status st;
	long long total = 0;
	long got;
	pv_age_reader *r =
	    pv_age_reader_new((const uint8_t(*)[PV_AGE_KEY])sk, 1, source_read, &src, &st, NULL, 0);
	if (!r || !buf) {
		pv_age_reader_free(r);
		free(buf);
		return -1;
	}
	while ((got = pv_age_read(r, buf, PV_AGE_CHUNK)) > 0)
		total += got;
	pv_age_reader_free(r);
	free(buf);
	return got < 0 ? -1 : total;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t n = fwrite(data, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

/* Seconds a shell command takes, or -1 if it fails. */
static double time_command(const char *cmd)
{
	double t = now();
	if (system(cmd) != 0)
		return -1;
	return now() - t;
}

struct age_files {
	char dir[512], plain[600], enc[600], key[600];
};

/* The same plaintext and ciphertext, and the identity, as files for the age tool. */
static int age_files_make(struct age_files *f, const uint8_t sk[PV_AGE_KEY], const uint8_t *data,
			  size_t len, const struct sink *enc)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof f->dir, "%s/pvbench_age.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->plain, sizeof f->plain, "%s/plain", f->dir);
	snprintf(f->enc, sizeof f->enc, "%s/file.age", f->dir);
	snprintf(f->key, sizeof f->key, "%s/key.txt", f->dir);
	char *id = pv_age_format_identity(sk);
	char line[128];
	snprintf(line, sizeof line, "%s\n", id ? id : "");
	int rc = id && write_file(f->plain, data, len) == 0 &&
			 write_file(f->enc, enc->p, enc->len) == 0 &&
			 write_file(f->key, line, strlen(line)) == 0
		     ? 0
		     : -1;
	if (id)
		sodium_memzero(id, strlen(id));
	sodium_memzero(line, sizeof line);
	free(id);
	return rc;
}

static void age_files_remove(struct age_files *f)
{
	unlink(f->plain);
	unlink(f->enc);
	unlink(f->key);
	rmdir(f->dir);
}

static void compare_with_age(const uint8_t sk[PV_AGE_KEY], const uint8_t pk[PV_AGE_KEY],
			     const uint8_t *data, size_t len, const struct sink *enc,
			     double enc_mbs, double dec_mbs)
{
	struct age_files f;
	memset(&f, 0, sizeof f);
	char cmd[2048], *rcp = pv_age_format_recipient(pk);
	if (system("command -v age >/dev/null 2>&1") != 0 || !rcp) {
		printf("age tool: not installed, no comparison\n");
		free(rcp);
		return;
	}
	if (age_files_make(&f, sk, data, len, enc) != 0) {
		printf("age tool: cannot write the files under $TMPDIR\n");
		age_files_remove(&f);
		free(rcp);
		return;
	}
	snprintf(cmd, sizeof cmd, "age -r %s < '%s' > /dev/null", rcp, f.plain);
	double te = time_command(cmd);
	snprintf(cmd, sizeof cmd, "age -d -i '%s' < '%s' > /dev/null", f.key, f.enc);
	double td = time_command(cmd);
	age_files_remove(&f);
	free(rcp);
	if (te <= 0 || td <= 0) {
		printf("age tool: a command failed\n");
		return;
	}
	double mb = (double)len / 1e6;
	printf("age -r:  %8.1f MB/s   pivault/age %.2fx\n", mb / te, enc_mbs / (mb / te));
	printf("age -d:  %8.1f MB/s   pivault/age %.2fx\n", mb / td, dec_mbs / (mb / td));
}

/* The whole file at path in memory; *len its size. NULL on failure. */
static uint8_t *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0) {
		if (f)
			fclose(f);
		return NULL;
	}
	long n = ftell(f);
	uint8_t *p = n > 0 ? malloc((size_t)n) : NULL;
	rewind(f);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*len = p ? (size_t)n : 0;
	return p;
}

int main(int argc, char **argv)
{
	const char *file = argc > 2 && strcmp(argv[1], "--file") == 0 ? argv[2] : NULL;
	long mib = !file && argc > 1 ? strtol(argv[1], NULL, 10) : 256;
	if (mib < 1 || mib > 16384) {
		fprintf(stderr, "usage: bench_age [MiB]  (1 <= MiB <= 16384) | --file PATH\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	size_t len = (size_t)mib << 20;
	uint8_t *from_file = file ? read_whole(file, &len) : NULL;
	if (file && !from_file) {
		fprintf(stderr, "bench_age: cannot read %s\n", file);
		return 1;
	}
	mib = (long)(len >> 20);
	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY];
	struct sink null_sink = {NULL, 0, 0};
	struct sink enc = {malloc(len + len / 64 + 4096), 0, len + len / 64 + 4096};
	uint8_t *data = from_file ? from_file : malloc(len);
	if (!data || !enc.p) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	if (!from_file)
		randombytes_buf(data, len);
	pv_age_keygen(sk, pk);

	double t = now();
	if (encrypt(pk, data, len, &null_sink) != 0)
		return 1;
	double enc_mbs = (double)len / 1e6 / (now() - t);
	if (encrypt(pk, data, len, &enc) != 0)
		return 1;
	t = now();
	if (decrypt(sk, enc.p, enc.len) != (long long)len)
		return 1;
	double dec_mbs = (double)len / 1e6 / (now() - t);
	printf("age v1, %ld MiB%s%s, one X25519 recipient\n", mib, file ? " of " : "",
	       file ? file : "");
	printf("encrypt: %8.1f MB/s\n", enc_mbs);
	printf("decrypt: %8.1f MB/s\n", dec_mbs);
	compare_with_age(sk, pk, data, len, &enc, enc_mbs, dec_mbs);
	sodium_memzero(sk, sizeof sk);
	free(data);
	free(enc.p);
	return 0;
}
