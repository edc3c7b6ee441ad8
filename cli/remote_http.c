/* SPDX-License-Identifier: Apache-2.0 */
/* remote_http.c: the transport to `pivault serve` (libcurl on GnuTLS). PIVAULT_SERVER is
 * https://HOST:PORT with the server pinned: PIVAULT_SERVER_PIN=sha256//BASE64 (the SHA-256
 * of its SubjectPublicKeyInfo; several separated by ';' while a key is being replaced) or
 * PIVAULT_SERVER_CERT=FILE (that certificate exactly: its key pinned and it the only one
 * trusted). The pin is checked in the TLS handshake, so nothing (no token, no password) is
 * sent to a server that does not hold the pinned key. Plain http only to a loopback
 * address, as the server allows it. No proxy, no redirect. */
#include "remote.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The largest reply kept (an export is streamed elsewhere). */
#define REPLY_MAX (64u << 20)
/* "sha256//" and 44 characters of base64, a few times over. */
#define PIN_MAX 512

/* The server as the environment names it. */
static struct {
	int loaded, tls;
	char base[1024];   /* PIVAULT_SERVER without its trailing '/' */
	char pin[PIN_MAX]; /* what CURLOPT_PINNEDPUBLICKEY takes */
	const char *cert;  /* PIVAULT_SERVER_CERT: the one trusted certificate */
} server;

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int cli_remote_on(void)
{
	return env("PIVAULT_SERVER") != NULL;
}

/* 1 when host (as the URL spells it: "[::1]" for IPv6) is a loopback address. */
static int is_loopback(const char *host)
{
	unsigned char a[16];
	char v6[64];
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	size_t n = strlen(host);
	if (n < 3 || n > sizeof v6 || host[0] != '[' || host[n - 1] != ']')
		return 0;
	memcpy(v6, host + 1, n - 2);
	v6[n - 2] = '\0';
	return inet_pton(AF_INET6, v6, a) == 1 && IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a);
}

/* Why the URL is refused, or NULL: https, or http to a loopback address; no user,
 * query or fragment. */
static const char *url_refused(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *extra = NULL;
	const char *why = NULL;
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		why = "is not a URL (https://HOST:PORT)";
	else if (curl_url_get(u, CURLUPART_USER, &extra, 0) == CURLUE_OK ||
		 curl_url_get(u, CURLUPART_QUERY, &extra, 0) == CURLUE_OK ||
		 curl_url_get(u, CURLUPART_FRAGMENT, &extra, 0) == CURLUE_OK)
		why = "takes no user, query or fragment (https://HOST:PORT)";
	else if (strcmp(scheme, "https") == 0)
		server.tls = 1;
	else if (strcmp(scheme, "http") != 0)
		why = "must be https://HOST:PORT";
	else if (!is_loopback(host))
		why = "is plain http off a loopback address: use https with the server's "
		      "certificate pinned (plain http only to 127.0.0.1 or [::1])";
	curl_free(scheme);
	curl_free(host);
	curl_free(extra);
	curl_url_cleanup(u);
	return why;
}

