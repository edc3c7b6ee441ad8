/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_serve.c: `pivault serve`: reads its options and the root secret (a key file or
 * PIVAULT_PASSPHRASE_FILE, never the command line), starts the HTTPS JSON API
 * (server/server.h), and stops it gracefully on SIGTERM or SIGINT. */
#include "cli.h"
#include "server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --listen HOST:PORT or [V6]:PORT into host (of size n) and port; 0, or -1. */
static int parse_listen(const char *text, char *host, size_t n, unsigned *port)
{
	const char *colon = text[0] == '[' ? strstr(text, "]:") : strrchr(text, ':');
	if (!colon)
		return -1;
	const char *h = text[0] == '[' ? text + 1 : text;
	size_t hlen = (size_t)(colon - h);
	const char *p = colon + (text[0] == '[' ? 2 : 1);
	char *end;
	unsigned long x = strtoul(p, &end, 10);
	if (hlen == 0 || hlen >= n || !*p || *end || x > 65535)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (unsigned)x;
	return 0;
}

/* The number option name gives (1 to max), def when absent; 0 (message printed) when bad. */
static unsigned long number_opt(struct cli_args *a, const char *name, unsigned long def,
				unsigned long max)
{
	const char *text = cli_opt(a, name);
	if (!text)
		return def;
	char *end;
	unsigned long x = strtoul(text, &end, 10);
	if (*end || end == text || x == 0 || x > max) {
		char msg[96];
		snprintf(msg, sizeof msg, "%s needs a number from 1 to %lu", name, max);
		cli_usage(a->prog, msg);
		return 0;
	}
	return x;
}

/* The rate limits from the options; EXIT_OK or EXIT_USAGE. */
static int limits_from(struct cli_args *a, struct pvs_config *c)
{
	c->sign_in_per_address = (unsigned)number_opt(a, "--sign-in-per-address", 10, 100000);
	c->sign_in_per_user = (unsigned)number_opt(a, "--sign-in-per-user", 5, 100000);
	c->sign_in_window_seconds = (unsigned)number_opt(a, "--sign-in-window", 60, 86400);
	c->reads_per_second = (unsigned)number_opt(a, "--reads-per-second", 20, 1000000);
	c->reads_burst = (unsigned)number_opt(a, "--reads-burst", 40, 1000000);
	if (!c->sign_in_per_address || !c->sign_in_per_user || !c->sign_in_window_seconds ||
	    !c->reads_per_second || !c->reads_burst)
		return EXIT_USAGE;
	return EXIT_OK;
}

/* The streams' caps: in all, and for one user (at most as many); EXIT_OK or EXIT_USAGE. */
static int streams_from(struct cli_args *a, struct pvs_config *c)
{
	c->streams = (unsigned)number_opt(a, "--streams", 4, 256);
	if (!c->streams)
		return EXIT_USAGE;
	c->streams_per_user = (unsigned)number_opt(a, "--streams-per-user",
						   c->streams < 2 ? c->streams : 2, c->streams);
	return c->streams_per_user ? EXIT_OK : EXIT_USAGE;
}

/* The configuration from the options (the key read later); EXIT_OK or EXIT_USAGE. */
static int config_from(struct cli_args *a, struct pvs_config *c, char *host, size_t n)
{
	const char *listen = cli_opt(a, "--listen");
	if (a->narg)
		return cli_usage(a->prog, "serve takes no argument");
	if (!listen || parse_listen(listen, host, n, &c->port) != 0)
		return cli_usage(a->prog, "give --listen ADDRESS:PORT (for example 127.0.0.1:8443 "
				 "or [::1]:8443)");
	if (!a->common.vault)
		return cli_usage(a->prog, "no vault: give --vault DIR or set PIVAULT_VAULT");
	c->host = host;
	c->vault = a->common.vault;
	c->keyring = a->common.keyring;
	c->tls_cert = cli_opt(a, "--tls-cert");
	c->tls_key = cli_opt(a, "--tls-key");
	c->plain_http = cli_flag(a, "--plain-http");
	c->threads = (unsigned)number_opt(a, "--threads", 4, 64);
	c->session_seconds = 60 * (unsigned)number_opt(a, "--session-minutes", 15, 1440);
	c->max_body = number_opt(a, "--max-body", 65536, 64 << 20);
	c->max_import = number_opt(a, "--max-import-bytes", 1UL << 30, 1UL << 40);
	c->max_connections = (unsigned)number_opt(a, "--max-connections", 256, 100000);
	c->timeout_seconds = (unsigned)number_opt(a, "--timeout", 30, 3600);
	c->handover_dir = cli_opt(a, "--handover-dir");
	c->handover_identity = cli_opt(a, "--handover-identity");
	c->max_package = number_opt(a, "--max-package", 1ul << 30, 1ul << 40);
	if (!c->max_package || !c->threads || !c->session_seconds || !c->max_body ||
	    !c->max_connections || !c->timeout_seconds || !c->max_import)
		return EXIT_USAGE;
	int code = streams_from(a, c);
	return code ? code : limits_from(a, c);
}

