/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz.h: what the fuzz targets share. Each target defines LLVMFuzzerTestOneInput, which
 * libFuzzer calls (fuzz/run.sh) and replay.c calls once per corpus file (the CTest
 * replay, built with any compiler). Inputs made of several strings separate them with NUL
 * bytes: fuzz_parts splits them. */
#ifndef PV_FUZZ_H
#define PV_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Split data at NUL bytes into at most n NUL-terminated strings (a copy, malloc'd in
 * *buf, freed by the caller); parts not present are NULL. Returns the buffer's first
 * byte after the last part taken (the rest of the input, unsplit, when the input has
 * more than n parts), and its length in *rest_len. */
const char *fuzz_parts(const uint8_t *data, size_t size, char **buf, const char **parts,
		       size_t n, size_t *rest_len);

/* A private directory for the process's files, made on first use and removed at exit. */
const char *fuzz_tempdir(void);

/* Remove path and, when it is a directory, everything under it (no links followed). */
void fuzz_remove_tree(const char *path);

/* Write data to path (replacing it); 0 / -1. */
int fuzz_write(const char *path, const void *data, size_t size);

/* When FUZZ_VERBOSE is set in the environment, print what a check said (to see, on a
 * replay, that the valid seeds pass and the others fail for the reason meant). */
void fuzz_report(const char *target, int rc, const char *why);

#endif
