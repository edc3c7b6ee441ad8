/* SPDX-License-Identifier: Apache-2.0 */
/* reply.c: JSON replies, and the one table from a library result code to an HTTP status
 * and a stable error code. Error messages are the library's, which never hold a value or
 * a secret. */
#include "server.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* pv_rc (by value) to HTTP status and stable code. */
static const struct {
	pv_rc rc;
	unsigned status;
	const char *code;
} rc_table[] = {
	{ PV_ERR_NOMEM, 500, "out_of_memory" },
	{ PV_ERR_IO, 500, "io_error" },
	{ PV_ERR_USAGE, 400, "bad_request" },
	{ PV_ERR_SCHEMA, 500, "schema_error" },
	{ PV_ERR_BAD_KEY, 401, "unauthenticated" },
	{ PV_ERR_CORRUPT, 500, "corrupt" },
	{ PV_ERR_NOT_FOUND, 404, "not_found" },
	{ PV_ERR_EXISTS, 409, "exists" },
	{ PV_ERR_DENIED, 403, "forbidden" },
	{ PV_ERR_INPUT, 422, "invalid_input" },
	{ PV_ERR_STORE, 503, "store_unavailable" },
	{ PV_ERR_CRYPTO, 500, "crypto_error" },
	{ PV_REQUESTED, 202, "approval_required" },
	{ PV_ERR_BUSY, 503, "busy" },
	{ PV_ERR_FIND_ONLY, 403, "find_only" },
	{ PV_ERR_TOKEN_DEAD, 410, "token_dead" },
	{ PV_ERR_SEALED, 423, "sealed" }, /* Locked: frozen by a breach incident */
};

void pvs_json(struct pvs_reply *out, unsigned status, void *json)
{
	out->status = status;
	out->type = "application/json";
	out->body = json ? json_dumps(json, JSON_COMPACT) : NULL;
	json_decref(json);
	if (!out->body) { /* out of memory, or text that is not UTF-8 */
		out->status = 500;
		out->body = strdup("{\"error\":{\"code\":\"internal_error\",\"message\":"
				   "\"the reply could not be made\"}}");
	}
}

void pvs_error(struct pvs_reply *out, unsigned status, const char *code, const char *message)
{
	pvs_json(out, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message",
					message));
}

void pvs_fail_with(struct pvs_reply *out, pv_vault *v, pv_rc rc, void *more)
{
	unsigned status = 500;
	const char *code = "internal_error", *message = pv_errmsg(v);
	size_t i = 0;
	while (i < sizeof rc_table / sizeof *rc_table && rc_table[i].rc != rc)
		i++;
	if (rc == PV_ERR_DENIED && pv_failed_bulk_limit(v)) { /* the read needs a "read clear" */
		status = 403;
		code = "bulk_limit";
	} else if (i < sizeof rc_table / sizeof *rc_table) {
		status = rc_table[i].status;
		code = rc_table[i].code;
	} else {
		message = pv_strerror(rc);
	}
	json_t *doc = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
	if (doc && more && json_object_update(doc, more) != 0) {
		json_decref(doc);
		doc = NULL;
	}
	json_decref(more);
	pvs_json(out, status, doc);
}

void pvs_fail(struct pvs_reply *out, pv_vault *v, pv_rc rc)
{
	pvs_fail_with(out, v, rc, NULL);
}
