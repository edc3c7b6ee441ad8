/* SPDX-License-Identifier: Apache-2.0 */
/* schema.h: the vault's policy as parsed from the schema YAML file: fields with their
 * type, category, sensitivity, masking rule, index flag and purposes; consent columns;
 * purposes; retention rules; roles. Parsing reports every problem with line and column. */
#ifndef PV_SCHEMA_H
#define PV_SCHEMA_H

#include <stddef.h>

enum pv_ftype {
	PV_T_TEXT, PV_T_RESIDENT_ID, PV_T_PHONE, PV_T_EMAIL, PV_T_BANK_CARD, PV_T_USCC,
	PV_T_DATE, PV_T_TIMESTAMP, PV_T_AMOUNT, PV_T_BOOL
};

enum pv_category { PV_CAT_BASIC, PV_CAT_FINANCIAL, PV_CAT_OTHER };
#define PV_CATEGORY_COUNT 3

enum pv_sensitivity { PV_SENS_PUBLIC, PV_SENS_SENSITIVE, PV_SENS_CONFIDENTIAL };

enum pv_mask {
	PV_MASK_NONE, PV_MASK_NAME, PV_MASK_PHONE, PV_MASK_RESIDENT_ID, PV_MASK_BANK_CARD,
	PV_MASK_EMAIL, PV_MASK_ADDRESS, PV_MASK_AMOUNT, PV_MASK_FREE_TEXT
};

/* What a role sees of one field. */
enum pv_view { PV_VIEW_HIDDEN = 0, PV_VIEW_MASKED = 1, PV_VIEW_CLEAR = 2 };

/* Retention: what happens when a rule falls due. */
enum pv_retention_action { PV_RET_SHRED, PV_RET_ERASE, PV_RET_ANONYMISE };

/* Staff obligations a role can require (bit flags). */
#define PV_REQUIRES_AGREEMENT 1u
#define PV_REQUIRES_TRAINING 2u

/* Bits of pv_schema_role.purposes and pv_schema_field.purposes index schema->purposes;
 * at most 64 purposes. */
#define PV_MAX_PURPOSES 64

struct pv_schema_field {
	char *name;
	enum pv_ftype type;
	enum pv_category category;
	enum pv_sensitivity sensitivity;
	enum pv_mask mask;
	int indexed;        /* 1: has a blind index */
	int required;       /* 1 (default): an empty value is refused */
	unsigned long long purposes; /* bit i set: purpose i of the schema */
	int line;           /* where it was declared, for messages */
};

struct pv_schema_consent {
	char *column;       /* CSV column holding yes/no */
	int purpose;        /* index into purposes */
};

struct pv_schema_purpose {
	char *name;
	char *description;  /* may be NULL */
	int consent_required;
};

/* A retention rule's from: one date field, or up to this many fallbacks in order. */
#define PV_RETENTION_MAX_FROM 8

struct pv_schema_retention {
	int is_default;
	int has_category;
	enum pv_category category;  /* valid when has_category */
	size_t nfields;             /* fields: [..] as indexes into schema->fields */
	size_t *fields;
	unsigned keep_years, keep_months, keep_days; /* "10y", "18m", "30d" */
	size_t nfrom;               /* from: a date or timestamp field, or fallbacks in order */
	size_t from[PV_RETENTION_MAX_FROM]; /* their indexes; the first holding a value counts */
	enum pv_retention_action then;
	char *law;                  /* NULL, or the law that makes keep a minimum: the values
				     * must be kept until due (accounting, tax) */
};

struct pv_schema_role {
	char *name;
	/* view[i] is what this role sees of field i. */
	enum pv_view *view;
	unsigned long long purposes; /* bit i: may use purpose i */
	unsigned requires;           /* PV_REQUIRES_* */
	unsigned long long operations; /* bit per enum pv_operation */
};

/* Operations a role may be granted (the names in the schema, in this order). */
enum pv_operation {
	PV_OP_READ, PV_OP_FIND, PV_OP_LIST, PV_OP_EXPORT, PV_OP_UPDATE, PV_OP_IMPORT,
	PV_OP_SHRED, PV_OP_RETENTION, PV_OP_CONSENT, PV_OP_DSR, PV_OP_HOLD, PV_OP_APPROVE,
	PV_OP_AUDIT, PV_OP_REPORT, PV_OP_HANDOVER, PV_OP_DECOMMISSION, PV_OP_INCIDENT,
	PV_OP_USERS, PV_OP_SCHEMA, PV_OP_BACKUP, PV_OP_REKEY, PV_OP_SCAN,
	PV_OP_TOKENIZE, /* tokens for other systems (tokens.c) */
	PV_OP_COUNT
};

struct pv_schema {
	int version;
	char *vault_label;
	char *id_column;            /* record.id */
	size_t nfields;
	struct pv_schema_field *fields;
	size_t nconsents;
	struct pv_schema_consent *consents;
	size_t npurposes;
	struct pv_schema_purpose *purposes;
	size_t nretention;
	struct pv_schema_retention *retention;
	size_t nroles;
	struct pv_schema_role *roles;
};

/* One problem found while parsing: line and column are 1-based (0 when unknown). */
typedef void (*pv_schema_diag_fn)(void *ctx, int line, int column, const char *message);

/* Parse a schema from memory. name is used in messages only (a file name). Every
 * problem is reported through diag (which may be NULL); returns the schema when there
 * was none, else NULL. The result is freed with pv_schema_free. */
struct pv_schema *pv_schema_parse(const char *text, size_t len, const char *name,
				  pv_schema_diag_fn diag, void *ctx);

/* Free a schema; NULL is harmless. */
void pv_schema_free(struct pv_schema *s);

/* Lookups: index or -1. */
int pv_schema_field_index(const struct pv_schema *s, const char *name);
int pv_schema_role_index(const struct pv_schema *s, const char *name);
int pv_schema_purpose_index(const struct pv_schema *s, const char *name);
int pv_schema_consent_index(const struct pv_schema *s, const char *column);

/* Names for enums, as written in the schema file. */
const char *pv_ftype_name(enum pv_ftype t);
const char *pv_category_name(enum pv_category c);
const char *pv_sensitivity_name(enum pv_sensitivity s);
const char *pv_operation_name(enum pv_operation op);
const char *pv_mask_name(enum pv_mask m);

#endif
