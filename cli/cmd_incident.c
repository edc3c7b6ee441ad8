/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_incident.c: `pivault incident open|scope|state|show|list|seal|release|notify`:
 * breach incidents (信息泄露应急): open one with its kind and detection time, find its scope
 * in the audit log, move it through its states, seal its customers and release them (four
 * eyes), notify the customers and the regulator; show and list as text or --json. */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *the_incident(struct cli_args *a, int *code)
{
	return cli_one_arg(a, "one incident id is expected", "name the incident (ID)", code);
}

static int run_open(struct cli_args *a)
{
	const char *kind = cli_opt(a, "--kind"), *at = cli_opt(a, "--detected-at"),
		   *text = cli_opt(a, "--description");
	if (!kind || !at || !text || a->narg)
		return cli_usage(a->prog, "open needs --kind, --detected-at and --description");
	int k = pv_incident_kind_from_name(kind);
	if (k < 0)
		return cli_usage(a->prog, "--kind: must be leak, tamper, loss or unauthorised-access");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *id = NULL;
	pv_rc rc = pv_incident_open(v, &who, (pv_incident_kind)k, at, text, &id);
	if (!rc)
		printf(a->common.json ? "{\"incident\":\"%s\"}\n" : "opened %s\n", id);
	pv_free(id);
	return cli_done(v, rc, EXIT_OK);
}

/* --customers A,B,C split in place into list (at most max); the count. */
static size_t split_ids(char *s, const char **list, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *p = s ? strtok_r(s, ",", &save) : NULL; p && n < max;
	     p = strtok_r(NULL, ",", &save))
		list[n++] = p;
	return n;
}

static int run_scope(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_incident(a, &code);
	if (!id)
		return code;
	const char *given = cli_opt(a, "--customers");
	char *ids = given ? strdup(given) : NULL;
	size_t max = given ? strlen(given) / 2 + 1 : 0;
	const char **list = max ? calloc(max, sizeof *list) : NULL;
	pv_incident_filter f = { cli_opt(a, "--by"), cli_opt(a, "--since"), cli_opt(a, "--until"),
				 cli_opt(a, "--operation"), list, split_ids(ids, list, max) };
	pv_vault *v = (given && (!ids || !list)) ? NULL : cli_open_vault(&a->common, &code);
	pv_rc rc = PV_ERR_NOMEM;
	pv_incident_counts n = { 0, 0, 0 };
	if (v) {
		pv_access who = cli_access(&a->common);
		rc = pv_incident_scope(v, &who, id, &f, &n);
	}
	if (v && !rc)
		printf(a->common.json ? "{\"incident\":\"%s\",\"entries\":%zu,\"customers\":%zu,"
					"\"categories\":%zu}\n"
				      : "%s: %zu audit entries, %zu customers, %zu categories\n",
		       id, n.entries, n.customers, n.categories);
	free(ids);
	free(list);
	return v ? cli_done(v, rc, EXIT_OK) : code;
}

static int run_state(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_incident(a, &code), *to = cli_opt(a, "--to");
	if (!id)
		return code;
	if (!to)
		return cli_usage(a->prog, "state needs ID and --to contained|notified|closed");
	int s = pv_incident_state_from_name(to);
	if (s < 0)
		return cli_usage(a->prog, "--to: must be contained, notified or closed");
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_incident_set_state(v, &who, id, (pv_incident_state)s);
	if (!rc && !a->common.json)
		printf("%s is %s\n", id, to);
	else if (!rc)
		printf("{\"incident\":\"%s\",\"state\":\"%s\"}\n", id, to);
	return cli_done(v, rc, EXIT_OK);
}

static const char *text_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

/* The seal line of `incident show`: sealed since when, by whom, how many customers;
 * released when, by whom, approved by whom; or never sealed. */
static void print_seal(json_t *s)
{
	const char *state = text_of(s, "state");
	if (strcmp(state, "sealed") == 0)
		printf("  %-13s sealed since %s by %s, %lld customers\n", "seal",
		       text_of(s, "sealed_at"), text_of(s, "sealed_by"),
		       (long long)json_integer_value(json_object_get(s, "customers")));
	else if (strcmp(state, "released") == 0)
		printf("  %-13s released %s by %s, approved by %s (sealed %s by %s)\n", "seal",
		       text_of(s, "released_at"), text_of(s, "released_by"),
		       text_of(s, "approved_by"), text_of(s, "sealed_at"), text_of(s, "sealed_by"));
	else
		printf("  %-13s never sealed\n", "seal");
}

