/*
 * proto.h - the broker <-> child frame protocol: message types, payload
 * layouts, length rules and the conversation state table.
 *
 * Why: the protocol is the trust boundary, so it is written down once, as
 * data, in the style of OpenBSD's imsg types and OpenSSH's monitor table:
 * every message type is in one enum, every type has exact payload-length
 * bounds, and one table says which side may send which type in which
 * state. Both sides check every frame against the same table, so "what is
 * allowed" cannot drift between the broker and the child. What a given
 * job may ask for (the per-kind dispatch table) is broker policy and lives
 * in broker_serve.c.
 * Security posture: pure data and pure functions; used on both sides of
 * the trust boundary. Nothing here trusts a length before checking it.
 */
#ifndef RP_SANDBOX_PROTO_H
#define RP_SANDBOX_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/io.h"
#include "common/job.h"
#include "common/keys.h"
#include "common/limits.h"

/* Frame = 12-byte header + payload. Header fields are little-endian u32:
 *   type | payload length | sequence number (per direction, from 1)
 * The sequence number catches a desynchronised stream (a lost or
 * duplicated frame) at the first frame instead of at a confusing payload. */
#define RP_FRAME_HDR_LEN 12u
/* One hard ceiling for every payload. Artifacts (<= 16 MiB) stream as DATA
 * chunks of at most this size; 256 KiB keeps system calls per GiB low
 * (~4096) while bounding what one frame can make the receiver buffer. */
#define RP_FRAME_MAX_PAYLOAD (256u * 1024u)

/* Every message type. Values are part of the wire format (never reuse). */
typedef enum rp_msg {
	RP_MSG_JOB = 1,         /* B->C first frame: the rp_job, exactly sizeof(rp_job) */
	RP_MSG_DONE = 2,        /* C->B last frame: u32 rp_code, message bytes */
	RP_MSG_READ_REQ = 3,    /* C->B: u32 root, u64 max, path bytes */
	RP_MSG_WRITE_BEGIN = 4, /* C->B: u32 root, u64 size, path bytes; DATA*, END follow */
	RP_MSG_COPY_REQ = 5,    /* C->B: u32 from, u32 to, u64 max, path bytes */
	RP_MSG_STORE_OPEN = 6,  /* C->B: u32 create (0/1), key prefix bytes */
	RP_MSG_COMMIT = 7,      /* C->B: empty */
	RP_MSG_LIST_REQ = 8,    /* C->B: empty */
	RP_MSG_OUTPUT = 9,      /* C->B: u32 fd (1 or 2), bytes */
	RP_MSG_DATA = 10,       /* either way, inside a READ or WRITE stream: 1..max bytes */
	RP_MSG_END = 11,        /* either way: ends a READ, WRITE or LIST stream; empty */
	RP_MSG_OK = 12,         /* B->C: request done; empty */
	RP_MSG_ERR = 13,        /* B->C: u32 rp_code (!= RP_OK), message bytes */
	RP_MSG_LIST_ENTRY = 14, /* B->C inside a LIST stream: u32 has_manifest (0/1), prefix bytes */
	RP_MSG_STORE_ERR = 15,  /* B->C instead of ERR when the object store answered an error:
				 * u32 rp_code, u32 HTTP status, u32 what length, what bytes,
				 * the raw error body (the child parses it, src/child/store_err.c) */
	RP_MSG_LIST_PAGE_REQ = 16, /* C->B: continuation token bytes (0..1024); answered like
				    * READ_REQ with the raw ListObjectsV2 page */
	RP_MSG_BUCKET_REQ = 17, /* C->B: u32 rp_bucket_info; answered like READ_REQ */
	RP_MSG_COPY_MANY = 18,  /* C->B: u32 from, u32 to, u64 max, u32 count, then count
				 * NUL-terminated paths; answered OK | ERR | STORE_ERR */
	RP_MSG_NEXT_INPUT = 19, /* C->B: u32 rp_code of the finished input, message bytes;
				 * answered OK (IN rebound, STORE unbound) or ERR NOTFOUND (no more) */
	RP_MSG_EXPORT_PLAN = 20, /* C->B: u32 count, then count x (32-byte SHA-256, NUL-terminated
				  * path below IN); entry 0 is the manifest. Queues the upload of
				  * the runpack into the STORE binding; answered OK | ERR */
	RP_MSG_EXPORT_WAIT = 21, /* C->B: empty; answered EXPORT_RESULT (the oldest queued plan,
				  * once finished) or END (none queued) */
	RP_MSG_EXPORT_RESULT = 22, /* B->C: u32 input, u32 rp_code, u32 existed, u32 HTTP status,
				    * u32 context length, u32 what length, context, what, then the
				    * store's raw error body (status >= 300) */
	RP_MSG_EXPORT_REPORT = 23 /* C->B, exactly once after each EXPORT_RESULT: u32 input,
				   * u32 rp_code, message bytes; answered OK */
} rp_msg;

