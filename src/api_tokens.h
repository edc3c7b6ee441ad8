/* SPDX-License-Identifier: Apache-2.0 */
/* api_tokens.h: what sessions.c asks of API tokens (api_tokens.c): a bearer token of their
 * shape is entered there, and what it was shown in clear is counted on its row. */
#ifndef PV_API_TOKENS_H
#define PV_API_TOKENS_H

#include "vault.h"

/* 1 when token starts with PV_API_TOKEN_PREFIX (it is entered as an API token). */
int pv_api_token_shaped(const char *token);

/* pv_session_enter for an API token, on a server's handle in no session. */
pv_rc pv_api_token_enter(pv_vault *v, const char *token);

/* pv_session_leave's count of clear reads, on the token's row. */
pv_rc pv_api_token_count_clear(pv_vault *v);
/* Add more to the token row's count of customers shown in clear unless it would pass cap
 * (0: no cap), in a write transaction: *count is the stored count after, *added whether it
 * was (sessions.c's pv_session_take_clear). */
pv_rc pv_api_token_add_clear(pv_vault *v, uint64_t more, uint64_t cap, uint64_t *count,
			     int *added);

#endif
