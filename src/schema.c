/* SPDX-License-Identifier: Apache-2.0 */
/* schema.c: reads the schema YAML with libyaml's event API into a small tree that keeps every
 * node's position, checks it against the format of schema.example.yaml and builds the
 * struct pv_schema; every problem found is reported with its line and column. */
#include "schema.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Limits against hostile input. */
#define SCHEMA_MAX_BYTES (1024u * 1024u) /* whole document */
#define SCHEMA_MAX_DEPTH 16              /* nested mappings and lists */
#define SCHEMA_MAX_NODES 200000u         /* scalars, mappings and lists in all */
#define SCHEMA_MAX_ITEMS 1024u           /* fields, roles, consents, retention rules */
#define SCHEMA_MAX_NAME 64               /* bytes in a field, role, purpose or column name */
#define SCHEMA_MAX_TEXT 1024             /* bytes in the vault label or a description */
#define SCHEMA_MAX_KEEP 9999u            /* largest number in a keep duration */
#define SCHEMA_MAX_PROBLEMS 1000u        /* problems kept; the rest are only counted */

#define SHOW_MAX 72   /* buffer for a value quoted in a message */
#define OWNER_MAX 96  /* buffer for "field 'name'" and the like */
#define MSG_MAX 1024  /* one problem's text */

/* ------------------------------------------------------------------------------------ */
/* The tree read from the YAML events                                                    */

enum node_kind { NODE_SCALAR, NODE_MAP, NODE_SEQ };

struct node {
	enum node_kind kind;
	int line, column;   /* 1-based */
	int poisoned;       /* stands for a refused alias, already reported: checks skip it */
	int skip;           /* a mapping key that is a duplicate or not a scalar: pair ignored */
	int plain;          /* scalar written without quotes */
	char *text;         /* scalar: NUL-terminated copy (may hold NUL bytes before len) */
	size_t len;
	struct node **kids; /* mapping: key, value, key, value...; list: the items */
	size_t nkids, cap;
};

/* One problem kept until all are known, then reported in order of position. */
struct problem {
	int line, column;
	size_t seq;
	char *text;
};

/* A field name with its index, sorted by name for lookups while parsing. */
struct name_index {
	const char *name;
	size_t index;
};

struct parser {
	struct problem *problems;
	size_t nproblems, cap;
	size_t dropped;               /* problems beyond SCHEMA_MAX_PROBLEMS */
	int failed;                   /* any problem at all */
	int oom;                      /* an allocation failed */
	size_t nnodes;
	struct pv_schema *s;
	struct name_index *field_names; /* s->nfields entries, sorted */
	unsigned char *type_known;    /* per field: 1 if its type was read without a problem */
};

/* ------------------------------------------------------------------------------------ */
/* Names of the enums                                                                    */

/* The name functions below are switches without default, so -Werror catches a new
 * enum value without a name; out-of-range values give "unknown". */
const char *pv_ftype_name(enum pv_ftype t)
{
	switch (t) {
	case PV_T_TEXT: return "text";
	case PV_T_RESIDENT_ID: return "cn_resident_id";
	case PV_T_PHONE: return "phone_cn";
	case PV_T_EMAIL: return "email";
	case PV_T_BANK_CARD: return "bank_card";
	case PV_T_USCC: return "uscc";
	case PV_T_DATE: return "date";
	case PV_T_TIMESTAMP: return "timestamp";
	case PV_T_AMOUNT: return "amount";
	case PV_T_BOOL: return "bool";
	}
	return "unknown";
}

const char *pv_category_name(enum pv_category c)
{
	switch (c) {
	case PV_CAT_BASIC: return "basic";
	case PV_CAT_FINANCIAL: return "financial";
	case PV_CAT_OTHER: return "other";
	}
	return "unknown";
}

const char *pv_sensitivity_name(enum pv_sensitivity s)
{
	switch (s) {
	case PV_SENS_PUBLIC: return "public";
	case PV_SENS_SENSITIVE: return "sensitive";
	case PV_SENS_CONFIDENTIAL: return "confidential";
	}
	return "unknown";
}

const char *pv_operation_name(enum pv_operation op)
{
	switch (op) {
	case PV_OP_READ: return "read";
	case PV_OP_FIND: return "find";
	case PV_OP_LIST: return "list";
	case PV_OP_EXPORT: return "export";
	case PV_OP_UPDATE: return "update";
	case PV_OP_IMPORT: return "import";
	case PV_OP_SHRED: return "shred";
	case PV_OP_RETENTION: return "retention";
	case PV_OP_CONSENT: return "consent";
	case PV_OP_DSR: return "dsr";
	case PV_OP_HOLD: return "hold";
	case PV_OP_APPROVE: return "approve";
	case PV_OP_AUDIT: return "audit";
	case PV_OP_REPORT: return "report";
	case PV_OP_HANDOVER: return "handover";
	case PV_OP_DECOMMISSION: return "decommission";
	case PV_OP_INCIDENT: return "incident";
	case PV_OP_USERS: return "users";
	case PV_OP_SCHEMA: return "schema";
	case PV_OP_BACKUP: return "backup";
	case PV_OP_REKEY: return "rekey";
	case PV_OP_SCAN: return "scan";
	case PV_OP_TOKENIZE: return "tokenize";
	case PV_OP_COUNT: break;
	}
	return "unknown";
}

/* The name of a masking rule as written in the schema (schema.h). */
const char *pv_mask_name(enum pv_mask m)
{
	switch (m) {
	case PV_MASK_NONE: return "none";
	case PV_MASK_NAME: return "name";
	case PV_MASK_PHONE: return "phone";
	case PV_MASK_RESIDENT_ID: return "resident_id";
	case PV_MASK_BANK_CARD: return "bank_card";
	case PV_MASK_EMAIL: return "email";
	case PV_MASK_ADDRESS: return "address";
	case PV_MASK_AMOUNT: return "amount";
	case PV_MASK_FREE_TEXT: return "free_text";
	}
	return "unknown";
}

/* The name of a retention action as written in the schema. */
static const char *action_name(enum pv_retention_action a)
{
	switch (a) {
	case PV_RET_SHRED: return "shred";
	case PV_RET_ERASE: return "erase";
	case PV_RET_ANONYMISE: return "anonymise";
	}
	return "unknown";
}

/* The staff obligations of `requires:`, bit i being PV_REQUIRES_* (1u << i). */
static const char *requirement_name(int i)
{
	return i == 0 ? "agreement" : i == 1 ? "training" : "unknown";
}

/* Uniform int-indexed views of the name functions, for the enum parser. */
typedef const char *(*name_at_fn)(int i);
static const char *ftype_at(int i) { return pv_ftype_name((enum pv_ftype)i); }
static const char *category_at(int i) { return pv_category_name((enum pv_category)i); }
static const char *sensitivity_at(int i) { return pv_sensitivity_name((enum pv_sensitivity)i); }
static const char *mask_at(int i) { return pv_mask_name((enum pv_mask)i); }
static const char *action_at(int i) { return action_name((enum pv_retention_action)i); }

#define FTYPE_COUNT ((int)PV_T_BOOL + 1)
#define SENSITIVITY_COUNT ((int)PV_SENS_CONFIDENTIAL + 1)
#define MASK_COUNT ((int)PV_MASK_FREE_TEXT + 1)
#define ACTION_COUNT ((int)PV_RET_ANONYMISE + 1)
#define REQUIREMENT_COUNT 2

/* ------------------------------------------------------------------------------------ */
/* Problems                                                                              */

/* Copy a printable excerpt of s[0..len) into buf for a message: control characters become
 * '?', and a long value is cut on a character boundary with "..." appended. */
