/* SPDX-License-Identifier: Apache-2.0 */
/* remote_transfer.c: `pivault transfer` and `pivault handover` through the server. The plan
 * (POST /v1/transfers), its listing (GET /v1/transfers[/{id}], printed as the library writes
 * it), the assessment, separate consents, exclusions, the notices (their mail merge kept in
 * memory and written to standard output only: contact details in clear never touch a file
 * here), the vault key pinned and those who objected shredded (four eyes: asked for without
 * --request, run with it). The handover: the package written on the server then streamed
 * down into a new file (sealed to its recipient), a package streamed up to the recipient's
 * server and its signed receipt written here, a receipt checked or confirmed on the
 * sender's server. Outputs and exit statuses are the local commands'. */
#include "remote.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The library's way of writing plans, receipts and certificates as JSON text. */
#define LIBRARY_JSON (JSON_INDENT(2) | JSON_SORT_KEYS)

/* ---- What the twins share ---- */

/* The plan the subcommand names (and, for consent, the customer): exactly n arguments;
 * NULL after the usage message, as the local command says it. */
static const char *the_plan(struct cli_args *a, int n, int *code)
{
	if (a->narg != n) {
		*code = cli_usage(a->prog, n == 2 ? "consent takes PLAN and a customer id"
						  : "name the transfer plan (T-...)");
		return NULL;
	}
	return a->arg[0];
}

/* The plan's path: prefix, the plan as one segment, then suffix. */
static void plan_path(struct cli_url *u, const char *plan, const char *suffix)
{
	cli_url_path(u, "/v1/transfers/", plan);
	cli_url_path(u, suffix, NULL);
}

/* A JSON body with "role", and "request" when the command runs under one. */
static json_t *body_of(const struct cli_args *a)
{
	json_t *obj = json_object();
	if (obj && a->common.role)
		json_object_set_new(obj, "role", json_string(a->common.role));
	if (obj && a->common.request)
		json_object_set_new(obj, "request", json_string(a->common.request));
	return obj;
}

/* Member key of obj set to the string value (nothing when value is NULL). */
static void set_str(json_t *obj, const char *key, const char *value)
{
	if (obj && value)
		json_object_set_new(obj, key, json_string(value));
}

/* method u (signed in) with body (taken): 1 when the server answered (r holds the reply,
 * whatever its status), else 0 with *code after the message. */
static int answered(struct cli_url *u, const char *method, char *body, struct cli_reply *r,
		    int *code)
{
	char *path = cli_url_take(u);
	*code = path ? cli_remote_call(method, path, body, CLI_SIGNED_IN, r) : EXIT_FAIL;
	if (!path)
		free(body);
	free(path);
	return *code == EXIT_OK;
}

/* cli_remote_send, any 200 body taken (text, HTML, CSV: not only JSON). 1 with r; else 0
 * with *code after the message. */
static int send_for_text(struct cli_url *u, const char *method, char *body, struct cli_reply *r,
			 int *code)
{
	if (!answered(u, method, body, r, code))
		return 0;
	if (r->status == 200 && r->body)
		return 1;
	*code = cli_remote_failed(r);
	cli_reply_free(r);
	return 0;
}

/* A value of a reply as the library's JSON text (malloc'd; NULL after a message). */
static char *library_text(const json_t *value)
{
	char *text = value ? json_dumps(value, LIBRARY_JSON | JSON_ENCODE_ANY) : NULL;
	if (!text)
		fprintf(stderr, "pivault: the server's reply is not what it should be\n");
	return text;
}

/* ---- transfer plan, list, show, assess ---- */

static json_t *plan_body(const struct cli_args *a)
{
	static const char *const members[][2] = {
		{ "--recipient-name", "recipient_name" }, { "--recipient-contact", "recipient_contact" },
		{ "--recipient-key", "recipient_key" }, { "--recipient-vault-key", "recipient_vault_key" },
		{ "--recipient-country", "recipient_country" }, { "--legal-basis", "legal_basis" },
		{ "--scope", "scope" }, { "--fields", "fields" }, { "--purposes", "purposes" },
		{ "--deadline", "deadline" },
	};
	json_t *obj = body_of(a);
	for (size_t i = 0; i < sizeof members / sizeof *members; i++)
		set_str(obj, members[i][1], cli_opt(a, members[i][0]));
	return obj;
}

