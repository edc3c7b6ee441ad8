/* SPDX-License-Identifier: Apache-2.0 */
/* doctor.c: the security self-check (`pivault doctor`). It looks for what a careless
 * deployment gets wrong: files others may read or write, key and password files lying
 * beside the data, core dumps, no exported checkpoint, no recent backup, keys never
 * rotated, staff without their obligations, escrow copies unaccounted for, weak Argon2id
 * settings. It reads file modes, the audit log, the users and escrow records and the
 * vault header, never a customer value; it records one audit entry. */
#define _XOPEN_SOURCE 700 /* realpath, S_ISVTX */

#include "keys.h"
#include "audit.h"
#include "authz_mac.h"
#include "dates.h"
#include "ledger.h"
#include "policy.h"
#include "test_hooks.h"
#include "users.h"

#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define DEFAULT_CHECKPOINT_DAYS 7
#define DEFAULT_BACKUP_DAYS 7
#define DEFAULT_ROTATION_DAYS 365
#define TEXT_MAX 700
#define AT_MAX 32
#define DB_FILE "vault.db"


/* One finding, its texts malloc'd. */
struct found {
	const char *check;
	pv_severity severity;
	char *what, *fix;
};

struct doctor {
	pv_vault *v;
	const pv_doctor_opts *o;
	long today; /* day number of the day ages are judged on */
	struct found *items;
	size_t n, cap;
	int nomem;
};

/* Record a finding: its fix as given, what it is formatted. */
static void note(struct doctor *d, pv_severity sev, const char *check, const char *fix,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void note(struct doctor *d, pv_severity sev, const char *check, const char *fix,
		 const char *fmt, ...)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		struct found *p = realloc(d->items, cap * sizeof *p);
		if (!p) {
			d->nomem = 1;
			return;
		}
		d->items = p;
		d->cap = cap;
	}
	char what[TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	struct found *f = &d->items[d->n];
	f->check = check;
	f->severity = sev;
	f->what = strdup(what);
	f->fix = strdup(fix);
	if (!f->what || !f->fix) {
		free(f->what);
		free(f->fix);
		d->nomem = 1;
		return;
	}
	d->n++;
}

static void findings_free(struct doctor *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].what);
		free(d->items[i].fix);
	}
	free(d->items);
}

/* ---- Days ---- */

/* The day number of a date or ISO 8601 time's leading date; -1 when it does not parse. */
static long day_of(const char *at)
{
	int y, m, dd;
	return at && pv_date_parse(at, &y, &m, &dd) == 0 ? pv_days_from_civil(y, m, dd) : -1;
}

/* Whole days from at to the day judged on; -1 when at does not parse. */
static long days_since(const struct doctor *d, const char *at)
{
	long day = day_of(at);
	return day < 0 ? -1 : d->today - day;
}

static unsigned days_or(unsigned days, unsigned fallback)
{
	return days ? days : fallback;
}

/* ---- Permissions ---- */

/* Who besides the owner the mode bits in `bits` (group 070, others 007) name. */
static const char *whom(mode_t bits)
{
	int group = (bits & 070) != 0, others = (bits & 007) != 0;
	return group && others ? "group and others" : group ? "its group" : "others";
}

/* A file or directory that group or others may write (high) or read (high when secret,
 * else sev_read). Absent files are not findings. */
static void check_mode(struct doctor *d, const char *path, const char *kind, int secret,
		       pv_severity sev_read)
{
	struct stat st;
	if (!path || stat(path, &st) != 0 || !(st.st_mode & 077))
		return;
	char fix[TEXT_MAX];
	snprintf(fix, sizeof fix, "chmod go-rwx '%s', and run pivault under umask 077", path);
	mode_t mode = st.st_mode & 07777;
	if (st.st_mode & 022)
		note(d, PV_SEVERITY_HIGH, "permissions", fix, "%s %s is writable by %s (mode %04o)",
		     kind, path, whom(st.st_mode & 022), (unsigned)mode);
	else
		note(d, secret ? PV_SEVERITY_HIGH : sev_read, "permissions", fix,
		     "%s %s is readable by %s (mode %04o)", kind, path, whom(st.st_mode & 077),
		     (unsigned)mode);
}

/* The directory holding path (malloc'd; NULL when out of memory). */
static char *parent_of(const char *path)
{
	char *p = strdup(path);
	if (!p)
		return NULL;
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	char *slash = strrchr(p, '/');
	if (!slash)
		strcpy(p, ".");
	else if (slash == p)
		p[1] = '\0';
	else
		*slash = '\0';
	return p;
}

