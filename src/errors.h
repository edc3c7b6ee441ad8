/* SPDX-License-Identifier: Apache-2.0 */
/* errors.h: how the library reports an error: on the vault handle, or for a call
 * without one on the calling thread; both read with pv_errmsg. */
#ifndef PV_ERRORS_H
#define PV_ERRORS_H

#include "pivault.h"

/* Record a message on the handle (printf-style) and return rc; with v NULL, on the
 * calling thread for pv_errmsg(NULL) (a call without a vault). Messages must never carry
 * a secret or a personal value. */
pv_rc pv_fail(pv_vault *v, pv_rc rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Clear the handle's message (v NULL: the thread's); returns PV_OK. */
pv_rc pv_ok(pv_vault *v);

/* How a call without a vault ends: on failure text (the reason) becomes the thread's
 * message; on success the thread's message is cleared and, when summary is not NULL,
 * *summary gets a copy of text (malloc'd; PV_ERR_NOMEM when it cannot). */
pv_rc pv_lone_outcome(pv_rc rc, const char *text, char **summary);

#endif
