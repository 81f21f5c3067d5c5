/*
 * frame.c - bounded, EINTR-safe frame I/O over pipes (see frame.h).
 *
 * Security posture: runs on both sides of the trust boundary. The header
 * is validated completely before a payload byte is read; the payload is
 * read into a fixed RP_FRAME_MAX_PAYLOAD buffer, so no length from the
 * peer ever sizes an allocation. On the child side only read(0)/write(1)
 * are used (the only I/O its seccomp policy allows); the broker side also
 * uses poll(), writev() and splice() (file bytes into the child's pipe
 * without a copy through broker memory).
 */
#include "frame.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

void rp_frame_hdr_encode(const rp_frame_hdr *h, uint8_t out[RP_FRAME_HDR_LEN])
{
	rp_put_u32(out, h->type);
	rp_put_u32(out + 4, h->len);
	rp_put_u32(out + 8, h->seq);
}

void rp_frame_hdr_decode(const uint8_t in[RP_FRAME_HDR_LEN], rp_frame_hdr *h)
{
	h->type = rp_get_u32(in);
	h->len = rp_get_u32(in + 4);
	h->seq = rp_get_u32(in + 8);
}

const char *rp_errno_name(int e)
{
	const char *n = strerrorname_np(e);
	return n != NULL ? n : "unknown errno";
}

int rp_chan_init(rp_chan *c, int rfd, int wfd, rp_side self, int timeout_ms, rp_err *err)
{
	memset(c, 0, sizeof *c);
	c->rfd = rfd;
	c->wfd = wfd;
	c->self = self;
	c->timeout_ms = timeout_ms;
	c->state = RP_PS_START;
	c->tx_seq = 1;
	c->rx_seq = 1;
	c->payload = malloc(RP_FRAME_MAX_PAYLOAD);
	/* Only the child assembles frames (its policy has write, not writev). */
	if (self == RP_SIDE_CHILD)
		c->txbuf = malloc(RP_FRAME_HDR_LEN + RP_FRAME_MAX_PAYLOAD);
	if (c->payload == NULL || (self == RP_SIDE_CHILD && c->txbuf == NULL)) {
		rp_chan_free(c);
		return rp_err_set(err, RP_E_NOMEM, "out of memory allocating frame buffers");
	}
	return 0;
}

void rp_chan_free(rp_chan *c)
{
	free(c->payload);
	free(c->txbuf);
	c->payload = NULL;
	c->txbuf = NULL;
	c->broken = 1;
}

static const char *peer_name(const rp_chan *c)
{
	return rp_side_name(c->self == RP_SIDE_BROKER ? RP_SIDE_CHILD : RP_SIDE_BROKER);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_for(const rp_chan *c)
{
	return c->timeout_ms < 0 ? -1 : now_ms() + c->timeout_ms;
}

/* Waits until fd is ready for `events` or the deadline passes.
 * 0 ready, -1 error/timeout (err set). */
static int wait_fd(rp_chan *c, int fd, short events, int64_t deadline, const char *what, rp_err *err)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			c->timed_out = 1;
			return rp_err_set(err, RP_E_SANDBOX,
					  "%s: %s did not complete a frame within %d ms (state %s)", what,
					  peer_name(c), c->timeout_ms, rp_pstate_name(c->state));
		}
		struct pollfd pfd = { .fd = fd, .events = events };
		int r = poll(&pfd, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
		if (r > 0)
			return 0; /* readable, writable, HUP or ERR: the next syscall tells */
		if (r < 0 && errno != EINTR)
			return rp_err_set(err, RP_E_IO, "%s: poll: %s", what, rp_errno_name(errno));
	}
}

/* Reads exactly n bytes. Returns 0, or 1 on EOF (with *got bytes read), or
 * -1 on error (err set). */
static int read_full(rp_chan *c, uint8_t *p, size_t n, size_t *got, int64_t deadline,
		     const char *what, rp_err *err)
{
	*got = 0;
	while (*got < n) {
		ssize_t r = read(c->rfd, p + *got, n - *got);
		if (r > 0) {
			*got += (size_t)r;
			continue;
		}
		if (r == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EWOULDBLOCK) && deadline >= 0) {
			if (wait_fd(c, c->rfd, POLLIN, deadline, what, err) != 0)
				return -1;
			continue;
		}
		if (errno == ECONNRESET)
			c->peer_gone = 1;
		return rp_err_set(err, RP_E_IO, "%s: read from %s: %s", what, peer_name(c),
				  rp_errno_name(errno));
	}
	return 0;
}