static const char *excerpt(const char *s, size_t len, char buf[SHOW_MAX])
{
	const size_t room = 60;
	size_t i = 0, o = 0;
	while (i < len && o < room) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			size_t w = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
			if (w > len - i)
				w = len - i;
			if (o + w > room)
				break;
			memcpy(buf + o, s + i, w);
			o += w;
			i += w;
		} else {
			buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
			i++;
		}
	}
	if (i < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* An excerpt of a scalar node's text ("" for other nodes). */
static const char *show(const struct node *n, char buf[SHOW_MAX])
{
	if (!n || n->kind != NODE_SCALAR || !n->text) {
		buf[0] = '\0';
		return buf;
	}
	return excerpt(n->text, n->len, buf);
}

/* Remember that an allocation failed: the parse fails, with one message saying so. */
static void note_oom(struct parser *p)
{
	p->oom = 1;
	p->failed = 1;
}

static void vproblem(struct parser *p, int line, int column, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* Record a problem at line:column (1-based, 0 when unknown); the parse will fail. */
static void vproblem(struct parser *p, int line, int column, const char *fmt, va_list ap)
{
	p->failed = 1;
	if (p->nproblems >= SCHEMA_MAX_PROBLEMS) {
		p->dropped++;
		return;
	}
	if (p->nproblems == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		struct problem *np = realloc(p->problems, cap * sizeof *np);
		if (!np) {
			note_oom(p);
			return;
		}
		p->problems = np;
		p->cap = cap;
	}
	char buf[MSG_MAX];
	vsnprintf(buf, sizeof buf, fmt, ap);
	char *text = strdup(buf);
	if (!text) {
		note_oom(p);
		return;
	}
	struct problem *pr = &p->problems[p->nproblems];
	pr->line = line;
	pr->column = column;
	pr->seq = p->nproblems;
	pr->text = text;
	p->nproblems++;
}

static void problem_at(struct parser *p, int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Record a problem at an explicit position. */
static void problem_at(struct parser *p, int line, int column, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vproblem(p, line, column, fmt, ap);
	va_end(ap);
}

static void problem(struct parser *p, const struct node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record a problem at the position of node at (position unknown when at is NULL). */
static void problem(struct parser *p, const struct node *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vproblem(p, at ? at->line : 0, at ? at->column : 0, fmt, ap);
	va_end(ap);
}

/* Order problems by position (unknown positions last), then by when they were found. */
static int problem_cmp(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;
	long lx = x->line > 0 ? x->line : LONG_MAX, ly = y->line > 0 ? y->line : LONG_MAX;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hand every problem to diag in order of position, then free them. The message is the bare
 * problem text: callers put the file name, line and column in front themselves. */
static void emit_problems(struct parser *p, pv_schema_diag_fn diag, void *ctx)
{
	if (p->nproblems > 1)
		qsort(p->problems, p->nproblems, sizeof *p->problems, problem_cmp);
	for (size_t i = 0; i < p->nproblems; i++) {
		struct problem *pr = &p->problems[i];
		if (diag)
			diag(ctx, pr->line, pr->column, pr->text);
		free(pr->text);
	}
	free(p->problems);
	p->problems = NULL;
	p->nproblems = p->cap = 0;
	if (diag && p->dropped) {
		char buf[256];
		snprintf(buf, sizeof buf, "%zu more problems not shown", p->dropped);
		diag(ctx, 0, 0, buf);
	}
	if (diag && p->oom)
		diag(ctx, 0, 0, "out of memory while reading the schema");
}

/* ------------------------------------------------------------------------------------ */
/* Reading the YAML events into a tree                                                   */

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

/* A new node of the given kind at libyaml's 0-based mark; NULL when out of memory. */
static struct node *node_new(struct parser *p, enum node_kind kind, yaml_mark_t mark)
{
	struct node *n = calloc(1, sizeof *n);
	if (!n) {
		note_oom(p);
		return NULL;
	}
	n->kind = kind;
	n->line = mark.line < INT_MAX ? (int)mark.line + 1 : INT_MAX;
	n->column = mark.column < INT_MAX ? (int)mark.column + 1 : INT_MAX;
	p->nnodes++;
	return n;
}

/* Append kid to a container; 0 when out of memory (kid is then freed). */
static int node_append(struct parser *p, struct node *parent, struct node *kid)
{
	if (parent->nkids == parent->cap) {
		size_t cap = parent->cap ? 2 * parent->cap : 8;
		struct node **nk = realloc(parent->kids, cap * sizeof *nk);
		if (!nk) {
			node_free(kid);
			note_oom(p);
			return 0;
		}
		parent->kids = nk;
		parent->cap = cap;
	}
	parent->kids[parent->nkids++] = kid;
	return 1;
}

/* Report libyaml's error: the problem, where it is, and what was being parsed. */
static void report_yaml_error(struct parser *p, const yaml_parser_t *yp, const char *text,
			      size_t len)
{
	const char *what = yp->problem ? yp->problem : "unknown error";
	if (yp->error == YAML_MEMORY_ERROR) {
		note_oom(p);
		return;
	}
	if (yp->error == YAML_READER_ERROR) {
		/* The reader gives a byte offset; count lines and characters up to it. */
		size_t off = yp->problem_offset < len ? yp->problem_offset : len;
		int line = 1, column = 1;
		for (size_t i = 0; i < off; i++) {
			unsigned char c = (unsigned char)text[i];
			if (c == '\n') {
				line++;
				column = 1;
			} else if ((c & 0xc0) != 0x80) {
				column++;
			}
		}
		problem_at(p, line, column, "YAML syntax error: %s", what);
		return;
	}
	int line = (int)(yp->problem_mark.line < INT_MAX ? yp->problem_mark.line + 1 : INT_MAX);
	int column = (int)(yp->problem_mark.column < INT_MAX ? yp->problem_mark.column + 1
							      : INT_MAX);
	if (yp->context)
		problem_at(p, line, column, "YAML syntax error: %s (%s at line %d, column %d)",
			   what, yp->context, (int)yp->context_mark.line + 1,
			   (int)yp->context_mark.column + 1);
	else
		problem_at(p, line, column, "YAML syntax error: %s", what);
}

/* Report an anchor (&name), which a schema may not use. */
static void refuse_anchor(struct parser *p, const yaml_char_t *anchor, yaml_mark_t m)
{
	if (!anchor)
		return;
	char b[SHOW_MAX];
	const char *a = (const char *)anchor;
	problem_at(p, (int)m.line + 1, (int)m.column + 1,
		   "anchors are not allowed in a schema (&%s)", excerpt(a, strlen(a), b));
}

/* State of read_tree between events. */
struct reader {
	struct node *root;
	struct node *stack[SCHEMA_MAX_DEPTH];
	size_t depth;
	int documents;
};

/* Place a new node in the tree (its first node is the root). 0 on failure. */
static int place(struct parser *p, struct reader *r, struct node *n)
{
	if (r->depth == 0) {
		if (r->root) {  /* cannot happen with one document; be safe */
			node_free(n);
			return 0;
		}
		r->root = n;
		return 1;
	}
	return node_append(p, r->stack[r->depth - 1], n);
}

/* Handle one event; 1 to go on, 0 to stop reading (the reason was reported). */
static int on_event(struct parser *p, struct reader *r, const yaml_event_t *ev)
{
	char b[SHOW_MAX];
	struct node *n = NULL;
	int line = (int)ev->start_mark.line + 1, column = (int)ev->start_mark.column + 1;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++r->documents > 1) {
			problem_at(p, line, column,
				   "a schema is one YAML document; a second one starts here");
			return 0;
		}
		return 1;
	case YAML_SCALAR_EVENT:
	case YAML_ALIAS_EVENT:
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		if (p->nnodes >= SCHEMA_MAX_NODES) {
			problem_at(p, line, column, "too many values (more than %u) in a schema",
				   SCHEMA_MAX_NODES);
			return 0;
		}
		break;
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		if (r->depth > 0)
			r->depth--;
		return 1;
	case YAML_NO_EVENT:
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		return 1;
	}

	if (ev->type == YAML_SCALAR_EVENT) {
		refuse_anchor(p, ev->data.scalar.anchor, ev->start_mark);
		n = node_new(p, NODE_SCALAR, ev->start_mark);
		if (!n)
			return 0;
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->text = malloc(n->len + 1);
		if (!n->text) {
			node_free(n);
			note_oom(p);
			return 0;
		}
		if (n->len)
			memcpy(n->text, ev->data.scalar.value, n->len);
		n->text[n->len] = '\0';
		return place(p, r, n);
	}
	if (ev->type == YAML_ALIAS_EVENT) {
		const char *a = (const char *)ev->data.alias.anchor;
		problem_at(p, line, column, "aliases are not allowed in a schema (*%s)",
			   a ? excerpt(a, strlen(a), b) : "");
		n = node_new(p, NODE_SCALAR, ev->start_mark);
		if (!n)
			return 0;
		n->poisoned = 1;
		return place(p, r, n);
	}
	/* A mapping or a list opens. */
	if (r->depth >= SCHEMA_MAX_DEPTH) {
		problem_at(p, line, column, "nesting deeper than %d levels", SCHEMA_MAX_DEPTH);
		return 0;
	}
	if (ev->type == YAML_MAPPING_START_EVENT) {
		refuse_anchor(p, ev->data.mapping_start.anchor, ev->start_mark);
		n = node_new(p, NODE_MAP, ev->start_mark);
	} else {
		refuse_anchor(p, ev->data.sequence_start.anchor, ev->start_mark);
		n = node_new(p, NODE_SEQ, ev->start_mark);
	}
	if (!n || !place(p, r, n))
		return 0;
	r->stack[r->depth++] = n;
	return 1;
}

/* Parse text into a tree. Returns NULL, after reporting why, when the tree is incomplete
 * (a syntax error, a limit reached, no document); aliases come back as poisoned nodes. */
static struct node *read_tree(struct parser *p, const char *text, size_t len)
{
	yaml_parser_t yp;
	struct reader r;
	memset(&r, 0, sizeof r);
	if (!yaml_parser_initialize(&yp)) {
		note_oom(p);
		return NULL;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	int ok = 1;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&yp, &ev)) {
			report_yaml_error(p, &yp, text, len);
			ok = 0;
			break;
		}
		int go = on_event(p, &r, &ev);
		int end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (!go) {
			ok = 0;
			break;
		}
		if (end)
			break;
	}
	yaml_parser_delete(&yp);
	if (!ok) {
		node_free(r.root);
		return NULL;
	}
	if (!r.root)
		problem_at(p, 1, 1, "the schema is empty");
	return r.root;
}

/* ------------------------------------------------------------------------------------ */
/* Looking at the tree                                                                   */

static int is_scalar(const struct node *n)
{
	return n && n->kind == NODE_SCALAR && !n->poisoned;
}

/* A YAML null: an empty plain scalar, "~" or "null". */
static int is_null(const struct node *n)
{
	if (!is_scalar(n) || !n->plain)
		return 0;
	return n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
	       strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}

/* 1 if n is a scalar whose text is exactly s. */
static int scalar_eq(const struct node *n, const char *s)
{
	return is_scalar(n) && n->len == strlen(s) && memcmp(n->text, s, n->len) == 0;
}

/* 1 if the scalar's text holds no NUL byte, so it can be used as a C string. */
static int scalar_is_cstring(const struct node *n)
{
	return is_scalar(n) && strlen(n->text) == n->len;
}

/* "mapping", "list" or "single value", for messages. */
static const char *kind_name(const struct node *n)
{
	switch (n->kind) {
	case NODE_MAP: return "mapping";
	case NODE_SEQ: return "list";
	case NODE_SCALAR: return "single value";
	}
	return "value";
}

/* The value for key in a mapping (the first one if the key was repeated); NULL if absent.
 * With keynode non-NULL, the key's own node is stored there. */
static const struct node *map_get(const struct node *map, const char *key,
				  const struct node **keynode)
{
	if (!map || map->kind != NODE_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->nkids; i += 2) {
		const struct node *k = map->kids[i];
		if (!k->skip && scalar_eq(k, key)) {
			if (keynode)
				*keynode = k;
			return map->kids[i + 1];
		}
	}
	return NULL;
}

/* Number of key/value pairs of a mapping that are not skipped. */
static size_t map_count(const struct node *map)
{
	size_t n = 0;
	for (size_t i = 0; i + 1 < map->nkids; i += 2)
		if (!map->kids[i]->skip && !map->kids[i]->poisoned)
			n++;
	return n;
}

/* Append ", " (unless buf is empty) and s to the NUL-terminated buf of capacity cap,
 * cutting what does not fit. */
static void append_name(char *buf, size_t cap, const char *s)
{
	size_t o = strlen(buf);
	const char *parts[2] = {o ? ", " : "", s};
	for (size_t k = 0; k < 2; k++) {
		size_t n = strlen(parts[k]);
		if (n > cap - 1 - o)
			n = cap - 1 - o;
		memcpy(buf + o, parts[k], n);
		o += n;
	}
	buf[o] = '\0';
}

/* Join the names name(0..count-1) with ", " into buf. */
static const char *join_names(name_at_fn name, int count, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (int i = 0; i < count; i++)
		append_name(buf, cap, name(i));
	return buf;
}

/* Join a NULL-terminated list of names with ", " into buf. */
static const char *join_list(const char *const *names, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (size_t i = 0; names[i]; i++)
		append_name(buf, cap, names[i]);
	return buf;
}

/* Report every key of map that is not in the NULL-terminated list known. */
static void check_known_keys(struct parser *p, const struct node *map, const char *const *known,
			     const char *owner)
{
	char b[SHOW_MAX], list[256];
	join_list(known, list, sizeof list);
	for (size_t i = 0; i + 1 < map->nkids; i += 2) {
		const struct node *k = map->kids[i];
		if (k->skip || k->poisoned)
			continue;
		size_t j = 0;
		while (known[j] && !scalar_eq(k, known[j]))
			j++;
		if (!known[j])
			problem(p, k, "%s: unknown key '%s' (known keys: %s)", owner, show(k, b),
				list);
	}
}

/* A mapping key and its place in the mapping, sorted to find duplicates. */
struct key_ref {
	struct node *key;
	size_t order;
};

/* Order keys by text, then by position in their mapping. */
static int key_ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	size_t n = x->key->len < y->key->len ? x->key->len : y->key->len;
	int c = memcmp(x->key->text, y->key->text, n);
	if (c)
		return c;
	if (x->key->len != y->key->len)
		return x->key->len < y->key->len ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The generic checks every mapping in the tree below n gets: keys are scalars and appear
 * once. Later duplicates and non-scalar keys are reported and marked skip, so that the
 * checks of the sections ignore them. noun names what the keys are ("field", "role", or
 * "key"); owner is the key above the mapping, NULL at the top. */
static void check_tree_keys(struct parser *p, struct node *n, const char *noun,
			    const struct node *owner);

/* check_tree_keys for one mapping, then for the values beneath it. */
static void check_map_keys(struct parser *p, struct node *map, const char *noun,
			   const struct node *owner)
{
	char b[SHOW_MAX], c[SHOW_MAX];
	size_t npairs = map->nkids / 2, nrefs = 0;
	struct key_ref *refs = npairs ? malloc(npairs * sizeof *refs) : NULL;
	if (npairs && !refs) {
		note_oom(p);
		return;
	}
	for (size_t i = 0; i < npairs; i++) {
		struct node *k = map->kids[2 * i];
		if (k->poisoned) {
			k->skip = 1;
		} else if (k->kind != NODE_SCALAR) {
			k->skip = 1;
			problem(p, k, "a key must be a name, not a %s", kind_name(k));
		} else {
			refs[nrefs].key = k;
			refs[nrefs].order = i;
			nrefs++;
		}
	}
	if (nrefs > 1)
		qsort(refs, nrefs, sizeof *refs, key_ref_cmp);
	for (size_t i = 1; i < nrefs; i++) {
		struct node *first = refs[i - 1].key, *k = refs[i].key;
		if (k->len != first->len || memcmp(k->text, first->text, k->len) != 0)
			continue;
		k->skip = 1;
		refs[i].key = first; /* so a third copy still points at the first */
		if (strcmp(noun, "key") != 0)
			problem(p, k, "duplicate %s '%s' (first at line %d, column %d)", noun,
				show(k, b), first->line, first->column);
		else if (owner)
			problem(p, k, "duplicate key '%s' in '%s' (first at line %d, column %d)",
				show(k, b), show(owner, c), first->line, first->column);
		else
			problem(p, k, "duplicate top-level key '%s' (first at line %d, column %d)",
				show(k, b), first->line, first->column);
	}
	free(refs);
	for (size_t i = 0; i + 1 < map->nkids; i += 2) {
		struct node *k = map->kids[i], *v = map->kids[i + 1];
		const char *kid_noun = "key";
		if (!owner && is_scalar(k)) { /* top level: the sections name their keys */
			if (scalar_eq(k, "fields"))
				kid_noun = "field";
			else if (scalar_eq(k, "roles"))
				kid_noun = "role";
			else if (scalar_eq(k, "purposes"))
				kid_noun = "purpose";
			else if (scalar_eq(k, "consents"))
				kid_noun = "consent column";
		}
		check_tree_keys(p, v, kid_noun, k);
	}
}

static void check_tree_keys(struct parser *p, struct node *n, const char *noun,
			    const struct node *owner)
{
	if (n->kind == NODE_MAP) {
		check_map_keys(p, n, noun, owner);
	} else if (n->kind == NODE_SEQ) {
		for (size_t i = 0; i < n->nkids; i++)
			check_tree_keys(p, n->kids[i], "key", owner);
	}
}

/* ------------------------------------------------------------------------------------ */
/* Values                                                                                */

/* The text of a scalar value for key of owner, or NULL after reporting why it is not one. */
static const char *want_text(struct parser *p, const struct node *v, const char *owner,
			     const char *key)
{
	if (v->poisoned)
		return NULL;
	if (v->kind != NODE_SCALAR) {
		problem(p, v, "%s: %s must be a single value, not a %s", owner, key, kind_name(v));
		return NULL;
	}
	if (is_null(v)) {
		problem(p, v, "%s: %s has no value", owner, key);
		return NULL;
	}
	if (!scalar_is_cstring(v)) {
		problem(p, v, "%s: %s contains a NUL character", owner, key);
		return NULL;
	}
	return v->text;
}

/* Parse v as one of name(0..count-1); 1 and *out on success, else 0 after a report. */
static int parse_enum(struct parser *p, const struct node *v, const char *owner,
		      const char *key, name_at_fn name, int count, int *out)
{
	char b[SHOW_MAX], list[384];
	if (!want_text(p, v, owner, key))
		return 0;
	for (int i = 0; i < count; i++) {
		if (scalar_eq(v, name(i))) {
			*out = i;
			return 1;
		}
	}
	problem(p, v, "%s: unknown %s '%s' (expected one of: %s)", owner, key, show(v, b),
		join_names(name, count, list, sizeof list));
	return 0;
}

/* Parse the enum under key of map into *out; when the key is absent and required, report
 * it at owner_key. Returns 1 when *out was set. */
static int enum_key(struct parser *p, const struct node *map, const struct node *owner_key,
		    const char *owner, const char *key, name_at_fn name, int count, int *out)
{
	const struct node *v = map_get(map, key, NULL);
	if (!v) {
		problem(p, owner_key, "%s: missing required key '%s'", owner, key);
		return 0;
	}
	return parse_enum(p, v, owner, key, name, count, out);
}

/* Parse a YAML boolean (true/false, yes/no, on/off in any common case). */
static int parse_bool(struct parser *p, const struct node *v, const char *owner,
		      const char *key, int *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on",
					  "On", "ON", NULL};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off",
					 "Off", "OFF", NULL};
	char b[SHOW_MAX];
	if (!want_text(p, v, owner, key))
		return 0;
	for (size_t i = 0; yes[i]; i++) {
		if (scalar_eq(v, yes[i])) {
			*out = 1;
			return 1;
		}
		if (scalar_eq(v, no[i])) {
			*out = 0;
			return 1;
		}
	}
	problem(p, v, "%s: %s must be true or false, not '%s'", owner, key, show(v, b));
	return 0;
}