/* 1 when text is pins "sha256//BASE64" (of 32 bytes), separated by ';'. */
static int pins_valid(const char *text)
{
	char copy[PIN_MAX], *save = NULL;
	if (strlen(text) >= sizeof copy)
		return 0;
	strcpy(copy, text);
	int n = 0;
	for (char *p = strtok_r(copy, ";", &save); p; p = strtok_r(NULL, ";", &save), n++) {
		unsigned char h[crypto_hash_sha256_BYTES + 1];
		size_t len = 0;
		if (strncmp(p, "sha256//", 8) != 0 ||
		    sodium_base642bin(h, sizeof h, p + 8, strlen(p + 8), NULL, &len, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    len != crypto_hash_sha256_BYTES)
			return 0;
	}
	return n > 0;
}

/* The pin of the public key of the certificate in path (PEM or DER) into server.pin; 0,
 * or -1 when it is not a certificate. */
static int pin_of_certificate(const char *path)
{
	gnutls_datum_t file = { NULL, 0 }, spki = { NULL, 0 };
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	int ok = gnutls_load_file(path, &file) == 0 && gnutls_x509_crt_init(&crt) == 0 &&
		 (gnutls_x509_crt_import(crt, &file, GNUTLS_X509_FMT_PEM) == 0 ||
		  gnutls_x509_crt_import(crt, &file, GNUTLS_X509_FMT_DER) == 0) &&
		 gnutls_pubkey_init(&pub) == 0 && gnutls_pubkey_import_x509(pub, crt, 0) == 0 &&
		 gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) == 0;
	if (ok) {
		unsigned char h[crypto_hash_sha256_BYTES];
		crypto_hash_sha256(h, spki.data, spki.size);
		strcpy(server.pin, "sha256//");
		sodium_bin2base64(server.pin + 8, sizeof server.pin - 8, h, sizeof h,
				  sodium_base64_VARIANT_ORIGINAL);
	}
	gnutls_free(file.data);
	gnutls_free(spki.data);
	if (pub)
		gnutls_pubkey_deinit(pub);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return ok ? 0 : -1;
}

/* The pin the environment gives (needed for https); EXIT_OK or EXIT_USAGE (message). */
static int load_pin(void)
{
	const char *pin = env("PIVAULT_SERVER_PIN"), *cert = env("PIVAULT_SERVER_CERT");
	if (pin && cert) {
		fprintf(stderr, "pivault: set PIVAULT_SERVER_PIN or PIVAULT_SERVER_CERT, not both\n");
		return EXIT_USAGE;
	}
	if (!server.tls)
		return EXIT_OK; /* loopback: nothing to pin */
	if (!pin && !cert) {
		fprintf(stderr, "pivault: PIVAULT_SERVER is https: pin the server with "
			"PIVAULT_SERVER_PIN=sha256//BASE64 (its public key's SHA-256) or "
			"PIVAULT_SERVER_CERT=FILE (its certificate); nothing was sent\n");
		return EXIT_USAGE;
	}
	if (pin && !pins_valid(pin)) {
		fprintf(stderr, "pivault: PIVAULT_SERVER_PIN must be sha256// and the base64 of 32 "
			"bytes (several separated by ';')\n");
		return EXIT_USAGE;
	}
	if (pin)
		snprintf(server.pin, sizeof server.pin, "%s", pin);
	else if (pin_of_certificate(cert) != 0) {
		fprintf(stderr, "pivault: PIVAULT_SERVER_CERT %s: cannot read a certificate (PEM or "
			"DER) there\n", cert);
		return EXIT_USAGE;
	}
	server.cert = cert;
	return EXIT_OK;
}

/* The server's configuration from the environment, once; EXIT_OK or EXIT_USAGE. */
static int load_server(void)
{
	if (server.loaded)
		return EXIT_OK;
	const char *url = env("PIVAULT_SERVER");
	const char *why = url ? url_refused(url) : "is not set";
	if (!why && strlen(url) >= sizeof server.base)
		why = "is too long";
	if (why) {
		fprintf(stderr, "pivault: PIVAULT_SERVER %s\n", why);
		return EXIT_USAGE;
	}
	int code = load_pin();
	if (code)
		return code;
	snprintf(server.base, sizeof server.base, "%s", url);
	for (size_t n = strlen(server.base); n > 0 && server.base[n - 1] == '/'; n--)
		server.base[n - 1] = '\0';
	server.loaded = 1;
	return EXIT_OK;
}

const char *cli_remote_base(int *code)
{
	*code = load_server();
	return *code ? NULL : server.base;
}

void cli_reply_free(struct cli_reply *r)
{
	if (r->body) {
		sodium_memzero(r->body, r->len);
		free(r->body);
	}
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}

