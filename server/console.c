/* SPDX-License-Identifier: Apache-2.0 */
/* console.c: the web console's files, embedded at build time (server/console/), served
 * under /console/ (/console and /console/ give index.html). Each page may load only what
 * comes from this origin: scripts and styles from files (no inline script, no eval), API
 * calls to the same origin, no frame around it; the bearer token stays in the page's
 * memory (console/api.js). The console holds no rule: it calls the API. */
#include "server.h"

#include <stdlib.h>
#include <string.h>

#define PREFIX "/console"

/* Only 'self', nothing inline, nothing framed. */
static const char console_csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
	"form-action 'none'; frame-ancestors 'none'";

static const struct pvs_asset *asset_named(const char *name)
{
	for (size_t i = 0; i < pvs_console_asset_count; i++)
		if (strcmp(pvs_console_assets[i].name, name) == 0)
			return &pvs_console_assets[i];
	return NULL;
}

/* The file's name a path under the prefix asks for ("index.html" for the console's root),
 * or NULL when the path is not the console's. */
static const char *name_asked(const char *path)
{
	size_t n = strlen(PREFIX);
	if (strncmp(path, PREFIX, n) != 0)
		return NULL;
	path += n;
	if (*path == '\0' || strcmp(path, "/") == 0)
		return "index.html";
	return *path == '/' ? path + 1 : NULL;
}

int pvs_console_serve(const struct pvs_request *q, struct pvs_reply *out)
{
	const char *name = name_asked(q->path);
	if (!name)
		return 0;
	out->csp = console_csp;
	if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0) {
		pvs_error(out, 405, "method_not_allowed", "the console's files answer GET only");
		return 1;
	}
	const struct pvs_asset *a = asset_named(name);
	if (!a) {
		pvs_error(out, 404, "no_route", "no such file in the console");
		return 1;
	}
	out->body = malloc(a->len + 1);
	if (!out->body) {
		pvs_error(out, 500, "out_of_memory", "out of memory");
		return 1;
	}
	memcpy(out->body, a->text, a->len + 1);
	out->status = 200;
	out->type = a->type;
	return 1;
}