int cli_remote_transfer_plan(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "unexpected argument");
	const char *key = cli_opt(a, "--recipient-key");
	if (key && strncmp(key, "age1", 4) != 0) {
		fprintf(stderr, "pivault %s: --recipient-key FILE is not available through a server "
			"(PIVAULT_SERVER): give the age1... key itself\n", a->prog);
		return EXIT_USAGE;
	}
	char *body = cli_json_text(plan_body(a));
	if (!body)
		return EXIT_FAIL;
	struct cli_url u = { 0 };
	struct cli_reply r;
	int code;
	cli_url_path(&u, "/v1/transfers", NULL);
	if (!cli_remote_send(&u, "POST", body, 201, &r, &code))
		return code;
	cli_print_planned(cli_json_str(r.json, "id"), cli_opt(a, "--recipient-vault-key"),
			  a->common.json);
	cli_reply_free(&r);
	return EXIT_OK;
}

/* list (every plan, under "transfers") and show PLAN, printed as the library writes them. */
int cli_remote_transfer_list(struct cli_args *a)
{
	int code = EXIT_FAIL, show = strcmp(a->cmd->name, "show") == 0;
	const char *plan = show ? the_plan(a, 1, &code) : NULL;
	if (show && !plan)
		return code;
	if (!show && a->narg)
		return cli_usage(a->prog, "unexpected argument");
	struct cli_url u = { 0 };
	struct cli_reply r;
	cli_url_path(&u, show ? "/v1/transfers/" : "/v1/transfers", plan);
	cli_url_arg(&u, "role", a->common.role);
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	char *text = library_text(show ? r.json : json_object_get(r.json, "transfers"));
	code = text ? cli_write_text(text, NULL) : EXIT_FAIL;
	free(text);
	cli_reply_free(&r);
	return code;
}

int cli_remote_transfer_assess(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *plan = the_plan(a, 1, &code);
	if (!plan)
		return code;
	struct cli_url u = { 0 };
	struct cli_reply r;
	plan_path(&u, plan, "/assessment");
	cli_url_arg(&u, "format", cli_flag(a, "--html") ? "html" : "json");
	cli_url_arg(&u, "role", a->common.role);
	if (!send_for_text(&u, "GET", NULL, &r, &code))
		return code;
	code = cli_write_text(r.body, cli_opt(a, "-o"));
	cli_reply_free(&r);
	return code;
}

/* ---- transfer consent, exclusions, notify ---- */

int cli_remote_transfer_consent(struct cli_args *a)
{
	int code = EXIT_FAIL, grant = cli_flag(a, "--grant");
	const char *plan = the_plan(a, 2, &code), *channel = cli_opt(a, "--channel");
	if (!plan)
		return code;
	if (grant == cli_flag(a, "--refuse") || !channel)
		return cli_usage(a->prog, "consent takes --grant or --refuse, and --channel");
	json_t *obj = body_of(a);
	set_str(obj, "customer", a->arg[1]);
	set_str(obj, "channel", channel);
	if (obj)
		json_object_set_new(obj, "granted", json_boolean(grant));
	char *body = cli_json_text(obj);
	if (!body)
		return EXIT_FAIL;
	struct cli_url u = { 0 };
	struct cli_reply r;
	plan_path(&u, plan, "/consents");
	if (!cli_remote_send(&u, "POST", body, 204, &r, &code))
		return code;
	cli_reply_free(&r);
	printf("separate consent of %s to %s: %s\n", a->arg[1], plan, grant ? "given" : "refused");
	return EXIT_OK;
}

