/*
 * frame.h - reading and writing whole frames on a pair of pipe fds.
 *
 * Why: both the broker loop and the child's rp_io speak frames; this is
 * the only code that touches the pipe bytes, so every length check,
 * sequence check, state check, EINTR retry and timeout is in one place.
 * A frame is accepted only when its header passed every check (known
 * type, length <= RP_FRAME_MAX_PAYLOAD and within the type's bounds,
 * expected sequence number, allowed in the current state) *before* its
 * payload is read, and the whole payload arrived.
 * Security posture: runs on both sides. The broker's channel uses
 * non-blocking fds with a per-frame deadline (a stuck or hostile child
 * cannot hang it); the child's channel blocks (it has no poll in its
 * seccomp policy, and its peer is the trusted broker). After any failure
 * the channel is "broken" and every later call fails: a protocol surprise
 * is never retried or resynchronised.
 */
#ifndef RP_SANDBOX_FRAME_H
#define RP_SANDBOX_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "proto.h"

typedef struct rp_frame_hdr {
	uint32_t type;
	uint32_t len;
	uint32_t seq;
} rp_frame_hdr;

void rp_frame_hdr_encode(const rp_frame_hdr *h, uint8_t out[RP_FRAME_HDR_LEN]);
void rp_frame_hdr_decode(const uint8_t in[RP_FRAME_HDR_LEN], rp_frame_hdr *h);

typedef struct rp_chan {
	int rfd;            /* frames from the peer */
	int wfd;            /* frames to the peer */
	rp_side self;       /* which side uses this end (the peer is the other) */
	int timeout_ms;     /* per whole frame; < 0 = block without deadline */
	rp_pstate state;    /* this side's view of the conversation */
	uint32_t tx_seq;    /* sequence number of the next frame sent */
	uint32_t rx_seq;    /* sequence number the next frame must carry */
	int broken;         /* a failure happened; everything fails from now on */
	int peer_gone;      /* that failure was EOF / EPIPE: the peer closed its end */
	int timed_out;      /* that failure was the per-frame deadline */
	rp_frame_hdr hdr;   /* header of the frame last received */
	uint8_t *payload;   /* its payload (RP_FRAME_MAX_PAYLOAD bytes of storage) */
	uint8_t *txbuf;     /* child side: header + payload assembled for one write() */
} rp_chan;

/* Allocates the buffers (before confinement on the child side). */
int rp_chan_init(rp_chan *c, int rfd, int wfd, rp_side self, int timeout_ms, rp_err *err);
void rp_chan_free(rp_chan *c);

/* Sends one frame whose payload is a[0..na) followed by b[0..nb). Sending
 * a type the state table does not allow is a bug: RP_E_INTERNAL. */
int rp_chan_send(rp_chan *c, rp_msg type, const void *a, size_t na, const void *b, size_t nb,
		 rp_err *err);

/* Broker side only: sends one frame of `type` whose len-byte payload is
 * moved from the file fd (at its current offset) into the channel with
 * splice(2), so the bytes never pass through the broker's memory. Same
 * header, sequence number and state-table check as rp_chan_send, same
 * deadline, EINTR and EPIPE handling. If the file system or the channel
 * cannot splice (EINVAL), the rest of the frame is copied with read()
 * and write(). Once the header went out the frame must be completed: if
 * the file ends early the channel is broken and the error is RP_E_IO
 * "file shrank while read: N of LEN bytes" (the caller kills the child);
 * a read error is RP_E_IO as well, a vanished peer RP_E_PROTO. */
int rp_chan_send_spliced(rp_chan *c, uint32_t type, int fd, uint32_t len, rp_err *err);

/* Receives one frame into c->hdr / c->payload and advances c->state.
 * Every failure is fatal for the channel: RP_E_PROTO (bad or truncated
 * frame, EOF), RP_E_SANDBOX (deadline passed), RP_E_IO (read error). */
int rp_chan_recv(rp_chan *c, rp_err *err);

/* In state DONE: the peer must close its end and send nothing more. */
int rp_chan_expect_eof(rp_chan *c, rp_err *err);

/* Name of errno value e without touching locale data ("EPIPE"); safe in
 * the confined child, where strerror() could try to open a catalogue. */
const char *rp_errno_name(int e);

#endif