static int write_all(rp_chan *c, struct iovec *iov, int iovcnt, int64_t deadline, const char *what,
		     rp_err *err)
{
	while (iovcnt > 0) {
		if (iov->iov_len == 0) {
			iov++;
			iovcnt--;
			continue;
		}
		ssize_t w = iovcnt == 1 ? write(c->wfd, iov->iov_base, iov->iov_len)
					: writev(c->wfd, iov, iovcnt);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) && deadline >= 0) {
				if (wait_fd(c, c->wfd, POLLOUT, deadline, what, err) != 0)
					return -1;
				continue;
			}
			if (errno == EPIPE || errno == ECONNRESET)
				c->peer_gone = 1;
			return rp_err_set(err, c->peer_gone ? RP_E_PROTO : RP_E_IO,
					  "%s: write to %s: %s", what, peer_name(c),
					  rp_errno_name(errno));
		}
		size_t done = (size_t)w;
		while (iovcnt > 0 && done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return 0;
}

static int fail(rp_chan *c)
{
	c->broken = 1;
	return -1;
}

/* The checks every send makes before a byte goes out (a failure breaks
 * the channel): payload size, state table, the type's length bounds,
 * sequence numbers. Fills the encoded header and the next state. */
static int send_prepare(rp_chan *c, rp_msg type, size_t total, int oversize,
			uint8_t hdr[RP_FRAME_HDR_LEN], int *next, rp_err *err)
{
	if (c->broken)
		return rp_err_set(err, RP_E_PROTO, "send %s: channel to %s already failed",
				  rp_msg_name(type), peer_name(c));
	if (oversize || total > RP_FRAME_MAX_PAYLOAD) {
		rp_err_set(err, RP_E_INTERNAL, "send %s: payload of %zu bytes exceeds %u",
			   rp_msg_name(type), total, RP_FRAME_MAX_PAYLOAD);
		return fail(c);
	}
	uint32_t len = (uint32_t)total;
	*next = rp_proto_next(c->state, c->self, type);
	if (*next < 0) {
		rp_err_set(err, RP_E_INTERNAL, "send %s: not allowed from %s in state %s",
			   rp_msg_name(type), rp_side_name(c->self), rp_pstate_name(c->state));
		return fail(c);
	}
	if (rp_msg_len_check(type, len, err) != 0) {
		err->code = RP_E_INTERNAL;
		return fail(c);
	}
	if (c->tx_seq == 0) {
		rp_err_set(err, RP_E_PROTO, "send %s: sequence numbers exhausted", rp_msg_name(type));
		return fail(c);
	}
	rp_frame_hdr h = { .type = type, .len = len, .seq = c->tx_seq };
	rp_frame_hdr_encode(&h, hdr);
	return 0;
}

int rp_chan_send(rp_chan *c, rp_msg type, const void *a, size_t na, const void *b, size_t nb,
		 rp_err *err)
{
	int oversize = na > RP_FRAME_MAX_PAYLOAD || nb > RP_FRAME_MAX_PAYLOAD - na;
	uint8_t hdr[RP_FRAME_HDR_LEN];
	int next;
	if (send_prepare(c, type, na + nb, oversize, hdr, &next, err) != 0)
		return -1;
	uint32_t len = (uint32_t)(na + nb);
	char what[48];
	(void)snprintf(what, sizeof what, "send %s", rp_msg_name(type));
	int64_t deadline = deadline_for(c);
	int r;
	if (c->txbuf != NULL) {
		memcpy(c->txbuf, hdr, RP_FRAME_HDR_LEN);
		if (na != 0)
			memcpy(c->txbuf + RP_FRAME_HDR_LEN, a, na);
		if (nb != 0)
			memcpy(c->txbuf + RP_FRAME_HDR_LEN + na, b, nb);
		struct iovec iov = { c->txbuf, RP_FRAME_HDR_LEN + len };
		r = write_all(c, &iov, 1, deadline, what, err);
	} else {
		struct iovec iov[3] = { { hdr, RP_FRAME_HDR_LEN },
					{ (void *)(uintptr_t)a, na },
					{ (void *)(uintptr_t)b, nb } };
		r = write_all(c, iov, 3, deadline, what, err);
	}
	if (r != 0)
		return fail(c);
	c->tx_seq++;
	c->state = (rp_pstate)next;
	return 0;
}