/* Check that a declared name (field, role, purpose, column) is usable: 1..64 bytes of
 * letters, digits, '_', '-', '.' or non-ASCII characters, not starting with '-' or '.'. */
static void check_name(struct parser *p, const struct node *n, const char *noun)
{
	char b[SHOW_MAX];
	if (n->len == 0) {
		problem(p, n, "%s name is empty", noun);
		return;
	}
	if (n->len > SCHEMA_MAX_NAME) {
		problem(p, n, "%s name '%s' is longer than %d bytes", noun, show(n, b),
			SCHEMA_MAX_NAME);
		return;
	}
	int ok = n->text[0] != '-' && n->text[0] != '.';
	for (size_t i = 0; ok && i < n->len; i++) {
		unsigned char c = (unsigned char)n->text[i];
		ok = c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		     (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
	}
	if (!ok)
		problem(p, n, "%s name '%s' may only contain letters, digits, '_', '-' and '.', "
			"and must not start with '-' or '.'", noun, show(n, b));
}

/* The name of a declared thing from its mapping key, checked; NULL if it cannot be used at
 * all (a NUL byte, or an alias). */
static const char *declared_name(struct parser *p, const struct node *key, const char *noun)
{
	if (key->poisoned)
		return NULL;
	if (!scalar_is_cstring(key)) {
		problem(p, key, "%s name contains a NUL character", noun);
		return NULL;
	}
	check_name(p, key, noun);
	return key->text;
}

/* Check a free text (vault label, description): at most SCHEMA_MAX_TEXT bytes, no control
 * characters but tab and newline. Returns a malloc'd copy, or NULL after a report. */
static char *copy_text(struct parser *p, const struct node *v, const char *owner,
		       const char *key)
{
	if (!want_text(p, v, owner, key))
		return NULL;
	if (v->len > SCHEMA_MAX_TEXT) {
		problem(p, v, "%s: %s is longer than %d bytes", owner, key, SCHEMA_MAX_TEXT);
		return NULL;
	}
	for (size_t i = 0; i < v->len; i++) {
		unsigned char c = (unsigned char)v->text[i];
		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
			problem(p, v, "%s: %s contains a control character", owner, key);
			return NULL;
		}
	}
	char *s = strdup(v->text);
	if (!s)
		note_oom(p);
	return s;
}

