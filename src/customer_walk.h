/* SPDX-License-Identifier: Apache-2.0 */
/* customer_walk.h: every customer opened, in id order, the decryption of the next page
 * done on a second thread while the caller works on this one. */
#ifndef PV_CUSTOMER_WALK_H
#define PV_CUSTOMER_WALK_H

#include "vault.h"

/* Called on the caller's thread for each customer kept, with its opened values (nfields,
 * wiped after the call). Non-zero stops the walk (the callback sets the message). */
typedef int (*pv_opened_fn)(void *ctx, const struct pv_stored_customer *c, char **values);

/* Walk the vault. keep (may be NULL) is asked first, on the caller's thread, whether a
 * customer is wanted at all (1 yes, 0 no, -1 a store error): those left out are not
 * opened. */
pv_rc pv_walk_opened(pv_vault *v, int (*keep)(void *ctx, const struct pv_stored_customer *c),
		     pv_opened_fn fn, void *ctx);

/* pv_walk_opened, but a customer whose stored data does not open (a data key or a sealed
 * group that fails authentication) is passed to fn with values NULL and the walk goes on:
 * for a check of every stored value (the compliance report). */
pv_rc pv_walk_checked(pv_vault *v, int (*keep)(void *ctx, const struct pv_stored_customer *c),
		      pv_opened_fn fn, void *ctx);

#endif
