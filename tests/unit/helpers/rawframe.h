/*
 * rawframe.h - build raw frame bytes for protocol tests (fake broker, fake
 * child), including deliberately malformed ones.
 *
 * Why: the malformed-frame tests must bypass rp_chan_send, which refuses
 * to produce bad frames.
 * Security posture: test-only; no main(), no cmocka symbols.
 */
#ifndef RP_TEST_RAWFRAME_H
#define RP_TEST_RAWFRAME_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte string of frames. */
typedef struct rawbuf {
	uint8_t *p;
	size_t n, cap;
} rawbuf;

void rawbuf_free(rawbuf *b);
void rawbuf_bytes(rawbuf *b, const void *p, size_t n);
void rawbuf_u32(rawbuf *b, uint32_t v);
void rawbuf_u64(rawbuf *b, uint64_t v);
/* Header with an explicit length field (may lie about the payload). */
void rawbuf_hdr(rawbuf *b, uint32_t type, uint32_t len, uint32_t seq);
/* Whole frame: header with len = n, then the payload. */
void rawbuf_frame(rawbuf *b, uint32_t type, uint32_t seq, const void *p, size_t n);
/* Frame whose payload is a u32 followed by bytes (ERR, DONE, OUTPUT, ...). */
void rawbuf_frame_u32(rawbuf *b, uint32_t type, uint32_t seq, uint32_t v, const void *p, size_t n);

/* Forks a process that writes b to wfd (then closes it) and reads rfd until
 * EOF, discarding everything, so the other end never blocks. Returns its
 * pid. The caller must close its own copies of the fds it handed over. */
int rawpeer_spawn(const rawbuf *b, int wfd, int rfd, int close_fds[], int nclose);
/* Waits for that process (killing it first). */
void rawpeer_reap(int pid);

#endif