/* The directory holding path must not let group or others replace what is in it (a
 * sticky directory such as /tmp does not). */
static void check_parent(struct doctor *d, const char *path, const char *kind)
{
	char *dir = parent_of(path);
	struct stat st;
	if (dir && stat(dir, &st) == 0 && (st.st_mode & 022) && !(st.st_mode & S_ISVTX)) {
		char fix[TEXT_MAX];
		snprintf(fix, sizeof fix, "chmod go-w '%s', or move the %s to a directory only its "
			 "owner may write", dir, kind);
		note(d, PV_SEVERITY_HIGH, "permissions", fix, "the directory %s holding the %s is "
		     "writable by %s (mode %04o): they can replace or remove it", dir, kind,
		     whom(st.st_mode & 022), (unsigned)(st.st_mode & 07777));
	}
	free(dir);
}

/* path + suffix, malloc'd. */
static char *with_suffix(const char *path, const char *suffix)
{
	size_t a = strlen(path), b = strlen(suffix);
	char *p = malloc(a + b + 1);
	if (p) {
		memcpy(p, path, a);
		memcpy(p + a, suffix, b + 1);
	}
	return p;
}

static void check_permissions(struct doctor *d)
{
	pv_vault *v = d->v;
	check_mode(d, v->dir, "the vault directory", 0, PV_SEVERITY_MEDIUM);
	check_parent(d, v->dir, "vault directory");
	/* the database's files matter when others may reach into the directory */
	struct stat st;
	int reachable = stat(v->dir, &st) == 0 && (st.st_mode & 011);
	static const char *const db_files[] = { "/" DB_FILE, "/" DB_FILE "-wal", "/" DB_FILE "-shm" };
	for (size_t i = 0; reachable && i < sizeof db_files / sizeof *db_files; i++) {
		char *p = with_suffix(v->dir, db_files[i]);
		check_mode(d, p, "the database file", 0, PV_SEVERITY_MEDIUM);
		free(p);
	}
	check_mode(d, v->keyring_path, "the keyring", 1, PV_SEVERITY_HIGH);
	check_parent(d, v->keyring_path, "keyring");
	static const char *const ring_files[] = { ".ledger", ".next" };
	for (size_t i = 0; i < sizeof ring_files / sizeof *ring_files; i++) {
		char *p = pv_keyring_sibling(v, ring_files[i]);
		check_mode(d, p, i == 0 ? "the shred ledger" : "the keyring's pending copy", 1,
			   PV_SEVERITY_HIGH);
		free(p);
	}
}

/* ---- Key and password files beside the data ---- */

/* The real paths already reported, so a file named and found is reported once. */
struct seen {
	char *path[8];
	size_t n;
};

static int seen_has(const struct seen *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->path[i], path) == 0)
			return 1;
	return 0;
}

static void seen_add(struct seen *s, const char *path)
{
	if (s->n < sizeof s->path / sizeof *s->path && (s->path[s->n] = strdup(path)))
		s->n++;
}

/* Where real path `file` lies: 2 inside directory vdir, 1 directly in its parent, 0
 * elsewhere. */
static int place_of(const char *file, const char *vdir, const char *parent)
{
	size_t n = strlen(vdir);
	if (strncmp(file, vdir, n) == 0 && file[n] == '/')
		return 2;
	char *dir = parent_of(file);
	int beside = dir && strcmp(dir, parent) == 0;
	free(dir);
	return beside;
}

static const char secret_fix[] =
	"move it off this disk (another host, removable media or a secrets manager), give it "
	"mode 0600, and point PIVAULT_KEY_FILE / PIVAULT_PASSWORD_FILE at its new place";

/* A secret file the caller named: where it lies and who may read it. */
static void check_named_secret(struct doctor *d, const char *file, const char *kind,
			       const char *vdir, const char *parent, struct seen *seen)
{
	char real[PATH_MAX];
	if (!file || !realpath(file, real))
		return;
	int place = place_of(real, vdir, parent);
	if (place)
		note(d, PV_SEVERITY_HIGH, "secret-file", secret_fix, "the %s %s lies %s the vault "
		     "directory: whoever copies the directory (a backup, a disk image) gets the "
		     "key that opens it", kind, file, place == 2 ? "inside" : "beside");
	check_mode(d, real, kind, 1, PV_SEVERITY_HIGH);
	seen_add(seen, real);
}