/* libcurl's write callback: the body kept (grown without leaving copies behind). */
static size_t keep_body(char *data, size_t size, size_t n, void *ctx)
{
	struct cli_reply *r = ctx;
	size_t add = size * n;
	if (add > REPLY_MAX - r->len)
		return 0; /* too large: the transfer stops */
	char *grown = malloc(r->len + add + 1);
	if (!grown)
		return 0;
	if (r->body) {
		memcpy(grown, r->body, r->len);
		sodium_memzero(r->body, r->len);
		free(r->body);
	}
	memcpy(grown + r->len, data, add);
	r->len += add;
	grown[r->len] = '\0';
	r->body = grown;
	return add;
}

/* One exchange's bodies: the request's (a JSON text, or read from a descriptor as it is
 * sent) and the reply's (kept in r, or a 200 reply's given to a sink as it comes). */
struct exchange {
	const char *json;
	const struct cli_stream *s; /* NULL: nothing streamed */
	struct cli_reply *r;
	CURL *h;
	int sink_failed;
};

/* The headers of a request: the bearer (when given) and the body's type. */
static struct curl_slist *headers_of(const char *bearer, const char *type)
{
	struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
	if (h && type)
		h = curl_slist_append(h, type);
	if (h && bearer) {
		size_t n = strlen(bearer) + 32;
		char *line = malloc(n);
		if (!line)
			return h;
		snprintf(line, n, "Authorization: Bearer %s", bearer);
		h = curl_slist_append(h, line);
		sodium_memzero(line, n);
		free(line);
	}
	return h;
}

/* Free the headers, the bearer's copy wiped first. */
static void headers_free(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p; p = p->next)
		sodium_memzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

/* The TLS settings: the pinned key always; with a pinned certificate, that certificate
 * as the only one trusted (no host name check: the pin names the server). */
static void set_tls(CURL *h)
{
	curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, server.pin);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, server.cert ? 1L : 0L);
	if (server.cert) {
		curl_easy_setopt(h, CURLOPT_CAINFO, server.cert);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	}
}

/* The exit status for a failed transfer, after a message. */
static int transfer_failed(CURLcode rc, const char *err)
{
	if (rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH)
		fprintf(stderr, "pivault: the server's key is not the one %s pins: refused, "
			"nothing was sent\n", server.cert ? "PIVAULT_SERVER_CERT"
							       : "PIVAULT_SERVER_PIN");
	else if (rc == CURLE_PEER_FAILED_VERIFICATION)
		fprintf(stderr, "pivault: the server's certificate is not the one "
			"PIVAULT_SERVER_CERT pins (or it has expired): refused, nothing was sent\n");
	else
		fprintf(stderr, "pivault: cannot talk to the server at %s: %s\n", server.base,
			*err ? err : curl_easy_strerror(rc));
	return EXIT_FAIL;
}

/* libcurl's write callback: a 200 reply's body to the sink when there is one, else kept. */
static size_t take_body(char *data, size_t size, size_t n, void *ctx)
{
	struct exchange *x = ctx;
	long status = 0;
	if (x->s && x->s->sink) {
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200) {
			x->sink_failed = x->s->sink(x->s->ctx, data, size * n) != 0;
			return x->sink_failed ? 0 : size * n;
		}
	}
	return keep_body(data, size, n, x->r);
}

/* libcurl's read callback: the request's body read from the stream's descriptor. */
static size_t give_body(char *buf, size_t size, size_t n, void *ctx)
{
	const struct exchange *x = ctx;
	ssize_t k;
	do
		k = read(x->s->in_fd, buf, size * n);
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		fprintf(stderr, "pivault: cannot read the input: %s\n", strerror(errno));
		return CURL_READFUNC_ABORT; /* the server gets half a body: it imports nothing */
	}
	return (size_t)k;
}

/* The request's body: the JSON text, or the descriptor's content as it is read (its size
 * announced when it is a regular file, else sent chunked). */
