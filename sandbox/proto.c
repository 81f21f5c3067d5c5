/*
 * proto.c - the protocol tables declared in proto.h: type names, payload
 * length bounds and the conversation state table.
 *
 * Why: one reviewed table instead of checks scattered through both loops
 * (docs/architecture/privsep.md reproduces it).
 * Security posture: pure data, used by the broker and the confined child.
 */
#include "proto.h"

#include <stdio.h>
#include <string.h>

#define B RP_SIDE_BROKER
#define C RP_SIDE_CHILD

/* Who may send what when. Anything not listed is a protocol violation and
 * ends the exchange. START/C/DONE exists for one case: a child whose
 * confinement failed reports that before it has read JOB. */
const rp_proto_step rp_proto_table[] = {
	{ RP_PS_START, B, RP_MSG_JOB, RP_PS_IDLE },
	{ RP_PS_START, C, RP_MSG_DONE, RP_PS_DONE },
	{ RP_PS_IDLE, C, RP_MSG_READ_REQ, RP_PS_READ },
	{ RP_PS_IDLE, C, RP_MSG_WRITE_BEGIN, RP_PS_WRITE },
	{ RP_PS_IDLE, C, RP_MSG_COPY_REQ, RP_PS_WAIT },
	{ RP_PS_IDLE, C, RP_MSG_STORE_OPEN, RP_PS_WAIT },
	{ RP_PS_IDLE, C, RP_MSG_COMMIT, RP_PS_WAIT },
	{ RP_PS_IDLE, C, RP_MSG_LIST_REQ, RP_PS_LIST },
	{ RP_PS_IDLE, C, RP_MSG_OUTPUT, RP_PS_WAIT },
	{ RP_PS_IDLE, C, RP_MSG_LIST_PAGE_REQ, RP_PS_READ },
	{ RP_PS_IDLE, C, RP_MSG_BUCKET_REQ, RP_PS_READ },
	{ RP_PS_IDLE, C, RP_MSG_COPY_MANY, RP_PS_WAIT },
	{ RP_PS_IDLE, C, RP_MSG_NEXT_INPUT, RP_PS_WAIT },
	{ RP_PS_IDLE, C, RP_MSG_EXPORT_PLAN, RP_PS_WAIT },
	{ RP_PS_IDLE, C, RP_MSG_EXPORT_WAIT, RP_PS_RESULT },
	{ RP_PS_IDLE, C, RP_MSG_DONE, RP_PS_DONE },
	{ RP_PS_READ, B, RP_MSG_DATA, RP_PS_READ },
	{ RP_PS_READ, B, RP_MSG_END, RP_PS_IDLE },
	{ RP_PS_READ, B, RP_MSG_ERR, RP_PS_IDLE },
	{ RP_PS_READ, B, RP_MSG_STORE_ERR, RP_PS_IDLE },
	{ RP_PS_WRITE, C, RP_MSG_DATA, RP_PS_WRITE },
	{ RP_PS_WRITE, C, RP_MSG_END, RP_PS_WAIT },
	{ RP_PS_WAIT, B, RP_MSG_OK, RP_PS_IDLE },
	{ RP_PS_WAIT, B, RP_MSG_ERR, RP_PS_IDLE },
	{ RP_PS_WAIT, B, RP_MSG_STORE_ERR, RP_PS_IDLE },
	{ RP_PS_LIST, B, RP_MSG_LIST_ENTRY, RP_PS_LIST },
	{ RP_PS_LIST, B, RP_MSG_END, RP_PS_IDLE },
	{ RP_PS_LIST, B, RP_MSG_ERR, RP_PS_IDLE },
	{ RP_PS_RESULT, B, RP_MSG_EXPORT_RESULT, RP_PS_REPORT },
	{ RP_PS_RESULT, B, RP_MSG_END, RP_PS_IDLE },
	{ RP_PS_REPORT, C, RP_MSG_EXPORT_REPORT, RP_PS_WAIT },
};
const size_t rp_proto_table_len = sizeof rp_proto_table / sizeof rp_proto_table[0];

#undef B
#undef C