int cli_remote_transfer_exclusions(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *plan = the_plan(a, 1, &code);
	if (!plan)
		return code;
	struct cli_url u = { 0 };
	struct cli_reply r;
	plan_path(&u, plan, "/exclusions");
	cli_url_arg(&u, "role", a->common.role);
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(r.json, "exclusions"), i, e)
		cli_print_exclusion(&a->common.json, cli_json_str(e, "customer"),
				    cli_json_str(e, "reason"));
	cli_reply_free(&r);
	return EXIT_OK;
}

/* The notices a mail merge holds: its records (a CSV record ends at a line break outside
 * quotes; JSON Lines have none inside a line), less the CSV's header. */
static unsigned long long notices_in(const char *text, size_t len, int jsonl)
{
	unsigned long long records = 0;
	int quoted = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '"' && !jsonl)
			quoted = !quoted;
		else if (text[i] == '\n' && !quoted)
			records++;
	}
	return jsonl || records == 0 ? records : records - 1;
}

/* The notices' body: purpose, role, language, format and the template's text. */
static char *notify_body(const struct cli_args *a, const char *tmpl)
{
	json_t *obj = body_of(a);
	set_str(obj, "purpose", a->common.purpose);
	set_str(obj, "lang", cli_opt(a, "--lang"));
	set_str(obj, "template", tmpl);
	set_str(obj, "format", cli_flag(a, "--jsonl") ? "jsonl" : "csv");
	return cli_json_text(obj);
}

int cli_remote_transfer_notify(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *plan = the_plan(a, 1, &code), *tmpl_path = cli_opt(a, "--template");
	if (!plan)
		return code;
	char *tmpl = NULL;
	if (tmpl_path && !(tmpl = cli_read_text(tmpl_path, 1 << 20)))
		return EXIT_FAIL;
	char *body = notify_body(a, tmpl);
	free(tmpl);
	if (!body)
		return EXIT_FAIL;
	struct cli_url u = { 0 };
	struct cli_reply r;
	plan_path(&u, plan, "/notices");
	if (!send_for_text(&u, "POST", body, &r, &code))
		return code;
	if (fwrite(r.body, 1, r.len, stdout) != r.len || fflush(stdout) != 0) {
		fprintf(stderr, "pivault: cannot write the notices to standard output\n");
		code = EXIT_FAIL;
	} else {
		unsigned long long n = notices_in(r.body, r.len, cli_flag(a, "--jsonl"));
		fprintf(stderr, "pivault: %llu notice%s rendered and recorded as queued\n", n,
			n == 1 ? "" : "s");
	}
	cli_reply_free(&r); /* wiped */
	return code;
}

/* ---- transfer pin-key, shred-excluded (four eyes) ---- */

int cli_remote_transfer_pin_key(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *plan = the_plan(a, 1, &code), *key = cli_opt(a, "--recipient-vault-key");
	if (!plan)
		return code;
	if (!key)
		return cli_usage(a->prog, "pin-key takes --recipient-vault-key KEY");
	json_t *obj = body_of(a);
	set_str(obj, "key", key);
	char *body = cli_json_text(obj);
	if (!body)
		return EXIT_FAIL;
	struct cli_url u = { 0 };
	struct cli_reply r;
	plan_path(&u, plan, "/vault-key");
	if (!cli_remote_send(&u, "POST", body, 204, &r, &code))
		return code; /* a request asked for: its id printed */
	cli_reply_free(&r);
	char fp[PV_FINGERPRINT_SIZE];
	if (pv_key_fingerprint(key, fp) == PV_OK)
		printf("transfer %s: recipient vault key %s pinned\n", plan, fp);
	return EXIT_OK;
}

/* POST the shred-excluded: 1 with a reply to print (200, or an error that carries the
 * certificate: the customers were shredded and a step after it failed), else 0 with *code
 * (the message printed). */
static int send_shred_excluded(struct cli_url *u, char *body, struct cli_reply *r, int *code)
{
	if (!answered(u, "POST", body, r, code))
		return 0;
	json_t *cert = json_object_get(r->json, "certificate");
	if (r->json && (r->status == 200 || json_is_object(cert)))
		return 1;
	if (r->status == 200) {
		fprintf(stderr, "pivault: the server's reply is not JSON\n");
		*code = EXIT_FAIL;
	} else {
		*code = cli_remote_failed(r);
	}
	cli_reply_free(r);
	return 0;
}