static void set_body(CURL *h, struct exchange *x)
{
	struct stat st;
	if (x->json) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->json);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(x->json));
	} else if (x->s && x->s->in_fd >= 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, give_body);
		curl_easy_setopt(h, CURLOPT_READDATA, x);
		if (fstat(x->s->in_fd, &st) == 0 && S_ISREG(st.st_mode))
			curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
	}
}

/* One exchange: method url, its bodies as x says, bearer (or none), the reply into x->r. */
static int transfer(const char *method, const char *url, struct exchange *x,
		    const char *bearer)
{
	CURL *h = x->h = curl_easy_init();
	if (!h) {
		fprintf(stderr, "pivault: out of memory\n");
		return EXIT_FAIL;
	}
	char err[CURL_ERROR_SIZE] = "";
	char streamed[128] = "";
	if (x->s && x->s->in_fd >= 0)
		snprintf(streamed, sizeof streamed, "Content-Type: %s",
			 x->s->type ? x->s->type : "text/csv");
	struct curl_slist *hdr = headers_of(bearer, x->json ? "Content-Type: application/json"
						   : streamed[0] ? streamed : NULL);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, server.tls ? "https" : "http");
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, take_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	set_body(h, x);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method); /* after UPLOAD, which says PUT */
	if (server.tls)
		set_tls(h);
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->r->status);
	headers_free(hdr);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK && x->sink_failed)
		return EXIT_FAIL; /* the sink said why */
	return rc == CURLE_OK ? EXIT_OK : transfer_failed(rc, err);
}

static int answers_json;

void cli_remote_answers_json(int json)
{
	answers_json = json;
}

/* `pivault request COMMAND ...` through a server: every call of the command carries the
 * asking, as the server's guards read it (a JSON body's members, else the query's
 * arguments): ask=true (a read in clear beyond the bulk limit is asked for, not refused),
 * the reason and how long the request stays valid. */
static struct {
	int on;
	int json; /* `request --json`: its id said as JSON, whatever the command's --json */
	const char *reason;
	unsigned ttl;
} asking;

void cli_remote_set_asking(const char *reason, unsigned ttl, int json)
{
	asking.on = 1;
	asking.reason = reason;
	asking.ttl = ttl;
	asking.json = json;
}

/* path with the asking's query arguments (malloc'd; NULL: out of memory). */
static char *asking_path(const char *path)
{
	char ttl[16];
	snprintf(ttl, sizeof ttl, "%u", asking.ttl);
	struct cli_url u = { 0 };
	cli_url_path(&u, path, NULL);
	cli_url_arg(&u, "ask", "true");
	cli_url_arg(&u, "reason", asking.reason);
	cli_url_arg(&u, "request_expires_in", asking.ttl ? ttl : NULL);
	return cli_url_take(&u);
}

/* Every string held in doc zeroed before it is freed (a body may hold values). */
static void wipe_strings(json_t *doc)
{
	const char *k;
	size_t i;
	json_t *m;
	if (json_is_string(doc))
		sodium_memzero((char *)json_string_value(doc), json_string_length(doc));
	else if (json_is_object(doc))
		json_object_foreach(doc, k, m)
			wipe_strings(m);
	else if (json_is_array(doc))
		json_array_foreach(doc, i, m)
			wipe_strings(m);
}

/* The JSON object body with the asking's members (malloc'd; NULL: out of memory, or a
 * body that is no object, then left as it is in *same). */
static char *asking_body(const char *json, int *same)
{
	json_t *obj = json_loads(json, 0, NULL);
	*same = !json_is_object(obj);
	char *text = NULL;
	if (!*same) {
		json_object_set_new(obj, "ask", json_true());
		if (asking.reason)
			json_object_set_new(obj, "reason", json_string(asking.reason));
		if (asking.ttl)
			json_object_set_new(obj, "request_expires_in", json_integer(asking.ttl));
		text = json_dumps(obj, JSON_COMPACT);
		if (!text)
			fprintf(stderr, "pivault: out of memory\n");
	}
	wipe_strings(obj);
	json_decref(obj);
	return text;
}

