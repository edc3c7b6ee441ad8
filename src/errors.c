/* SPDX-License-Identifier: Apache-2.0 */
/* errors.c: result-code names, the error message (the handle's, and for calls without a
 * vault the calling thread's, both read with pv_errmsg), and pv_free for what the
 * library hands out. */
#include "vault.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pv_strerror(pv_rc rc)
{
	switch (rc) {
	case PV_OK: return "success";
	case PV_ERR_NOMEM: return "out of memory";
	case PV_ERR_IO: return "input/output error";
	case PV_ERR_USAGE: return "bad argument";
	case PV_ERR_SCHEMA: return "invalid schema";
	case PV_ERR_BAD_KEY: return "wrong key, passphrase or keyring";
	case PV_ERR_CORRUPT: return "stored data failed authentication";
	case PV_ERR_NOT_FOUND: return "not found";
	case PV_ERR_EXISTS: return "already exists";
	case PV_ERR_DENIED: return "permission denied";
	case PV_ERR_INPUT: return "bad input data";
	case PV_ERR_STORE: return "database error";
	case PV_ERR_CRYPTO: return "cryptographic failure";
	case PV_REQUESTED: return "asked for approval, not run";
	case PV_ERR_BUSY: return "the vault is busy with another writer";
	case PV_ERR_FIND_ONLY: return "the role may find customers but not read them";
	case PV_ERR_TOKEN_DEAD: return "the token is dead: its value is no longer in the vault";
	case PV_ERR_SEALED: return "sealed by a breach incident";
	}
	return "unknown error";
}

/* A store failure that was a wait for another process's write running out is reported
 * as PV_ERR_BUSY, whatever the caller passed: every operation gets the code without
 * knowing of it. The message is formatted apart and then copied: an argument may be the
 * handle's own message (pv_errmsg), which a format straight into it would overwrite as it
 * reads it. */
/* The message of the calling thread's last call without a vault (pv_errmsg(NULL)). */
static _Thread_local char lone_errmsg[1024];

pv_rc pv_fail(pv_vault *v, pv_rc rc, const char *fmt, ...)
{
	/* a store failure that was a wait for another writer running out says so by its code */
	if (rc == PV_ERR_STORE && v && pv_store_busy(v->store))
		rc = PV_ERR_BUSY;
	char msg[sizeof lone_errmsg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	memcpy(v ? v->errmsg : lone_errmsg, msg, sizeof msg);
	if (v)
		v->bulk_refused = 0; /* bulk_reads.c sets it again after its own refusal */
	return rc;
}

pv_rc pv_ok(pv_vault *v)
{
	if (v)
		v->bulk_refused = 0;
	(v ? v->errmsg : lone_errmsg)[0] = '\0';
	return PV_OK;
}

pv_rc pv_lone_outcome(pv_rc rc, const char *text, char **summary)
{
	if (summary)
		*summary = NULL;
	if (rc != PV_OK)
		return pv_fail(NULL, rc, "%s", text);
	if (summary && !(*summary = strdup(text)))
		return pv_fail(NULL, PV_ERR_NOMEM, "out of memory");
	return pv_ok(NULL);
}

int pv_failed_bulk_limit(const pv_vault *v)
{
	return v && v->bulk_refused;
}

const char *pv_errmsg(const pv_vault *v)
{
	const char *m = v ? v->errmsg : lone_errmsg;
	return m[0] ? m : "no error";
}

void pv_free(void *p)
{
	free(p);
}
