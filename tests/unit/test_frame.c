/*
 * test_frame.c - unit tests of the frame layer and protocol tables
 * (sandbox/frame.c, sandbox/proto.c).
 *
 * Why: every later guarantee of the privsep design rests on frames being
 * read whole, checked before their payload is read, and any surprise
 * (oversize, unknown type, truncation, wrong sequence, wrong state, EOF,
 * stall) failing the channel for good.
 * Security posture: test code; exercises the broker and child channel
 * ends over real pipes, with raw bytes standing in for a hostile peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/job.h"
#include "frame.h"
#include "helpers/rawframe.h"
#include "proto.h"

/* A pipe pair: p[0] read end, p[1] write end. */
static void mkpipe(int p[2])
{
	assert_int_equal(pipe(p), 0);
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* Feeds raw bytes to a channel end: writes b into a pipe, closes the write
 * end (EOF after the bytes) and returns the read end. b must fit in the
 * pipe buffer. */
static int feed(const rawbuf *b)
{
	int p[2];
	mkpipe(p);
	assert_true(b->n < 60000);
	if (b->n)
		assert_int_equal(write(p[1], b->p, b->n), (ssize_t)b->n);
	close(p[1]);
	return p[0];
}

/* A throw-away write end whose reader stays open. */
static int sink_fd(int *keep_read)
{
	int p[2];
	mkpipe(p);
	*keep_read = p[0];
	return p[1];
}

static void assert_msg(const rp_err *err, const char *needle)
{
	if (strstr(err->msg, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", err->msg, needle);
}

static void test_header_layout(void **state)
{
	(void)state;
	rp_frame_hdr h = { .type = RP_MSG_DATA, .len = 0x01020304, .seq = 0xa0b0c0d0 };
	uint8_t b[RP_FRAME_HDR_LEN];
	rp_frame_hdr_encode(&h, b);
	static const uint8_t want[RP_FRAME_HDR_LEN] = { 10, 0, 0, 0, 4, 3, 2, 1, 0xd0, 0xc0, 0xb0, 0xa0 };
	assert_memory_equal(b, want, sizeof want);
	rp_frame_hdr back;
	rp_frame_hdr_decode(b, &back);
	assert_int_equal(back.type, h.type);
	assert_int_equal(back.len, h.len);
	assert_int_equal(back.seq, h.seq);
}

static void test_state_table(void **state)
{
	(void)state;
	/* Only the broker starts, with JOB; a child may only abort with DONE. */
	assert_int_equal(rp_proto_next(RP_PS_START, RP_SIDE_BROKER, RP_MSG_JOB), RP_PS_IDLE);
	assert_int_equal(rp_proto_next(RP_PS_START, RP_SIDE_CHILD, RP_MSG_JOB), -1);
	assert_int_equal(rp_proto_next(RP_PS_START, RP_SIDE_CHILD, RP_MSG_DONE), RP_PS_DONE);
	assert_int_equal(rp_proto_next(RP_PS_START, RP_SIDE_CHILD, RP_MSG_READ_REQ), -1);
	/* Requests come only from the child, only when idle. */
	for (uint32_t t = RP_MSG_READ_REQ; t <= RP_MSG_OUTPUT; t++) {
		assert_true(rp_proto_next(RP_PS_IDLE, RP_SIDE_CHILD, t) >= 0);
		assert_int_equal(rp_proto_next(RP_PS_IDLE, RP_SIDE_BROKER, t), -1);
		for (int s = RP_PS_READ; s < RP_PS_COUNT; s++)
			assert_int_equal(rp_proto_next((rp_pstate)s, RP_SIDE_CHILD, t), -1);
	}
	/* DATA: broker only while reading, child only while writing. */
	assert_int_equal(rp_proto_next(RP_PS_READ, RP_SIDE_BROKER, RP_MSG_DATA), RP_PS_READ);
	assert_int_equal(rp_proto_next(RP_PS_READ, RP_SIDE_CHILD, RP_MSG_DATA), -1);
	assert_int_equal(rp_proto_next(RP_PS_WRITE, RP_SIDE_CHILD, RP_MSG_DATA), RP_PS_WRITE);
	assert_int_equal(rp_proto_next(RP_PS_WRITE, RP_SIDE_BROKER, RP_MSG_DATA), -1);
	assert_int_equal(rp_proto_next(RP_PS_IDLE, RP_SIDE_CHILD, RP_MSG_DATA), -1);
	/* A write is not answered until END; errors only end broker streams. */
	assert_int_equal(rp_proto_next(RP_PS_WRITE, RP_SIDE_BROKER, RP_MSG_ERR), -1);
	assert_int_equal(rp_proto_next(RP_PS_WRITE, RP_SIDE_CHILD, RP_MSG_END), RP_PS_WAIT);
	assert_int_equal(rp_proto_next(RP_PS_WAIT, RP_SIDE_BROKER, RP_MSG_OK), RP_PS_IDLE);
	assert_int_equal(rp_proto_next(RP_PS_LIST, RP_SIDE_BROKER, RP_MSG_LIST_ENTRY), RP_PS_LIST);
	assert_int_equal(rp_proto_next(RP_PS_READ, RP_SIDE_BROKER, RP_MSG_LIST_ENTRY), -1);
	/* Nothing after DONE; unknown types never. */
	for (uint32_t t = 0; t < 40; t++) {
		assert_int_equal(rp_proto_next(RP_PS_DONE, RP_SIDE_BROKER, t), -1);
		assert_int_equal(rp_proto_next(RP_PS_DONE, RP_SIDE_CHILD, t), -1);
		if (!rp_msg_known(t))
			for (int s = 0; s < RP_PS_COUNT; s++) {
				assert_int_equal(rp_proto_next((rp_pstate)s, RP_SIDE_CHILD, t), -1);
				assert_int_equal(rp_proto_next((rp_pstate)s, RP_SIDE_BROKER, t), -1);
			}
	}
	/* Every row names known types and valid states. */
	for (size_t i = 0; i < rp_proto_table_len; i++) {
		assert_true(rp_msg_known(rp_proto_table[i].type));
		assert_true(rp_proto_table[i].next < RP_PS_COUNT);
	}
	/* Export pipeline: PLAN is a request answered OK | ERR; WAIT is
	 * answered EXPORT_RESULT (then the child owes exactly one REPORT) or
	 * END; nothing else is admitted in between. */
	assert_int_equal(rp_proto_next(RP_PS_IDLE, RP_SIDE_CHILD, RP_MSG_EXPORT_PLAN), RP_PS_WAIT);
	assert_int_equal(rp_proto_next(RP_PS_IDLE, RP_SIDE_CHILD, RP_MSG_EXPORT_WAIT), RP_PS_RESULT);
	assert_int_equal(rp_proto_next(RP_PS_IDLE, RP_SIDE_BROKER, RP_MSG_EXPORT_PLAN), -1);
	assert_int_equal(rp_proto_next(RP_PS_IDLE, RP_SIDE_BROKER, RP_MSG_EXPORT_WAIT), -1);
	assert_int_equal(rp_proto_next(RP_PS_RESULT, RP_SIDE_BROKER, RP_MSG_EXPORT_RESULT), RP_PS_REPORT);
	assert_int_equal(rp_proto_next(RP_PS_RESULT, RP_SIDE_BROKER, RP_MSG_END), RP_PS_IDLE);
	assert_int_equal(rp_proto_next(RP_PS_REPORT, RP_SIDE_CHILD, RP_MSG_EXPORT_REPORT), RP_PS_WAIT);
	for (uint32_t t = RP_MSG_MIN; t <= RP_MSG_MAX; t++) {
		if (t != RP_MSG_EXPORT_RESULT && t != RP_MSG_END)
			assert_int_equal(rp_proto_next(RP_PS_RESULT, RP_SIDE_BROKER, t), -1);
		assert_int_equal(rp_proto_next(RP_PS_RESULT, RP_SIDE_CHILD, t), -1);
		if (t != RP_MSG_EXPORT_REPORT)
			assert_int_equal(rp_proto_next(RP_PS_REPORT, RP_SIDE_CHILD, t), -1);
		assert_int_equal(rp_proto_next(RP_PS_REPORT, RP_SIDE_BROKER, t), -1);
	}
	for (int st = 0; st < RP_PS_COUNT; st++) {
		/* EXPORT_RESULT only from the broker, only in RESULT; REPORT only
		 * from the child, only in REPORT. */
		if (st != RP_PS_RESULT)
			assert_int_equal(rp_proto_next((rp_pstate)st, RP_SIDE_BROKER, RP_MSG_EXPORT_RESULT), -1);
		assert_int_equal(rp_proto_next((rp_pstate)st, RP_SIDE_CHILD, RP_MSG_EXPORT_RESULT), -1);
		if (st != RP_PS_REPORT)
			assert_int_equal(rp_proto_next((rp_pstate)st, RP_SIDE_CHILD, RP_MSG_EXPORT_REPORT), -1);
		assert_int_equal(rp_proto_next((rp_pstate)st, RP_SIDE_BROKER, RP_MSG_EXPORT_REPORT), -1);
		if (st != RP_PS_IDLE) {
			assert_int_equal(rp_proto_next((rp_pstate)st, RP_SIDE_CHILD, RP_MSG_EXPORT_PLAN), -1);
			assert_int_equal(rp_proto_next((rp_pstate)st, RP_SIDE_CHILD, RP_MSG_EXPORT_WAIT), -1);
		}
	}
	assert_string_equal(rp_pstate_name(RP_PS_RESULT), "result");
	assert_string_equal(rp_pstate_name(RP_PS_REPORT), "report");
	char exp[128];
	rp_proto_expected(RP_PS_RESULT, RP_SIDE_BROKER, exp, sizeof exp);
	assert_string_equal(exp, "EXPORT_RESULT or END");
	rp_proto_expected(RP_PS_REPORT, RP_SIDE_CHILD, exp, sizeof exp);
	assert_string_equal(exp, "EXPORT_REPORT");
	rp_proto_expected(RP_PS_READ, RP_SIDE_BROKER, exp, sizeof exp);
	assert_string_equal(exp, "DATA, END, ERR or STORE_ERR");
	rp_proto_expected(RP_PS_READ, RP_SIDE_CHILD, exp, sizeof exp);
	assert_string_equal(exp, "nothing");
}

static void test_length_rules(void **state)
{
	(void)state;
	rp_err err;
	assert_int_equal(rp_msg_len_check(RP_MSG_JOB, (uint32_t)sizeof(rp_job), &err), 0);
	assert_int_equal(rp_msg_len_check(RP_MSG_JOB, (uint32_t)sizeof(rp_job) - 1, &err), -1);
	assert_int_equal(err.code, RP_E_PROTO);
	assert_msg(&err, "frame JOB: payload length");
	assert_int_equal(rp_msg_len_check(RP_MSG_JOB, (uint32_t)sizeof(rp_job) + 1, &err), -1);
	assert_int_equal(rp_msg_len_check(RP_MSG_COMMIT, 0, &err), 0);
	assert_int_equal(rp_msg_len_check(RP_MSG_COMMIT, 4, &err), -1);
	assert_msg(&err, "expected exactly 0");
	assert_int_equal(rp_msg_len_check(RP_MSG_DATA, 0, &err), -1);
	assert_int_equal(rp_msg_len_check(RP_MSG_DATA, RP_FRAME_MAX_PAYLOAD, &err), 0);
	assert_int_equal(rp_msg_len_check(RP_MSG_DATA, RP_FRAME_MAX_PAYLOAD + 1, &err), -1);
	assert_int_equal(rp_msg_len_check(RP_MSG_ERR, 3, &err), -1);
	assert_int_equal(rp_msg_len_check(RP_MSG_ERR, 4 + RP_ERR_MSG_MAX - 1, &err), 0);
	assert_int_equal(rp_msg_len_check(RP_MSG_ERR, 4 + RP_ERR_MSG_MAX, &err), -1);
	assert_int_equal(rp_msg_len_check(RP_MSG_READ_REQ, 11, &err), -1);
	assert_int_equal(rp_msg_len_check(RP_MSG_READ_REQ, 12 + RP_MAX_PATH_TOTAL, &err), 0);
	assert_int_equal(rp_msg_len_check(RP_MSG_READ_REQ, 13 + RP_MAX_PATH_TOTAL, &err), -1);
	assert_int_equal(rp_msg_len_check(RP_MSG_STORE_OPEN, 4, &err), -1);
	/* EXPORT_PLAN: count, one hash and a one-byte path with its NUL at least */
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_PLAN, RP_PL_EXPORT_PLAN + RP_PL_EXPORT_ENTRY + 1, &err), -1);
	assert_msg(&err, "frame EXPORT_PLAN: payload length 37 outside [38, 262144]");
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_PLAN, RP_PL_EXPORT_PLAN + RP_PL_EXPORT_ENTRY + 2, &err), 0);
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_PLAN, RP_FRAME_MAX_PAYLOAD, &err), 0);
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_PLAN, RP_FRAME_MAX_PAYLOAD + 1, &err), -1);
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_WAIT, 0, &err), 0);
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_WAIT, 1, &err), -1);
	assert_msg(&err, "frame EXPORT_WAIT: payload length 1, expected exactly 0");
	/* EXPORT_RESULT: the fixed fields, then at most context, what and the
	 * error body kept for the child */
	const uint32_t res_max = RP_PL_EXPORT_RESULT + RP_EXPORT_CONTEXT_MAX + RP_EXPORT_WHAT_MAX + RP_MAX_STORE_ERR_BODY;
	assert_true(res_max <= RP_FRAME_MAX_PAYLOAD);
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_RESULT, RP_PL_EXPORT_RESULT - 1, &err), -1);
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_RESULT, RP_PL_EXPORT_RESULT, &err), 0);
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_RESULT, res_max, &err), 0);
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_RESULT, res_max + 1, &err), -1);
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_REPORT, RP_PL_EXPORT_REPORT - 1, &err), -1);
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_REPORT, RP_PL_EXPORT_REPORT, &err), 0);
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_REPORT, RP_PL_EXPORT_REPORT + RP_ERR_MSG_MAX - 1, &err), 0);
	assert_int_equal(rp_msg_len_check(RP_MSG_EXPORT_REPORT, RP_PL_EXPORT_REPORT + RP_ERR_MSG_MAX, &err), -1);
	assert_msg(&err, "frame EXPORT_REPORT: payload length 1032 outside [8, 1031]");
	for (uint32_t t = RP_MSG_EXPORT_PLAN; t <= RP_MSG_EXPORT_REPORT; t++)
		assert_true(rp_msg_known(t));
	assert_string_equal(rp_msg_name(RP_MSG_EXPORT_RESULT), "EXPORT_RESULT");
	assert_int_equal(rp_msg_len_check(99, 0, &err), -1);
	assert_msg(&err, "unknown frame type 99");
}