/* Parse a keep duration: one or more of <n>y, <n>m, <n>d in that order ("10y", "18m",
 * "30d", "1y6m"), each n at most SCHEMA_MAX_KEEP. 1 on success, -1 when it is zero,
 * 0 when it is not a duration. */
static int parse_duration(const char *s, unsigned *years, unsigned *months, unsigned *days)
{
	static const char units[] = "ymd";
	unsigned val[3] = {0, 0, 0};
	size_t next_unit = 0;
	int any = 0;
	while (*s) {
		unsigned n = 0;
		size_t digits = 0;
		while (*s >= '0' && *s <= '9') {
			if (++digits > 4)
				return 0;
			n = 10 * n + (unsigned)(*s - '0');
			s++;
		}
		if (!digits || n > SCHEMA_MAX_KEEP)
			return 0;
		const char *u = *s ? strchr(units + next_unit, *s) : NULL;
		if (!u)
			return 0;
		val[u - units] = n;
		next_unit = (size_t)(u - units) + 1;
		any = 1;
		s++;
	}
	if (!any)
		return 0;
	if ((val[0] | val[1] | val[2]) == 0)
		return -1;
	*years = val[0];
	*months = val[1];
	*days = val[2];
	return 1;
}

/* ------------------------------------------------------------------------------------ */
/* Lists of names (purposes, clear, masked, operations, requires, retention fields)      */

enum list_result { LIST_BAD = -1, LIST_ITEMS = 0, LIST_ALL = 1 };

typedef int (*lookup_fn)(const struct parser *p, const char *name);

struct list_spec {
	const char *owner;     /* "role 'clerk'" */
	const char *key;       /* "clear" */
	const char *noun;      /* "field" */
	const char *adjective; /* "undeclared" or "unknown" */
	int allow_all;         /* the scalar "all" stands for every item */
	lookup_fn lookup;      /* index of a name, or -1 */
};

/* Parse v, a list of names (or "all" when allowed; a null value is an empty list). Each
 * item found is stored at at[index] (at has one slot per possible item, all NULL on entry).
 * Unknown names and repeats are reported. Returns LIST_ALL, LIST_ITEMS or LIST_BAD. */