static int run_serve(struct cli_args *a)
{
	struct pvs_config c;
	memset(&c, 0, sizeof c);
	char host[64], err[512];
	int code = config_from(a, &c, host, sizeof host);
	if (code)
		return code;
	pv_key *key = cli_read_key(&a->common, 0);
	if (!key)
		return EXIT_FAIL;
	c.key = key;
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the server's threads inherit it */
	struct pvs_server *s = pvs_start(&c, err, sizeof err);
	pv_key_free(key);
	if (!s) {
		fprintf(stderr, "pivault: serve: %s\n", err);
		return EXIT_FAIL;
	}
	printf("pivault serve: listening on %s://%s%s%s:%u\n", c.plain_http ? "http" : "https",
	       strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", pvs_port(s));
	fflush(stdout);
	int sig = 0;
	sigwait(&stop, &sig);
	printf("pivault serve: stopping (requests in flight finish)\n");
	fflush(stdout);
	pvs_stop(s);
	printf("pivault serve: stopped\n");
	return EXIT_OK;
}

static const char NOT_HERE[] = "the server acts for the users who sign in to it, each "
			       "request naming its own role and purpose";

const struct cli_cmd cli_cmd_serve = {
	.name = "serve",
	.args = "--listen ADDRESS:PORT (--tls-cert FILE --tls-key FILE | --plain-http)",
	.summary = "serve the HTTPS JSON API (users sign in; the server alone holds the keys)",
	.about = "Serve the vault over HTTPS as a JSON API (server/openapi.json, also at\n"
		 "GET /v1/openapi.json). The vault is opened with the root secret (--key-file,\n"
		 "$PIVAULT_KEY_FILE or $PIVAULT_PASSPHRASE_FILE; never the command line) and only\n"
		 "this process holds its keys. Users sign in with their passwords (POST /v1/sessions)\n"
		 "and get a short-lived bearer token; every request acts, is authorised and audited\n"
		 "as that user. Plain HTTP (--plain-http) is served only on a loopback address.\n"
		 "Sign-in attempts and reads are rate-limited (429 with Retry-After beyond), before\n"
		 "any password is checked and on top of the lock-out; refusals are audited, at most\n"
		 "one entry per client address or user per --sign-in-window, with their count.\n"
		 "SIGTERM or SIGINT stops it: no new connection, requests in flight finish.\n",
	.opts = (const struct cli_opt[]){
		{ "--listen", NULL, "ADDRESS:PORT", "where to listen (127.0.0.1:8443, [::1]:8443)",
		  NULL },
		{ "--tls-cert", NULL, "FILE", "the server's certificate (PEM)", NULL },
		{ "--tls-key", NULL, "FILE", "its private key (PEM)", NULL },
		{ "--plain-http", NULL, NULL, "no TLS: only on a loopback address", NULL },
		{ "--threads", NULL, "N", "worker threads, each with its vault handle (4)", NULL },
		{ "--session-minutes", NULL, "N", "how long a sign-in lasts (15)", NULL },
		{ "--max-body", NULL, "BYTES", "largest request body accepted (65536)", NULL },
		{ "--max-import-bytes", NULL, "BYTES", "largest CSV body of POST /v1/import, which "
		  "is streamed (1 GiB)", NULL },
		{ "--streams", NULL, "N", "exports and imports at once, each on a vault handle of "
		  "its own besides the workers' (4); more: 503 streams_busy with Retry-After",
		  NULL },
		{ "--streams-per-user", NULL, "N", "of those, for one user at once (2; at most "
		  "--streams)", NULL },
		{ "--max-connections", NULL, "N", "connections served at once (256); more wait "
		  "to be accepted", NULL },
		{ "--timeout", NULL, "SECONDS", "idle time before a connection is closed (30)",
		  NULL },
		{ "--sign-in-per-address", NULL, "N", "sign-in attempts per client address (IPv6: "
		  "per /64) per window (10)", NULL },
		{ "--sign-in-per-user", NULL, "N", "sign-in attempts per user name per window (5)",
		  NULL },
		{ "--sign-in-window", NULL, "SECONDS", "the sign-in limits' window, and the audit's "
		  "for refusals (60)", NULL },
		{ "--reads-per-second", NULL, "N", "customer reads and finds per session user (20)",
		  NULL },
		{ "--reads-burst", NULL, "N", "reads a user may make at once before that rate "
		  "holds (40)", NULL },
		{ "--handover-dir", NULL, "DIR", "where handover packages exported and uploaded "
		  "are kept (VAULT.handover, made 0700)", NULL },
		{ "--handover-identity", NULL, "KEYFILE", "the age identity packages sent to this "
		  "vault are opened with (none: imports are refused)", NULL },
		{ "--max-package", NULL, "BYTES", "largest handover package accepted (1 GiB)",
		  NULL },
		{ "--user", "--as", "NAME", NULL, NOT_HERE },
		{ "--role", NULL, "ROLE", NULL, NOT_HERE },
		{ "--purpose", NULL, "P", NULL, NOT_HERE },
		{ "--clear", NULL, NULL, NULL, NOT_HERE },
		{ "--request", NULL, "REQ", NULL, NOT_HERE },
		{ NULL, NULL, NULL, NULL, NULL } },
	.flags = CLI_COMMON,
	.run = run_serve,
};