/* One incident as text lines. */
static void print_incident(json_t *o)
{
	static const char *const keys[] = { "kind", "state", "detected_at", "opened_at",
					    "opened_by", "contained_at", "notified_at",
					    "closed_at", "description", "scope_filter" };
	printf("%s\n", text_of(o, "id"));
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		printf("  %-13s %s\n", keys[i], text_of(o, keys[i]));
	size_t i;
	json_t *one;
	print_seal(json_object_get(o, "seal"));
	json_array_foreach(json_object_get(o, "scope"), i, one) {
		printf("  %-13s %s:", i ? "" : "scope", text_of(one, "customer"));
		size_t j;
		json_t *c;
		json_array_foreach(json_object_get(one, "categories"), j, c)
			printf(" %s", json_string_value(c));
		printf("\n");
	}
}

void cli_print_incidents(const char *text, int as_json)
{
	if (as_json) {
		printf("%s\n", text);
		return;
	}
	json_t *doc = json_loads(text, 0, NULL);
	if (json_is_array(doc)) {
		size_t i;
		json_t *o;
		json_array_foreach(doc, i, o)
			printf("%-13s %-20s %-10s detected %s, %lld customers\n", text_of(o, "id"),
			       text_of(o, "kind"), text_of(o, "state"), text_of(o, "detected_at"),
			       (long long)json_integer_value(json_object_get(o, "scope_customers")));
	} else if (doc) {
		print_incident(doc);
	}
	json_decref(doc);
}

static int run_show_list(struct cli_args *a)
{
	int code = EXIT_FAIL, show = strcmp(a->cmd->name, "show") == 0;
	const char *id = show ? the_incident(a, &code) : NULL;
	if (show && !id)
		return code;
	if (!show && a->narg)
		return cli_usage(a->prog, "list takes no argument");
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *json = NULL;
	pv_rc rc = show ? pv_incident_get(v, &who, id, &json) : pv_incident_list(v, &who, &json);
	if (!rc)
		cli_print_incidents(json, a->common.json);
	pv_free(json);
	return cli_done(v, rc, EXIT_OK);
}

/* ---- incident notify (H-notify) ---------------------------------------------------- */

/* a, b, c and d end to end (malloc'd; NULL when out of memory). */
static char *joined(const char *a, const char *b, const char *c, const char *d)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s%s%s", a, b, c, d);
	return s;
}

int cli_notify_open(struct cli_args *a, const char *id, struct cli_notify_files *f)
{
	const char *dir = cli_opt(a, "--out"), *file = cli_opt(a, "-o");
	if (!dir == !file)
		return cli_usage(a->prog, "notify writes files: give --out DIR or -o FILE");
	const char *ext = cli_flag(a, "--jsonl") ? "-notices.jsonl" : "-notices.csv";
	f->notices_path = dir ? joined(dir, "/", id, ext) : joined(file, "", "", "");
	f->report_path = dir ? joined(dir, "/", id, "-regulator-report.txt")
			     : joined(file, ".regulator-report.txt", "", "");
	if (!f->notices_path || !f->report_path)
		return EXIT_FAIL;
	if (!(f->notices = cli_create(f->notices_path)))
		return EXIT_FAIL;
	if (!(f->report = cli_create(f->report_path)))
		return EXIT_FAIL;
	return EXIT_OK;
}

int cli_notify_close(struct cli_notify_files *f, int failed, const pv_breach_counts *n)
{
	int bad = 0;
	FILE *files[] = { f->notices, f->report };
	char *paths[] = { f->notices_path, f->report_path };
	for (int i = 0; i < 2; i++) {
		if (files[i] && fclose(files[i]) != 0 && !failed) {
			fprintf(stderr, "pivault: cannot write %s\n", paths[i]);
			bad = 1;
		}
		if (files[i] && failed && (i == 1 || n->notices == 0))
			unlink(paths[i]);
	}
	return bad;
}