static int parse_list(struct parser *p, const struct node *v, const struct list_spec *ls,
		      const struct node **at)
{
	char b[SHOW_MAX];
	if (v->poisoned)
		return LIST_BAD;
	if (is_null(v))
		return LIST_ITEMS;
	if (ls->allow_all && scalar_eq(v, "all"))
		return LIST_ALL;
	if (v->kind != NODE_SEQ) {
		if (v->kind == NODE_SCALAR)
			problem(p, v, "%s: %s must be a list like [a, b]%s, not '%s'", ls->owner,
				ls->key, ls->allow_all ? " or all" : "", show(v, b));
		else
			problem(p, v, "%s: %s must be a list like [a, b]%s, not a mapping",
				ls->owner, ls->key, ls->allow_all ? " or all" : "");
		return LIST_BAD;
	}
	for (size_t i = 0; i < v->nkids; i++) {
		const struct node *it = v->kids[i];
		if (it->poisoned)
			continue;
		if (!is_scalar(it) || is_null(it)) {
			problem(p, it, "%s: each item of %s must be a %s name", ls->owner, ls->key,
				ls->noun);
			continue;
		}
		if (ls->allow_all && scalar_eq(it, "all")) {
			problem(p, it, "%s: 'all' cannot be a list item; write %s: all", ls->owner,
				ls->key);
			continue;
		}
		int idx = scalar_is_cstring(it) ? ls->lookup(p, it->text) : -1;
		if (idx < 0) {
			problem(p, it, "%s: %s names %s %s '%s'", ls->owner, ls->key,
				ls->adjective, ls->noun, show(it, b));
			continue;
		}
		if (at[idx]) {
			problem(p, it, "%s: %s lists %s '%s' twice", ls->owner, ls->key, ls->noun,
				show(it, b));
			continue;
		}
		at[idx] = it;
	}
	return LIST_ITEMS;
}

/* Order field names for qsort and bsearch. */
static int name_index_cmp(const void *a, const void *b)
{
	const struct name_index *x = a, *y = b;
	return strcmp(x->name, y->name);
}

/* The lookups used by parse_list: an index, or -1 for an unknown name. */
static int lookup_field(const struct parser *p, const char *name)
{
	if (!p->field_names || !p->s->nfields)
		return -1;
	struct name_index key = {name, 0};
	const struct name_index *hit = bsearch(&key, p->field_names, p->s->nfields,
					       sizeof key, name_index_cmp);
	return hit ? (int)hit->index : -1;
}

static int lookup_purpose(const struct parser *p, const char *name)
{
	return pv_schema_purpose_index(p->s, name);
}

static int lookup_operation(const struct parser *p, const char *name)
{
	(void)p;
	for (int i = 0; i < PV_OP_COUNT; i++)
		if (strcmp(name, pv_operation_name((enum pv_operation)i)) == 0)
			return i;
	return -1;
}

static int lookup_requirement(const struct parser *p, const char *name)
{
	(void)p;
	for (int i = 0; i < REQUIREMENT_COUNT; i++)
		if (strcmp(name, requirement_name(i)) == 0)
			return i;
	return -1;
}

/* Bits of every declared purpose. */
static unsigned long long all_purposes(const struct pv_schema *s)
{
	return s->npurposes >= 64 ? ~0ULL : (1ULL << s->npurposes) - 1;
}

/* Parse a list of purposes (or all) into a bit set; 0 when bad or empty. */
static unsigned long long purpose_bits(struct parser *p, const struct node *v,
				       const char *owner)
{
	const struct node *at[PV_MAX_PURPOSES] = {0};
	struct list_spec ls = {owner, "purposes", "purpose", "undeclared", 1, lookup_purpose};
	int r = parse_list(p, v, &ls, at);
	if (r == LIST_ALL)
		return all_purposes(p->s);
	unsigned long long bits = 0;
	if (r == LIST_ITEMS)
		for (size_t i = 0; i < PV_MAX_PURPOSES; i++)
			if (at[i])
				bits |= 1ULL << i;
	return bits;
}

/* ------------------------------------------------------------------------------------ */
/* Sections                                                                              */

static void build_version(struct parser *p, const struct node *v)
{
	char b[SHOW_MAX];
	if (v->poisoned)
		return;
	if (scalar_eq(v, "1")) {
		p->s->version = 1;
	} else if (v->kind != NODE_SCALAR) {
		problem(p, v, "version must be 1, not a %s", kind_name(v));
	} else {
		problem(p, v, "unsupported version '%s' (this pivault reads version 1)",
			show(v, b));
	}
}

/* vault: the label shown in reports, required and never NULL in a parsed schema. */
static void build_vault(struct parser *p, const struct node *v)
{
	p->s->vault_label = copy_text(p, v, "vault", "the label");
}

/* record: {id: column}; the id column must be a valid name. */
static void build_record(struct parser *p, const struct node *key, const struct node *v)
{
	static const char *const known[] = {"id", NULL};
	if (v->poisoned)
		return;
	if (v->kind != NODE_MAP) {
		problem(p, v, "record must be a mapping like {id: customer_id}, not a %s",
			is_null(v) ? "null value" : kind_name(v));
		return;
	}
	check_known_keys(p, v, known, "record");
	const struct node *id = map_get(v, "id", NULL);
	if (!id) {
		problem(p, key, "record: missing required key 'id' (the column that names a "
			"record)");
		return;
	}
	if (!want_text(p, id, "record", "id"))
		return;
	check_name(p, id, "record.id column");
	p->s->id_column = strdup(id->text);
	if (!p->s->id_column)
		note_oom(p);
}

/* One purpose: null, or {description: text, consent: required|optional|none}. */
static void build_purpose(struct parser *p, struct pv_schema_purpose *pu,
			  const struct node *key, const struct node *v)
{
	static const char *const known[] = {"description", "consent", NULL};
	char b[SHOW_MAX], owner[OWNER_MAX];
	snprintf(owner, sizeof owner, "purpose '%s'", show(key, b));
	if (v->poisoned || is_null(v))
		return;
	if (v->kind != NODE_MAP) {
		problem(p, v, "%s: expected a mapping like {description: \"...\"}, not a %s",
			owner, kind_name(v));
		return;
	}
	check_known_keys(p, v, known, owner);
	const struct node *d = map_get(v, "description", NULL);
	if (d && !is_null(d))
		pu->description = copy_text(p, d, owner, "description");
	const struct node *c = map_get(v, "consent", NULL);
	if (!c || is_null(c))
		return;
	if (!want_text(p, c, owner, "consent"))
		return;
	if (scalar_eq(c, "required"))
		pu->consent_required = 1;
	else if (scalar_eq(c, "optional") || scalar_eq(c, "none"))
		pu->consent_required = 0;
	else
		problem(p, c, "%s: unknown consent '%s' (expected required, optional or none)",
			owner, show(c, b));
}

/* purposes: name -> purpose, at most PV_MAX_PURPOSES of them. */
static void build_purposes(struct parser *p, const struct node *v)
{
	char b[SHOW_MAX];
	struct pv_schema *s = p->s;
	if (v->poisoned || is_null(v))
		return;
	if (v->kind != NODE_MAP) {
		problem(p, v, "purposes must be a mapping of purpose names, not a %s",
			kind_name(v));
		return;
	}
	size_t n = map_count(v);
	if (n > PV_MAX_PURPOSES)
		n = PV_MAX_PURPOSES;
	if (!n)
		return;
	s->purposes = calloc(n, sizeof *s->purposes);
	if (!s->purposes) {
		note_oom(p);
		return;
	}
	for (size_t i = 0; i + 1 < v->nkids; i += 2) {
		const struct node *k = v->kids[i];
		if (k->skip || k->poisoned)
			continue;
		if (s->npurposes == PV_MAX_PURPOSES) {
			problem(p, k, "more than %d purposes ('%s' is one too many)",
				PV_MAX_PURPOSES, show(k, b));
			break;
		}
		const char *name = declared_name(p, k, "purpose");
		if (!name)
			continue;
		if (strcmp(name, "all") == 0)
			problem(p, k, "'all' is reserved and cannot name a purpose");
		struct pv_schema_purpose *pu = &s->purposes[s->npurposes];
		pu->name = strdup(name);
		if (!pu->name) {
			note_oom(p);
			return;
		}
		s->npurposes++;
		build_purpose(p, pu, k, v->kids[i + 1]);
	}
}