/* method path with x's bodies, signed as auth says; the reply in x->r (JSON parsed when
 * it was kept). */
static int exchange(const char *method, const char *path, enum cli_auth auth,
		    struct exchange *x)
{
	struct cli_reply *r = x->r;
	memset(r, 0, sizeof *r);
	int code = load_server();
	char *bearer = NULL, *url = NULL;
	char *asked_path = NULL, *asked_body = NULL;
	int same = 1;
	if (!code && asking.on && auth == CLI_SIGNED_IN) { /* `pivault request ...` */
		if (x->json && (asked_body = asking_body(x->json, &same)))
			x->json = asked_body;
		else if (!x->json && (asked_path = asking_path(path)))
			path = asked_path;
		else if (!x->json || !same)
			code = EXIT_FAIL; /* out of memory (said) */
	}
	if (!code && auth != CLI_ANONYMOUS)
		bearer = cli_session_bearer(server.base, auth == CLI_SESSION, &code);
	if (!code && !(url = malloc(strlen(server.base) + strlen(path) + 1))) {
		fprintf(stderr, "pivault: out of memory\n");
		code = EXIT_FAIL;
	}
	if (!code) {
		strcpy(url, server.base);
		strcat(url, path);
		code = transfer(method, url, x, bearer);
	}
	if (!code && r->body)
		r->json = json_loadb(r->body, r->len, 0, NULL);
	free(asked_path);
	if (asked_body)
		cli_wipe_free(asked_body);
	free(url);
	cli_wipe_free(bearer);
	if (code)
		cli_reply_free(r);
	return code;
}

int cli_remote_call(const char *method, const char *path, char *body, enum cli_auth auth,
		    struct cli_reply *r)
{
	struct exchange x = { body, NULL, r, NULL, 0 };
	int code = exchange(method, path, auth, &x);
	if (body)
		sodium_memzero(body, strlen(body));
	free(body);
	return code;
}

int cli_remote_stream(const char *method, const char *path, const struct cli_stream *s,
		      struct cli_reply *r)
{
	struct exchange x = { NULL, s, r, NULL, 0 };
	return exchange(method, path, CLI_SIGNED_IN, &x);
}

/* A request asked for (202 {"request": {"id": ...}}): its id said as the command says it
 * locally. */
static void print_requested(const json_t *req)
{
	const char *id = json_is_string(req) ? json_string_value(req) : cli_json_str(req, "id");
	if (answers_json || asking.json) {
		printf("{\"request\":");
		cli_json_string(stdout, id);
		printf("}\n");
		return;
	}
	printf("request %s recorded: another user with the approve permission reads it with "
	       "'pivault requests' and runs: pivault approve %s\n", id, id);
}

/* The message and exit status of a reply that is not a success; hint: a 401 says to sign
 * in again (not when the request carried its own credential). */
static int failed(const struct cli_reply *r, int hint)
{
	json_t *req = json_object_get(r->json, "request");
	if (r->status == 202 && req) {
		print_requested(req);
		return EXIT_OK;
	}
	json_t *err = json_object_get(r->json, "error");
	const char *msg = cli_json_str(err, "message"), *code = cli_json_str(err, "code");
	if (*msg)
		fprintf(stderr, "pivault: %s\n", msg);
	else
		fprintf(stderr, "pivault: the server answered HTTP %ld\n", r->status);
	if (strcmp(code, "busy") == 0) {
		fprintf(stderr, "pivault: nothing was done; run it again later\n");
		return EXIT_BUSY;
	}
	if (hint && r->status == 401 && !env("PIVAULT_TOKEN"))
		fprintf(stderr, "pivault: sign in again: pivault login\n");
	return r->status == 400 ? EXIT_USAGE : EXIT_FAIL;
}

int cli_remote_failed(const struct cli_reply *r)
{
	return failed(r, 1);
}

int cli_remote_refused(const struct cli_reply *r)
{
	return failed(r, 0);
}

