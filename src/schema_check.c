/* SPDX-License-Identifier: Apache-2.0 */
/* schema_check.c: the public entry point that validates a schema file and reports every
 * problem with its file, line and column. */
#include "pivault.h"
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>

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
		return PV_ERR_IO;
	size_t cap = 1 << 20;
	char *buf = malloc(cap + 1);
	size_t n = buf ? fread(buf, 1, cap + 1, f) : 0;
	int err = ferror(f);
	fclose(f);
	if (!buf)
		return PV_ERR_NOMEM;
	if (err) {
		free(buf);
		return PV_ERR_IO;
	}
	struct check_ctx c = { path, diag, ctx };
	if (n > cap) {
		forward(&c, 0, 0, "schema file is larger than 1 MiB");
		free(buf);
		return PV_ERR_SCHEMA;
	}
	buf[n] = '\0';
	struct pv_schema *s = pv_schema_parse(buf, n, path, forward, &c);
	free(buf);
	if (!s)
		return PV_ERR_SCHEMA;
	pv_schema_free(s);
	return PV_OK;
}