/* The rest of a spliced frame (moved of len bytes are out) when splice
 * cannot be used: read() into a bounce buffer, write() on. */
static int copy_rest(rp_chan *c, int fd, uint32_t moved, uint32_t len, int64_t deadline,
		     const char *what, rp_err *err)
{
	uint8_t buf[64 * 1024];
	while (moved < len) {
		size_t want = len - moved < sizeof buf ? len - moved : sizeof buf;
		ssize_t n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rp_err_set(err, RP_E_IO, "%s: read from file after %u of %u bytes: %s",
					  what, (unsigned)moved, (unsigned)len, rp_errno_name(errno));
		if (n == 0)
			return rp_err_set(err, RP_E_IO, "%s: file shrank while read: %u of %u bytes", what,
					  (unsigned)moved, (unsigned)len);
		struct iovec iov = { buf, (size_t)n };
		if (write_all(c, &iov, 1, deadline, what, err) != 0)
			return -1;
		moved += (uint32_t)n;
	}
	return 0;
}

/* Moves exactly len bytes from fd to the channel: splice(2) with the
 * channel's deadline on a full pipe, EINTR retried, EPIPE = peer gone. */
static int splice_all(rp_chan *c, int fd, uint32_t len, int64_t deadline, const char *what,
		      rp_err *err)
{
	/* The broker's write end is O_NONBLOCK (deadline >= 0): say so to
	 * splice explicitly, so a full pipe is EAGAIN and we poll. */
	unsigned flags = SPLICE_F_MOVE | SPLICE_F_MORE | (deadline >= 0 ? SPLICE_F_NONBLOCK : 0u);
	uint32_t moved = 0;
	while (moved < len) {
		ssize_t n = splice(fd, NULL, c->wfd, NULL, len - moved, flags);
		if (n > 0) {
			moved += (uint32_t)n;
			continue;
		}
		if (n == 0)
			return rp_err_set(err, RP_E_IO, "%s: file shrank while read: %u of %u bytes", what,
					  (unsigned)moved, (unsigned)len);
		int e = errno;
		if (e == EINTR)
			continue;
		if ((e == EAGAIN || e == EWOULDBLOCK) && deadline >= 0) {
			if (wait_fd(c, c->wfd, POLLOUT, deadline, what, err) != 0)
				return -1;
			continue;
		}
		if (e == EINVAL || e == ENOSYS) /* file system or channel without splice */
			return copy_rest(c, fd, moved, len, deadline, what, err);
		if (e == EPIPE || e == ECONNRESET) {
			c->peer_gone = 1;
			return rp_err_set(err, RP_E_PROTO, "%s: write to %s: %s", what, peer_name(c),
					  rp_errno_name(e));
		}
		return rp_err_set(err, RP_E_IO, "%s: splice from file after %u of %u bytes: %s", what,
				  (unsigned)moved, (unsigned)len, rp_errno_name(e));
	}
	return 0;
}

int rp_chan_send_spliced(rp_chan *c, uint32_t type, int fd, uint32_t len, rp_err *err)
{
	uint8_t hdr[RP_FRAME_HDR_LEN];
	int next;
	if (send_prepare(c, (rp_msg)type, len, 0, hdr, &next, err) != 0)
		return -1;
	/* The child's policy has no splice: only the broker moves file bytes. */
	if (c->self != RP_SIDE_BROKER) {
		rp_err_set(err, RP_E_INTERNAL, "send %s: only the broker splices",
			   rp_msg_name(type));
		return fail(c);
	}
	char what[48];
	(void)snprintf(what, sizeof what, "send %s", rp_msg_name(type));
	int64_t deadline = deadline_for(c);
	struct iovec iov = { hdr, RP_FRAME_HDR_LEN };
	/* After the header the peer expects len payload bytes: any failure
	 * from here on leaves the stream out of step, so the channel breaks. */
	if (write_all(c, &iov, 1, deadline, what, err) != 0 ||
	    splice_all(c, fd, len, deadline, what, err) != 0)
		return fail(c);
	c->tx_seq++;
	c->state = (rp_pstate)next;
	return 0;
}

