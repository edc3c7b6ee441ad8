/* SPDX-License-Identifier: Apache-2.0 */
/* tar.h: a streaming POSIX ustar writer and reader of regular files, for the handover
 * package. Both work through callbacks, never hold a member's data, and move data in large
 * blocks. Writer members are mode 0644, uid/gid 0, owner "pivault"; the reader accepts
 * regular-file members of ustar archives (as GNU `tar --format=ustar` writes) and refuses
 * everything else (links, directories, devices, unsafe names). */
#ifndef PV_TAR_H
#define PV_TAR_H

#include <stddef.h>
#include <stdint.h>

/* Output: write all len bytes; 0, or -1 on error. */
typedef int (*pv_tar_write_fn)(void *ctx, const void *buf, size_t len);
/* Input: read up to len bytes; the count (at most len), 0 at the end, -1 on error. */
typedef long (*pv_tar_read_fn)(void *ctx, void *buf, size_t len);

/* Longest member name: ustar prefix (155) + "/" + name (100). */
#define PV_TAR_NAME_MAX 255
/* Largest member size: 11 octal digits. */
#define PV_TAR_SIZE_MAX ((UINT64_C(1) << 33) - 1)

/* The writer: set out, ctx and mtime (seconds since the epoch, 0 .. 8^11-1) and leave the
 * rest zero (a designated or positional initializer does this). written counts the bytes
 * handed to out. After any error the writer stays failed. */
struct pv_tar_writer {
	pv_tar_write_fn out;
	void *ctx;
	int64_t mtime;
	uint64_t written;
	/* private: the member begun by pv_tar_begin_file */
	uint64_t member_size;
	uint64_t member_done;
	int in_member;
	int failed;
};

/* One regular file member, mode 0644, uid/gid 0, uname/gname "pivault", the writer's
 * mtime; the name is split into ustar's prefix and name fields. Names are refused when
 * empty, absolute, too long to split, or with empty, "." or ".." components. Data is
 * padded to 512 bytes. 0 / -1. */
int pv_tar_write_file(struct pv_tar_writer *w, const char *name, const void *data, size_t len);
/* Streaming variant when the size is known in advance: the header now, then
 * pv_tar_write_data any number of times totalling exactly size bytes (more is refused),
 * then pv_tar_end_file (pads; -1 if the byte count differs). */
int pv_tar_begin_file(struct pv_tar_writer *w, const char *name, uint64_t size);
int pv_tar_write_data(struct pv_tar_writer *w, const void *buf, size_t len);
int pv_tar_end_file(struct pv_tar_writer *w);
/* The two zero blocks that end the archive (-1 inside an unfinished member). */
int pv_tar_finish(struct pv_tar_writer *w);

struct pv_tar_reader; /* opaque */
/* A reader over in; NULL when out of memory. */
struct pv_tar_reader *pv_tar_reader_new(pv_tar_read_fn in, void *ctx);
/* Next member: 1 with its name (NUL-terminated, prefix joined) and size; 0 at the end of
 * the archive (two zero blocks, or one zero block followed by the end of input); -1 when
 * malformed (bad checksum, not a ustar header, not a regular file, bad size field, an
 * absolute name or one with ".." components, truncated input, read error) with the reason
 * from pv_tar_reader_error. Unread data of the previous member is skipped. After 0 or -1
 * the same result is returned again. */
int pv_tar_next(struct pv_tar_reader *r, char name[PV_TAR_NAME_MAX + 1], uint64_t *size);
/* Read up to len bytes of the current member's data: bytes read, 0 at the member's end,
 * -1 on error (truncated input, read error, or no current member). */
long pv_tar_read(struct pv_tar_reader *r, void *buf, size_t len);
/* Why the last call failed ("" if nothing failed). */
const char *pv_tar_reader_error(const struct pv_tar_reader *r);
void pv_tar_reader_free(struct pv_tar_reader *r);

#endif
