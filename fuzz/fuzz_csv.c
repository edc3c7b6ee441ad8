/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_csv.c: the CSV import path (the reader, header mapping, per-field validation and
 * normalisation, duplicate detection, reject file) on the example schema. The importer has
 * no entry point without a vault, so one vault is made per process in a private temporary
 * directory; every import is rolled back just before its commit, so each input meets the
 * same empty vault. Input: one byte of options, then the CSV. */
#include "fuzz.h"

#include "import.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pv_vault *vault;

static void close_vault(void)
{
	pv_vault_close(vault);
	vault = NULL;
}

static pv_vault *the_vault(void)
{
	if (vault)
		return vault;
	char key_path[128], dir[128];
	snprintf(key_path, sizeof key_path, "%s/root.key", fuzz_tempdir());
	snprintf(dir, sizeof dir, "%s/vault", fuzz_tempdir());
	pv_key *key = NULL;
	if (pv_key_generate_file(key_path) != PV_OK || pv_key_from_file(key_path, &key) != PV_OK)
		abort();
	pv_create_opts opts = { .schema_path = FUZZ_SCHEMA, .keyring_slots = 64,
				.kdf_cost = PV_KDF_FAST };
	if (pv_vault_create(dir, &opts, key, &vault) != PV_OK) {
		fprintf(stderr, "fuzz_csv: %s\n", pv_errmsg(vault));
		abort();
	}
	pv_key_free(key);
	atexit(close_vault); /* before the directory is removed (atexit runs in reverse) */
	return vault;
}

static pv_rc roll_back(void *ctx, pv_vault *v, const pv_import_result *r)
{
	(void)ctx, (void)v, (void)r;
	return PV_ERR_INPUT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pv_vault *v = the_vault();
	char csv_path[128], reject_path[128];
	snprintf(csv_path, sizeof csv_path, "%s/in.csv", fuzz_tempdir());
	snprintf(reject_path, sizeof reject_path, "%s/rejects.csv", fuzz_tempdir());
	/* The first byte chooses the options ('0'..'7' in the seeds: bit 0 a reject file, bit
	 * 1 dropping undeclared columns, bit 2 allowing empty required fields); the rest is
	 * the CSV. */
	unsigned mode = size ? data[0] : 0;
	if (size)
		data++, size--;
	if (fuzz_write(csv_path, data, size) != 0)
		abort();
	int fd = open(csv_path, O_RDONLY);
	if (fd < 0)
		abort();
	unlink(reject_path);
	pv_import_opts opts = { .threads = 1 };
	opts.reject_path = (mode & 1) ? reject_path : NULL;
	opts.flags = ((mode & 2) ? PV_IMPORT_DROP_UNDECLARED : 0) |
		     ((mode & 4) ? PV_IMPORT_ALLOW_EMPTY_REQUIRED : 0);
	struct pv_import_hook hook = { .audit_op = "import", .before_commit = roll_back };
	pv_access admin = { "admin", NULL, 0 };
	pv_import_result *res = NULL;
	pv_rc rc = pv_import_fd(v, &admin, fd, size, &opts, &hook, &res);
	(void)rc;
	char *summary = res ? pv_import_json(res) : NULL;
	free(summary);
	pv_import_free(res);
	close(fd);
	return 0;
}