/* One field's mapping; f already has its name and defaults (mask none, required). */
static void build_field(struct parser *p, struct pv_schema_field *f, const struct node *key,
			const struct node *v)
{
	static const char *const known[] = {"type", "category", "sensitivity", "mask",
					    "index", "required", "purposes", NULL};
	char b[SHOW_MAX], owner[OWNER_MAX];
	int e;
	size_t fi = (size_t)(f - p->s->fields);
	snprintf(owner, sizeof owner, "field '%s'", show(key, b));
	if (v->poisoned)
		return;
	if (v->kind != NODE_MAP) {
		problem(p, v, "%s: expected a mapping like {type: text, category: basic, "
			"sensitivity: sensitive}, not a %s", owner,
			is_null(v) ? "null value" : kind_name(v));
		return;
	}
	check_known_keys(p, v, known, owner);
	if (enum_key(p, v, key, owner, "type", ftype_at, FTYPE_COUNT, &e)) {
		f->type = (enum pv_ftype)e;
		p->type_known[fi] = 1;
	}
	if (enum_key(p, v, key, owner, "category", category_at, PV_CATEGORY_COUNT, &e))
		f->category = (enum pv_category)e;
	if (enum_key(p, v, key, owner, "sensitivity", sensitivity_at, SENSITIVITY_COUNT, &e))
		f->sensitivity = (enum pv_sensitivity)e;
	const struct node *m = map_get(v, "mask", NULL);
	if (m && parse_enum(p, m, owner, "mask", mask_at, MASK_COUNT, &e))
		f->mask = (enum pv_mask)e;
	const struct node *ix = map_get(v, "index", NULL);
	if (ix && parse_bool(p, ix, owner, "index", &e))
		f->indexed = e;
	const struct node *rq = map_get(v, "required", NULL);
	if (rq && parse_bool(p, rq, owner, "required", &e))
		f->required = e;
	const struct node *pu = map_get(v, "purposes", NULL);
	if (pu)
		f->purposes = purpose_bits(p, pu, owner);
}

/* Sort the field names for lookup_field. */
static void index_fields(struct parser *p)
{
	const struct pv_schema *s = p->s;
	if (!s->nfields)
		return;
	p->field_names = malloc(s->nfields * sizeof *p->field_names);
	if (!p->field_names) {
		note_oom(p);
		return;
	}
	for (size_t i = 0; i < s->nfields; i++) {
		p->field_names[i].name = s->fields[i].name;
		p->field_names[i].index = i;
	}
	qsort(p->field_names, s->nfields, sizeof *p->field_names, name_index_cmp);
}

/* fields: name -> field, 1..SCHEMA_MAX_ITEMS of them, then sorted for lookups. */
static void build_fields(struct parser *p, const struct node *key, const struct node *v)
{
	char b[SHOW_MAX];
	struct pv_schema *s = p->s;
	if (v->poisoned)
		return;
	if (v->kind != NODE_MAP) {
		problem(p, is_null(v) ? key : v, "fields must be a mapping of field names, not a %s",
			is_null(v) ? "null value" : kind_name(v));
		return;
	}
	size_t n = map_count(v);
	if (n == 0) {
		problem(p, v, "fields: declare at least one field");
		return;
	}
	if (n > SCHEMA_MAX_ITEMS)
		n = SCHEMA_MAX_ITEMS;
	s->fields = calloc(n, sizeof *s->fields);
	p->type_known = calloc(n, 1);
	if (!s->fields || !p->type_known) {
		note_oom(p);
		return;
	}
	for (size_t i = 0; i + 1 < v->nkids; i += 2) {
		const struct node *k = v->kids[i];
		if (k->skip || k->poisoned)
			continue;
		if (s->nfields == SCHEMA_MAX_ITEMS) {
			problem(p, k, "more than %u fields ('%s' is one too many)", SCHEMA_MAX_ITEMS,
				show(k, b));
			break;
		}
		const char *name = declared_name(p, k, "field");
		if (!name)
			continue;
		if (strcmp(name, "all") == 0)
			problem(p, k, "'all' is reserved and cannot name a field");
		if (s->id_column && strcmp(name, s->id_column) == 0)
			problem(p, k, "field '%s' has the same name as record.id; the id column is "
				"not a field", show(k, b));
		struct pv_schema_field *f = &s->fields[s->nfields];
		f->name = strdup(name);
		if (!f->name) {
			note_oom(p);
			return;
		}
		f->mask = PV_MASK_NONE;
		f->required = 1;
		f->line = k->line;
		s->nfields++;
		build_field(p, f, k, v->kids[i + 1]);
	}
	index_fields(p);
}

/* consents: column -> declared purpose; a column may not be a field or record.id. */
static void build_consents(struct parser *p, const struct node *v)
{
	char b[SHOW_MAX], c[SHOW_MAX], owner[OWNER_MAX];
	struct pv_schema *s = p->s;
	if (v->poisoned || is_null(v))
		return;
	if (v->kind != NODE_MAP) {
		problem(p, v, "consents must be a mapping of column: purpose, not a %s",
			kind_name(v));
		return;
	}
	size_t n = map_count(v);
	if (n > SCHEMA_MAX_ITEMS)
		n = SCHEMA_MAX_ITEMS;
	if (!n)
		return;
	s->consents = calloc(n, sizeof *s->consents);
	if (!s->consents) {
		note_oom(p);
		return;
	}
	for (size_t i = 0; i + 1 < v->nkids; i += 2) {
		const struct node *k = v->kids[i], *pv = v->kids[i + 1];
		if (k->skip || k->poisoned)
			continue;
		if (s->nconsents == SCHEMA_MAX_ITEMS) {
			problem(p, k, "more than %u consent columns ('%s' is one too many)",
				SCHEMA_MAX_ITEMS, show(k, b));
			break;
		}
		const char *col = declared_name(p, k, "consent column");
		if (!col)
			continue;
		if (lookup_field(p, col) >= 0)
			problem(p, k, "consent column '%s' clashes with the field of the same name",
				show(k, b));
		else if (s->id_column && strcmp(col, s->id_column) == 0)
			problem(p, k, "consent column '%s' clashes with record.id", show(k, b));
		snprintf(owner, sizeof owner, "consent column '%s'", show(k, b));
		int purpose = -1;
		if (want_text(p, pv, owner, "purpose")) {
			purpose = pv_schema_purpose_index(s, pv->text);
			if (purpose < 0)
				problem(p, pv, "%s names undeclared purpose '%s'", owner, show(pv, c));
		}
		struct pv_schema_consent *cs = &s->consents[s->nconsents];
		cs->column = strdup(col);
		if (!cs->column) {
			note_oom(p);
			return;
		}
		cs->purpose = purpose;
		s->nconsents++;
	}
}

/* Parse the "fields" of a retention rule into r->fields / r->nfields. */
static void rule_fields(struct parser *p, struct pv_schema_retention *r,
			const struct node *v, const char *owner)
{
	size_t nf = p->s->nfields;
	const struct node **at = calloc(nf ? nf : 1, sizeof *at);
	if (!at) {
		note_oom(p);
		return;
	}
	struct list_spec ls = {owner, "fields", "field", "undeclared", 0, lookup_field};
	if (parse_list(p, v, &ls, at) == LIST_ITEMS) {
		size_t n = 0;
		for (size_t i = 0; i < nf; i++)
			n += at[i] != NULL;
		if (n == 0 && (is_null(v) || v->nkids == 0))
			problem(p, v, "%s: fields lists no field", owner);
		r->fields = calloc(n ? n : 1, sizeof *r->fields);
		if (!r->fields) {
			note_oom(p);
		} else {
			for (size_t i = 0; i < nf; i++)
				if (at[i])
					r->fields[r->nfields++] = i;
		}
	}
	free(at);
}

/* One name of a retention rule's from (v, a scalar): the index of a declared date or
 * timestamp field, or -1 after reporting why not (-2: its type was reported already). */
static int from_field(struct parser *p, const struct node *v, const char *owner)
{
	char b[SHOW_MAX];
	if (!want_text(p, v, owner, "from"))
		return -1;
	int f = lookup_field(p, v->text);
	if (f < 0) {
		problem(p, v, "%s: from names undeclared field '%s'", owner, show(v, b));
		return -1;
	}
	enum pv_ftype t = p->s->fields[f].type;
	if (!p->type_known[f])
		return -2; /* its type was already reported as a problem */
	if (t != PV_T_DATE && t != PV_T_TIMESTAMP) {
		problem(p, v, "%s: from field '%s' is of type %s, not a date or timestamp", owner,
			show(v, b), pv_ftype_name(t));
		return -1;
	}
	return f;
}

