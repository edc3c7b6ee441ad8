/* SPDX-License-Identifier: Apache-2.0 */
/* common.c: options shared by the commands, reading the root key without it ever
 * appearing on the command line, opening the vault, and mapping errors to exit codes. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* The common options, in this order (cli_common_fill reads their values by place). */
enum { C_VAULT, C_KEYRING, C_KEY_FILE, C_USER, C_ROLE, C_PURPOSE, C_CLEAR, C_REQUEST, C_WAIT,
       C_JSON, C_STORE };

const struct cli_opt cli_common_opts[] = {
	{ "--vault", NULL, "DIR", "the vault (default: $PIVAULT_VAULT)", NULL },
	{ "--keyring", NULL, "FILE", "the keyring (default: $PIVAULT_KEYRING, else DIR.keyring)",
	  NULL },
	{ "--key-file", NULL, "FILE", "32-byte root key file (default: $PIVAULT_KEY_FILE; else "
	  "$PIVAULT_PASSPHRASE_FILE or a prompt)", NULL },
	{ "--user", "--as", "NAME", "act as this user (default: $PIVAULT_USER; password from "
	  "$PIVAULT_PASSWORD_FILE or a prompt; none: the root secret)", NULL },
	{ "--role", NULL, "ROLE", "which of the user's roles to act in (default: the first)", NULL },
	{ "--purpose", NULL, "P", "the declared purpose of a read of customer data ('all' for a "
	  "role with every purpose)", NULL },
	{ "--clear", NULL, NULL, "show values in clear where the role may see them (default: "
	  "masked)", NULL },
	{ "--request", NULL, "REQ", "run under the approved four-eyes request REQ (see pivault "
	  "run)", NULL },
	{ "--wait", NULL, "SECONDS", "how long to wait for another pivault process writing "
	  "(default: $PIVAULT_WAIT, else 600; 0: no wait)", NULL },
	{ "--json", NULL, NULL, "machine-readable output", NULL },
	{ "--store", NULL, "URI", "a vault kept in PostgreSQL: postgresql://[user@]host[:port]/db"
	  "[?schema=NAME] (default: $PIVAULT_STORE; none: the vault directory's SQLite file; "
	  "the password from PGPASSFILE or PGPASSWORD, never here)", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* A wait's seconds: a number from 0 to a year, or -1. */
static double wait_seconds(const char *text)
{
	char *end;
	errno = 0;
	double x = strtod(text, &end);
	if (errno || end == text || *end || !(x >= 0 && x <= 366.0 * 86400))
		return -1;
	return x;
}

static void wait_note(void *ctx, const char *what, const char *why, double max_seconds)
{
	(void)ctx;
	fprintf(stderr, "pivault: waiting for %s (%s), for at most %.0f s (--wait to change)\n",
		what, why, max_seconds);
}

static int set_wait(const char *text, const char *from)
{
	double x = wait_seconds(text);
	if (x < 0) {
		fprintf(stderr, "pivault: %s needs a number of seconds from 0, not '%s'\n", from,
			text);
		return EXIT_USAGE;
	}
	pv_set_wait(x, wait_note, NULL);
	return EXIT_OK;
}

int cli_wait_init(void)
{
	const char *w = env("PIVAULT_WAIT");
	if (w)
		return set_wait(w, "PIVAULT_WAIT");
	pv_set_wait(CLI_WAIT_DEFAULT, wait_note, NULL);
	return EXIT_OK;
}

int cli_common_fill(struct cli_common *c, const char *const *val)
{
	memset(c, 0, sizeof *c);
	c->vault = val[C_VAULT] ? val[C_VAULT] : env("PIVAULT_VAULT");
	c->keyring = val[C_KEYRING] ? val[C_KEYRING] : env("PIVAULT_KEYRING");
	c->key_file = val[C_KEY_FILE] ? val[C_KEY_FILE] : env("PIVAULT_KEY_FILE");
	c->user = val[C_USER] ? val[C_USER] : env("PIVAULT_USER");
	c->role = val[C_ROLE];
	c->purpose = val[C_PURPOSE];
	c->clear = val[C_CLEAR] != NULL;
	c->request = val[C_REQUEST];
	c->json = val[C_JSON] != NULL;
	const char *store = val[C_STORE] ? val[C_STORE] : env("PIVAULT_STORE");
	if (pv_set_store(store) != PV_OK) {
		fprintf(stderr, "pivault: %s: %s\n", val[C_STORE] ? "--store" : "PIVAULT_STORE",
			pv_errmsg(NULL));
		return EXIT_USAGE;
	}
	return val[C_WAIT] ? set_wait(val[C_WAIT], "--wait") : EXIT_OK;
}

/* The longest secret line read (passphrase, password), its end included. */
#define SECRET_MAX 1024

/* Open path to read a secret, the stream buffered through iobuf (the caller wipes it
 * after fclose, so that no stdio buffer freed by the C library keeps the secret). */
static FILE *open_secret(const char *path, const char *mode, char iobuf[BUFSIZ])
{
	FILE *f = fopen(path, mode);
	if (f)
		setvbuf(f, iobuf, _IOLBF, BUFSIZ);
	return f;
}

/* One line of f without its end, in a buffer that never grows (so realloc leaves no
 * copy behind); malloc'd, or NULL when nothing was read or the line is too long. */
static char *secret_line(FILE *f)
{
	char *line = calloc(SECRET_MAX, 1);
	if (!line)
		return NULL;
	size_t n = fgets(line, SECRET_MAX, f) ? strlen(line) : 0;
	if (n == 0 || (n == SECRET_MAX - 1 && line[n - 1] != '\n' && !feof(f))) {
		sodium_memzero(line, SECRET_MAX);
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* The first line of the secret file path (see secret_line). */
static char *secret_file_line(const char *path)
{
	char iobuf[BUFSIZ];
	FILE *f = open_secret(path, "r", iobuf);
	char *line = f ? secret_line(f) : NULL;
	if (f)
		fclose(f);
	sodium_memzero(iobuf, sizeof iobuf);
	return line;
}

/* Read a passphrase from the terminal without echo; malloc'd or NULL. */
static char *prompt_passphrase(const char *prompt)
{
	char iobuf[BUFSIZ];
	FILE *tty = open_secret("/dev/tty", "r+", iobuf);
	if (!tty)
		return NULL;
	struct termios old, quiet;
	int fd = fileno(tty), restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	fputs(prompt, tty);
	fflush(tty);
	char *line = secret_line(tty);
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	sodium_memzero(iobuf, sizeof iobuf);
	return line;
}

void cli_wipe_free(char *s)
{
	if (!s)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

pv_key *cli_read_key(const struct cli_common *c, int confirm)
{
	pv_key *key = NULL;
	pv_rc rc;
	if (c->key_file) {
		rc = pv_key_from_file(c->key_file, &key);
		if (rc)
			fprintf(stderr, "pivault: key file %s: %s\n", c->key_file,
				rc == PV_ERR_BAD_KEY ? "must hold exactly 32 bytes" : pv_strerror(rc));
		return key;
	}
	const char *pf = env("PIVAULT_PASSPHRASE_FILE");
	char *pass = NULL;
	if (pf) {
		if (!(pass = secret_file_line(pf))) {
			fprintf(stderr, "pivault: cannot read a passphrase from %s "
				"(PIVAULT_PASSPHRASE_FILE; one line of at most %d bytes)\n", pf,
				SECRET_MAX - 2);
			return NULL;
		}
	} else if (isatty(0) || isatty(2)) {
		pass = prompt_passphrase("vault passphrase: ");
		if (pass && confirm) {
			char *again = prompt_passphrase("again: ");
			if (!again || strcmp(again, pass) != 0) {
				fprintf(stderr, "pivault: the passphrases differ\n");
				cli_wipe_free(again);
				cli_wipe_free(pass);
				return NULL;
			}
			cli_wipe_free(again);
		}
	}
	if (!pass) {
		fprintf(stderr, "pivault: no key: give --key-file FILE, or set PIVAULT_KEY_FILE "
			"or PIVAULT_PASSPHRASE_FILE, or run on a terminal to be asked\n");
		return NULL;
	}
	if (!*pass) {
		fprintf(stderr, "pivault: the passphrase is empty\n");
		cli_wipe_free(pass);
		return NULL;
	}
	rc = pv_key_from_passphrase(pass, strlen(pass), &key);
	cli_wipe_free(pass);
	if (rc)
		fprintf(stderr, "pivault: %s\n", pv_strerror(rc));
	return key;
}

char *cli_read_password(const char *file_env_value, const char *prompt, int confirm)
{
	char *pass = NULL;
	if (file_env_value) {
		if (!(pass = secret_file_line(file_env_value)))
			fprintf(stderr, "pivault: cannot read a password from %s (one line of at "
				"most %d bytes)\n", file_env_value, SECRET_MAX - 2);
		return pass;
	}
	if (!isatty(0) && !isatty(2)) {
		fprintf(stderr, "pivault: no password: set PIVAULT_PASSWORD_FILE, or run on a "
			"terminal to be asked\n");
		return NULL;
	}
	pass = prompt_passphrase(prompt);
	if (pass && confirm) {
		char *again = prompt_passphrase("again: ");
		if (!again || strcmp(again, pass) != 0) {
			fprintf(stderr, "pivault: the passwords differ\n");
			cli_wipe_free(again);
			cli_wipe_free(pass);
			return NULL;
		}
		cli_wipe_free(again);
	}
	return pass;
}

/* A command run by `pivault request`: its operation is asked for, not run. */
static struct {
	int on, json;
	const char *reason;
	unsigned ttl;
	const char *command;
} asking;

void cli_set_asking(const char *reason, unsigned ttl, const char *command, int json)
{
	asking.on = 1;
	asking.json = json;
	asking.reason = reason;
	asking.ttl = ttl;
	asking.command = command;
}

int cli_is_asking(void)
{
	return asking.on;
}

/* An opened vault made ready to ask for its operation, or to run under --request. */
static pv_vault *take_request(pv_vault *v, const struct cli_common *c, int *exit_code)
{
	pv_rc rc = PV_OK;
	if (asking.on)
		rc = pv_request_begin(v, asking.reason, asking.ttl, asking.command);
	else if (c->request)
		rc = pv_vault_use_request(v, c->request);
	if (rc) {
		*exit_code = cli_fail(v, rc);
		pv_vault_close(v);
		return NULL;
	}
	*exit_code = EXIT_OK;
	return v;
}

/* The operation stopped to be asked for: record the request and say who decides it. */
static int submit_request(pv_vault *v)
{
	char *id = NULL;
	pv_rc rc = pv_request_submit(v, &id);
	if (rc) {
		fprintf(stderr, "pivault: %s\n", pv_errmsg(v));
		return rc == PV_ERR_USAGE ? EXIT_USAGE : EXIT_FAIL;
	}
	if (asking.json)
		printf("{\"request\":\"%s\"}\n", id);
	else
		printf("request %s recorded: another user with the approve permission reads it with "
		       "'pivault requests' and runs: pivault approve %s\n", id, id);
	pv_free(id);
	return EXIT_OK;
}

/* A refused open: its message, and EXIT_FAIL (EXIT_BUSY when the vault was busy). */
static int open_failed(pv_vault *v, pv_rc rc)
{
	if (rc == PV_ERR_BUSY)
		return cli_fail(v, rc);
	fprintf(stderr, "pivault: %s\n", pv_errmsg(v));
	return EXIT_FAIL;
}

pv_vault *cli_open_vault(const struct cli_common *c, int *exit_code)
{
	*exit_code = EXIT_USAGE;
	if (!c->vault) {
		fprintf(stderr, "pivault: no vault: give --vault DIR or set PIVAULT_VAULT\n");
		return NULL;
	}
	if (c->user) { /* daily work: the user's own password opens their key slot */
		char prompt[128];
		snprintf(prompt, sizeof prompt, "password for %s: ", c->user);
		char *pass = cli_read_password(env("PIVAULT_PASSWORD_FILE"), prompt, 0);
		*exit_code = EXIT_FAIL;
		if (!pass)
			return NULL;
		pv_vault *v = NULL;
		pv_rc rc = pv_vault_open_user(c->vault, c->keyring, c->user, pass, strlen(pass), &v);
		cli_wipe_free(pass);
		if (rc) {
			*exit_code = open_failed(v, rc);
			pv_vault_close(v);
			return NULL;
		}
		return take_request(v, c, exit_code);
	}
	pv_key *key = cli_read_key(c, 0);
	*exit_code = EXIT_FAIL;
	if (!key)
		return NULL;
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open(c->vault, c->keyring, key, &v);
	pv_key_free(key);
	if (rc) {
		*exit_code = open_failed(v, rc);
		pv_vault_close(v);
		return NULL;
	}
	return take_request(v, c, exit_code);
}

int cli_done(pv_vault *v, pv_rc rc, int code)
{
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}

const char *cli_one_arg(struct cli_args *a, const char *one_form, const char *none_form,
			int *code)
{
	if (a->narg != 1) {
		*code = cli_usage(a->prog, a->narg ? one_form : none_form);
		return NULL;
	}
	return a->arg[0];
}

int cli_fail(pv_vault *v, pv_rc rc)
{
	if (rc == PV_REQUESTED && v)
		return submit_request(v);
	/* without a handle, the thread's message of the call that failed, if it left one */
	const char *why = pv_errmsg(v);
	fprintf(stderr, "pivault: %s\n", v || strcmp(why, "no error") != 0 ? why : pv_strerror(rc));
	if (rc == PV_ERR_BUSY) {
		fprintf(stderr, "pivault: nothing was done; run it again later, or wait longer with "
			"--wait SECONDS (PIVAULT_WAIT)\n");
		return EXIT_BUSY;
	}
	return rc == PV_ERR_USAGE ? EXIT_USAGE : EXIT_FAIL;
}

pv_access cli_access(const struct cli_common *c)
{
	pv_access a = { c->role, c->purpose, c->clear ? PV_WANT_CLEAR : PV_WANT_MASKED };
	return a;
}

void cli_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

int cli_cert_sink_open(struct cli_cert_sink *k, const char *path)
{
	k->out = NULL;
	k->path = path;
	k->count = 0;
	if (path && !(k->out = cli_create(path)))
		return -1;
	return 0;
}

int cli_keep_certificate(void *ctx, const char *cert)
{
	struct cli_cert_sink *k = ctx;
	k->count++;
	if (k->out && (fprintf(k->out, "%s\n", cert) < 0 || fflush(k->out) != 0)) {
		fprintf(stderr, "pivault: cannot write %s; certificates follow on standard output\n",
			k->path);
		fclose(k->out);
		k->out = NULL;
		k->path = NULL;
	}
	if (!k->out)
		printf("%s\n", cert);
	return 0;
}

int cli_cert_sink_close(struct cli_cert_sink *k)
{
	int st = 0;
	if (k->out && fclose(k->out) != 0)
		st = -1;
	if (k->out && !k->count)
		remove(k->path); /* nothing made: no empty file left behind */
	k->out = NULL;
	return st;
}

static void progress_line(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
	if (total)
		fprintf(stderr, "\r\033[K%s: %s %llu of %llu (%d%%)", (const char *)ctx, stage,
			(unsigned long long)done, (unsigned long long)total,
			(int)(100.0 * (double)done / (double)total));
	else
		fprintf(stderr, "\r\033[K%s: %s %llu", (const char *)ctx, stage,
			(unsigned long long)done);
}

void cli_progress_begin(pv_vault *v, const char *what)
{
	if (isatty(STDERR_FILENO))
		pv_vault_on_progress(v, progress_line, (void *)what);
}

void cli_progress_end(pv_vault *v)
{
	if (isatty(STDERR_FILENO)) {
		fputs("\r\033[K", stderr);
		pv_vault_on_progress(v, NULL, NULL);
	}
}

char *cli_read_text(const char *path, size_t max)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "pivault: cannot read %s\n", path);
		return NULL;
	}
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
	int err = f != stdin ? fclose(f) != 0 : ferror(f);
	if (!buf || n > max || err) {
		fprintf(stderr, "pivault: %s %s\n", path, n > max ? "is too large" : "cannot be read");
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

FILE *cli_create(const char *path)
{
	FILE *f = NULL;
	pv_rc rc = pv_file_create(path, &f);
	if (rc == PV_ERR_EXISTS)
		fprintf(stderr, "pivault: cannot create %s: something is there already (pivault "
			"writes only new files, never over a file or through a link)\n", path);
	else if (rc)
		fprintf(stderr, "pivault: cannot create %s: %s\n", path, strerror(errno));
	return rc ? NULL : f;
}

int cli_write_text(const char *text, const char *path)
{
	FILE *f = path ? cli_create(path) : stdout;
	if (!f)
		return EXIT_FAIL;
	fputs(text, f);
	if (text[0] && text[strlen(text) - 1] != '\n')
		fputc('\n', f);
	if (f != stdout ? fclose(f) != 0 : fflush(f) != 0) {
		fprintf(stderr, "pivault: cannot write %s\n", path ? path : "standard output");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

unsigned cli_positive(const char *s)
{
	if (!s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	char *end;
	unsigned long long n = strtoull(s, &end, 10);
	if (*end)
		return 0;
	return (errno == ERANGE || n > UINT_MAX) ? UINT_MAX : (unsigned)n;
}
