/* SPDX-License-Identifier: Apache-2.0 */
/* remote_scan.c: `pivault scan` through the server: `scan FILE.csv` sends the file as it
 * reads it (POST /v1/scan: scanned against the vault's own schema, so --schema is refused)
 * and `scan` reads the vault's text fields (GET /v1/scan/vault); the columns and counts
 * printed as the local command prints the library's (never a value). A malformed file is named
 * in the server's message by the path given (?name=), as locally. */
#include "remote.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A column of the reply as the library gives it to the printer. */
static void print_column(struct cli_scan_printer *p, const json_t *col)
{
	pv_scan_column c = { 0 };
	json_t *with = json_object_get(col, "with"), *declared = json_object_get(col, "declared");
	c.name = cli_json_str(col, "name");
	c.declared = json_string_value(declared);
	c.rows = (uint64_t)json_integer_value(json_object_get(col, "rows"));
	c.suggestion = cli_json_str(col, "suggestion");
	for (int k = 0; k < PV_PII_TYPES; k++)
		c.with[k] = (uint64_t)json_integer_value(
			json_object_get(with, pv_pii_type_name((pv_pii_type)k)));
	cli_scan_print_column(p, &c);
}

/* The reply printed as the local command prints the library's result; on a refusal, the
 * empty list the local command's --json leaves before the library's message. */
static int print_reply(const struct cli_args *a, struct cli_reply *r, int file)
{
	struct cli_scan_printer p = { a->common.json, file ? "column" : "field", 0 };
	const char *list = file ? "columns" : "fields", *counted = file ? "rows" : "customers";
	if (p.json)
		printf("{\"%s\":[", list);
	if (r->status != 200 || !r->json) {
		if (p.json)
			puts("]}");
		return cli_remote_failed(r);
	}
	size_t i;
	json_t *col;
	json_array_foreach(json_object_get(r->json, "columns"), i, col)
		print_column(&p, col);
	cli_scan_print_end(&p, (uint64_t)json_integer_value(json_object_get(r->json, counted)),
			   counted);
	return EXIT_OK;
}

/* The file's path as the user gave it, for the server to name the file in the messages of a
 * malformed one as the local command does; NULL (the server says "the request's body")
 * when it is not text the server takes (printable UTF-8, at most 255 bytes): a path in
 * another encoding still gets its file scanned. */
static const char *file_name(const struct cli_args *a)
{
	const char *path = a->narg ? a->arg[0] : NULL;
	size_t n = path ? strlen(path) : 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return NULL;
	json_t *utf8 = n > 0 && n <= 255 ? json_string(path) : NULL; /* NULL: not UTF-8 */
	int taken = utf8 != NULL;
	json_decref(utf8);
	return taken ? path : NULL;
}

/* The request: the file sent as it is read (fd), or the vault's fields read. */
static int ask(const struct cli_args *a, int min, int fd, struct cli_reply *r)
{
	char conf[16];
	snprintf(conf, sizeof conf, "%d", min);
	struct cli_url u = { 0 };
	cli_url_path(&u, fd >= 0 ? "/v1/scan" : "/v1/scan/vault", NULL);
	cli_url_arg(&u, "min_confidence", min ? conf : NULL);
	cli_url_arg(&u, "role", a->common.role);
	cli_url_arg(&u, "purpose", fd >= 0 ? NULL : a->common.purpose);
	cli_url_arg(&u, "name", fd >= 0 ? file_name(a) : NULL);
	char *path = cli_url_take(&u);
	if (!path)
		return EXIT_FAIL;
	struct cli_stream s = { fd, NULL, NULL, NULL };
	int code = fd >= 0 ? cli_remote_stream("POST", path, &s, r)
			   : cli_remote_call("GET", path, NULL, CLI_SIGNED_IN, r);
	free(path);
	return code;
}

int cli_remote_scan(struct cli_args *a)
{
	int min = cli_scan_confidence(a);
	if (min < 0)
		return EXIT_USAGE;
	if (a->narg > 1)
		return cli_usage(a->prog, "one CSV file at most is scanned");
	if (a->narg == 0 && cli_opt(a, "--schema"))
		return cli_usage(a->prog, "--schema is for a CSV file; a vault has its own");
	if (cli_opt(a, "--schema")) {
		fprintf(stderr, "pivault %s: --schema is not available through a server "
			"(PIVAULT_SERVER): the server scans against the vault's own schema\n", a->prog);
		return EXIT_USAGE;
	}
	int fd = a->narg ? cli_remote_open_input(a->arg[0]) : -1;
	if (a->narg && fd < 0)
		return EXIT_FAIL;
	struct cli_reply r;
	int code = ask(a, min, fd, &r);
	if (fd > STDIN_FILENO)
		close(fd);
	if (code)
		return code;
	code = print_reply(a, &r, a->narg == 1);
	cli_reply_free(&r);
	return code;
}