/* Parse the "from" of a retention rule: a declared date or timestamp field, or a list of
 * them (fallbacks in order, each once). r->nfrom stays 0 when any is bad. */
static void rule_from(struct parser *p, struct pv_schema_retention *r, const struct node *v,
		      const char *owner)
{
	char b[SHOW_MAX];
	if (v->kind != NODE_SEQ) {
		int f = from_field(p, v, owner);
		if (f >= 0)
			r->from[r->nfrom++] = (size_t)f;
		return;
	}
	if (v->poisoned)
		return;
	if (v->nkids == 0) {
		problem(p, v, "%s: from lists no field (write from: created_at, or a list like "
			"[last_order_date, created_at])", owner);
		return;
	}
	if (v->nkids > PV_RETENTION_MAX_FROM) {
		problem(p, v, "%s: from lists more than %d fields", owner, PV_RETENTION_MAX_FROM);
		return;
	}
	size_t n = 0;
	int bad = 0;
	for (size_t i = 0; i < v->nkids; i++) {
		const struct node *it = v->kids[i];
		int f = -1;
		if (!it->poisoned && (!is_scalar(it) || is_null(it)))
			problem(p, it, "%s: each item of from must be a date field name", owner);
		else if (!it->poisoned)
			f = from_field(p, it, owner);
		for (size_t k = 0; f >= 0 && k < n; k++)
			if (r->from[k] == (size_t)f) {
				problem(p, it, "%s: from lists field '%s' twice", owner, show(it, b));
				f = -1;
			}
		if (f < 0)
			bad = 1;
		else
			r->from[n++] = (size_t)f;
	}
	r->nfrom = bad ? 0 : n;
}

/* One retention rule: one selector (category, fields or default: true), keep, from,
 * then. nfrom stays 0 when from is bad. */
static void build_rule(struct parser *p, struct pv_schema_retention *r, const struct node *v,
		       const char *owner)
{
	static const char *const known[] = {"category", "fields", "default", "keep", "from",
					    "then", "law", NULL};
	char b[SHOW_MAX];
	int e;
	if (v->poisoned)
		return;
	if (v->kind != NODE_MAP) {
		problem(p, v, "%s: expected a mapping like {category: financial, keep: 10y, "
			"from: created_at, then: shred}, not a %s", owner, kind_name(v));
		return;
	}
	check_known_keys(p, v, known, owner);
	const struct node *cat = map_get(v, "category", NULL);
	if (cat) {
		r->has_category = 1;
		if (parse_enum(p, cat, owner, "category", category_at, PV_CATEGORY_COUNT, &e))
			r->category = (enum pv_category)e;
	}
	const struct node *fl = map_get(v, "fields", NULL);
	if (fl)
		rule_fields(p, r, fl, owner);
	const struct node *df = map_get(v, "default", NULL);
	if (df && parse_bool(p, df, owner, "default", &e))
		r->is_default = e;
	int selectors = (cat != NULL) + (fl != NULL) + r->is_default;
	if (selectors == 0)
		problem(p, v, "%s: says which fields it covers with none of category, fields or "
			"default: true", owner);
	else if (selectors > 1)
		problem(p, v, "%s: use only one of category, fields and default: true", owner);

	const struct node *keep = map_get(v, "keep", NULL);
	if (!keep)
		problem(p, v, "%s: missing required key 'keep'", owner);
	else if (want_text(p, keep, owner, "keep"))
		switch (parse_duration(keep->text, &r->keep_years, &r->keep_months,
				       &r->keep_days)) {
		case 0:
			problem(p, keep, "%s: bad keep duration '%s' (write e.g. 10y, 18m, 30d or "
				"1y6m)", owner, show(keep, b));
			break;
		case -1:
			problem(p, keep, "%s: bad keep duration '%s': it must be longer than zero",
				owner, show(keep, b));
			break;
		default:
			break;
		}
	const struct node *from = map_get(v, "from", NULL);
	if (!from)
		problem(p, v, "%s: missing required key 'from'", owner);
	else
		rule_from(p, r, from, owner);
	const struct node *then = map_get(v, "then", NULL);
	if (!then)
		problem(p, v, "%s: missing required key 'then'", owner);
	else if (scalar_eq(then, "anonymize"))
		r->then = PV_RET_ANONYMISE;
	else if (parse_enum(p, then, owner, "then", action_at, ACTION_COUNT, &e))
		r->then = (enum pv_retention_action)e;
	const struct node *law = map_get(v, "law", NULL);
	if (law && want_text(p, law, owner, "law") && !(r->law = strdup(law->text)))
		note_oom(p);
}

/* retention: a list of rules; none may follow the default rule. */
static void build_retention(struct parser *p, const struct node *v)
{
	char owner[OWNER_MAX];
	struct pv_schema *s = p->s;
	size_t default_rule = 0; /* 1-based number of the default rule, 0 when none yet */
	if (v->poisoned || is_null(v))
		return;
	if (v->kind != NODE_SEQ) {
		problem(p, v, "retention must be a list of rules, not a %s", kind_name(v));
		return;
	}
	size_t n = v->nkids < SCHEMA_MAX_ITEMS ? v->nkids : SCHEMA_MAX_ITEMS;
	if (!n)
		return;
	s->retention = calloc(n, sizeof *s->retention);
	if (!s->retention) {
		note_oom(p);
		return;
	}
	for (size_t i = 0; i < v->nkids; i++) {
		const struct node *it = v->kids[i];
		if (i == SCHEMA_MAX_ITEMS) {
			problem(p, it, "more than %u retention rules", SCHEMA_MAX_ITEMS);
			break;
		}
		snprintf(owner, sizeof owner, "retention rule %zu", i + 1);
		struct pv_schema_retention *r = &s->retention[s->nretention++];
		build_rule(p, r, it, owner);
		if (default_rule)
			problem(p, it, "%s can never apply: default rule %zu before it matches "
				"every field", owner, default_rule);
		else if (r->is_default)
			default_rule = i + 1;
	}
}

/* Work out a role's view of every field from its clear and masked lists. */
static void role_views(struct parser *p, struct pv_schema_role *role, const struct node *map,
		       const char *owner)
{
	size_t nf = p->s->nfields;
	const struct node **clear = calloc(nf ? nf : 1, sizeof *clear);
	const struct node **masked = calloc(nf ? nf : 1, sizeof *masked);
	char b[SHOW_MAX];
	if (!clear || !masked) {
		note_oom(p);
		goto out;
	}
	int rc = LIST_ITEMS, rm = LIST_ITEMS;
	const struct node *cv = map_get(map, "clear", NULL), *mv = map_get(map, "masked", NULL);
	struct list_spec lc = {owner, "clear", "field", "undeclared", 1, lookup_field};
	struct list_spec lm = {owner, "masked", "field", "undeclared", 1, lookup_field};
	if (cv)
		rc = parse_list(p, cv, &lc, clear);
	if (mv)
		rm = parse_list(p, mv, &lm, masked);
	if (rc == LIST_ALL && rm == LIST_ALL)
		problem(p, mv, "%s: clear and masked cannot both be all", owner);
	for (size_t i = 0; i < nf; i++) {
		int in_clear = rc == LIST_ALL || clear[i], in_masked = rm == LIST_ALL || masked[i];
		if (masked[i] && in_clear)
			problem(p, masked[i], "%s: field '%s' is both clear and masked", owner,
				show(masked[i], b));
		role->view[i] = in_clear ? PV_VIEW_CLEAR : in_masked ? PV_VIEW_MASKED
								 : PV_VIEW_HIDDEN;
	}
out:
	free(clear);
	free(masked);
}