int cli_remote_transfer_shred_excluded(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *plan = the_plan(a, 1, &code), *out_path = cli_opt(a, "-o");
	if (!plan)
		return code;
	char *body = cli_json_text(body_of(a));
	if (!body)
		return EXIT_FAIL;
	struct cli_url u = { 0 };
	struct cli_reply r;
	plan_path(&u, plan, "/shred-excluded");
	if (!send_shred_excluded(&u, body, &r, &code))
		return code;
	json_t *cert = json_object_get(r.json, "certificate");
	unsigned long long n =
		(unsigned long long)json_integer_value(json_object_get(r.json, "shredded"));
	char *text = json_is_object(cert) ? library_text(cert) : NULL;
	if (text) {
		code = cli_write_certificate(text, out_path);
		if (r.status != 200) { /* shredded, then a step failed: as cli_shredded says it */
			fprintf(stderr, "pivault: %s\n",
				cli_json_str(json_object_get(r.json, "error"), "message"));
			if (code == EXIT_OK)
				code = EXIT_INCOMPLETE;
		}
		fprintf(stderr, "%llu customer%s of %s shredded%s%s\n", n, n == 1 ? "" : "s", plan,
			out_path ? "; certificate in " : "", out_path ? out_path : "");
	} else if (json_is_object(cert)) {
		code = EXIT_FAIL;
	} else {
		printf("no customer of %s objected or asked for deletion\n", plan);
	}
	free(text);
	cli_reply_free(&r);
	return code;
}

/* ---- handover export: written on the server, streamed down into a new file ---- */

static int to_package(void *ctx, const char *data, size_t n)
{
	pv_rc rc = pv_export_sink_write(ctx, data, n);
	if (rc)
		cli_fail(NULL, rc);
	return rc ? -1 : 0;
}

/* A summary of a reply ({"package", "root_hash", "records", "excluded", "bytes",
 * "seconds"}) as the library fills it. */
static void summary_of(const json_t *j, pv_handover_summary *s)
{
	memset(s, 0, sizeof *s);
	snprintf(s->package_id, sizeof s->package_id, "%s", cli_json_str(j, "package"));
	snprintf(s->root_hash, sizeof s->root_hash, "%s", cli_json_str(j, "root_hash"));
	s->records = (uint64_t)json_integer_value(json_object_get(j, "records"));
	s->excluded = (uint64_t)json_integer_value(json_object_get(j, "excluded"));
	s->bytes = (uint64_t)json_integer_value(json_object_get(j, "bytes"));
	s->seconds = json_number_value(json_object_get(j, "seconds"));
}

/* The package the server wrote for plan, streamed into sink (given its name when whole;
 * discarded otherwise). */
static int download_package(const struct cli_args *a, const char *plan, pv_export_sink *sink)
{
	struct cli_url u = { 0 };
	plan_path(&u, plan, "/package");
	cli_url_arg(&u, "role", a->common.role);
	char *path = cli_url_take(&u);
	struct cli_stream s = { -1, to_package, sink, NULL };
	struct cli_reply r;
	int code = path ? cli_remote_stream("GET", path, &s, &r) : EXIT_FAIL;
	free(path);
	if (code == EXIT_OK) {
		if (r.status == 200) {
			pv_rc rc = pv_export_sink_commit(sink);
			code = rc ? cli_fail(NULL, rc) : EXIT_OK;
			sink = NULL; /* committed or discarded */
		} else {
			code = cli_remote_failed(&r);
		}
		cli_reply_free(&r);
	}
	pv_export_sink_discard(sink);
	if (code)
		fprintf(stderr, "pivault: the package was written on the server but not received "
			"here; run the export again\n");
	return code;
}

