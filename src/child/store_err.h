/*
 * store_err.h - turns an object store's error answer (HTTP status plus the
 * raw XML error body, relayed by the broker in a STORE_ERR frame) into an
 * rp_err the user can act on.
 *
 * Why here: the body is attacker-controlled bytes (the store, or anything
 * between it and us), so it is parsed in the confined child (s3xml.c), never
 * in the broker. The child also settles the one decision that needs the
 * body: a 404 is "not found" (NoSuchKey: content, exit 1) unless the bucket
 * itself is missing (NoSuchBucket: the store is misconfigured, exit 3).
 * Security posture: CONFINED-CHILD code; bounded input, every string from
 * the body made printable before it enters a message.
 */
#ifndef RP_STORE_ERR_H
#define RP_STORE_ERR_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

/* Fills err. code: the broker's classification (RP_E_NOTFOUND for 404,
 * RP_E_STORE otherwise); status: the HTTP status; what: "GET s3://b/k"
 * (the broker's printable description); body: the raw error body (may be
 * empty, e.g. for HEAD). Message: "object store: <what>: HTTP <status>
 * <Code>: <Message>", or "... HTTP <status> (error body not understood:
 * <reason>)". A 404 stays RP_E_NOTFOUND only for a missing object or a
 * missing object-lock configuration (NoSuchKey, ObjectLockConfigurationNotFoundError,
 * NoSuchObjectLockConfiguration) or an unparseable/empty body; any other
 * code (NoSuchBucket) becomes RP_E_STORE. */
void rp_store_err_compose(uint32_t code, uint32_t status, const char *what, size_t what_len,
			  const uint8_t *body, size_t body_len, rp_err *err);

#endif