int rp_chan_recv(rp_chan *c, rp_err *err)
{
	const char *peer = peer_name(c);
	if (c->broken)
		return rp_err_set(err, RP_E_PROTO, "receive: channel from %s already failed", peer);
	uint8_t hdr[RP_FRAME_HDR_LEN];
	size_t got = 0;
	int64_t deadline = deadline_for(c);
	char what[64];
	(void)snprintf(what, sizeof what, "receive from %s", peer);
	int r = read_full(c, hdr, sizeof hdr, &got, deadline, what, err);
	if (r < 0)
		return fail(c);
	if (r == 1) {
		c->peer_gone = 1;
		char exp[160];
		rp_proto_expected(c->state, c->self == RP_SIDE_BROKER ? RP_SIDE_CHILD : RP_SIDE_BROKER,
				  exp, sizeof exp);
		if (got == 0)
			rp_err_set(err, RP_E_PROTO,
				   "EOF from %s in state %s (expected %s): channel closed early", peer,
				   rp_pstate_name(c->state), exp);
		else
			rp_err_set(err, RP_E_PROTO,
				   "truncated frame from %s: EOF after %zu of %u header bytes", peer, got,
				   RP_FRAME_HDR_LEN);
		return fail(c);
	}
	rp_frame_hdr h;
	rp_frame_hdr_decode(hdr, &h);
	if (!rp_msg_known(h.type)) {
		rp_err_set(err, RP_E_PROTO, "frame from %s: unknown type %u (0x%x)", peer,
			   (unsigned)h.type, (unsigned)h.type);
		return fail(c);
	}
	const char *tn = rp_msg_name(h.type);
	if (h.len > RP_FRAME_MAX_PAYLOAD) {
		rp_err_set(err, RP_E_PROTO, "frame from %s: %s payload length %u exceeds maximum %u",
			   peer, tn, (unsigned)h.len, RP_FRAME_MAX_PAYLOAD);
		return fail(c);
	}
	if (rp_msg_len_check(h.type, h.len, err) != 0) {
		rp_err_wrap(err, "frame from %s", peer);
		return fail(c);
	}
	if (h.seq != c->rx_seq) {
		rp_err_set(err, RP_E_PROTO, "frame from %s: %s has sequence number %u, expected %u",
			   peer, tn, (unsigned)h.seq, (unsigned)c->rx_seq);
		return fail(c);
	}
	rp_side from = c->self == RP_SIDE_BROKER ? RP_SIDE_CHILD : RP_SIDE_BROKER;
	int next = rp_proto_next(c->state, from, h.type);
	if (next < 0) {
		char exp[160];
		rp_proto_expected(c->state, from, exp, sizeof exp);
		rp_err_set(err, RP_E_PROTO,
			   "frame from %s: %s out of order in state %s (%s may send %s)", peer, tn,
			   rp_pstate_name(c->state), peer, exp);
		return fail(c);
	}
	r = read_full(c, c->payload, h.len, &got, deadline, what, err);
	if (r < 0)
		return fail(c);
	if (r == 1) {
		c->peer_gone = 1;
		rp_err_set(err, RP_E_PROTO, "truncated frame from %s: %s: EOF after %zu of %u payload bytes",
			   peer, tn, got, (unsigned)h.len);
		return fail(c);
	}
	c->hdr = h;
	c->rx_seq++;
	c->state = (rp_pstate)next;
	return 0;
}

int rp_chan_expect_eof(rp_chan *c, rp_err *err)
{
	const char *peer = peer_name(c);
	if (c->broken)
		return rp_err_set(err, RP_E_PROTO, "channel from %s already failed", peer);
	uint8_t extra;
	size_t got = 0;
	int r = read_full(c, &extra, 1, &got, deadline_for(c), "waiting for EOF after DONE", err);
	if (r == 1)
		return 0;
	if (r == 0)
		rp_err_set(err, RP_E_PROTO, "%s sent bytes after DONE", peer);
	return fail(c);
}