int cli_remote_handover_export(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *plan = cli_one_arg(a, "one argument is expected", "name the plan, package or "
				       "receipt", &code), *out_path = cli_opt(a, "-o");
	if (!plan)
		return code;
	if (!out_path)
		return cli_usage(a->prog, "export needs -o PACKAGE");
	pv_export_sink *sink = NULL;
	pv_rc rc = pv_export_sink_open(0, out_path, &sink); /* the package is sealed */
	if (rc)
		return cli_fail(NULL, rc);
	char *body = cli_json_text(body_of(a));
	struct cli_url u = { 0 };
	struct cli_reply r;
	plan_path(&u, plan, "/package");
	if (!body || !cli_remote_send(&u, "POST", body, 201, &r, &code)) {
		free(u.text);
		pv_export_sink_discard(sink); /* refused, or a request asked for */
		return body ? code : EXIT_FAIL;
	}
	pv_handover_summary s;
	summary_of(json_object_get(r.json, "package"), &s);
	cli_reply_free(&r);
	code = download_package(a, plan, sink);
	if (code == EXIT_OK)
		cli_print_handover_summary("exported", &s, a->common.json);
	return code;
}

/* ---- handover import: the package streamed up to the recipient's server ---- */

/* The import's path: who acts, the sender's key (its file's text) and the flags. */
static char *import_path(const struct cli_args *a, const char *sender_key)
{
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/handover/imports", NULL);
	cli_url_arg(&u, "role", a->common.role);
	cli_url_arg(&u, "sender_key", sender_key);
	cli_url_arg(&u, "drop_unmapped", cli_flag(a, "--drop-unmapped") ? "true" : NULL);
	cli_url_arg(&u, "archive", cli_flag(a, "--archive") ? "true" : NULL);
	return cli_url_take(&u);
}

/* The receipt of a reply written to receipt_path (or PACKAGE.receipt.json), as the
 * local import writes it; EXIT_OK, or EXIT_FAIL with the receipt on standard error. */
static int write_receipt(const json_t *receipt, const char *package, const char **receipt_path,
			 char **def)
{
	char *text = library_text(receipt);
	if (!text)
		return EXIT_FAIL;
	if (!*receipt_path) {
		size_t n = strlen(package) + 16;
		if ((*def = malloc(n)))
			snprintf(*def, n, "%s.receipt.json", package);
		*receipt_path = *def;
	}
	int code = EXIT_OK;
	FILE *f = *receipt_path ? cli_create(*receipt_path) : NULL;
	if (!f || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0) {
		fprintf(stderr, "pivault: imported, but the receipt file %s was not written; here "
			"it is:\n%s\n", *receipt_path ? *receipt_path : "", text);
		code = EXIT_FAIL;
	}
	free(text);
	return code;
}

/* The package (its path) sent as it is read; the reply in r. */
static int send_package(const char *package, const char *path, struct cli_reply *r)
{
	int fd = open(package, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "pivault: cannot open %s: %s\n", package, strerror(errno));
		return EXIT_FAIL;
	}
	struct cli_stream s = { fd, NULL, NULL, "application/octet-stream" }; /* an age file */
	int code = cli_remote_stream("POST", path, &s, r);
	close(fd);
	return code;
}

/* The reply of an import: the receipt written, the summary printed. */
static int imported(const struct cli_args *a, const struct cli_reply *r, const char *package)
{
	const char *receipt_path = cli_opt(a, "--receipt");
	char *def = NULL;
	int code = write_receipt(json_object_get(r->json, "receipt"), package, &receipt_path, &def);
	pv_handover_summary s;
	summary_of(json_object_get(r->json, "package"), &s);
	cli_print_handover_summary("imported", &s, a->common.json);
	if (!a->common.json && code == EXIT_OK)
		printf("receipt: %s (send it to the sender)\n", receipt_path);
	free(def);
	return code;
}