/* Payload bounds per type: exact where the payload is fixed, [fixed,
 * fixed + variable maximum] otherwise. Zero-length DATA/OUTPUT are refused
 * because they carry nothing and would let a peer spin without progress. */
typedef struct msg_info {
	const char *name;
	uint32_t min, max;
} msg_info;

static const msg_info msg_infos[RP_MSG_MAX + 1] = {
	[RP_MSG_JOB] = { "JOB", (uint32_t)sizeof(rp_job), (uint32_t)sizeof(rp_job) },
	[RP_MSG_DONE] = { "DONE", RP_PL_CODE, RP_PL_CODE + RP_ERR_MSG_MAX - 1 },
	[RP_MSG_READ_REQ] = { "READ_REQ", RP_PL_READ_REQ, RP_PL_READ_REQ + RP_MAX_PATH_TOTAL },
	[RP_MSG_WRITE_BEGIN] = { "WRITE_BEGIN", RP_PL_WRITE_BEGIN, RP_PL_WRITE_BEGIN + RP_MAX_PATH_TOTAL },
	[RP_MSG_COPY_REQ] = { "COPY_REQ", RP_PL_COPY_REQ, RP_PL_COPY_REQ + RP_MAX_PATH_TOTAL },
	[RP_MSG_STORE_OPEN] = { "STORE_OPEN", RP_PL_STORE_OPEN + 1, RP_PL_STORE_OPEN + RP_KEY_PREFIX_MAX },
	[RP_MSG_COMMIT] = { "COMMIT", 0, 0 },
	[RP_MSG_LIST_REQ] = { "LIST_REQ", 0, 0 },
	[RP_MSG_OUTPUT] = { "OUTPUT", RP_PL_OUTPUT + 1, RP_FRAME_MAX_PAYLOAD },
	[RP_MSG_DATA] = { "DATA", 1, RP_FRAME_MAX_PAYLOAD },
	[RP_MSG_END] = { "END", 0, 0 },
	[RP_MSG_OK] = { "OK", 0, 0 },
	[RP_MSG_ERR] = { "ERR", RP_PL_CODE, RP_PL_CODE + RP_ERR_MSG_MAX - 1 },
	[RP_MSG_LIST_ENTRY] = { "LIST_ENTRY", RP_PL_LIST_ENTRY + 1, RP_PL_LIST_ENTRY + RP_KEY_PREFIX_MAX },
	[RP_MSG_STORE_ERR] = { "STORE_ERR", RP_PL_STORE_ERR, RP_FRAME_MAX_PAYLOAD },
	[RP_MSG_LIST_PAGE_REQ] = { "LIST_PAGE_REQ", 0, RP_LIST_TOKEN_MAX },
	[RP_MSG_BUCKET_REQ] = { "BUCKET_REQ", RP_PL_BUCKET_REQ, RP_PL_BUCKET_REQ },
	[RP_MSG_COPY_MANY] = { "COPY_MANY", RP_PL_COPY_MANY + 2, RP_FRAME_MAX_PAYLOAD },
	[RP_MSG_NEXT_INPUT] = { "NEXT_INPUT", RP_PL_CODE, RP_PL_CODE + RP_ERR_MSG_MAX - 1 },
	[RP_MSG_EXPORT_PLAN] = { "EXPORT_PLAN", RP_PL_EXPORT_PLAN + RP_PL_EXPORT_ENTRY + 2, RP_FRAME_MAX_PAYLOAD },
	[RP_MSG_EXPORT_WAIT] = { "EXPORT_WAIT", 0, 0 },
	[RP_MSG_EXPORT_RESULT] = { "EXPORT_RESULT", RP_PL_EXPORT_RESULT,
				   RP_PL_EXPORT_RESULT + RP_EXPORT_CONTEXT_MAX + RP_EXPORT_WHAT_MAX + RP_MAX_STORE_ERR_BODY },
	[RP_MSG_EXPORT_REPORT] = { "EXPORT_REPORT", RP_PL_EXPORT_REPORT, RP_PL_EXPORT_REPORT + RP_ERR_MSG_MAX - 1 },
};

