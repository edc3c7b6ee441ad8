/* SPDX-License-Identifier: Apache-2.0 */
/* common.c: options shared by the commands, reading the root key without it ever
 * appearing on the command line, opening the vault, and mapping errors to exit codes. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

const char cli_common_help[] =
	"  --vault DIR      the vault (default: $PIVAULT_VAULT)\n"
	"  --keyring FILE   the keyring (default: $PIVAULT_KEYRING, else DIR.keyring)\n"
	"  --key-file FILE  32-byte root key file (default: $PIVAULT_KEY_FILE); without one,\n"
	"                   the passphrase is read from $PIVAULT_PASSPHRASE_FILE or a prompt\n"
	"  --user NAME      act as this user (also --as; default: $PIVAULT_USER); the password comes\n"
	"                   from $PIVAULT_PASSWORD_FILE or a prompt. Without a user, the vault's\n"
	"                   root secret opens it (recovery), acting as any role\n"
	"  --role ROLE      which of the user's roles to act in (default: the first)\n"
	"  --purpose P      the declared purpose of a read of customer data (required for\n"
	"                   get, find, list, export; 'all' for a role with every purpose)\n"
	"  --clear          show values in clear where the role may see them (default: masked)\n"
	"  --request REQ    run under the approved four-eyes request REQ (see pivault run)\n"
	"  --json           machine-readable output\n"
	"  --help           this help\n";

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

void cli_common_init(struct cli_common *c)
{
	memset(c, 0, sizeof *c);
	c->vault = env("PIVAULT_VAULT");
	c->keyring = env("PIVAULT_KEYRING");
	c->key_file = env("PIVAULT_KEY_FILE");
	c->user = env("PIVAULT_USER");
}

int cli_common_option(struct cli_common *c, int argc, char **argv, int *i)
{
	static const struct {
		const char *name;
		size_t off;
	} valued[] = {
		{ "--vault", offsetof(struct cli_common, vault) },
		{ "--keyring", offsetof(struct cli_common, keyring) },
		{ "--key-file", offsetof(struct cli_common, key_file) },
		{ "--role", offsetof(struct cli_common, role) },
		{ "--user", offsetof(struct cli_common, user) },
		{ "--as", offsetof(struct cli_common, user) },
		{ "--purpose", offsetof(struct cli_common, purpose) },
		{ "--request", offsetof(struct cli_common, request) },
	};
	const char *a = argv[*i];
	if (strcmp(a, "--clear") == 0) {
		c->clear = 1;
		return 1;
	}
	if (strcmp(a, "--json") == 0) {
		c->json = 1;
		return 1;
	}
	for (size_t k = 0; k < sizeof valued / sizeof *valued; k++) {
		size_t n = strlen(valued[k].name);
		if (strncmp(a, valued[k].name, n) != 0 || (a[n] != '\0' && a[n] != '='))
			continue;
		const char *val = a[n] == '=' ? a + n + 1 : NULL;
		if (!val) {
			if (*i + 1 >= argc) {
				fprintf(stderr, "pivault: %s needs a value\n", valued[k].name);
				return -1;
			}
			val = argv[++*i];
		}
		*(const char **)((char *)c + valued[k].off) = val;
		return 1;
	}
	return 0;
}

/* Read a passphrase from the terminal without echo; malloc'd or NULL. */
static char *prompt_passphrase(const char *prompt)
{
	FILE *tty = fopen("/dev/tty", "r+");
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
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, tty);
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (n <= 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

void cli_wipe_free(char *s)
{
	if (!s)
		return;
	volatile char *p = s;
	while (*p)
		*p++ = 0;
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
		FILE *f = fopen(pf, "r");
		size_t cap = 0;
		ssize_t n = f ? getline(&pass, &cap, f) : -1;
		if (f)
			fclose(f);
		if (n <= 0) {
			fprintf(stderr, "pivault: cannot read a passphrase from %s "
				"(PIVAULT_PASSPHRASE_FILE)\n", pf);
			free(pass);
			return NULL;
		}
		while (n > 0 && (pass[n - 1] == '\n' || pass[n - 1] == '\r'))
			pass[--n] = '\0';
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
		FILE *f = fopen(file_env_value, "r");
		size_t cap = 0;
		ssize_t n = f ? getline(&pass, &cap, f) : -1;
		if (f)
			fclose(f);
		if (n <= 0) {
			fprintf(stderr, "pivault: cannot read a password from %s\n", file_env_value);
			free(pass);
			return NULL;
		}
		while (n > 0 && (pass[n - 1] == '\n' || pass[n - 1] == '\r'))
			pass[--n] = '\0';
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
			fprintf(stderr, "pivault: %s\n", pv_errmsg(v));
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
		fprintf(stderr, "pivault: %s\n", pv_errmsg(v));
		pv_vault_close(v);
		return NULL;
	}
	return take_request(v, c, exit_code);
}

