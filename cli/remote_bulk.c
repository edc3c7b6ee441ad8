/* SPDX-License-Identifier: Apache-2.0 */
/* remote_bulk.c: customers in bulk through the server: `pivault export` (GET /v1/export,
 * streamed as it arrives to standard output, or with -o FILE to a new file written
 * atomically by the library's export sink: nothing left behind when it fails; then the
 * sealed customers it left out, from GET /v1/export/summary, said as locally) and
 * `pivault import FILE.csv` (POST /v1/import, the file streamed as it is read; the
 * server's summary and its errors by line and column printed as the local command prints
 * them). */
#include "remote.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long long count_of(const json_t *summary, const char *key)
{
	return (unsigned long long)json_integer_value(json_object_get(summary, key));
}

/* ---- Export ---- */

static int to_stdout(void *ctx, const char *data, size_t n)
{
	(void)ctx;
	if (fwrite(data, 1, n, stdout) == n)
		return 0;
	fprintf(stderr, "pivault: cannot write the export to standard output\n");
	return -1;
}

static int to_file(void *ctx, const char *data, size_t n)
{
	pv_rc rc = pv_export_sink_write(ctx, data, n);
	if (rc)
		cli_fail(NULL, rc);
	return rc ? -1 : 0;
}

/* GET /v1/export with the command's format, reader and request. */
static char *export_path(const struct cli_args *a, const char *format)
{
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/export", NULL);
	cli_url_arg(&u, "format", format);
	cli_url_arg(&u, "role", a->common.role);
	cli_url_arg(&u, "purpose", a->common.purpose);
	cli_url_arg(&u, "clear", a->common.clear ? "true" : NULL);
	cli_url_arg(&u, "request", a->common.request);
	return cli_url_take(&u);
}

/* The export's end: the file given its name, or standard output flushed. */
static int export_done(pv_export_sink *sink)
{
	pv_rc rc = sink ? pv_export_sink_commit(sink) : PV_OK;
	if (rc)
		return cli_fail(NULL, rc);
	if (!sink && fflush(stdout) != 0) {
		fprintf(stderr, "pivault: cannot write the export to standard output\n");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* After the export: GET /v1/export/summary (as the same reader), the sealed customers it
 * left out said as the local command says them. EXIT_OK, else the exit status after the
 * server's message (the omission is never silent). */
static int say_sealed_left_out(const struct cli_args *a)
{
	struct cli_url u = { 0 };
	struct cli_reply r;
	int code;
	cli_url_path(&u, "/v1/export/summary", NULL);
	cli_url_arg(&u, "role", a->common.role);
	cli_url_arg(&u, "purpose", a->common.purpose);
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	json_t *sealed = json_object_get(r.json, "sealed_left_out");
	cli_print_sealed_left_out(count_of(sealed, "customers"), cli_json_str(sealed, "incident"));
	cli_reply_free(&r);
	return EXIT_OK;
}

int cli_remote_export(struct cli_args *a)
{
	const char *f = cli_opt(a, "--format"), *outpath = cli_opt(a, "-o");
	if (f && strcmp(f, "jsonl") != 0 && strcmp(f, "csv") != 0)
		return cli_usage(a->prog, "--format is csv or jsonl");
	if (a->narg)
		return cli_usage(a->prog, "export takes no argument");
	pv_export_sink *sink = NULL;
	pv_rc rc = outpath ? pv_export_sink_open(a->common.clear, outpath, &sink) : PV_OK;
	if (rc)
		return cli_fail(NULL, rc);
	char *path = export_path(a, f ? f : "csv");
	struct cli_stream s = { -1, sink ? to_file : to_stdout, sink, NULL };
	struct cli_reply r;
	int code = path ? cli_remote_stream("GET", path, &s, &r) : EXIT_FAIL;
	free(path);
	if (code == EXIT_OK) {
		if (r.status == 200) {
			code = export_done(sink);
			sink = NULL; /* committed or discarded */
			if (code == EXIT_OK)
				code = say_sealed_left_out(a);
		} else {
			code = cli_remote_failed(&r); /* asked for (four eyes), refused, ... */
		}
		cli_reply_free(&r);
	}
	pv_export_sink_discard(sink);
	return code;
}

/* ---- Import ---- */

/* Problems shown by line at most, as the local command shows them. */
#define ERRORS_SHOWN 50

static const char *dup_member(const void *ctx, size_t i, const char *key)
{
	return cli_json_str(json_array_get(ctx, i), key);
}

static const char *dup_field(const void *ctx, size_t i)
{
	return dup_member(ctx, i, "field");
}

static const char *dup_ids(const void *ctx, size_t i)
{
	return dup_member(ctx, i, "ids");
}

/* The rows refused, by line, column and reason (never a value), on standard error. */
static void print_errors(const json_t *summary)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(summary, "errors"), i, e) {
		if (i >= ERRORS_SHOWN)
			break;
		const char *column = json_string_value(json_object_get(e, "column"));
		fprintf(stderr, "line %lld%s%s: %s\n",
			(long long)json_integer_value(json_object_get(e, "line")),
			column ? ", column " : "", column ? column : "", cli_json_str(e, "reason"));
	}
	json_int_t total = json_integer_value(json_object_get(summary, "errors_total"));
	if (total > ERRORS_SHOWN)
		fprintf(stderr, "... %lld problems in all\n", (long long)total);
}