/* 1 if a file's name ends like a key or password file's. */
static int secret_name(const char *name)
{
	static const char *const ends[] = { ".key", ".pw", ".pass", ".password", ".passphrase" };
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
		size_t e = strlen(ends[i]);
		if (n > e && strcmp(name + n - e, ends[i]) == 0)
			return 1;
	}
	return 0;
}

/* Files named like keys or passwords directly in dir (inside: 1 for the vault directory,
 * 0 for its parent). */
static void scan_for_secrets(struct doctor *d, const char *dir, int inside, struct seen *seen)
{
	DIR *dh = opendir(dir);
	if (!dh)
		return;
	struct dirent *e;
	while ((e = readdir(dh)) != NULL) {
		if (!secret_name(e->d_name))
			continue;
		char path[PATH_MAX], real[PATH_MAX];
		struct stat st;
		if (snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") ? dir : "", e->d_name) >=
			    (int)sizeof path ||
		    !realpath(path, real) || seen_has(seen, real) || stat(real, &st) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		note(d, PV_SEVERITY_HIGH, "secret-file", secret_fix, "%s is named like a key or "
		     "password file and lies %s the vault directory: whoever copies the directory "
		     "gets it too", path, inside ? "inside" : "beside");
		check_mode(d, real, "the key or password file", 1, PV_SEVERITY_HIGH);
		seen_add(seen, real);
	}
	closedir(dh);
}

static void check_secret_files(struct doctor *d)
{
	char vdir[PATH_MAX];
	if (!realpath(d->v->dir, vdir))
		return;
	char *parent = parent_of(vdir);
	if (!parent) {
		d->nomem = 1;
		return;
	}
	struct seen seen = { { NULL }, 0 };
	const pv_doctor_opts *o = d->o;
	check_named_secret(d, o->key_file, "root key file", vdir, parent, &seen);
	check_named_secret(d, o->passphrase_file, "root passphrase file", vdir, parent, &seen);
	check_named_secret(d, o->password_file, "password file", vdir, parent, &seen);
	scan_for_secrets(d, vdir, 1, &seen);
	scan_for_secrets(d, parent, 0, &seen);
	char ring[PATH_MAX];
	if (realpath(d->v->keyring_path, ring) && place_of(ring, vdir, parent) == 2)
		note(d, PV_SEVERITY_MEDIUM, "keyring-place", "keep the keyring outside the vault "
		     "directory (the default is beside it: DIR.keyring), or on another host; move "
		     "it and name it with --keyring / PIVAULT_KEYRING",
		     "the keyring %s lies inside the vault directory: a copy of the directory "
		     "carries data and keys together", d->v->keyring_path);
	for (size_t i = 0; i < seen.n; i++)
		free(seen.path[i]);
	free(parent);
}

/* ---- Core dumps ---- */

static void check_core_dumps(struct doctor *d)
{
	uint64_t before = pv_core_limit_before_open();
	struct rlimit rl;
	if (getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur > 0 && before == 0)
		before = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
	if (before > 0) {
		char limit[32];
		if (before == UINT64_MAX)
			snprintf(limit, sizeof limit, "unlimited");
		else
			snprintf(limit, sizeof limit, "%llu bytes", (unsigned long long)before);
		note(d, PV_SEVERITY_MEDIUM, "core-dumps", "set the core file size limit to 0 where "
		     "pivault runs: 'ulimit -c 0' in its shell, LimitCORE=0 in its systemd unit, or "
		     "'* hard core 0' in /etc/security/limits.conf",
		     "core dumps are enabled for pivault's processes (core file size limit %s): "
		     "pivault switches them off once a vault is open, but a crash before that, "
		     "while a passphrase or password is being read, writes it to disk", limit);
	}
	FILE *f = fopen(pv_test_hooks.core_pattern_path ? pv_test_hooks.core_pattern_path
							 : "/proc/sys/kernel/core_pattern", "r");
	char pattern[200] = "";
	if (f) {
		if (!fgets(pattern, sizeof pattern, f))
			pattern[0] = '\0';
		fclose(f);
	}
	pattern[strcspn(pattern, "\n")] = '\0';
	if (pattern[0] == '|')
		note(d, PV_SEVERITY_LOW, "core-dumps", "make the handler keep nothing for pivault "
		     "(systemd-coredump: Storage=none in /etc/systemd/coredump.conf), or set "
		     "kernel.core_pattern to a plain file name with core dumps off",
		     "the kernel hands core dumps to a program (core_pattern '%.120s'), which may "
		     "keep them whatever a process's own limit says", pattern);
}

/* ---- What the audit log says ---- */

/* An escrow copy: when it was made and its digest. */
struct escrow_copy {
	char at[AT_MAX];
	char digest[65];
};

struct escrow_list {
	struct escrow_copy *item;
	size_t n, cap;
};

static int escrow_push(struct escrow_list *l, const char *at, const char *digest)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct escrow_copy *p = realloc(l->item, cap * sizeof *p);
		if (!p)
			return -1;
		l->item = p;
		l->cap = cap;
	}
	snprintf(l->item[l->n].at, AT_MAX, "%s", at);
	snprintf(l->item[l->n].digest, 65, "%s", digest);
	l->n++;
	return 0;
}

