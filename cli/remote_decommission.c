/* SPDX-License-Identifier: Apache-2.0 */
/* remote_decommission.c: the wind-down (注销) through the server: `decommission plan` (GET
 * /v1/decommission, printed as the library writes it) and `decommission run` (POST
 * /v1/decommission: asked for under four eyes, then run with --request; the certificates
 * and the signed final report printed or written as locally, then the keeper's archive the
 * server wrote fetched from GET /v1/decommission/archive into -o ARCHIVE, a new file made
 * before anything is asked). The keeper's key is sent as its age1... public key only: a
 * key file is read here, never named to the server. */
#include "remote.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Keys and certificates are small. */
#define KEY_FILE_MAX 65535

/* The library's JSON text (as pv_decommission_* writes it) of member v; malloc'd. */
static char *library_text(const json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return v ? json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
}

int cli_remote_decommission_plan(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "plan takes no argument");
	struct cli_url u = { 0 };
	struct cli_reply r;
	int code;
	cli_url_path(&u, "/v1/decommission", NULL);
	cli_url_arg(&u, "role", a->common.role);
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	char *text = library_text(r.json);
	code = text ? cli_write_text(text, NULL) : EXIT_FAIL;
	free(text);
	cli_reply_free(&r);
	return code;
}

/* The keeper's public key: given (age1...), or the first "age1..." of the file named (a
 * recipients file, or an identity file's "# public key:" line); malloc'd, NULL after the
 * library's message (exit 2). */
static char *keeper_key(const char *given)
{
	if (strncmp(given, "age1", 4) == 0)
		return strdup(given);
	char *text = cli_read_text(given, KEY_FILE_MAX), *key = NULL, *save = NULL;
	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line && !key;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *p = strncmp(line, "# public key: ", 14) == 0 ? line + 14 : line;
		if (strncmp(p, "age1", 4) == 0)
			key = strndup(p, strcspn(p, " \t\r"));
	}
	free(text);
	if (!key)
		fprintf(stderr, "pivault: the keeper's key is not an age public key (age1...)\n");
	return key;
}

/* GET /v1/decommission/archive streamed into out. EXIT_OK or the exit status. */
static int fetch_archive(const struct cli_args *a, FILE *out);

/* The run's reply: the certificates into sink, the report kept, the archive fetched. */
static int finish(struct cli_args *a, const json_t *reply, struct cli_cert_sink *sink,
		  FILE *archive)
{
	cli_remote_keep_certificates(reply, sink);
	int code = cli_cert_sink_close(sink) != 0 ? EXIT_FAIL : EXIT_OK;
	char *report = library_text(json_object_get(reply, "report"));
	if (!report || cli_keep_final_report(report, cli_opt(a, "--report")) != EXIT_OK)
		code = EXIT_FAIL;
	free(report);
	int fetched = fetch_archive(a, archive);
	if (fetched == EXIT_OK)
		fprintf(stderr, "decommissioned: %lu certificate%s; archive %s\n", sink->count,
			sink->count == 1 ? "" : "s", cli_opt(a, "-o"));
	return code ? code : fetched;
}

static int to_file(void *ctx, const char *data, size_t n)
{
	if (fwrite(data, 1, n, ctx) == n)
		return 0;
	fprintf(stderr, "pivault: cannot write the archive\n");
	return -1;
}

static int fetch_archive(const struct cli_args *a, FILE *out)
{
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/decommission/archive", NULL);
	cli_url_arg(&u, "role", a->common.role);
	char *path = cli_url_take(&u);
	struct cli_stream s = { -1, to_file, out, NULL };
	struct cli_reply r;
	int code = path ? cli_remote_stream("GET", path, &s, &r) : EXIT_FAIL;
	free(path);
	if (code == EXIT_OK) {
		if (r.status != 200)
			code = cli_remote_failed(&r);
		cli_reply_free(&r);
	}
	if (fclose(out) != 0 && code == EXIT_OK) {
		fprintf(stderr, "pivault: cannot write %s\n", cli_opt(a, "-o"));
		code = EXIT_FAIL;
	}
	if (code != EXIT_OK)
		unlink(cli_opt(a, "-o")); /* no half archive: the server keeps the whole one */
	return code;
}

/* POST /v1/decommission with the keeper; 1 with the run's reply, else 0 with *code (a
 * request asked for: its id printed, EXIT_OK). */
static int run_at_server(struct cli_args *a, const char *key, struct cli_reply *r, int *code)
{
	json_t *obj = json_pack("{s:s,s:s,s:s}", "keeper_name", cli_opt(a, "--keeper-name"),
				"keeper_contact", cli_opt(a, "--keeper-contact"), "keeper_key",
				key);
	return cli_remote_post(&a->common, "/v1/decommission", NULL, "", obj, 200, r, code);
}

int cli_remote_decommission_run(struct cli_args *a)
{
	const char *archive_path = cli_opt(a, "-o");
	if (a->narg || !cli_opt(a, "--keeper-name") || !cli_opt(a, "--keeper-contact") ||
	    !cli_opt(a, "--keeper-key") || !archive_path)
		return cli_usage(a->prog, "run needs --keeper-name, --keeper-contact, "
				 "--keeper-key and -o ARCHIVE");
	char *key = keeper_key(cli_opt(a, "--keeper-key"));
	if (!key)
		return EXIT_USAGE;
	FILE *archive = cli_create(archive_path);
	struct cli_cert_sink sink;
	if (!archive || cli_cert_sink_open(&sink, cli_opt(a, "--certificates")) != 0) {
		if (archive) {
			fclose(archive);
			unlink(archive_path);
		}
		free(key);
		return EXIT_FAIL;
	}
	struct cli_reply r;
	int code;
	int ran = run_at_server(a, key, &r, &code);
	free(key);
	if (ran) {
		code = finish(a, r.json, &sink, archive);
		cli_reply_free(&r);
		return code;
	}
	cli_cert_sink_close(&sink);
	fclose(archive);
	unlink(archive_path); /* nothing ran: no empty archive left behind */
	return code;
}