/* The server's summary printed as the command prints the library's (ok: imported). */
static void print_result(const json_t *summary, int ok, int json)
{
	if (!json)
		print_errors(summary);
	if (json) {
		char *text = json_dumps(summary, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			printf("%s\n", text);
		free(text);
		return;
	}
	json_t *dups = json_object_get(summary, "duplicates");
	json_t *sealed = json_object_get(summary, "sealed_left_out");
	struct cli_import_summary s = {
		count_of(summary, "imported"), count_of(summary, "rows_read"),
		count_of(summary, "rejected"),
		json_number_value(json_object_get(summary, "seconds")),
		cli_json_str(summary, "dropped_columns"), cli_json_str(summary, "warnings"),
		json_array_size(dups), dup_field, dup_ids, dups,
		count_of(sealed, "customers"), cli_json_str(sealed, "incident")
	};
	cli_print_import_summary(&s, ok, NULL);
}

int cli_remote_open_input(const char *path)
{
	if (strcmp(path, "-") == 0)
		return STDIN_FILENO;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "pivault: cannot open %s: %s\n", path, strerror(errno));
	return fd;
}

/* A reply that is not a success: what the server's summary says (as the library's
 * problems are shown locally), then its message. */
static int import_failed(const struct cli_reply *r, int json)
{
	json_t *err = json_object_get(r->json, "error");
	json_t *summary = json_object_get(err, "summary");
	if (json_is_object(summary))
		print_result(summary, 0, json);
	return cli_remote_failed(r);
}

int cli_remote_import(struct cli_args *a)
{
	const char *local = cli_opt(a, "--reject-file") ? "--reject-file"
			    : cli_opt(a, "--threads") ? "--threads" : NULL;
	if (local) {
		fprintf(stderr, "pivault %s: %s is not available through a server (PIVAULT_SERVER): "
			"the server imports all or nothing, with its own threads\n", a->prog, local);
		return EXIT_USAGE;
	}
	if (a->narg != 1)
		return cli_usage(a->prog, a->narg ? "one input file only" : "a CSV file is required");
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/import", NULL);
	cli_url_arg(&u, "role", a->common.role);
	cli_url_arg(&u, "purpose", a->common.purpose);
	cli_url_arg(&u, "drop_undeclared", cli_flag(a, "--drop-undeclared") ? "true" : NULL);
	char *path = cli_url_take(&u);
	int fd = path ? cli_remote_open_input(a->arg[0]) : -1;
	if (fd < 0) {
		free(path);
		return EXIT_FAIL;
	}
	struct cli_stream s = { fd, NULL, NULL, NULL };
	struct cli_reply r;
	int code = cli_remote_stream("POST", path, &s, &r);
	free(path);
	if (fd != STDIN_FILENO)
		close(fd);
	if (code)
		return code;
	if (r.status == 200 && r.json)
		print_result(r.json, 1, a->common.json);
	else
		code = import_failed(&r, a->common.json);
	cli_reply_free(&r);
	return code;
}