/* One role: views, purposes, requires and operations; a null role is granted nothing. */
static void build_role(struct parser *p, struct pv_schema_role *role, const struct node *key,
		       const struct node *v)
{
	static const char *const known[] = {"clear", "masked", "purposes", "requires",
					    "operations", NULL};
	char b[SHOW_MAX], owner[OWNER_MAX];
	snprintf(owner, sizeof owner, "role '%s'", show(key, b));
	if (v->poisoned || is_null(v))
		return;
	if (v->kind != NODE_MAP) {
		problem(p, v, "%s: expected a mapping like {clear: [..], masked: [..], purposes: "
			"[..], operations: [..]}, not a %s", owner, kind_name(v));
		return;
	}
	check_known_keys(p, v, known, owner);
	role_views(p, role, v, owner);
	const struct node *pu = map_get(v, "purposes", NULL);
	if (pu)
		role->purposes = purpose_bits(p, pu, owner);
	const struct node *rq = map_get(v, "requires", NULL);
	if (rq) {
		const struct node *at[REQUIREMENT_COUNT] = {0};
		struct list_spec ls = {owner, "requires", "requirement", "unknown", 0,
				       lookup_requirement};
		if (parse_list(p, rq, &ls, at) == LIST_ITEMS)
			for (unsigned i = 0; i < REQUIREMENT_COUNT; i++)
				if (at[i])
					role->requires |= 1u << i;
	}
	const struct node *op = map_get(v, "operations", NULL);
	if (op) {
		const struct node *at[PV_OP_COUNT] = {0};
		struct list_spec ls = {owner, "operations", "operation", "unknown", 1,
				       lookup_operation};
		int r = parse_list(p, op, &ls, at);
		if (r == LIST_ALL)
			role->operations = (1ULL << PV_OP_COUNT) - 1;
		else if (r == LIST_ITEMS)
			for (unsigned i = 0; i < PV_OP_COUNT; i++)
				if (at[i])
					role->operations |= 1ULL << i;
	}
}

/* roles: name -> role, at most SCHEMA_MAX_ITEMS of them. */
static void build_roles(struct parser *p, const struct node *v)
{
	char b[SHOW_MAX];
	struct pv_schema *s = p->s;
	if (v->poisoned || is_null(v))
		return;
	if (v->kind != NODE_MAP) {
		problem(p, v, "roles must be a mapping of role names, not a %s", kind_name(v));
		return;
	}
	size_t n = map_count(v);
	if (n > SCHEMA_MAX_ITEMS)
		n = SCHEMA_MAX_ITEMS;
	if (!n)
		return;
	s->roles = calloc(n, sizeof *s->roles);
	if (!s->roles) {
		note_oom(p);
		return;
	}
	for (size_t i = 0; i + 1 < v->nkids; i += 2) {
		const struct node *k = v->kids[i];
		if (k->skip || k->poisoned)
			continue;
		if (s->nroles == SCHEMA_MAX_ITEMS) {
			problem(p, k, "more than %u roles ('%s' is one too many)", SCHEMA_MAX_ITEMS,
				show(k, b));
			break;
		}
		const char *name = declared_name(p, k, "role");
		if (!name)
			continue;
		struct pv_schema_role *role = &s->roles[s->nroles];
		role->name = strdup(name);
		role->view = calloc(s->nfields ? s->nfields : 1, sizeof *role->view);
		if (!role->name || !role->view) {
			free(role->name);
			free(role->view);
			role->name = NULL;
			role->view = NULL;
			note_oom(p);
			return;
		}
		s->nroles++;
		build_role(p, role, k, v->kids[i + 1]);
	}
}

/* Check the whole document and fill p->s. */
static void build_schema(struct parser *p, const struct node *root)
{
	static const char *const known[] = {"version", "vault", "record", "fields",
					    "consents", "purposes", "retention", "roles", NULL};
	static const char *const required[] = {"version", "vault", "record", "fields", NULL};
	char b[SHOW_MAX], list[256];
	if (root->poisoned)
		return;
	if (root->kind != NODE_MAP) {
		problem(p, root, "a schema must be a mapping with the keys version, vault, record, "
			"fields, ..., not a %s", is_null(root) ? "null value" : kind_name(root));
		return;
	}
	/* Unknown top-level keys, named against the list of known ones. */
	join_list(known, list, sizeof list);
	for (size_t i = 0; i + 1 < root->nkids; i += 2) {
		const struct node *k = root->kids[i];
		if (k->skip || k->poisoned)
			continue;
		size_t j = 0;
		while (known[j] && !scalar_eq(k, known[j]))
			j++;
		if (!known[j])
			problem(p, k, "unknown top-level key '%s' (known keys: %s)", show(k, b), list);
	}
	for (size_t i = 0; required[i]; i++)
		if (!map_get(root, required[i], NULL))
			problem(p, root, "missing required top-level key '%s'%s", required[i],
				strcmp(required[i], "record") == 0
					? " (record.id names the id column)" : "");

	/* In order of dependence: purposes before the fields that name them, fields before
	 * the consents, retention rules and roles that name fields. */
	const struct node *k = NULL, *v;
	if ((v = map_get(root, "version", NULL)))
		build_version(p, v);
	if ((v = map_get(root, "vault", NULL)))
		build_vault(p, v);
	if ((v = map_get(root, "record", &k)))
		build_record(p, k, v);
	if ((v = map_get(root, "purposes", NULL)))
		build_purposes(p, v);
	if ((v = map_get(root, "fields", &k)))
		build_fields(p, k, v);
	if ((v = map_get(root, "consents", NULL)))
		build_consents(p, v);
	if ((v = map_get(root, "retention", NULL)))
		build_retention(p, v);
	if ((v = map_get(root, "roles", NULL)))
		build_roles(p, v);
}

/* ------------------------------------------------------------------------------------ */
/* Public API                                                                            */

/* Each message given to diag is the bare problem text ("field 'name': unknown type 'txt'
 * (expected one of: ...)"); the caller puts the file name, line and column in front, as
 * the CLI and the vault do, so name is not repeated in the text. */
struct pv_schema *pv_schema_parse(const char *text, size_t len, const char *name,
				  pv_schema_diag_fn diag, void *ctx)
{
	struct parser p;
	(void)name;
	memset(&p, 0, sizeof p);
	p.s = calloc(1, sizeof *p.s);
	if (!p.s) {
		note_oom(&p);
	} else if (!text && len) {
		problem_at(&p, 0, 0, "no schema text");
	} else if (len > SCHEMA_MAX_BYTES) {
		problem_at(&p, 0, 0, "the schema is larger than %u bytes (1 MiB)",
			   SCHEMA_MAX_BYTES);
	} else {
		struct node *root = read_tree(&p, text ? text : "", len);
		if (root) {
			check_tree_keys(&p, root, "key", NULL);
			build_schema(&p, root);
		}
		node_free(root);
	}
	free(p.field_names);
	free(p.type_known);
	emit_problems(&p, diag, ctx);
	if (p.failed) {
		pv_schema_free(p.s);
		return NULL;
	}
	return p.s;
}

void pv_schema_free(struct pv_schema *s)
{
	if (!s)
		return;
	free(s->vault_label);
	free(s->id_column);
	for (size_t i = 0; i < s->nfields; i++)
		free(s->fields[i].name);
	free(s->fields);
	for (size_t i = 0; i < s->nconsents; i++)
		free(s->consents[i].column);
	free(s->consents);
	for (size_t i = 0; i < s->npurposes; i++) {
		free(s->purposes[i].name);
		free(s->purposes[i].description);
	}
	free(s->purposes);
	for (size_t i = 0; i < s->nretention; i++) {
		free(s->retention[i].fields);
		free(s->retention[i].law);
	}
	free(s->retention);
	for (size_t i = 0; i < s->nroles; i++) {
		free(s->roles[i].name);
		free(s->roles[i].view);
	}
	free(s->roles);
	free(s);
}

int pv_schema_field_index(const struct pv_schema *s, const char *name)
{
	if (!s || !name)
		return -1;
	for (size_t i = 0; i < s->nfields; i++)
		if (s->fields[i].name && strcmp(s->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

int pv_schema_role_index(const struct pv_schema *s, const char *name)
{
	if (!s || !name)
		return -1;
	for (size_t i = 0; i < s->nroles; i++)
		if (s->roles[i].name && strcmp(s->roles[i].name, name) == 0)
			return (int)i;
	return -1;
}

int pv_schema_purpose_index(const struct pv_schema *s, const char *name)
{
	if (!s || !name)
		return -1;
	for (size_t i = 0; i < s->npurposes; i++)
		if (s->purposes[i].name && strcmp(s->purposes[i].name, name) == 0)
			return (int)i;
	return -1;
}

int pv_schema_consent_index(const struct pv_schema *s, const char *column)
{
	if (!s || !column)
		return -1;
	for (size_t i = 0; i < s->nconsents; i++)
		if (s->consents[i].column && strcmp(s->consents[i].column, column) == 0)
			return (int)i;
	return -1;
}
