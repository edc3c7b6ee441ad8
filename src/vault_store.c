/* SPDX-License-Identifier: Apache-2.0 */
/* vault_store.c: where a vault keeps its data. By default in the SQLite file vault.db of
 * the vault's directory. A vault made while the process names a PostgreSQL store
 * (pv_set_store: `--store`, PIVAULT_STORE) keeps it in a PostgreSQL schema of its own; its
 * directory (one per server node, beside its keyring) then holds the file `store`: the
 * location, never a password, which every later open follows. A store named at an open
 * replaces the recorded connection (the address of a new primary, say), never the schema:
 * the directory says which vault it is. */
#include "files.h"
#include "store/store.h"
#include "vault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DB_NAME "vault.db"
#define STORE_RECORD "store"
#define LOCATION_MAX 4096

/* The process's store (pv_set_store); NULL: each vault's own SQLite file. */
static char *process_store;

pv_rc pv_set_store(const char *location)
{
	char why[256];
	if (location && *location && pv_store_location_check(location, why, sizeof why) != 0)
		return pv_fail(NULL, PV_ERR_USAGE, "%s", why);
	char *copy = location && *location ? strdup(location) : NULL;
	if (location && *location && !copy)
		return pv_fail(NULL, PV_ERR_NOMEM, "out of memory");
	free(process_store);
	process_store = copy;
	return PV_OK;
}

static char *dir_file(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Write the record dir/store (a new file, synced with its directory). */
static pv_rc write_record(pv_vault *v, const char *dir, const char *location)
{
	char *path = dir_file(dir, STORE_RECORD);
	if (!path)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	int fd = pv_file_create_fd(path);
	int failed = fd < 0 || pv_file_write_all(fd, location, strlen(location)) != 0 ||
		     pv_file_write_all(fd, "\n", 1) != 0 || fsync(fd) != 0;
	int saved = errno;
	if (fd >= 0)
		close(fd);
	if (!failed)
		failed = pv_file_sync_dir(path) != 0;
	else
		unlink(path);
	pv_rc rc = failed ? pv_fail(v, PV_ERR_IO, "cannot write %s: %s", path, strerror(saved))
			  : PV_OK;
	free(path);
	return rc;
}

/* The record dir/store's location (malloc'd) into *location; 1 when there is none. */
static pv_rc read_record(pv_vault *v, const char *dir, char **location)
{
	char *path = dir_file(dir, STORE_RECORD);
	if (!path)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	FILE *f = fopen(path, "re");
	if (!f) {
		int absent = errno == ENOENT;
		pv_rc rc = absent ? PV_OK : pv_fail(v, PV_ERR_IO, "cannot read %s: %s", path,
						    strerror(errno));
		free(path);
		*location = NULL;
		return rc;
	}
	char line[LOCATION_MAX];
	int ok = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	line[ok ? strcspn(line, "\n") : 0] = '\0';
	char why[256], schema[64] = "";
	char *conninfo = ok ? pv_store_location_conninfo(line, schema, sizeof schema) : NULL;
	free(conninfo);
	pv_rc rc = PV_OK;
	if (!ok || pv_store_location_check(line, why, sizeof why) != 0 || !schema[0])
		rc = pv_fail(v, PV_ERR_CORRUPT, "%s: not a PostgreSQL store's location with its "
			     "schema", path);
	free(path);
	*location = rc ? NULL : strdup(line);
	if (!rc && !*location)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	return rc;
}

pv_rc pv_vault_store_create(pv_vault *v, const char *dir, char **location)
{
	*location = NULL;
	if (!process_store) {
		if (!(*location = dir_file(dir, DB_NAME)))
			return pv_fail(v, PV_ERR_NOMEM, "out of memory");
		return PV_OK;
	}
	char schema[64];
	char *conninfo = pv_store_location_conninfo(process_store, schema, sizeof schema);
	if (!conninfo)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	free(conninfo);
	if (!schema[0]) /* a schema of its own: named after the new vault */
		snprintf(schema, sizeof schema, "pv_%.16s", v->vault_id_hex);
	*location = pv_store_location_with_schema(process_store, schema);
	if (!*location)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	pv_rc rc = write_record(v, dir, *location);
	if (rc) {
		free(*location);
		*location = NULL;
	}
	return rc;
}

void pv_vault_store_forget(const char *dir)
{
	char *path = dir_file(dir, STORE_RECORD);
	if (path)
		unlink(path);
	free(path);
}

pv_rc pv_vault_store_locate(pv_vault *v, const char *dir, char **location)
{
	char *recorded = NULL;
	pv_rc rc = read_record(v, dir, &recorded);
	if (rc)
		return rc;
	if (!recorded) { /* the directory's own SQLite file */
		if (!(*location = dir_file(dir, DB_NAME)))
			return pv_fail(v, PV_ERR_NOMEM, "out of memory");
		if (access(*location, F_OK) == 0)
			return PV_OK;
		free(*location);
		*location = NULL;
		return pv_fail(v, PV_ERR_NOT_FOUND, "%s is not a vault (no %s or %s in it)", dir,
			       DB_NAME, STORE_RECORD);
	}
	if (!process_store) {
		*location = recorded;
		return PV_OK;
	}
	char schema[64];
	char *conninfo = pv_store_location_conninfo(recorded, schema, sizeof schema);
	free(conninfo);
	free(recorded);
	*location = pv_store_location_with_schema(process_store, schema);
	return *location ? PV_OK : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}

int pv_vault_store_is_file(const char *location)
{
	return !pv_store_location_is_postgresql(location);
}
