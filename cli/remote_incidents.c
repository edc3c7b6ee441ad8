/* SPDX-License-Identifier: Apache-2.0 */
/* remote_incidents.c: breach incidents through the server, the twins of `pivault incident`:
 * open (POST /v1/incidents), list and show (GET /v1/incidents[/{id}]: the reply rebuilt as
 * the library writes its JSON, its times given back as the library's text, then printed
 * by the local command's printer), scope, state and seal (POST /v1/incidents/{id}/...),
 * release (asked for under four eyes, run with --request) and notify (POST
 * /v1/incidents/{id}/notify: the notices and the regulator's report the reply holds are
 * written by the client straight into the files the local command creates; the notices'
 * clear text wiped from memory once written). */
#include "remote.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The members of an incident as the library orders them ("seal": an object of its own). */
static const char *const incident_keys[] = { "id", "kind", "state", "detected_at",
					     "description", "opened_by", "opened_at",
					     "contained_at", "notified_at", "closed_at",
					     "scope_filter", "scope", "scope_customers", "seal",
					     NULL };
static const char *const seal_keys[] = { "state", "customers", "sealed_at", "sealed_by",
					 "released_at", "released_by", "approved_by", NULL };

static const char *the_incident(struct cli_args *a, int *code)
{
	return cli_one_arg(a, "one incident id is expected", "name the incident (ID)", code);
}

/* Member key ("X_at") of o as the library wrote it: its text, or the server's Unix
 * seconds ("X") given back as YYYY-MM-DDTHH:MM:SSZ; NULL when absent. New reference. */
static json_t *member_of(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	size_t n = strlen(key);
	if (v || n < 4 || strcmp(key + n - 3, "_at") != 0)
		return json_incref(v);
	char plain[32], text[32];
	snprintf(plain, sizeof plain, "%.*s", (int)(n - 3), key);
	cli_json_time(o, plain, CLI_TIME_FORMAT, text);
	return *text ? json_string(text) : NULL;
}

/* o rebuilt with keys in the library's order (the seal's own). New reference. */
static json_t *as_library(const json_t *o, const char *const *keys)
{
	json_t *out = json_object();
	for (size_t i = 0; out && keys[i]; i++) {
		json_t *v = member_of(o, keys[i]);
		if (v && strcmp(keys[i], "seal") == 0 && json_is_object(v)) {
			json_t *seal = as_library(v, seal_keys);
			json_decref(v);
			v = seal;
		}
		if (v)
			json_object_set_new(out, keys[i], v);
	}
	return out;
}

/* The reply's incident or list printed as `incident show|list` prints the library's. */
static int print_incidents(const json_t *reply, int list, int json)
{
	json_t *doc = list ? json_array() : as_library(reply, incident_keys);
	size_t i;
	json_t *one;
	if (list)
		json_array_foreach(json_object_get(reply, "incidents"), i, one)
			json_array_append_new(doc, as_library(one, incident_keys));
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (!text) {
		fprintf(stderr, "pivault: out of memory\n");
		return EXIT_FAIL;
	}
	cli_print_incidents(text, json);
	free(text);
	return EXIT_OK;
}

int cli_remote_incident_show_list(struct cli_args *a)
{
	int code = EXIT_FAIL, show = strcmp(a->cmd->name, "show") == 0;
	const char *id = show ? the_incident(a, &code) : NULL;
	if (show && !id)
		return code;
	if (!show && a->narg)
		return cli_usage(a->prog, "list takes no argument");
	struct cli_url u = { 0 };
	struct cli_reply r;
	cli_url_path(&u, show ? "/v1/incidents/" : "/v1/incidents", id);
	cli_url_arg(&u, "role", a->common.role);
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	code = print_incidents(r.json, !show, a->common.json);
	cli_reply_free(&r);
	return code;
}

