/* SPDX-License-Identifier: Apache-2.0 */
/* remote_session.c: `pivault login` and `pivault logout` with a server (PIVAULT_SERVER),
 * and the session file between them: $XDG_RUNTIME_DIR/pivault/session, in a directory and
 * a file only the user may read (0700, 0600, the user's own: refused otherwise), holding
 * the server it was opened with, the user, the expiry and the bearer token. A request
 * carries PIVAULT_TOKEN (an API token for a script) instead when that is set. The password
 * comes from PIVAULT_PASSWORD_FILE or a prompt without echo, never the command line. */
#include "remote.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The file's largest size, and its fields' (a URL, a user name, a token). */
#define SESSION_MAX 4096
#define FIELD_MAX 1024

struct session {
	char server[FIELD_MAX], user[FIELD_MAX], token[FIELD_MAX];
	long long expires;
};

static const char *expected_user;

void cli_session_expect_user(const char *user)
{
	expected_user = user;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* The directory and the file's paths; EXIT_OK, or EXIT_USAGE without XDG_RUNTIME_DIR. */
static int session_paths(char dir[FIELD_MAX], char file[FIELD_MAX])
{
	const char *run = env("XDG_RUNTIME_DIR");
	if (!run || run[0] != '/' || strlen(run) > FIELD_MAX - 32) {
		fprintf(stderr, "pivault: XDG_RUNTIME_DIR is not set (an absolute path): the "
			"session is kept in $XDG_RUNTIME_DIR/pivault/session; or set "
			"PIVAULT_TOKEN\n");
		return EXIT_USAGE;
	}
	snprintf(dir, FIELD_MAX, "%s/pivault", run);
	snprintf(file, FIELD_MAX, "%s/pivault/session", run);
	return EXIT_OK;
}

/* EXIT_OK when st is the user's own and no one else may read or change it. */
static int private_to_user(const struct stat *st, const char *path)
{
	if (st->st_uid != geteuid()) {
		fprintf(stderr, "pivault: %s belongs to another user: refused (remove it, then "
			"pivault login)\n", path);
		return EXIT_FAIL;
	}
	if (st->st_mode & 077) {
		fprintf(stderr, "pivault: %s may be read or changed by others (mode %04o, it must "
			"be %s): refused (remove it, then pivault login)\n", path,
			(unsigned)(st->st_mode & 07777), S_ISDIR(st->st_mode) ? "0700" : "0600");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* The session directory checked (made 0700 when create and it is not there). */
static int check_dir(const char *dir, int create)
{
	struct stat st;
	if (lstat(dir, &st) != 0 && errno == ENOENT && create && mkdir(dir, 0700) != 0) {
		fprintf(stderr, "pivault: cannot make %s: %s\n", dir, strerror(errno));
		return EXIT_FAIL;
	}
	if (lstat(dir, &st) != 0)
		return errno == ENOENT ? EXIT_OK : EXIT_FAIL; /* no session yet */
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "pivault: %s is not a directory: refused\n", dir);
		return EXIT_FAIL;
	}
	return private_to_user(&st, dir);
}

/* Read one "name value" line of text into out; 0, or -1 when it is not there. */
static int field(const char *text, const char *name, char *out, size_t n)
{
	size_t len = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, len) != 0 || p[len] != ' ')
			continue;
		size_t vlen = strcspn(p + len + 1, "\n");
		if (vlen == 0 || vlen >= n)
			return -1;
		memcpy(out, p + len + 1, vlen);
		out[vlen] = '\0';
		return 0;
	}
	return -1;
}

/* Parse the file's text into s; 0, or -1. */
static int parse_session(const char *text, struct session *s)
{
	char expires[32];
	if (strncmp(text, "pivault-session 1\n", 18) != 0 ||
	    field(text, "server", s->server, sizeof s->server) ||
	    field(text, "user", s->user, sizeof s->user) ||
	    field(text, "token", s->token, sizeof s->token) ||
	    field(text, "expires", expires, sizeof expires))
		return -1;
	s->expires = atoll(expires);
	return 0;
}

/* The file's text from fd, checked to be a regular file only the user may read. */
static int read_checked(int fd, const char *path, char *buf, size_t n)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "pivault: %s is not a regular file: refused\n", path);
		return EXIT_FAIL;
	}
	int code = private_to_user(&st, path);
	ssize_t got = code ? 0 : read(fd, buf, n - 1);
	if (!code && (got < 0 || (size_t)got >= n - 1)) {
		fprintf(stderr, "pivault: cannot read %s\n", path);
		code = EXIT_FAIL;
	}
	buf[got > 0 ? got : 0] = '\0';
	return code;
}