static int escrow_has(const struct escrow_list *l, const char *digest)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->item[i].digest, digest) == 0)
			return 1;
	return 0;
}

/* What one pass over the log gathers. Times are the entries' ISO 8601 texts ("" when
 * none). */
struct log_facts {
	uint64_t entries;
	char first_at[AT_MAX];
	char checkpoint_at[AT_MAX];
	uint64_t checkpoint_seq;
	char backup_at[AT_MAX];
	char backup_path[512];
	char rekey_at[AT_MAX], root_at[AT_MAX];
	char destroyed_at[AT_MAX];   /* the last operation that replaced bucket keys */
	char disabled[10][72];       /* users disabled since the last root rotation */
	char disabled_at[10][AT_MAX];
	size_t ndisabled;
	struct escrow_list escrow;   /* escrow copies the log records */
	char *backups;               /* every backup file named, each ending in '\n' */
	size_t backups_len;
	int nomem;
};

/* Operations that destroy bucket keys (a shred in some form). */
static int destroys_keys(const char *op)
{
	static const char *const ops[] = { "shred", "retention apply", "dsr delete",
					   "handover confirm", "transfer shred-excluded",
					   "decommission run" };
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		if (strcmp(op, ops[i]) == 0)
			return 1;
	return 0;
}

static void remember_backup(struct log_facts *f, const char *path)
{
	size_t n = strlen(path);
	char *p = realloc(f->backups, f->backups_len + n + 2);
	if (!p) {
		f->nomem = 1;
		return;
	}
	memcpy(p + f->backups_len, path, n);
	p[f->backups_len + n] = '\n';
	p[f->backups_len + n + 1] = '\0';
	f->backups = p;
	f->backups_len += n + 1;
	snprintf(f->backup_path, sizeof f->backup_path, "%s", path);
}

static void remember_disabled(struct log_facts *f, const char *detail, const char *at)
{
	const char *name = strncmp(detail, "user ", 5) == 0 ? detail + 5 : detail;
	for (size_t i = 0; i < f->ndisabled; i++)
		if (strcmp(f->disabled[i], name) == 0)
			return;
	if (f->ndisabled < sizeof f->disabled / sizeof *f->disabled) {
		snprintf(f->disabled[f->ndisabled], sizeof f->disabled[0], "%s", name);
		snprintf(f->disabled_at[f->ndisabled++], AT_MAX, "%s", at);
	}
}

static int log_entry(void *ctx, const struct pv_audit_row *e)
{
	struct log_facts *f = ctx;
	if (!f->entries++)
		snprintf(f->first_at, AT_MAX, "%s", e->at);
	if (strcmp(e->outcome, "ok") != 0)
		return 0;
	const char *op = e->op;
	if (strcmp(op, "audit checkpoint") == 0) {
		snprintf(f->checkpoint_at, AT_MAX, "%s", e->at);
		f->checkpoint_seq = e->seq;
	} else if (strcmp(op, "backup create") == 0) {
		snprintf(f->backup_at, AT_MAX, "%s", e->at);
		remember_backup(f, e->detail);
	} else if (strcmp(op, "rekey") == 0) {
		snprintf(f->rekey_at, AT_MAX, "%s", e->at);
	} else if (strcmp(op, "rekey root") == 0) {
		snprintf(f->root_at, AT_MAX, "%s", e->at);
		f->ndisabled = 0;
	} else if (strcmp(op, "user disable") == 0) {
		remember_disabled(f, e->detail, e->at);
	} else if (strcmp(op, "keyring escrow") == 0) {
		const char *copy = strstr(e->detail, ", copy ");
		if (copy && strlen(copy + 7) == 64 && escrow_push(&f->escrow, e->at, copy + 7))
			f->nomem = 1;
	} else if (destroys_keys(op)) {
		snprintf(f->destroyed_at, AT_MAX, "%s", e->at);
	}
	return f->nomem ? -1 : 0;
}