int cli_remote_incident_open(struct cli_args *a)
{
	const char *kind = cli_opt(a, "--kind"), *at = cli_opt(a, "--detected-at"),
		   *text = cli_opt(a, "--description");
	if (!kind || !at || !text || a->narg)
		return cli_usage(a->prog, "open needs --kind, --detected-at and --description");
	if (pv_incident_kind_from_name(kind) < 0)
		return cli_usage(a->prog, "--kind: must be leak, tamper, loss or unauthorised-access");
	json_t *obj = json_pack("{s:s,s:s,s:s}", "kind", kind, "detected_at", at, "description",
				text);
	struct cli_reply r;
	int code;
	if (!cli_remote_post(&a->common, "/v1/incidents", NULL, "", obj, 201, &r, &code))
		return code;
	printf(a->common.json ? "{\"incident\":\"%s\"}\n" : "opened %s\n", cli_json_str(r.json, "id"));
	cli_reply_free(&r);
	return EXIT_OK;
}

/* The scope's filter as the body: --by (the user), --since, --until, --operation and
 * --customers A,B,C (an array). */
static json_t *scope_body(struct cli_args *a)
{
	static const char *const opts[][2] = { { "--by", "user" }, { "--since", "since" },
					       { "--until", "until" },
					       { "--operation", "operation" } };
	json_t *obj = json_object();
	for (size_t i = 0; obj && i < sizeof opts / sizeof *opts; i++)
		if (cli_opt(a, opts[i][0]))
			json_object_set_new(obj, opts[i][1], json_string(cli_opt(a, opts[i][0])));
	const char *given = cli_opt(a, "--customers");
	if (!obj || !given)
		return obj;
	json_t *list = json_array();
	for (const char *p = given; *p;) {
		size_t n = strcspn(p, ",");
		if (n)
			json_array_append_new(list, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	json_object_set_new(obj, "customers", list);
	return obj;
}

int cli_remote_incident_scope(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_incident(a, &code);
	if (!id)
		return code;
	struct cli_reply r;
	if (!cli_remote_post(&a->common, "/v1/incidents", id, "/scope", scope_body(a), 200, &r,
			     &code))
		return code;
	size_t n[3];
	const char *keys[] = { "entries", "customers", "categories" };
	for (int i = 0; i < 3; i++)
		n[i] = (size_t)json_integer_value(json_object_get(r.json, keys[i]));
	printf(a->common.json ? "{\"incident\":\"%s\",\"entries\":%zu,\"customers\":%zu,"
				"\"categories\":%zu}\n"
			      : "%s: %zu audit entries, %zu customers, %zu categories\n",
	       id, n[0], n[1], n[2]);
	cli_reply_free(&r);
	return EXIT_OK;
}

int cli_remote_incident_state(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_incident(a, &code), *to = cli_opt(a, "--to");
	if (!id)
		return code;
	if (!to)
		return cli_usage(a->prog, "state needs ID and --to contained|notified|closed");
	if (pv_incident_state_from_name(to) < 0)
		return cli_usage(a->prog, "--to: must be contained, notified or closed");
	struct cli_reply r;
	if (!cli_remote_post(&a->common, "/v1/incidents", id, "/state",
			     json_pack("{s:s}", "to", to), 200, &r, &code))
		return code;
	if (a->common.json)
		printf("{\"incident\":\"%s\",\"state\":\"%s\"}\n", id, to);
	else
		printf("%s is %s\n", id, to);
	cli_reply_free(&r);
	return EXIT_OK;
}

/* seal, and release (asked for without --request: the request's id printed). */
int cli_remote_incident_seal_release(struct cli_args *a)
{
	int code = EXIT_FAIL, seal = strcmp(a->cmd->name, "seal") == 0;
	const char *id = the_incident(a, &code), *what = seal ? "sealed" : "released";
	if (!id)
		return code;
	struct cli_reply r;
	if (!cli_remote_post(&a->common, "/v1/incidents", id, seal ? "/seal" : "/release",
			     json_object(), 200, &r, &code))
		return code;
	size_t n = (size_t)json_integer_value(json_object_get(r.json, what));
	if (a->common.json)
		printf("{\"incident\":\"%s\",\"%s\":%zu}\n", id, what, n);
	else
		printf("%s: %zu customers %s\n", id, n, what);
	cli_reply_free(&r);
	return EXIT_OK;
}

/* ---- notify ---- */

/* The body of a notification: the purpose, the language, the format, the notice file's
 * text and the options that stand for its lines. */
static json_t *notify_body(struct cli_args *a, const char *notice)
{
	static const char *const opts[] = { "company", "contact", "cause", "harm", "remedies",
					    "actions", "measures" };
	json_t *obj = json_object();
	char name[32];
	if (obj && a->common.purpose)
		json_object_set_new(obj, "purpose", json_string(a->common.purpose));
	if (obj && cli_opt(a, "--lang"))
		json_object_set_new(obj, "lang", json_string(cli_opt(a, "--lang")));
	if (obj)
		json_object_set_new(obj, "format", json_string(cli_flag(a, "--jsonl") ? "jsonl"
										       : "csv"));
	if (obj && notice)
		json_object_set_new(obj, "notice", json_string(notice));
	for (size_t i = 0; obj && i < sizeof opts / sizeof *opts; i++) {
		snprintf(name, sizeof name, "--%s", opts[i]);
		if (cli_opt(a, name))
			json_object_set_new(obj, opts[i], json_string(cli_opt(a, name)));
	}
	return obj;
}

/* The reply's counts as the library gives them. */
static pv_breach_counts counts_of(const json_t *r)
{
	const char *cat[] = { "basic", "financial", "other" };
	const char *sens[] = { "public", "sensitive", "confidential" };
	pv_breach_counts n = { 0 };
	n.customers = (size_t)json_integer_value(json_object_get(r, "customers"));
	n.notices = (size_t)json_integer_value(json_object_get(r, "notices"));
	n.skipped = (size_t)json_integer_value(json_object_get(r, "skipped"));
	n.gone = (size_t)json_integer_value(json_object_get(r, "gone"));
	for (int i = 0; i < 3; i++) {
		n.by_category[i] = (size_t)json_integer_value(
			json_object_get(json_object_get(r, "by_category"), cat[i]));
		n.by_sensitivity[i] = (size_t)json_integer_value(
			json_object_get(json_object_get(r, "by_sensitivity"), sens[i]));
	}
	n.report_recorded = json_is_true(json_object_get(r, "report_recorded"));
	return n;
}

/* Member key's text written to out, then wiped where the reply holds it: 0, or -1. */
static int write_wiped(json_t *reply, const char *key, FILE *out)
{
	json_t *t = json_object_get(reply, key);
	const char *text = json_string_value(t);
	size_t n = json_string_length(t);
	int rc = text && fwrite(text, 1, n, out) == n ? 0 : -1;
	if (text)
		sodium_memzero((char *)text, n);
	return rc;
}

/* POST /v1/incidents/{id}/notify: its reply's notices and report into f's files. EXIT_OK
 * (*n the counts), else the exit status after a message. */
static int notify(struct cli_args *a, const char *id, const char *notice,
		  struct cli_notify_files *f, pv_breach_counts *n, int *requested)
{
	struct cli_reply r;
	int code;
	if (!cli_remote_post(&a->common, "/v1/incidents", id, "/notify", notify_body(a, notice),
			     200, &r, &code)) {
		*requested = code == EXIT_OK; /* asked for (`pivault request`): its id said */
		return code;
	}
	*n = counts_of(r.json);
	int bad = write_wiped(r.json, "notices_text", f->notices);
	bad |= write_wiped(r.json, "report_text", f->report);
	cli_reply_free(&r);
	if (bad)
		fprintf(stderr, "pivault: cannot write %s\n", f->notices_path);
	return bad ? EXIT_FAIL : EXIT_OK;
}

int cli_remote_incident_notify(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_incident(a, &code), *path = cli_opt(a, "--notice");
	if (!id)
		return code;
	char *notice = path ? cli_read_text(path, 1 << 20) : NULL;
	if (path && !notice)
		return EXIT_FAIL;
	struct cli_notify_files f = { NULL, NULL, NULL, NULL };
	pv_breach_counts n = { 0 };
	int asked = (code = cli_notify_open(a, id, &f)) == EXIT_OK, requested = 0;
	if (asked)
		code = notify(a, id, notice, &f, &n, &requested);
	int bad = cli_notify_close(&f, code != EXIT_OK || requested, &n);
	if (code == EXIT_OK && !bad && !requested)
		cli_print_notified(id, &n, &f, a->common.json);
	free(f.notices_path);
	free(f.report_path);
	free(notice);
	return code == EXIT_OK && bad ? EXIT_FAIL : code;
}