#define RP_MSG_MIN RP_MSG_JOB
#define RP_MSG_MAX RP_MSG_EXPORT_REPORT

/* Fixed-field sizes of the payloads above (variable bytes follow). */
#define RP_PL_CODE 4u       /* DONE, ERR */
#define RP_PL_READ_REQ 12u  /* root u32 + max u64 */
#define RP_PL_WRITE_BEGIN 12u
#define RP_PL_COPY_REQ 16u  /* from u32 + to u32 + max u64 */
#define RP_PL_STORE_OPEN 4u
#define RP_PL_LIST_ENTRY 4u
#define RP_PL_OUTPUT 4u
#define RP_PL_STORE_ERR 12u  /* code u32 + status u32 + what length u32 */
#define RP_PL_BUCKET_REQ 4u
#define RP_PL_COPY_MANY 20u  /* from u32 + to u32 + max u64 + count u32 */
#define RP_PL_EXPORT_PLAN 4u    /* count u32 */
#define RP_PL_EXPORT_ENTRY 32u  /* SHA-256 before each path */
#define RP_PL_EXPORT_RESULT 24u /* input, code, existed, status, context length, what length */
#define RP_PL_EXPORT_REPORT 8u  /* input u32 + code u32 */
#define RP_EXPORT_CONTEXT_MAX (RP_ERR_MSG_MAX - 1u)
#define RP_EXPORT_WHAT_MAX 600u
#define RP_LIST_TOKEN_MAX RP_MAX_STORE_TOKEN
#define RP_COPY_MANY_MAX 1024u /* paths in one COPY_MANY */

/* The two parties. */
typedef enum rp_side { RP_SIDE_BROKER = 0, RP_SIDE_CHILD = 1 } rp_side;

/* Conversation states. Each side tracks its own view and advances it on
 * every frame it sends or receives. */
typedef enum rp_pstate {
	RP_PS_START = 0, /* before JOB */
	RP_PS_IDLE,      /* the child may send a request or DONE */
	RP_PS_READ,      /* broker streams DATA* then END | ERR */
	RP_PS_WRITE,     /* child streams DATA* then END */
	RP_PS_WAIT,      /* broker answers OK | ERR */
	RP_PS_LIST,      /* broker streams LIST_ENTRY* then END | ERR */
	RP_PS_RESULT,    /* broker answers EXPORT_RESULT | END */
	RP_PS_REPORT,    /* the child must send EXPORT_REPORT */
	RP_PS_DONE,      /* nothing more; the next event must be EOF */
	RP_PS_COUNT
} rp_pstate;

/* One row of the state table. */
typedef struct rp_proto_step {
	rp_pstate state;
	rp_side from;
	rp_msg type;
	rp_pstate next;
} rp_proto_step;

extern const rp_proto_step rp_proto_table[];
extern const size_t rp_proto_table_len;

/* The next state, or -1 if `from` may not send `type` in `state`. */
int rp_proto_next(rp_pstate state, rp_side from, uint32_t type);

/* Stable upper-case name of a type ("READ_REQ"), "?" when unknown. */
const char *rp_msg_name(uint32_t type);
/* Lower-case state name for messages ("idle"). */
const char *rp_pstate_name(rp_pstate st);
const char *rp_side_name(rp_side s); /* "broker" / "child" */
/* Names the frames `from` may send in `state`, e.g. "DATA, END or ERR",
 * for error messages. */
void rp_proto_expected(rp_pstate state, rp_side from, char *out, size_t outsz);

/* 1 if type is a known rp_msg. */
int rp_msg_known(uint32_t type);
/* Checks len against the exact per-type bounds; RP_E_PROTO "frame X:
 * payload length N, expected ..." on failure. */
int rp_msg_len_check(uint32_t type, uint32_t len, rp_err *err);
void rp_msg_len_bounds(uint32_t type, uint32_t *min, uint32_t *max);

/* Roots are u32 on the wire; this is the range check both sides use. */
int rp_root_valid(uint32_t root);
const char *rp_root_name(uint32_t root); /* "IN", "OUT", "STORE", "FILE", "?" */

/* Little-endian field access; callers check lengths first. */
static inline void rp_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t rp_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void rp_put_u64(uint8_t *p, uint64_t v)
{
	rp_put_u32(p, (uint32_t)v);
	rp_put_u32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t rp_get_u64(const uint8_t *p)
{
	return (uint64_t)rp_get_u32(p) | (uint64_t)rp_get_u32(p + 4) << 32;
}

#endif
