/* SPDX-License-Identifier: Apache-2.0 */
/* schema_check.c: the public entry point that validates a schema file and reports every
 * problem with its file, line and column. */
#include "pivault.h"
#include "errors.h"
#include "schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check_ctx {
	const char *file;
	pv_diag_fn diag;
	void *ctx;
};

static void forward(void *ctx, int line, int column, const char *message)
{
	struct check_ctx *c = ctx;
	if (c->diag)
		c->diag(c->ctx, c->file, line, column, message);
}

pv_rc pv_schema_check_file(const char *path, pv_diag_fn diag, void *ctx)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return pv_fail(NULL, PV_ERR_IO, "cannot read schema %s: %s", path, strerror(errno));
	size_t cap = 1 << 20;
	char *buf = malloc(cap + 1);
	size_t n = buf ? fread(buf, 1, cap + 1, f) : 0;
	int err = ferror(f);
	fclose(f);
	if (!buf)
		return pv_fail(NULL, PV_ERR_NOMEM, "out of memory");
	if (err) {
		free(buf);
		return pv_fail(NULL, PV_ERR_IO, "cannot read schema %s", path);
	}
	struct check_ctx c = { path, diag, ctx };
	if (n > cap) {
		forward(&c, 0, 0, "schema file is larger than 1 MiB");
		free(buf);
		return pv_fail(NULL, PV_ERR_SCHEMA, "schema %s is larger than 1 MiB", path);
	}
	buf[n] = '\0';
	struct pv_schema *s = pv_schema_parse(buf, n, path, forward, &c);
	free(buf);
	if (!s)
		return pv_fail(NULL, PV_ERR_SCHEMA, "schema %s is not valid (each problem reported)",
			       path);
	pv_schema_free(s);
	return pv_ok(NULL);
}