/* A broker end sends JOB and serves nothing; a child end receives it. */
static void test_roundtrip(void **state)
{
	(void)state;
	int b2c[2], c2b[2];
	mkpipe(b2c);
	mkpipe(c2b);
	rp_chan b, c;
	rp_err err;
	assert_int_equal(rp_chan_init(&b, c2b[0], b2c[1], RP_SIDE_BROKER, 1000, &err), 0);
	assert_int_equal(rp_chan_init(&c, b2c[0], c2b[1], RP_SIDE_CHILD, -1, &err), 0);
	set_nonblock(c2b[0]);
	set_nonblock(b2c[1]);
	rp_job job;
	memset(&job, 0, sizeof job);
	job.kind = RP_JOB_VERIFY;
	assert_int_equal(rp_chan_send(&b, RP_MSG_JOB, &job, sizeof job, NULL, 0, &err), 0);
	assert_int_equal(rp_chan_recv(&c, &err), 0);
	assert_int_equal(c.hdr.type, RP_MSG_JOB);
	assert_int_equal(c.hdr.seq, 1);
	assert_int_equal(c.state, RP_PS_IDLE);
	assert_memory_equal(c.payload, &job, sizeof job);
	/* Two-part payload arrives concatenated. */
	uint8_t fixed[12] = { 1 };
	assert_int_equal(rp_chan_send(&c, RP_MSG_READ_REQ, fixed, 12, "a/b.json", 8, &err), 0);
	assert_int_equal(rp_chan_recv(&b, &err), 0);
	assert_int_equal(b.hdr.type, RP_MSG_READ_REQ);
	assert_int_equal(b.hdr.len, 20);
	assert_memory_equal(b.payload + 12, "a/b.json", 8);
	assert_int_equal(b.state, RP_PS_READ);
	/* A full-size DATA frame. */
	uint8_t *big = malloc(RP_FRAME_MAX_PAYLOAD);
	assert_non_null(big);
	for (size_t i = 0; i < RP_FRAME_MAX_PAYLOAD; i++)
		big[i] = (uint8_t)(i * 7);
	/* The pipe may hold less than one frame; a writer process avoids a
	 * deadlock between our own two ends. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		rp_err e2;
		_exit(rp_chan_send(&b, RP_MSG_DATA, big, RP_FRAME_MAX_PAYLOAD, NULL, 0, &e2) == 0 &&
			      rp_chan_send(&b, RP_MSG_END, NULL, 0, NULL, 0, &e2) == 0
		      ? 0
		      : 1);
	}
	assert_int_equal(rp_chan_recv(&c, &err), 0);
	assert_int_equal(c.hdr.type, RP_MSG_DATA);
	assert_int_equal(c.hdr.len, RP_FRAME_MAX_PAYLOAD);
	assert_memory_equal(c.payload, big, RP_FRAME_MAX_PAYLOAD);
	assert_int_equal(rp_chan_recv(&c, &err), 0);
	assert_int_equal(c.hdr.type, RP_MSG_END);
	assert_int_equal(c.state, RP_PS_IDLE);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(big);
	rp_chan_free(&b);
	rp_chan_free(&c);
	close(b2c[0]);
	close(b2c[1]);
	close(c2b[0]);
	close(c2b[1]);
}

/* One export result over real channel ends: both sides walk
 * idle -> result -> report -> wait -> idle, and a child that tries
 * anything but EXPORT_REPORT in state report is stopped at send. */
static void test_export_roundtrip(void **state)
{
	(void)state;
	int b2c[2], c2b[2];
	mkpipe(b2c);
	mkpipe(c2b);
	rp_chan b, c;
	rp_err err;
	assert_int_equal(rp_chan_init(&b, c2b[0], b2c[1], RP_SIDE_BROKER, 1000, &err), 0);
	assert_int_equal(rp_chan_init(&c, b2c[0], c2b[1], RP_SIDE_CHILD, -1, &err), 0);
	b.state = RP_PS_IDLE;
	c.state = RP_PS_IDLE;
	b.tx_seq = c.rx_seq = 2; /* as after JOB */
	assert_int_equal(rp_chan_send(&c, RP_MSG_EXPORT_WAIT, NULL, 0, NULL, 0, &err), 0);
	assert_int_equal(c.state, RP_PS_RESULT);
	assert_int_equal(rp_chan_recv(&b, &err), 0);
	assert_int_equal(b.hdr.type, RP_MSG_EXPORT_WAIT);
	assert_int_equal(b.state, RP_PS_RESULT);
	uint8_t fixed[RP_PL_EXPORT_RESULT] = { 0 };
	assert_int_equal(rp_chan_send(&b, RP_MSG_EXPORT_RESULT, fixed, sizeof fixed, NULL, 0, &err), 0);
	assert_int_equal(b.state, RP_PS_REPORT);
	assert_int_equal(rp_chan_recv(&c, &err), 0);
	assert_int_equal(c.hdr.type, RP_MSG_EXPORT_RESULT);
	assert_int_equal(c.state, RP_PS_REPORT);
	/* the broker may not answer anything more until the report */
	assert_int_equal(rp_chan_send(&b, RP_MSG_OK, NULL, 0, NULL, 0, &err), -1);
	assert_int_equal(err.code, RP_E_INTERNAL);
	assert_msg(&err, "send OK: not allowed from broker in state report");
	rp_chan_free(&b);
	assert_int_equal(rp_chan_init(&b, c2b[0], b2c[1], RP_SIDE_BROKER, 1000, &err), 0);
	b.state = RP_PS_REPORT;
	b.tx_seq = 3;
	b.rx_seq = 2;
	uint8_t rep[RP_PL_EXPORT_REPORT] = { 0 };
	assert_int_equal(rp_chan_send(&c, RP_MSG_EXPORT_REPORT, rep, sizeof rep, NULL, 0, &err), 0);
	assert_int_equal(c.state, RP_PS_WAIT);
	assert_int_equal(rp_chan_recv(&b, &err), 0);
	assert_int_equal(b.hdr.type, RP_MSG_EXPORT_REPORT);
	assert_int_equal(b.state, RP_PS_WAIT);
	assert_int_equal(rp_chan_send(&b, RP_MSG_OK, NULL, 0, NULL, 0, &err), 0);
	assert_int_equal(rp_chan_recv(&c, &err), 0);
	assert_int_equal(c.hdr.type, RP_MSG_OK);
	assert_int_equal(c.state, RP_PS_IDLE);
	assert_int_equal(b.state, RP_PS_IDLE);
	rp_chan_free(&b);
	rp_chan_free(&c);

	/* a child in state report may send nothing but EXPORT_REPORT */
	int keep;
	int wfd = sink_fd(&keep);
	assert_int_equal(rp_chan_init(&c, -1, wfd, RP_SIDE_CHILD, -1, &err), 0);
	c.state = RP_PS_REPORT;
	assert_int_equal(rp_chan_send(&c, RP_MSG_OUTPUT, "\1\0\0\0x", 5, NULL, 0, &err), -1);
	assert_int_equal(err.code, RP_E_INTERNAL);
	assert_msg(&err, "send OUTPUT: not allowed from child in state report");
	rp_chan_free(&c);
	close(wfd);
	close(keep);
	close(b2c[0]);
	close(b2c[1]);
	close(c2b[0]);
	close(c2b[1]);
}

/* Receives raw bytes on a child end (after a valid JOB when with_job). */
static int child_recv_raw(const rawbuf *raw, rp_chan *c, rp_err *err)
{
	int keep;
	int wfd = sink_fd(&keep);
	int rfd = feed(raw);
	assert_int_equal(rp_chan_init(c, rfd, wfd, RP_SIDE_CHILD, -1, err), 0);
	int rc = rp_chan_recv(c, err);
	close(rfd);
	close(wfd);
	close(keep);
	return rc;
}

static void test_recv_rejects(void **state)
{
	(void)state;
	rp_chan c;
	rp_err err;
	rawbuf r = { 0 };
	rp_job job;
	memset(&job, 0, sizeof job);

	/* oversize length: refused from the header, before any payload */
	rawbuf_hdr(&r, RP_MSG_JOB, RP_FRAME_MAX_PAYLOAD + 1, 1);
	assert_int_equal(child_recv_raw(&r, &c, &err), -1);
	assert_int_equal(err.code, RP_E_PROTO);
	assert_msg(&err, "JOB payload length 262145 exceeds maximum 262144");
	assert_true(c.broken);
	/* and the channel stays failed */
	assert_int_equal(rp_chan_recv(&c, &err), -1);
	assert_msg(&err, "already failed");
	rp_chan_free(&c);
	rawbuf_free(&r);

	/* unknown type */
	rawbuf_hdr(&r, 0x77, 0, 1);
	assert_int_equal(child_recv_raw(&r, &c, &err), -1);
	assert_msg(&err, "frame from broker: unknown type 119");
	rp_chan_free(&c);
	rawbuf_free(&r);

	/* per-type exact length */
	rawbuf_frame(&r, RP_MSG_JOB, 1, &job, sizeof job - 8);
	assert_int_equal(child_recv_raw(&r, &c, &err), -1);
	assert_msg(&err, "frame JOB: payload length");
	rp_chan_free(&c);
	rawbuf_free(&r);

	/* out of order: OK before JOB */
	rawbuf_frame(&r, RP_MSG_OK, 1, NULL, 0);
	assert_int_equal(child_recv_raw(&r, &c, &err), -1);
	assert_msg(&err, "OK out of order in state start (broker may send JOB)");
	rp_chan_free(&c);
	rawbuf_free(&r);

	/* wrong sequence number */
	rawbuf_frame(&r, RP_MSG_JOB, 2, &job, sizeof job);
	assert_int_equal(child_recv_raw(&r, &c, &err), -1);
	assert_msg(&err, "JOB has sequence number 2, expected 1");
	rp_chan_free(&c);
	rawbuf_free(&r);

	/* truncated header (EOF after 5 bytes) */
	rawbuf_frame(&r, RP_MSG_JOB, 1, NULL, 0);
	r.n = 5;
	assert_int_equal(child_recv_raw(&r, &c, &err), -1);
	assert_msg(&err, "truncated frame from broker: EOF after 5 of 12 header bytes");
	assert_true(c.peer_gone);
	rp_chan_free(&c);
	rawbuf_free(&r);

	/* truncated payload (EOF mid-frame) */
	rawbuf_frame(&r, RP_MSG_JOB, 1, &job, sizeof job);
	r.n = RP_FRAME_HDR_LEN + 100;
	assert_int_equal(child_recv_raw(&r, &c, &err), -1);
	assert_msg(&err, "truncated frame from broker: JOB: EOF after 100 of");
	rp_chan_free(&c);
	rawbuf_free(&r);

	/* EOF at a frame boundary */
	assert_int_equal(child_recv_raw(&r, &c, &err), -1);
	assert_msg(&err, "EOF from broker in state start (expected JOB)");
	assert_true(c.peer_gone);
	rp_chan_free(&c);
	rawbuf_free(&r);
}

static void test_send_refuses(void **state)
{
	(void)state;
	int keep;
	int wfd = sink_fd(&keep);
	rp_chan c;
	rp_err err;
	assert_int_equal(rp_chan_init(&c, -1, wfd, RP_SIDE_CHILD, -1, &err), 0);
	/* a request before JOB is a bug on our side */
	assert_int_equal(rp_chan_send(&c, RP_MSG_COMMIT, NULL, 0, NULL, 0, &err), -1);
	assert_int_equal(err.code, RP_E_INTERNAL);
	assert_msg(&err, "send COMMIT: not allowed from child in state start");
	assert_int_equal(rp_chan_send(&c, RP_MSG_DONE, "\0\0\0\0", 4, NULL, 0, &err), -1);
	assert_msg(&err, "already failed");
	rp_chan_free(&c);

	assert_int_equal(rp_chan_init(&c, -1, wfd, RP_SIDE_CHILD, -1, &err), 0);
	c.state = RP_PS_WRITE;
	static uint8_t big[RP_FRAME_MAX_PAYLOAD + 1];
	assert_int_equal(rp_chan_send(&c, RP_MSG_DATA, big, sizeof big, NULL, 0, &err), -1);
	assert_int_equal(err.code, RP_E_INTERNAL);
	assert_msg(&err, "exceeds 262144");
	rp_chan_free(&c);
	close(wfd);
	close(keep);
}

static void test_send_epipe(void **state)
{
	(void)state;
	int p[2];
	mkpipe(p);
	close(p[0]);
	rp_chan c;
	rp_err err;
	assert_int_equal(rp_chan_init(&c, -1, p[1], RP_SIDE_BROKER, 1000, &err), 0);
	rp_job job;
	memset(&job, 0, sizeof job);
	assert_int_equal(rp_chan_send(&c, RP_MSG_JOB, &job, sizeof job, NULL, 0, &err), -1);
	assert_true(c.peer_gone);
	assert_msg(&err, "EPIPE");
	rp_chan_free(&c);
	close(p[1]);
}

/* The broker never waits forever: a silent child, a child that stops
 * mid-frame, and a child that stops reading all hit the deadline. */
static void test_broker_deadline(void **state)
{
	(void)state;
	rp_chan b;
	rp_err err;
	int p[2];
	mkpipe(p);
	set_nonblock(p[0]);
	int keep;
	int wfd = sink_fd(&keep);
	assert_int_equal(rp_chan_init(&b, p[0], wfd, RP_SIDE_BROKER, 100, &err), 0);
	b.state = RP_PS_IDLE;
	assert_int_equal(rp_chan_recv(&b, &err), -1);
	assert_int_equal(err.code, RP_E_SANDBOX);
	assert_msg(&err, "child did not complete a frame within 100 ms (state idle)");
	assert_true(b.timed_out);
	rp_chan_free(&b);

	/* half a header, then silence */
	assert_int_equal(write(p[1], "\x03\0\0\0\x0c", 5), 5);
	assert_int_equal(rp_chan_init(&b, p[0], wfd, RP_SIDE_BROKER, 100, &err), 0);
	b.state = RP_PS_IDLE;
	assert_int_equal(rp_chan_recv(&b, &err), -1);
	assert_true(b.timed_out);
	rp_chan_free(&b);
	close(p[0]);
	close(p[1]);
	close(wfd);
	close(keep);

	/* a reader that never reads: the broker's writes stop at the deadline */
	mkpipe(p);
	set_nonblock(p[1]);
	assert_int_equal(rp_chan_init(&b, -1, p[1], RP_SIDE_BROKER, 100, &err), 0);
	b.state = RP_PS_READ;
	static uint8_t chunk[RP_FRAME_MAX_PAYLOAD];
	int rc = 0;
	for (int i = 0; i < 64 && rc == 0; i++)
		rc = rp_chan_send(&b, RP_MSG_DATA, chunk, sizeof chunk, NULL, 0, &err);
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, RP_E_SANDBOX);
	assert_true(b.timed_out);
	rp_chan_free(&b);
	close(p[0]);
	close(p[1]);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Signals interrupting blocking reads (EINTR) must not break a frame. */
static void test_eintr(void **state)
{
	(void)state;
	int p[2];
	mkpipe(p);
	rp_job job;
	memset(&job, 0, sizeof job);
	rawbuf r = { 0 };
	rawbuf_frame(&r, RP_MSG_JOB, 1, &job, sizeof job);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		/* trickle: header in two pieces with pauses, then the payload */
		struct timespec ts = { 0, 150 * 1000000 };
		(void)!write(p[1], r.p, 7);
		nanosleep(&ts, NULL);
		(void)!write(p[1], r.p + 7, 5);
		nanosleep(&ts, NULL);
		(void)!write(p[1], r.p + 12, r.n - 12);
		_exit(0);
	}
	close(p[1]);
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm; /* no SA_RESTART: read() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	int keep;
	int wfd = sink_fd(&keep);
	rp_chan c;
	rp_err err;
	assert_int_equal(rp_chan_init(&c, p[0], wfd, RP_SIDE_CHILD, -1, &err), 0);
	int rc = rp_chan_recv(&c, &err);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (rc != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.hdr.type, RP_MSG_JOB);
	assert_true(alarms > 0);
	rp_chan_free(&c);
	int st;
	waitpid(pid, &st, 0);
	close(p[0]);
	close(wfd);
	close(keep);
	rawbuf_free(&r);
}

static void test_expect_eof(void **state)
{
	(void)state;
	rawbuf r = { 0 };
	rp_chan b;
	rp_err err;
	int keep;
	int wfd = sink_fd(&keep);
	int rfd = feed(&r);
	assert_int_equal(rp_chan_init(&b, rfd, wfd, RP_SIDE_BROKER, 500, &err), 0);
	b.state = RP_PS_DONE;
	assert_int_equal(rp_chan_expect_eof(&b, &err), 0);
	rp_chan_free(&b);
	close(rfd);

	rawbuf_bytes(&r, "x", 1);
	rfd = feed(&r);
	assert_int_equal(rp_chan_init(&b, rfd, wfd, RP_SIDE_BROKER, 500, &err), 0);
	b.state = RP_PS_DONE;
	assert_int_equal(rp_chan_expect_eof(&b, &err), -1);
	assert_msg(&err, "child sent bytes after DONE");
	rp_chan_free(&b);
	close(rfd);
	close(wfd);
	close(keep);
	rawbuf_free(&r);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_layout),  cmocka_unit_test(test_state_table),
		cmocka_unit_test(test_length_rules),   cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_recv_rejects),   cmocka_unit_test(test_send_refuses),
		cmocka_unit_test(test_send_epipe),     cmocka_unit_test(test_broker_deadline),
		cmocka_unit_test(test_eintr),          cmocka_unit_test(test_expect_eof),
		cmocka_unit_test(test_export_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
