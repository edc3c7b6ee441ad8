/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_console.c: the web console as the server serves it (issue 13), over real HTTP
 * on loopback: its page and scripts under /console/ with their content types and the
 * headers that keep a page from loading anything from elsewhere, running inline script or
 * being framed (a clickjacking or injected-script attack finds no way in), nothing cached;
 * paths outside the embedded files (traversal) answered 404 and other methods 405; every
 * embedded file free of inline script, inline handlers and addresses of other origins;
 * and GET /v1/sessions/current (who the session acts for, the console's role choice).
 * The console itself is driven in chromium by tests/check_console.sh. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

static const char PW[] = "console-password-1";

static struct pvts_fixture g_f; /* the vault with its users, the server */

static int group_setup(void **state)
{
	(void)state;
	static const struct pvts_user two[] = { { "two", "dpo,auditor", 0 }, { NULL, NULL, 0 } };
	struct pvs_config c = { .plain_http = 1 };
	pvts_fixture_up(&g_f, &(struct pvts_spec){ .customers = 3, .seed = 3, .password = PW,
						    .extra = two, .max_body = 4096, .config = &c });
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvts_fixture_down(&g_f);
	return 0;
}

/* The whole answer to one request, headers included (malloc'd). */
static char *raw_get(const char *method, const char *path)
{
	int fd = pvts_connect(g_f.port);
	char *text = pvts_request_text(method, path, NULL, NULL, 0);
	size_t n = strlen(text);
	assert_int_equal(send(fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
	free(text);
	char *raw = pvts_read_all(fd);
	close(fd);
	return raw;
}

/* The value of header name in raw (malloc'd), or NULL. */
static char *header(const char *raw, const char *name)
{
	const char *end = strstr(raw, "\r\n\r\n");
	size_t n = strlen(name);
	for (const char *p = strstr(raw, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
			const char *v = p + 3 + n + strspn(p + 3 + n, " ");
			return strndup(v, strcspn(v, "\r"));
		}
	return NULL;
}

static int status_of(const char *raw)
{
	return atoi(raw + strcspn(raw, " "));
}

static void assert_header(const char *raw, const char *name, const char *want)
{
	char *v = header(raw, name);
	if (!v || strcmp(v, want) != 0)
		fail_msg("%s: '%s', not '%s'", name, v ? v : "(none)", want);
	free(v);
}

/* The page: HTML, and a policy that lets it load only this origin's files. */
static void test_page_and_its_policy(void **state)
{
	(void)state;
	const char *paths[] = { "/console/", "/console" };
	for (size_t i = 0; i < 2; i++) {
		char *raw = raw_get("GET", paths[i]);
		assert_int_equal(status_of(raw), 200);
		assert_header(raw, "Content-Type", "text/html; charset=utf-8");
		assert_header(raw, "Cache-Control", "no-store");
		assert_header(raw, "X-Content-Type-Options", "nosniff");
		assert_header(raw, "X-Frame-Options", "DENY");
		char *csp = header(raw, "Content-Security-Policy");
		assert_non_null(csp);
		const char *must[] = { "default-src 'none'", "script-src 'self'", "style-src 'self'",
				       "connect-src 'self'", "frame-ancestors 'none'",
				       "base-uri 'none'" };
		for (size_t k = 0; k < sizeof must / sizeof *must; k++)
			if (!strstr(csp, must[k]))
				fail_msg("the policy lacks %s: %s", must[k], csp);
		assert_null(strstr(csp, "unsafe"));
		assert_null(strstr(csp, "*"));
		assert_null(strstr(csp, "http"));
		assert_non_null(strstr(raw, "<script type=\"module\" src=\"/console/app.js\">"));
		free(csp);
		free(raw);
	}
}

static void test_scripts_and_styles_typed(void **state)
{
	(void)state;
	const char *files[][2] = { { "/console/app.js", "text/javascript; charset=utf-8" },
				   { "/console/console.css", "text/css; charset=utf-8" },
				   { "/console/icon.svg", "image/svg+xml" } };
	for (size_t i = 0; i < 3; i++) {
		char *raw = raw_get("GET", files[i][0]);
		assert_int_equal(status_of(raw), 200);
		assert_header(raw, "Content-Type", files[i][1]);
		assert_header(raw, "X-Content-Type-Options", "nosniff");
		free(raw);
	}
}

/* Only the embedded files: no path outside them, however written; only GET and HEAD. */
static void test_traversal_and_methods(void **state)
{
	(void)state;
	const char *paths[] = { "/console/../server/server.h", "/console/%2e%2e/CMakeLists.txt",
				"/console/nothing.js", "/console//app.js", "/console/app.js/",
				"/consoleapp.js", "/console/.", "/console/..%2fopenapi.json" };
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
		char *raw = raw_get("GET", paths[i]);
		if (status_of(raw) != 404)
			fail_msg("GET %s: %d, not 404", paths[i], status_of(raw));
		free(raw);
	}
	char *raw = raw_get("POST", "/console/app.js");
	assert_int_equal(status_of(raw), 405);
	free(raw);
	raw = raw_get("HEAD", "/console/app.js");
	assert_int_equal(status_of(raw), 200);
	free(raw);
}

/* An API reply loads nothing and is never cached or framed either. */
static void test_api_replies_load_nothing(void **state)
{
	(void)state;
	const char *paths[] = { "/healthz", "/v1/customers/C00000001", "/no/such/route" };
	for (size_t i = 0; i < 3; i++) {
		char *raw = raw_get("GET", paths[i]);
		assert_header(raw, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
		assert_header(raw, "Cache-Control", "no-store");
		assert_header(raw, "Content-Type", "application/json");
		free(raw);
	}
}

/* What a page could be made to run or fetch: no inline script or handler in any file,
 * no address of another origin (the SVG namespace name is no request). */
static void test_files_run_and_fetch_only_this_origin(void **state)
{
	(void)state;
	assert_true(pvs_console_asset_count >= 5);
	for (size_t i = 0; i < pvs_console_asset_count; i++) {
		const struct pvs_asset *a = &pvs_console_assets[i];
		assert_int_equal(strlen(a->text), a->len);
		const char *bad[] = { "<script>", "javascript:", "innerHTML", "outerHTML",
				      "insertAdjacentHTML", "document.write", "eval(", "new Function",
				      "localStorage.setItem", "document.cookie", "style=\"" };
		for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
			if (strstr(a->text, bad[k]))
				fail_msg("console/%s holds %s", a->name, bad[k]);
		for (const char *p = a->text; (p = strstr(p, "http")); p++)
			if (strncmp(p, "http://www.w3.org/2000/svg", 26) != 0 &&
			    (strncmp(p, "http://", 7) == 0 || strncmp(p, "https://", 8) == 0))
				fail_msg("console/%s names another origin", a->name);
		if (strstr(a->name, ".html"))
			for (const char *p = a->text; (p = strstr(p, " on")); p++)
				if (strspn(p + 3, "abcdefghijklmnopqrstuvwxyz") > 2 &&
				    p[3 + strspn(p + 3, "abcdefghijklmnopqrstuvwxyz")] == '=')
					fail_msg("console/%s has an inline handler", a->name);
	}
}

/* Who the session acts for: the user and each of their roles; nobody without a token. */
static void test_who_am_i(void **state)
{
	(void)state;
	char *token = pvts_sign_in(g_f.port, "two", PW);
	struct pvts_resp r = pvts_http(g_f.port, "GET", "/v1/sessions/current", token, NULL, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.json, "user")), "two");
	json_t *roles = json_object_get(r.json, "roles");
	assert_int_equal(json_array_size(roles), 2);
	assert_string_equal(json_string_value(json_array_get(roles, 0)), "dpo");
	assert_string_equal(json_string_value(json_array_get(roles, 1)), "auditor");
	pvts_resp_free(&r);
	r = pvts_http(g_f.port, "GET", "/v1/sessions/current", NULL, NULL, 0);
	assert_int_equal(r.status, 401);
	pvts_resp_free(&r);
	/* signed out: the token says nothing any more */
	r = pvts_http(g_f.port, "DELETE", "/v1/sessions/current", token, NULL, 0);
	assert_int_equal(r.status, 204);
	pvts_resp_free(&r);
	r = pvts_http(g_f.port, "GET", "/v1/sessions/current", token, NULL, 0);
	assert_int_equal(r.status, 401);
	pvts_resp_free(&r);
	free(token);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_and_its_policy),
		cmocka_unit_test(test_scripts_and_styles_typed),
		cmocka_unit_test(test_traversal_and_methods),
		cmocka_unit_test(test_api_replies_load_nothing),
		cmocka_unit_test(test_files_run_and_fetch_only_this_origin),
		cmocka_unit_test(test_who_am_i),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