/* The session file read into s (and its path into file); EXIT_OK, or the status after a
 * message (not signed in, a file others may read, one not the user's). */
static int read_session(struct session *s, char file[FIELD_MAX])
{
	char dir[FIELD_MAX], buf[SESSION_MAX];
	int code = session_paths(dir, file);
	if (!code)
		code = check_dir(dir, 0);
	if (code)
		return code;
	int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "pivault: not signed in: pivault login (or set "
				"PIVAULT_TOKEN)\n");
		else
			fprintf(stderr, "pivault: cannot open %s: %s\n", file, strerror(errno));
		return EXIT_FAIL;
	}
	code = read_checked(fd, file, buf, sizeof buf);
	close(fd);
	if (!code && parse_session(buf, s) != 0) {
		fprintf(stderr, "pivault: %s is not a session file: remove it, then pivault "
			"login\n", file);
		code = EXIT_FAIL;
	}
	sodium_memzero(buf, sizeof buf);
	return code;
}

/* The session s written to file as a new file only the user may read, then moved into
 * place. */
static int write_session(const struct session *s)
{
	char dir[FIELD_MAX], file[FIELD_MAX], tmp[FIELD_MAX + 16];
	int code = session_paths(dir, file);
	if (!code)
		code = check_dir(dir, 1);
	if (code)
		return code;
	snprintf(tmp, sizeof tmp, "%s.XXXXXX", file);
	int fd = mkstemp(tmp);
	int ok = fd >= 0 && fchmod(fd, 0600) == 0 &&
		 dprintf(fd, "pivault-session 1\nserver %s\nuser %s\nexpires %lld\ntoken %s\n",
			 s->server, s->user, s->expires, s->token) > 0 &&
		 fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (ok && rename(tmp, file) != 0)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "pivault: cannot write %s: %s\n", file, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Whether session s may be used for server now by the user the command names. */
static int session_usable(const struct session *s, const char *server, const char *file)
{
	if (strcmp(s->server, server) != 0) {
		fprintf(stderr, "pivault: the session was opened with another server (%s): sign in "
			"to this one with pivault login\n", s->server);
		return EXIT_FAIL;
	}
	if (expected_user && strcmp(expected_user, s->user) != 0) {
		fprintf(stderr, "pivault: signed in as %s, not %s: pivault login --user %s\n",
			s->user, expected_user, expected_user);
		return EXIT_FAIL;
	}
	if (s->expires <= (long long)time(NULL)) {
		unlink(file);
		fprintf(stderr, "pivault: the session has expired: sign in again with pivault "
			"login\n");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

char *cli_session_bearer(const char *server, int session_only, int *code)
{
	const char *api = env("PIVAULT_TOKEN");
	char *bearer = NULL;
	if (api && !session_only) {
		*code = (bearer = strdup(api)) ? EXIT_OK : EXIT_FAIL;
		return bearer;
	}
	struct session s;
	char file[FIELD_MAX];
	*code = read_session(&s, file);
	if (!*code)
		*code = session_usable(&s, server, file);
	if (!*code && !(bearer = strdup(s.token)))
		*code = EXIT_FAIL;
	sodium_memzero(&s, sizeof s);
	return bearer;
}

/* Append s to p as the inside of a JSON string; the end. */
static char *json_chars(char *p, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			p += sprintf(p, "\\%c", *c);
		else if (*c < 0x20)
			p += sprintf(p, "\\u%04x", *c);
		else
			*p++ = (char)*c;
	}
	return p;
}

char *cli_secret_body(const char *const keys[], const char *const values[], size_t n)
{
	size_t len = 3;
	for (size_t i = 0; i < n; i++)
		len += 6 * (strlen(keys[i]) + strlen(values[i])) + 6;
	char *body = malloc(len), *p = body;
	if (!body) {
		fprintf(stderr, "pivault: out of memory\n");
		return NULL;
	}
	*p++ = '{';
	for (size_t i = 0; i < n; i++) {
		p += sprintf(p, "%s\"", i ? "," : "");
		p = json_chars(p, keys[i]);
		p += sprintf(p, "\":\"");
		p = json_chars(p, values[i]);
		*p++ = '"';
	}
	strcpy(p, "}");
	return body;
}

/* A sign-in's reply kept as the session file; the token wiped from the reply. */
static int keep_session(const char *server, const char *user, struct cli_reply *r)
{
	json_t *t = json_object_get(r->json, "token");
	json_int_t ttl = json_integer_value(json_object_get(r->json, "expires_in"));
	struct session s = { .expires = (long long)time(NULL) + (long long)ttl };
	int code = EXIT_FAIL;
	if (!json_is_string(t) || ttl <= 0 || json_string_length(t) >= sizeof s.token)
		fprintf(stderr, "pivault: the server's reply holds no session token\n");
	else {
		snprintf(s.server, sizeof s.server, "%s", server);
		snprintf(s.user, sizeof s.user, "%s", user);
		memcpy(s.token, json_string_value(t), json_string_length(t) + 1);
		code = write_session(&s);
	}
	if (json_is_string(t))
		sodium_memzero((char *)json_string_value(t), json_string_length(t));
	sodium_memzero(&s, sizeof s);
	return code;
}

int cli_remote_login(struct cli_args *a)
{
	const char *user = cli_opt(a, "--user") ? cli_opt(a, "--user") : env("PIVAULT_USER");
	if (a->narg)
		return cli_usage(a->prog, "login takes no argument");
	if (!user)
		return cli_usage(a->prog, "name the user: --user NAME or PIVAULT_USER");
	int code = EXIT_OK;
	const char *server = cli_remote_base(&code);
	if (!server || strlen(user) >= FIELD_MAX || strchr(user, '\n'))
		return server ? cli_usage(a->prog, "that is not a user name") : code;
	char prompt[FIELD_MAX + 32];
	snprintf(prompt, sizeof prompt, "password for %s: ", user);
	char *pass = cli_read_password(env("PIVAULT_PASSWORD_FILE"), prompt, 0);
	if (!pass)
		return EXIT_FAIL;
	const char *keys[] = { "user", "password" }, *values[] = { user, pass };
	char *body = cli_secret_body(keys, values, 2);
	cli_wipe_free(pass);
	if (!body)
		return EXIT_FAIL;
	struct cli_reply r;
	if ((code = cli_remote_call("POST", "/v1/sessions", body, CLI_ANONYMOUS, &r)))
		return code;
	if (r.status != 201)
		code = cli_remote_failed(&r);
	else if (!(code = keep_session(server, user, &r)))
		printf("signed in to %s as %s\n", server, user);
	cli_reply_free(&r);
	return code;
}

int cli_remote_logout(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "logout takes no argument");
	struct session s;
	char file[FIELD_MAX];
	int code = read_session(&s, file);
	sodium_memzero(&s, sizeof s);
	if (code)
		return code;
	struct cli_reply r;
	if ((code = cli_remote_call("DELETE", "/v1/sessions/current", NULL, CLI_SESSION, &r))) {
		if (access(file, F_OK) != 0) /* it had expired: removed */
			return EXIT_OK;
		return code;
	}
	if (r.status == 204 || r.status == 401) { /* ended now, or already */
		unlink(file);
		printf("signed out\n");
	} else {
		code = cli_remote_failed(&r);
	}
	cli_reply_free(&r);
	return code;
}

/* login and logout without PIVAULT_SERVER. */
static int needs_server(struct cli_args *a)
{
	return cli_usage(a->prog, "signs in to a server: set PIVAULT_SERVER=https://HOST:PORT "
			 "and pin it (PIVAULT_SERVER_PIN or PIVAULT_SERVER_CERT)");
}

const struct cli_cmd cli_cmd_login = {
	.name = "login",
	.args = "[--user NAME]",
	.summary = "sign in to the server PIVAULT_SERVER names (keeps the session)",
	.about = "Signs in to `pivault serve` with the user's password (PIVAULT_PASSWORD_FILE or a\n"
		 "prompt without echo) and keeps the session's token, until it expires or\n"
		 "`pivault logout`, in $XDG_RUNTIME_DIR/pivault/session (only the user may read\n"
		 "it). Commands then go to the server; PIVAULT_TOKEN (an API token) is used\n"
		 "instead when set. The server is pinned: PIVAULT_SERVER_PIN=sha256//BASE64 (its\n"
		 "public key's SHA-256) or PIVAULT_SERVER_CERT=FILE (its certificate).\n",
	.opts = (const struct cli_opt[]){
		{ "--user", "--as", "NAME", "the user (default: $PIVAULT_USER)", NULL },
		{ NULL, NULL, NULL, NULL, NULL } },
	.run = needs_server,
};

const struct cli_cmd cli_cmd_logout = {
	.name = "logout",
	.summary = "end the session with the server and remove its file",
	.run = needs_server,
};
