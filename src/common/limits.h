/*
 * limits.h - every bound rpvault enforces, in one place.
 *
 * Why: "bounded everything" is only reviewable if the bounds are listed
 * together. Values that mirror Decision Gate are marked (DG).
 * Security posture: compile-time constants; no input can change them.
 */
#ifndef RP_LIMITS_H
#define RP_LIMITS_H

/* (DG) MAX_RUNPACK_ARTIFACT_BYTES: per artifact and per manifest. */
#define RP_MAX_ARTIFACT_BYTES ((unsigned long long)16 * 1024 * 1024)
/* (DG) path limits of the file sink/reader and object-store keys. */
#define RP_MAX_PATH_COMPONENT 255
#define RP_MAX_PATH_TOTAL 4096
/* (DG, serde_json) maximum JSON nesting depth. */
#define RP_MAX_JSON_DEPTH 128
/* Entries accepted in integrity.file_hashes / artifacts[]. */
#define RP_MAX_MANIFEST_ENTRIES 4096
/* Memory budget of one parsed JSON document (arena), beyond the text. */
#define RP_MAX_JSON_ARENA_BYTES ((unsigned long long)96 * 1024 * 1024)
/* Length of an id used as a key segment (tenant ids are numbers). */
#define RP_MAX_ID_BYTES 255
/* Runpacks listed by `ls` before it stops with an error. */
#define RP_MAX_LIST_ENTRIES 100000
/* Size of a configuration file. */
#define RP_MAX_CONFIG_BYTES (64 * 1024)
/* One object-store listing page or bucket sub-resource body. */
#define RP_MAX_STORE_PAGE_BYTES (1024u * 1024u)
/* Listing pages of one `ls` (1000 keys each, so enough for the entry bound)
 * and the length of a continuation token; the child and the broker both
 * enforce them. */
#define RP_MAX_STORE_PAGES (RP_MAX_LIST_ENTRIES / 1000 + 1)
#define RP_MAX_STORE_TOKEN 1024u
/* Bytes of an object store's error body kept for the confined child to
 * parse (the rest is dropped). */
#define RP_MAX_STORE_ERR_BODY (64u * 1024u)
/* Export plans queued in the broker's pipeline at once (s3export.h): each
 * holds two descriptors and its paths; the child waits for the oldest
 * result before it queues more. */
#define RP_EXPORT_WINDOW 16u

#endif