static void check_checkpoint(struct doctor *d, const struct log_facts *f)
{
	static const char fix[] = "run 'pivault audit checkpoint -o FILE' regularly (daily, from "
				  "cron) and keep FILE off this host: 'pivault audit verify "
				  "--checkpoint FILE' then proves the log was not rewritten since";
	unsigned limit = days_or(d->o->checkpoint_days, DEFAULT_CHECKPOINT_DAYS);
	long age = days_since(d, f->checkpoint_at);
	if (!*f->checkpoint_at)
		note(d, PV_SEVERITY_MEDIUM, "checkpoint", fix, "no audit checkpoint was ever "
		     "exported: nothing kept outside the vault shows that its audit log was not "
		     "rewritten");
	else if (age > (long)limit)
		note(d, PV_SEVERITY_LOW, "checkpoint", fix, "the last exported audit checkpoint "
		     "is %ld days old (%s; %llu entries since)", age, f->checkpoint_at,
		     (unsigned long long)(f->entries - f->checkpoint_seq));
}

/* The last backup the log names: recent, and still verifying where it was written. */
static void check_backup(struct doctor *d, const struct log_facts *f)
{
	static const char fix[] = "take a backup regularly ('pivault backup create FILE', from "
				  "cron), check it ('pivault backup verify FILE') and keep it on "
				  "another host";
	unsigned limit = days_or(d->o->backup_days, DEFAULT_BACKUP_DAYS);
	if (!*f->backup_at) {
		note(d, PV_SEVERITY_MEDIUM, "backup", fix, "the audit log records no backup of this "
		     "vault");
		return;
	}
	long age = days_since(d, f->backup_at);
	if (age > (long)limit)
		note(d, PV_SEVERITY_MEDIUM, "backup", fix, "the last backup is %ld days old (%s, "
		     "written to %s)", age, f->backup_at, f->backup_path);
	struct stat st;
	if (stat(f->backup_path, &st) != 0) {
		note(d, PV_SEVERITY_LOW, "backup", "verify it where it is kept: 'pivault backup "
		     "verify FILE --public-key KEY' with the key 'pivault pubkey' prints",
		     "the last backup (%s) is no longer at %s, so it cannot be verified here",
		     f->backup_at, f->backup_path);
		return;
	}
	char hex[65];
	if (pv_vault_public_key(d->v, hex) == PV_OK &&
	    pv_backup_verify(f->backup_path, hex, NULL) != PV_OK)
		note(d, PV_SEVERITY_HIGH, "backup", fix, "the last backup %s (%s) does not verify: "
		     "%s", f->backup_path, f->backup_at, pv_errmsg(NULL));
}

/* A handover package a transfer record names: others may not read or write it (it is
 * sealed, but a package is the whole customer base for whoever holds its key). */
static int package_row(void *ctx, const struct pv_stored_transfer *t)
{
	json_t *pkg = t->package && *t->package ? json_loads(t->package, 0, NULL) : NULL;
	const char *file = json_string_value(json_object_get(pkg, "file"));
	if (file)
		check_mode(ctx, file, "the handover package", 0, PV_SEVERITY_MEDIUM);
	json_decref(pkg);
	return 0;
}

/* Output files the log and the transfer records name (backups, handover packages) that
 * others may read or write. */
static void check_outputs(struct doctor *d, const struct log_facts *f)
{
	(void)pv_store_transfer_scan(d->v->store, package_row, d);
	for (char *p = f->backups; p && *p;) {
		char *end = strchr(p, '\n');
		*end = '\0';
		check_mode(d, p, "the backup", 0, PV_SEVERITY_MEDIUM);
		*end = '\n';
		p = end + 1;
	}
}

/* One kind of key: never rotated (in a vault older than the limit), or not lately. */
static void check_one_rotation(struct doctor *d, const struct log_facts *f, const char *last,
			       const char *kind, const char *fix)
{
	unsigned limit = days_or(d->o->rotation_days, DEFAULT_ROTATION_DAYS);
	long vault_age = days_since(d, f->first_at);
	long age = days_since(d, last);
	if (!*last && vault_age > (long)limit)
		note(d, PV_SEVERITY_MEDIUM, "rotation", fix, "the %s were never rotated (the vault "
		     "was created %ld days ago, %s)", kind, vault_age, f->first_at);
	else if (*last && age > (long)limit)
		note(d, PV_SEVERITY_LOW, "rotation", fix, "the %s were last rotated %ld days ago "
		     "(%s)", kind, age, last);
}

