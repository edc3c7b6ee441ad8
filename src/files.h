/* SPDX-License-Identifier: Apache-2.0 */
/* files.h: how the library and the CLI make the files they write (reports, certificates,
 * packages, backups, escrow copies, key files, reject files, journals): always a new file,
 * mode 0600, created with O_CREAT|O_EXCL|O_NOFOLLOW, so that nothing already there (a
 * file, or a symbolic link to the keyring) is ever truncated or written through. */
#ifndef PV_FILES_H
#define PV_FILES_H

#include "pivault.h"

/* Create path for writing as above: a descriptor, or -1 with errno (EEXIST when anything,
 * a dangling link included, is already there). */
int pv_file_create_fd(const char *path);

/* The same, with v's message naming path on failure: PV_ERR_EXISTS when something is
 * there, else PV_ERR_IO. what names the file for the message ("the reject file"). */
pv_rc pv_file_create_for(pv_vault *v, const char *path, const char *what, int *fd);

/* Open an append-only log of lines (a ledger) for appending, creating it (mode 0600) when
 * absent; a symbolic link in its place is refused (ELOOP). A last line cut short (a kill
 * or a full disk in the middle of an append) is ended first, so that nothing appended is
 * glued onto it. -1 with errno. */
int pv_file_append_fd(const char *path);

/* Write all n bytes of p to fd (a short write continues, EINTR is retried); 0, or -1
 * with errno. */
int pv_file_write_all(int fd, const void *p, size_t n);

/* End a last line cut short (no final newline) in the file open on fd, so that what is
 * appended next starts a line of its own. 0, or -1 with errno. */
int pv_file_end_line(int fd);

/* Sync the directory that holds path, so that a file just created or renamed there is
 * still there after a power loss. 0, or -1 with errno. */
int pv_file_sync_dir(const char *path);

#endif
