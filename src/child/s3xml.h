/*
 * s3xml.h - a strict, bounded reader for the few S3 XML responses rpvault
 * needs: ListObjectsV2 pages, Error bodies, GetBucketVersioning and
 * GetObjectLockConfiguration.
 *
 * Why hand-written: the responses are tiny and fixed in shape, and the
 * general XML libraries on Debian (libxml2, expat) bring DTDs, external
 * entities, entity expansion and allocation patterns that a sandboxed
 * parser of hostile bytes does not need. This reader knows the five
 * predefined entities and numeric character references, skips comments
 * and elements it does not know, and refuses everything else.
 *
 * Security posture: CONFINED-CHILD code: parses untrusted bytes (whatever
 * the object store, or anything between it and us, sends). Input is capped
 * at RP_S3XML_MAX_INPUT bytes, nesting at RP_S3XML_MAX_DEPTH, element text
 * at RP_S3XML_MAX_TEXT, listing entries at RP_S3XML_MAX_KEYS. <!DOCTYPE,
 * <!ENTITY, CDATA and processing instructions are refused outright, so there
 * is no DTD, no external entity and no entity expansion. Names and text
 * must be valid UTF-8 and XML characters; numeric references must name an
 * XML character (no NUL, no surrogate, <= U+10FFFF). Nothing is allocated:
 * decoded strings go into a caller-supplied arena (decoding never grows
 * text, so an arena of len + 1 bytes is always enough), results into
 * fixed-size arrays of the result structs. Iterative, no recursion.
 * Errors: RP_E_PROTO for malformed or unexpected XML, RP_E_LIMIT for a
 * bound; the message names the element and the byte offset.
 */
#ifndef RP_S3XML_H
#define RP_S3XML_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

#define RP_S3XML_MAX_INPUT (1024 * 1024) /* bytes of one response body */
#define RP_S3XML_MAX_DEPTH 16            /* S3 responses nest 4 deep */
#define RP_S3XML_MAX_TEXT 8192           /* decoded bytes of one element's text */
#define RP_S3XML_MAX_KEYS 1000           /* <Contents> per page (S3's max-keys) */
#define RP_S3XML_MAX_PREFIXES 1000       /* <CommonPrefixes> per page */
#define RP_S3XML_MAX_NAME 128            /* bytes of an element or attribute name */
#define RP_S3XML_MAX_ATTRS 16            /* attributes on one element */

/* Where decoded strings go. Strings are NUL-terminated (they cannot hold
 * NUL: &#0; is refused) and stay valid as long as the arena's memory. */
typedef struct rp_s3xml_arena {
	char *mem;
	size_t cap;
	size_t used;
} rp_s3xml_arena;

void rp_s3xml_arena_init(rp_s3xml_arena *a, void *mem, size_t cap);

/* A decoded string: NULL/0 when the element was absent. */
typedef struct rp_s3xml_str {
	const char *s;
	size_t len;
} rp_s3xml_str;

typedef struct rp_s3xml_object {
	rp_s3xml_str key;  /* required */
	uint64_t size;     /* <Size>, required */
	rp_s3xml_str etag; /* as sent, quotes included: "\"9b2c...\"" */
} rp_s3xml_object;

/* ListObjectsV2 (<ListBucketResult>). */
typedef struct rp_s3xml_list {
	rp_s3xml_object objects[RP_S3XML_MAX_KEYS];
	size_t n_objects;
	rp_s3xml_str prefixes[RP_S3XML_MAX_PREFIXES]; /* <CommonPrefixes><Prefix> */
	size_t n_prefixes;
	int is_truncated;                /* <IsTruncated>: true/false, required */
	rp_s3xml_str next_token;         /* <NextContinuationToken>; required when truncated */
	int has_key_count;
	uint64_t key_count;              /* <KeyCount> when present */
	rp_s3xml_str name;               /* <Name> (the bucket) */
	rp_s3xml_str prefix;             /* <Prefix> */
} rp_s3xml_list;

/* An S3 error body (<Error>). */
typedef struct rp_s3xml_error {
	rp_s3xml_str code;       /* required, e.g. "SignatureDoesNotMatch" */
	rp_s3xml_str message;
	rp_s3xml_str request_id;
	rp_s3xml_str resource;   /* <Resource>, <Key> or <BucketName>, whichever came */
} rp_s3xml_error;

typedef enum rp_s3xml_versioning {
	RP_S3XML_VERSIONING_NEVER = 0, /* no <Status>: never enabled */
	RP_S3XML_VERSIONING_ENABLED,
	RP_S3XML_VERSIONING_SUSPENDED
} rp_s3xml_versioning;

typedef enum rp_s3xml_lock_mode {
	RP_S3XML_LOCK_NONE = 0,
	RP_S3XML_LOCK_GOVERNANCE,
	RP_S3XML_LOCK_COMPLIANCE
} rp_s3xml_lock_mode;

/* GetObjectLockConfiguration (<ObjectLockConfiguration>). */
typedef struct rp_s3xml_object_lock {
	int enabled;                /* <ObjectLockEnabled>Enabled */
	rp_s3xml_lock_mode mode;    /* <Rule><DefaultRetention><Mode>; NONE without a rule */
	uint32_t days;              /* exactly one of days / years is set with a rule */
	uint32_t years;
} rp_s3xml_object_lock;

/* Each parser checks the root element's name, fills out (cleared first)
 * and returns 0, or returns -1 with err set and out unspecified. */
int rp_s3xml_parse_list(const void *xml, size_t len, rp_s3xml_arena *arena, rp_s3xml_list *out,
			rp_err *err);
int rp_s3xml_parse_error(const void *xml, size_t len, rp_s3xml_arena *arena, rp_s3xml_error *out,
			 rp_err *err);
int rp_s3xml_parse_versioning(const void *xml, size_t len, rp_s3xml_arena *arena,
			      rp_s3xml_versioning *out, rp_err *err);
int rp_s3xml_parse_object_lock(const void *xml, size_t len, rp_s3xml_arena *arena,
			       rp_s3xml_object_lock *out, rp_err *err);

#endif