static void check_rotation(struct doctor *d, const struct log_facts *f)
{
	check_one_rotation(d, f, f->rekey_at, "bucket keys", "rotate them: 'pivault rekey' (and "
			   "'pivault rekey --data' for new data keys), as often as your key policy "
			   "says");
	check_one_rotation(d, f, f->root_at, "root secret and master key", "replace them: "
			   "'pivault rekey --root --new-key-file FILE' (or --new-passphrase-file)");
	for (size_t i = 0; i < f->ndisabled; i++)
		note(d, PV_SEVERITY_HIGH, "rotation", "rotate the root secret now: 'pivault rekey "
		     "--root --new-key-file FILE'; it makes a new master key the disabled user "
		     "never had", "user %s was disabled (%s) after the last root rotation: a master "
		     "key the user kept from an earlier session still opens the vault",
		     f->disabled[i], f->disabled_at[i]);
}

/* ---- Escrow copies ---- */

static int escrow_row(void *ctx, const char *made, const char *recipient, const char *digest)
{
	(void)recipient;
	return escrow_push(ctx, made, digest) ? -1 : 0;
}

static pv_rc check_escrow(struct doctor *d, const struct log_facts *f)
{
	struct escrow_list rec = { NULL, 0, 0 };
	if (pv_store_escrow_scan(d->v->store, escrow_row, &rec) != 0) {
		free(rec.item);
		return pv_fail(d->v, PV_ERR_STORE, "escrow records: %s", pv_store_errmsg(d->v->store));
	}
	static const char fix_missing[] =
		"find out who removed or added escrow records outside pivault ('pivault audit log' "
		"names who made each copy); make a new escrow copy and destroy the copies the "
		"records do not account for";
	for (size_t i = 0; i < f->escrow.n; i++)
		if (!escrow_has(&rec, f->escrow.item[i].digest))
			note(d, PV_SEVERITY_HIGH, "escrow", fix_missing, "the escrow copy %.16s... "
			     "made %s is in the audit log but not in the escrow records: destruction "
			     "certificates no longer name it", f->escrow.item[i].digest,
			     f->escrow.item[i].at);
	const char *newest = "";
	for (size_t i = 0; i < rec.n; i++) {
		if (!escrow_has(&f->escrow, rec.item[i].digest))
			note(d, PV_SEVERITY_HIGH, "escrow", fix_missing, "the escrow record %.16s... "
			     "(made %s) has no entry in the audit log: it was added outside pivault",
			     rec.item[i].digest, rec.item[i].at);
		if (strcmp(rec.item[i].at, newest) > 0)
			newest = rec.item[i].at;
	}
	const char *changed = f->destroyed_at;
	if (strcmp(f->rekey_at, changed) > 0)
		changed = f->rekey_at;
	if (strcmp(f->root_at, changed) > 0)
		changed = f->root_at;
	if (!rec.n)
		note(d, PV_SEVERITY_LOW, "escrow", "make one: 'pivault keyring escrow --to KEY -o "
		     "FILE' (the key from 'pivault keyring escrow-key'), and keep the escrow "
		     "secret key offline", "no escrow copy of the keyring was made: losing the "
		     "keyring file loses every customer");
	else if (strcmp(newest, changed) < 0)
		note(d, PV_SEVERITY_MEDIUM, "escrow", "make a new escrow copy ('pivault keyring "
		     "escrow') and destroy the older ones", "the newest escrow copy (%s) is older "
		     "than the last shred or key rotation (%s): the copies still hold destroyed "
		     "bucket keys and cannot restore today's keyring", newest, changed);
	free(rec.item);
	return PV_OK;
}

/* ---- Users and key stretching ---- */

static int below_floor(uint64_t ops, uint64_t mem)
{
	return ops < PV_KDF_FLOOR_OPS || mem < PV_KDF_FLOOR_MEM;
}

static int user_row(void *ctx, const struct pv_stored_user *u)
{
	struct doctor *d = ctx;
	if (u->disabled)
		return 0;
	char why[160];
	if (pv_user_obligation_gaps(u, why, sizeof why))
		note(d, PV_SEVERITY_MEDIUM, "obligations", "record them once met: 'pivault user "
		     "attest NAME --agreement DATE --training DATE'; or disable the user",
		     "user %s (roles %s) is not cleared to work: %s", u->name, u->roles, why);
	uint64_t ops, mem;
	if (pv_user_slot_kdf(u, &ops, &mem) == 0 && below_floor(ops, mem))
		note(d, PV_SEVERITY_HIGH, "kdf", "the user sets a new password with the release "
		     "pivault ('pivault user passwd'), which stretches it at the floor or above",
		     "user %s's password is stretched with Argon2id t=%llu, %llu KiB: under the "
		     "floor of " PV_KDF_FLOOR, u->name, (unsigned long long)ops,
		     (unsigned long long)(mem / 1024));
	return 0;
}