int cli_remote_handover_import(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *package = cli_one_arg(a, "one argument is expected", "name the plan, package "
					  "or receipt", &code), *key_path = cli_opt(a, "--sender-key");
	if (!package)
		return code;
	if (cli_opt(a, "--identity")) {
		fprintf(stderr, "pivault %s: --identity is not available through a server "
			"(PIVAULT_SERVER): the server opens packages with its own identity (pivault "
			"serve --handover-identity)\n", a->prog);
		return EXIT_USAGE;
	}
	char *sender_key = key_path ? cli_read_text(key_path, 1 << 20) : NULL;
	if (key_path && !sender_key)
		return EXIT_FAIL;
	char *path = import_path(a, sender_key);
	free(sender_key);
	struct cli_reply r;
	code = path ? send_package(package, path, &r) : EXIT_FAIL;
	free(path);
	if (code)
		return code;
	if (r.status == 201 && r.json)
		code = imported(a, &r, package);
	else
		code = cli_remote_failed(&r);
	cli_reply_free(&r);
	return code;
}

/* ---- handover confirm and verify-receipt, on the sender's server ---- */

/* The body {"receipt": the file's text, "role", "request"}; NULL after a message. */
static char *receipt_body(const struct cli_args *a, const char *receipt_path,
			  const char *vault_key)
{
	char *receipt = cli_read_text(receipt_path, 1 << 20);
	if (!receipt)
		return NULL;
	json_t *obj = body_of(a);
	set_str(obj, "receipt", receipt);
	set_str(obj, "recipient_vault_key", vault_key);
	free(receipt);
	return cli_json_text(obj);
}

/* The certificates of a reply into the sink, as the library hands them to the command. */
static void keep_certificates(const json_t *reply, struct cli_cert_sink *sink)
{
	size_t i;
	json_t *cert;
	json_array_foreach(json_object_get(reply, "certificates"), i, cert) {
		char *text = json_is_string(cert) ? strdup(json_string_value(cert))
						  : json_dumps(cert, LIBRARY_JSON);
		if (text)
			cli_keep_certificate(sink, text);
		free(text);
	}
}

int cli_remote_handover_confirm(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *receipt = cli_one_arg(a, "one argument is expected", "name the plan, package "
					  "or receipt", &code);
	if (!receipt)
		return code;
	char *body = receipt_body(a, receipt, NULL);
	struct cli_cert_sink sink;
	if (!body || cli_cert_sink_open(&sink, cli_opt(a, "-o")) != 0) {
		free(body);
		return EXIT_FAIL;
	}
	struct cli_url u = { 0 };
	struct cli_reply r;
	cli_url_path(&u, "/v1/handover/confirmations", NULL);
	int ok = cli_remote_send(&u, "POST", body, 200, &r, &code);
	if (ok)
		keep_certificates(r.json, &sink);
	if (cli_cert_sink_close(&sink) != 0)
		code = EXIT_FAIL;
	if (!ok)
		return code;
	fprintf(stderr, "handover confirmed: %llu customers shredded, %lu certificate%s\n",
		(unsigned long long)json_integer_value(json_object_get(r.json, "shredded")),
		sink.count, sink.count == 1 ? "" : "s");
	cli_reply_free(&r);
	return code;
}

/* A refused check: the server's message after the receipt's name, as locally. */
static int receipt_refused(const struct cli_reply *r, const char *path)
{
	const char *msg = cli_json_str(json_object_get(r->json, "error"), "message");
	if (!*msg || r->status == 401 || r->status == 503 || r->status == 202)
		return cli_remote_failed(r);
	fprintf(stderr, "pivault: %s: %s\n", path, msg);
	return r->status == 400 ? EXIT_USAGE : EXIT_FAIL;
}

int cli_remote_handover_verify_receipt(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *receipt = cli_one_arg(a, "one argument is expected", "name the plan, package "
					  "or receipt", &code);
	if (!receipt)
		return code;
	char *body = receipt_body(a, receipt, cli_opt(a, "--recipient-vault-key"));
	char *path = body ? strdup("/v1/handover/receipt-checks") : NULL;
	struct cli_reply r;
	code = path ? cli_remote_call("POST", path, body, CLI_SIGNED_IN, &r) : EXIT_FAIL;
	if (!path)
		free(body);
	free(path);
	if (code)
		return code;
	if (r.status == 200 && r.json)
		printf("%s: %s\n", receipt, cli_json_str(r.json, "summary"));
	else
		code = receipt_refused(&r, receipt);
	cli_reply_free(&r);
	return code;
}