void cli_print_notified(const char *id, const pv_breach_counts *n,
			const struct cli_notify_files *f, int json)
{
	if (!json) {
		printf("%s: %zu customers in scope, %zu notices rendered (%s), %zu told before, "
		       "%zu no longer stored; regulator's report %s (%s)\n",
		       id, n->customers, n->notices, f->notices_path, n->skipped, n->gone,
		       n->report_recorded ? "recorded" : "recorded before, written again",
		       f->report_path);
		return;
	}
	printf("{\"incident\":\"%s\",\"customers\":%zu,\"notices\":%zu,\"skipped\":%zu,"
	       "\"gone\":%zu,\"by_category\":{\"basic\":%zu,\"financial\":%zu,\"other\":%zu},"
	       "\"by_sensitivity\":{\"public\":%zu,\"sensitive\":%zu,\"confidential\":%zu},"
	       "\"report_recorded\":%s,\"notices_file\":",
	       id, n->customers, n->notices, n->skipped, n->gone, n->by_category[0],
	       n->by_category[1], n->by_category[2], n->by_sensitivity[0], n->by_sensitivity[1],
	       n->by_sensitivity[2], n->report_recorded ? "true" : "false");
	cli_json_string(stdout, f->notices_path);
	printf(",\"report_file\":");
	cli_json_string(stdout, f->report_path);
	printf("}\n");
}

static int run_notify(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_incident(a, &code), *path = cli_opt(a, "--notice");
	if (!id)
		return code;
	char *notice = path ? cli_read_text(path, 1 << 20) : NULL;
	if (path && !notice)
		return EXIT_FAIL;
	pv_breach_text t = { notice, path, cli_opt(a, "--company"), cli_opt(a, "--contact"),
			     cli_opt(a, "--cause"), cli_opt(a, "--harm"), cli_opt(a, "--remedies"),
			     cli_opt(a, "--actions"), cli_opt(a, "--measures") };
	struct cli_notify_files f = { NULL, NULL, NULL, NULL };
	pv_breach_counts n = { 0 };
	pv_rc rc = PV_ERR_USAGE;
	pv_vault *v = NULL;
	if ((code = cli_notify_open(a, id, &f)) == EXIT_OK && (v = cli_open_vault(&a->common, &code))) {
		pv_access who = cli_access(&a->common);
		pv_export_format form = cli_flag(a, "--jsonl") ? PV_EXPORT_JSONL : PV_EXPORT_CSV;
		rc = pv_incident_notify(v, &who, id, &t, cli_opt(a, "--lang"), form, f.notices,
					f.report, &n);
	}
	int bad = cli_notify_close(&f, !v || rc != PV_OK, &n);
	if (v && !rc && !bad)
		cli_print_notified(id, &n, &f, a->common.json);
	free(f.notices_path);
	free(f.report_path);
	free(notice);
	return v ? cli_done(v, rc, bad ? EXIT_FAIL : EXIT_OK) : code;
}
/* ---- end of incident notify -------------------------------------------------------- */
/* seal ID / release ID: the library refuses what may not run (release: four eyes). */
static int run_seal_release(struct cli_args *a)
{
	int code = EXIT_FAIL, seal = strcmp(a->cmd->name, "seal") == 0;
	const char *id = the_incident(a, &code);
	if (!id)
		return code;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	size_t n = 0;
	pv_rc rc = seal ? pv_incident_seal(v, &who, id, &n) : pv_incident_release(v, &who, id, &n);
	if (!rc && a->common.json)
		printf("{\"incident\":\"%s\",\"%s\":%zu}\n", id, seal ? "sealed" : "released", n);
	else if (!rc)
		printf("%s: %zu customers %s\n", id, n, seal ? "sealed" : "released");
	return cli_done(v, rc, EXIT_OK);
}

#define END_OPTS { NULL, NULL, NULL, NULL, NULL }