static uint64_t meta_number(pv_vault *v, const char *key)
{
	uint8_t *val = NULL;
	uint64_t x = 0;
	if (pv_store_meta_get(v->store, key, &val, NULL) == 0)
		x = strtoull((char *)val, NULL, 10);
	free(val);
	return x;
}

static void check_root_kdf(struct doctor *d)
{
	uint8_t *kdf = NULL;
	if (pv_store_meta_get(d->v->store, "kdf", &kdf, NULL) != 0)
		return;
	int passphrase = strcmp((char *)kdf, "argon2id") == 0;
	free(kdf);
	uint64_t ops = meta_number(d->v, "kdf_ops"), mem = meta_number(d->v, "kdf_mem");
	if (passphrase && below_floor(ops, mem))
		note(d, PV_SEVERITY_HIGH, "kdf", "replace the root secret with the release pivault: "
		     "'pivault rekey --root --new-passphrase-file FILE' (or a key file)",
		     "the root passphrase is stretched with Argon2id t=%llu, %llu KiB: under the "
		     "floor of " PV_KDF_FLOOR, (unsigned long long)ops,
		     (unsigned long long)(mem / 1024));
}

/* ---- The audit log itself ---- */

/* The log the other checks read, verified first: a rewritten log could hide a backup
 * never taken or a shred after the last escrow copy. */
static pv_rc check_log(struct doctor *d)
{
	char *report = NULL;
	pv_rc rc = pv_audit_verify_quiet(d->v, NULL, &report);
	if (rc == PV_ERR_CORRUPT && report)
		note(d, PV_SEVERITY_HIGH, "audit log", "find out who changed the database (its file "
		     "history, backups, the last exported checkpoint: 'pivault audit verify "
		     "--checkpoint FILE'); until then trust no finding read from the log (backup, "
		     "checkpoint, rotation, escrow)", "the audit log does not verify: %s", report);
	free(report);
	return rc == PV_ERR_CORRUPT ? pv_ok(d->v) : rc;
}

/* ---- The shred ledger against the data ---- */

/* Lines of committed shreds or rekeys that the ledger file still lacks (it could not be
 * written at their commit, nor at an open since), and customers whose data keys no
 * bucket key in the keyring opens. */
static pv_rc check_ledger(struct doctor *d)
{
	char why[300] = "";
	int pending = pv_ledger_flush(d->v, why, sizeof why) == 0
			      ? pv_store_outbox_pending(d->v->store) : 1;
	if (pending < 0)
		return pv_fail(d->v, PV_ERR_STORE, "%s", pv_store_errmsg(d->v->store));
	if (pending)
		note(d, PV_SEVERITY_HIGH, "shred ledger", "make the ledger writable again (space, "
		     "permissions, nothing else in its place): the next open of the vault adds "
		     "the lines; until then restore no backup", "the ledger lacks the lines of a "
		     "committed shred or rekey, kept in the vault meanwhile (%s)",
		     why[0] ? why : "another process is adding them");
	uint64_t stale = 0, ahead = 0;
	pv_rc rc = pv_ledger_keys_unmatched(d->v, &stale, &ahead);
	if (!rc && (stale || ahead))
		note(d, PV_SEVERITY_HIGH, "keys", "use the keyring this vault was made with (a "
		     "keyring escrow copy, or the keyring file's backup); if that is lost, these "
		     "customers cannot be read by anyone", "%llu customer%s' data keys are wrapped "
		     "by bucket keys %s: %s unreadable", (unsigned long long)(stale + ahead),
		     stale + ahead == 1 ? "" : "s",
		     stale ? "the keyring no longer holds" : "newer than the keyring's",
		     stale + ahead == 1 ? "it is" : "they are");
	return rc;
}

/* ---- The whole check ---- */

/* ---- Keyring nodes ---- */

struct node_lag {
	struct doctor *d;
	uint64_t last;
};