_Static_assert(sizeof(rp_job) <= RP_FRAME_MAX_PAYLOAD, "JOB must fit one frame");
_Static_assert(RP_PL_CODE + RP_ERR_MSG_MAX <= RP_FRAME_MAX_PAYLOAD, "ERR must fit one frame");
_Static_assert(RP_PL_COPY_REQ + RP_MAX_PATH_TOTAL <= RP_FRAME_MAX_PAYLOAD, "requests fit");
_Static_assert(RP_PL_EXPORT_RESULT + RP_EXPORT_CONTEXT_MAX + RP_EXPORT_WHAT_MAX + RP_MAX_STORE_ERR_BODY <=
		       RP_FRAME_MAX_PAYLOAD, "an export result fits one frame");

int rp_msg_known(uint32_t type)
{
	return type >= RP_MSG_MIN && type <= RP_MSG_MAX && msg_infos[type].name != NULL;
}

const char *rp_msg_name(uint32_t type)
{
	return rp_msg_known(type) ? msg_infos[type].name : "?";
}

void rp_msg_len_bounds(uint32_t type, uint32_t *min, uint32_t *max)
{
	if (!rp_msg_known(type)) {
		*min = 1;
		*max = 0;
		return;
	}
	*min = msg_infos[type].min;
	*max = msg_infos[type].max;
}

int rp_msg_len_check(uint32_t type, uint32_t len, rp_err *err)
{
	if (!rp_msg_known(type))
		return rp_err_set(err, RP_E_PROTO, "unknown frame type %u", (unsigned)type);
	const msg_info *mi = &msg_infos[type];
	if (len >= mi->min && len <= mi->max)
		return 0;
	if (mi->min == mi->max)
		return rp_err_set(err, RP_E_PROTO, "frame %s: payload length %u, expected exactly %u",
				  mi->name, (unsigned)len, (unsigned)mi->min);
	return rp_err_set(err, RP_E_PROTO, "frame %s: payload length %u outside [%u, %u]", mi->name,
			  (unsigned)len, (unsigned)mi->min, (unsigned)mi->max);
}

int rp_proto_next(rp_pstate state, rp_side from, uint32_t type)
{
	for (size_t i = 0; i < rp_proto_table_len; i++) {
		const rp_proto_step *s = &rp_proto_table[i];
		if (s->state == state && s->from == from && (uint32_t)s->type == type)
			return (int)s->next;
	}
	return -1;
}

const char *rp_pstate_name(rp_pstate st)
{
	switch (st) {
	case RP_PS_START: return "start";
	case RP_PS_IDLE: return "idle";
	case RP_PS_READ: return "read";
	case RP_PS_WRITE: return "write";
	case RP_PS_WAIT: return "wait";
	case RP_PS_LIST: return "list";
	case RP_PS_RESULT: return "result";
	case RP_PS_REPORT: return "report";
	case RP_PS_DONE: return "done";
	case RP_PS_COUNT: break;
	}
	return "?";
}

const char *rp_side_name(rp_side s)
{
	return s == RP_SIDE_BROKER ? "broker" : "child";
}

void rp_proto_expected(rp_pstate state, rp_side from, char *out, size_t outsz)
{
	const char *names[RP_MSG_MAX + 1];
	size_t n = 0;
	for (size_t i = 0; i < rp_proto_table_len && n < RP_MSG_MAX + 1; i++) {
		const rp_proto_step *s = &rp_proto_table[i];
		if (s->state == state && s->from == from)
			names[n++] = rp_msg_name(s->type);
	}
	if (outsz == 0)
		return;
	out[0] = '\0';
	if (n == 0) {
		(void)snprintf(out, outsz, "nothing");
		return;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : (i + 1 == n ? " or " : ", ");
		int w = snprintf(out + o, outsz - o, "%s%s", sep, names[i]);
		if (w < 0 || (size_t)w >= outsz - o)
			return;
		o += (size_t)w;
	}
}

int rp_root_valid(uint32_t root)
{
	return root >= RP_ROOT_IN && root <= RP_ROOT_FILE;
}

const char *rp_root_name(uint32_t root)
{
	switch (root) {
	case RP_ROOT_IN: return "IN";
	case RP_ROOT_OUT: return "OUT";
	case RP_ROOT_STORE: return "STORE";
	case RP_ROOT_FILE: return "FILE";
	default: return "?";
	}
}