int cli_remote_expect(const char *method, const char *path, char *body, long status,
		      struct cli_reply *r, int *code)
{
	if ((*code = cli_remote_call(method, path, body, CLI_SIGNED_IN, r)) != EXIT_OK)
		return 0;
	if (r->status == status && (status == 204 || r->json))
		return 1;
	if (r->status == status) {
		fprintf(stderr, "pivault: the server's reply is not JSON\n");
		*code = EXIT_FAIL;
	} else {
		*code = cli_remote_failed(r);
	}
	cli_reply_free(r);
	return 0;
}

/* ---- Paths, queries and JSON ---- */

static void url_add(struct cli_url *u, const char *s, size_t n)
{
	char *grown = u->failed ? NULL : realloc(u->text, u->len + n + 1);
	if (!grown) {
		u->failed = 1;
		return;
	}
	memcpy(grown + u->len, s, n);
	u->len += n;
	grown[u->len] = '\0';
	u->text = grown;
}

static void url_add_escaped(struct cli_url *u, const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	if (!e)
		u->failed = 1;
	else
		url_add(u, e, strlen(e));
	curl_free(e);
}

void cli_url_path(struct cli_url *u, const char *prefix, const char *segment)
{
	url_add(u, prefix, strlen(prefix));
	if (segment)
		url_add_escaped(u, segment);
}

void cli_url_arg(struct cli_url *u, const char *name, const char *value)
{
	if (!value)
		return;
	url_add(u, u->text && strchr(u->text, '?') ? "&" : "?", 1);
	url_add_escaped(u, name);
	url_add(u, "=", 1);
	url_add_escaped(u, value);
}

char *cli_url_take(struct cli_url *u)
{
	char *text = u->failed ? NULL : u->text;
	if (u->failed) {
		free(u->text);
		fprintf(stderr, "pivault: out of memory\n");
	}
	memset(u, 0, sizeof *u);
	return text;
}

char *cli_json_text(json_t *obj)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (!text)
		fprintf(stderr, "pivault: the request could not be made (out of memory, or text "
			"that is not UTF-8)\n");
	return text;
}

const char *cli_json_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

void cli_json_time(const json_t *obj, const char *key, const char *format, char out[32])
{
	json_t *t = json_object_get(obj, key);
	time_t tt = (time_t)json_integer_value(t);
	struct tm tm;
	if (!json_is_integer(t) || !gmtime_r(&tt, &tm) || strftime(out, 32, format, &tm) == 0)
		out[0] = '\0';
}

int cli_remote_send(struct cli_url *u, const char *method, char *body, long status,
		    struct cli_reply *r, int *code)
{
	char *path = cli_url_take(u);
	*code = EXIT_FAIL;
	if (!path) {
		free(body);
		return 0;
	}
	int ok = cli_remote_expect(method, path, body, status, r, code);
	free(path);
	return ok;
}

/* ---- Commands that post ---- */

int cli_remote_post(const struct cli_common *c, const char *base, const char *segment,
		    const char *suffix, json_t *obj, long status, struct cli_reply *r, int *code)
{
	if (obj && c->role)
		json_object_set_new(obj, "role", json_string(c->role));
	if (obj && c->request)
		json_object_set_new(obj, "request", json_string(c->request));
	char *body = cli_json_text(obj);
	*code = EXIT_FAIL;
	if (!body)
		return 0;
	struct cli_url u = { 0 };
	cli_url_path(&u, base, NULL);
	if (segment)
		cli_url_path(&u, "/", segment);
	cli_url_path(&u, suffix, NULL);
	return cli_remote_send(&u, "POST", body, status, r, code);
}

int cli_remote_post_done(const struct cli_common *c, const char *base, const char *segment,
			 const char *suffix, json_t *obj)
{
	struct cli_reply r;
	int code;
	if (!cli_remote_post(c, base, segment, suffix, obj, 204, &r, &code))
		return code;
	cli_reply_free(&r);
	return EXIT_OK;
}