/* A node whose keyring lacks journal entries still holds bucket keys a shred destroyed. */
static int node_lagging(void *ctx, const char *node_id, const char *name,
			const char *registered_at, uint64_t applied_seq)
{
	struct node_lag *l = ctx;
	(void)registered_at;
	if (applied_seq < l->last)
		note(l->d, PV_SEVERITY_HIGH, "keyring-nodes", "open the vault on that node (any "
		     "pivault command there applies the keyring journal); a node that is gone for "
		     "good: destroy its keyring file and its copies",
		     "node %s (%s) lags the keyring journal by %llu entr%s: its keyring still holds "
		     "bucket keys that shreds replaced, so their certificates are not complete",
		     name, node_id, (unsigned long long)(l->last - applied_seq),
		     l->last - applied_seq == 1 ? "y" : "ies");
	return 0;
}

static pv_rc check_keyring_nodes(struct doctor *d)
{
	struct node_lag l = { d, 0 };
	if (pv_store_kjournal_last(d->v->store, &l.last) != 0 ||
	    pv_store_node_scan(d->v->store, node_lagging, &l) < 0)
		return pv_fail(d->v, PV_ERR_STORE, "keyring nodes: %s", pv_store_errmsg(d->v->store));
	return PV_OK;
}

static pv_rc gather(struct doctor *d)
{
	check_permissions(d);
	check_secret_files(d);
	check_core_dumps(d);
	check_root_kdf(d);
	pv_rc rc = check_log(d);
	if (rc)
		return rc;
	struct log_facts f;
	memset(&f, 0, sizeof f);
	int st = pv_store_audit_scan(d->v->store, 1, log_entry, &f);
	if (st < 0 && !f.nomem)
		rc = pv_fail(d->v, PV_ERR_STORE, "audit log: %s", pv_store_errmsg(d->v->store));
	if (!rc && f.nomem)
		rc = pv_fail(d->v, PV_ERR_NOMEM, "out of memory");
	if (!rc) {
		check_checkpoint(d, &f);
		check_backup(d, &f);
		check_outputs(d, &f);
		check_rotation(d, &f);
		rc = check_escrow(d, &f);
	}
	if (!rc)
		rc = check_ledger(d);
	if (!rc)
		rc = check_keyring_nodes(d);
	if (!rc && pv_authz_user_scan(d->v, user_row, d) < 0)
		rc = pv_fail(d->v, PV_ERR_STORE, "%s", pv_store_errmsg(d->v->store));
	if (!rc && d->nomem)
		rc = pv_fail(d->v, PV_ERR_NOMEM, "out of memory");
	free(f.escrow.item);
	free(f.backups);
	return rc;
}

/* The findings to fn, high ones first, until fn asks to stop. */
static void deliver(const struct doctor *d, pv_finding_fn fn, void *ctx)
{
	for (int sev = PV_SEVERITY_HIGH; sev >= PV_SEVERITY_LOW; sev--)
		for (size_t i = 0; i < d->n; i++) {
			const struct found *x = &d->items[i];
			if ((int)x->severity != sev)
				continue;
			pv_finding out = { x->check, x->severity, x->what, x->fix };
			if (fn && fn(ctx, &out))
				return;
		}
}

pv_rc pv_doctor(pv_vault *v, const pv_access *who, const pv_doctor_opts *o, pv_finding_fn fn,
		void *ctx, unsigned *high)
{
	static const pv_doctor_opts none = { 0 };
	if (high)
		*high = 0;
	if (pv_policy_require(v, who, PV_OP_AUDIT))
		return pv_audit_failure(v, PV_ERR_DENIED, "doctor", NULL, NULL);
	struct doctor d = { v, o ? o : &none, 0, NULL, 0, 0, 0 };
	char today[11];
	pv_date_today(0, today);
	d.today = day_of(d.o->as_of ? d.o->as_of : today);
	if (d.today < 0)
		return pv_fail(v, PV_ERR_USAGE, "as_of: not a date (YYYY-MM-DD)");
	pv_rc rc = gather(&d);
	unsigned count[4] = { 0 };
	for (size_t i = 0; i < d.n; i++)
		count[d.items[i].severity]++;
	char detail[120];
	snprintf(detail, sizeof detail, "%zu findings: %u high, %u medium, %u low", d.n,
		 count[PV_SEVERITY_HIGH], count[PV_SEVERITY_MEDIUM], count[PV_SEVERITY_LOW]);
	struct pv_audit_event e = { "doctor", NULL, NULL, NULL, "ok", detail };
	if (rc)
		rc = pv_audit_failure(v, rc, "doctor", NULL, NULL);
	else
		rc = pv_audit_append(v, &e);
	if (!rc) {
		deliver(&d, fn, ctx);
		if (high)
			*high = count[PV_SEVERITY_HIGH];
		rc = pv_ok(v);
	}
	findings_free(&d);
	return rc;
}