static const struct cli_cmd subs[] = {
	{ "open", "--kind KIND --detected-at TIME --description TEXT",
	  "record an incident and start its clock", NULL,
	  (const struct cli_opt[]){
		  { "--kind", NULL, "KIND", "leak, tamper, loss or unauthorised-access", NULL },
		  { "--detected-at", NULL, "TIME", "when it was detected (ISO 8601, not future)",
		    NULL },
		  { "--description", NULL, "TEXT", "what happened (no personal data)", NULL },
		  END_OPTS },
	  CLI_COMMON, run_open, NULL },
	{ "scope", "ID [--by USER] [--since T] [--until T] [--operation OP] [--customers IDS]",
	  "find from the audit log the customers and categories touched", NULL,
	  (const struct cli_opt[]){
		  { "--by", NULL, "USER", "entries of this user only", NULL },
		  { "--since", NULL, "TIME", "entries at or after this time", NULL },
		  { "--until", NULL, "TIME", "entries before this time", NULL },
		  { "--operation", NULL, "OP", "read, find, list, export or update", NULL },
		  { "--customers", NULL, "IDS", "only these customers (comma-separated)", NULL },
		  END_OPTS },
	  CLI_COMMON, run_scope, NULL },
	{ "state", "ID --to STATE", "move an incident forward: contained, notified, closed", NULL,
	  (const struct cli_opt[]){ { "--to", NULL, "STATE", "contained, notified or closed",
				      NULL },
				    END_OPTS },
	  CLI_COMMON, run_state, NULL },
	{ "show", "ID [--json]", "an incident, its times, scope and seal",
	  "Shows the incident's kind, state and the time of each state, its scope (each\n"
	  "customer and the categories touched) and its seal: sealed since when, by whom\n"
	  "and how many customers; or released when, by whom and approved by whom; or\n"
	  "never sealed.\n",
	  NULL, CLI_COMMON, run_show_list, NULL },
	{ "list", "[--json]", "every incident", NULL, NULL, CLI_COMMON, run_show_list, NULL },
	/* incident notify (H-notify) */
	{ "notify", "ID --purpose P (--out DIR | -o FILE) [--notice FILE] [--lang zh|en] [--jsonl]",
	  "the notices to each affected customer and the regulator's report (PIPL art. 57)",
	  "Renders one notice per customer of the incident's scope not told before (the\n"
	  "categories the scope recorded for that customer, cause, possible harm, remedies,\n"
	  "what the customer can do, the company's contact), recorded as queued in the notices\n"
	  "register, and the report to the regulator (counts per category and sensitivity,\n"
	  "timeline, measures; Chinese and English), recorded once; the incident becomes\n"
	  "notified. The notices file holds names and contact details in clear (a mail-merge\n"
	  "file, like transfer notify's): write it only where such data may be. The notice\n"
	  "file has lines 'field: text' (company, contact, cause, harm, remedies, actions,\n"
	  "measures; field.zh or field.en for one language); options stand for its lines.\n",
	  (const struct cli_opt[]){
		  { "--out", NULL, "DIR", "write ID-notices.csv and ID-regulator-report.txt there",
		    NULL },
		  { "-o", NULL, "FILE", "write the notices to FILE, the report beside it", NULL },
		  { "--notice", NULL, "FILE", "the company's words (field: text lines)", NULL },
		  { "--lang", NULL, "zh|en", "the notices' language when the customer's is not known",
		    NULL },
		  { "--jsonl", NULL, NULL, "notices as JSON Lines instead of CSV", NULL },
		  { "--company", NULL, "TEXT", "the company's name (default: the vault's label)",
		    NULL },
		  { "--contact", NULL, "TEXT", "the company's contact for questions", NULL },
		  { "--cause", NULL, "TEXT", "what caused the incident", NULL },
		  { "--harm", NULL, "TEXT", "the harm it may cause", NULL },
		  { "--remedies", NULL, "TEXT", "what the company did about it", NULL },
		  { "--actions", NULL, "TEXT", "what the customer can do", NULL },
		  { "--measures", NULL, "TEXT", "measures, for the regulator (default: remedies)",
		    NULL },
		  END_OPTS },
	  CLI_COMMON, run_notify, NULL },
	/* end of incident notify */
	{ "seal", "ID [--json]",
	  "freeze the customers of the incident's scope (信息封存): their reads are refused",
	  NULL, NULL, CLI_COMMON, run_seal_release, NULL },
	{ "release", "ID [--json]",
	  "lift the seal (four eyes: 'pivault request incident release ID', then 'run REQ')",
	  NULL, NULL, CLI_COMMON, run_seal_release, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_incident = {
	.name = "incident",
	.summary = "breach incidents: open, scope, states, seal, release",
	.about = "Breach response (信息泄露应急): record an incident, find from the audit log the\n"
		 "customers and categories it touched (ids only), and move it through its states\n"
		 "(open, contained, notified, closed), each step audited. Seal freezes the\n"
		 "scope's customers (信息封存: every read refused; their records are evidence, so\n"
		 "shred, retention erasure and dsr delete of them are refused naming the incident,\n"
		 "a deletion request staying open until the release, and retention plan shows\n"
		 "them as 'held by incident INC'; other writes are audited as under seal; an open\n"
		 "incident becomes contained); release lifts it under a second person's\n"
		 "approval bound to the exact set sealed.\n",
	.subs = subs,
};