int cli_fail(pv_vault *v, pv_rc rc)
{
	if (rc == PV_REQUESTED && v)
		return submit_request(v);
	fprintf(stderr, "pivault: %s\n", v ? pv_errmsg(v) : pv_strerror(rc));
	return rc == PV_ERR_USAGE ? EXIT_USAGE : EXIT_FAIL;
}

pv_access cli_access(const struct cli_common *c)
{
	pv_access a = { c->role, c->purpose, c->clear };
	return a;
}

int cli_usage(const char *cmd, const char *msg)
{
	fprintf(stderr, "pivault %s: %s (see 'pivault %s --help')\n", cmd, msg, cmd);
	return EXIT_USAGE;
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

const char *cli_subcommand(int argc, char **argv, const char *cmd, const char *help,
			   const char *const *subs, int *code)
{
	int asks_help = 0;
	for (int i = 1; i < argc; i++)
		asks_help |= strcmp(argv[i], "--help") == 0;
	if (argc < 2 || asks_help) {
		fputs(help, argc < 2 ? stderr : stdout);
		*code = argc < 2 ? EXIT_USAGE : EXIT_OK;
		return NULL;
	}
	for (const char *const *s = subs; *s; s++)
		if (strcmp(argv[1], *s) == 0)
			return *s;
	char list[256] = "";
	for (const char *const *s = subs; *s; s++) {
		size_t n = strlen(list);
		snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", *s);
	}
	fprintf(stderr, "pivault %s: unknown subcommand '%s' (they are: %s)\n", cmd, argv[1], list);
	*code = EXIT_USAGE;
	return NULL;
}

pv_vault *cli_open_plain(int argc, char **argv, const char *cmd, const char *help,
			 struct cli_common *c, int *code)
{
	cli_common_init(c);
	for (int i = 1; i < argc; i++) {
		int k = cli_common_option(c, argc, argv, &i);
		if (k < 0) {
			*code = EXIT_USAGE;
			return NULL;
		}
		if (k)
			continue;
		if (strcmp(argv[i], "--help") == 0) {
			fputs(help, stdout);
			*code = EXIT_OK;
			return NULL;
		}
		*code = cli_usage(cmd, "unknown argument");
		return NULL;
	}
	return cli_open_vault(c, code);
}

int cli_cert_sink_open(struct cli_cert_sink *k, const char *path)
{
	k->out = NULL;
	k->path = path;
	k->count = 0;
	if (path && !(k->out = fopen(path, "wx"))) {
		fprintf(stderr, "pivault: cannot create %s (it must not exist)\n", path);
		return -1;
	}
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

int cli_write_text(const char *text, const char *path)
{
	FILE *f = path ? fopen(path, "wx") : stdout;
	if (!f) {
		fprintf(stderr, "pivault: cannot create %s (it must not exist)\n", path);
		return EXIT_FAIL;
	}
	fputs(text, f);
	if (text[0] && text[strlen(text) - 1] != '\n')
		fputc('\n', f);
	if (f != stdout ? fclose(f) != 0 : fflush(f) != 0) {
		fprintf(stderr, "pivault: cannot write %s\n", path ? path : "standard output");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
